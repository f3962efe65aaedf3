"""The OpenAPI description as a contract: clients are generated from it (tests/contract), so every
operation has a readable id, every shape one schema, every header and binary body a declaration.

Routes declare what is theirs (`with_headers(201, "Location")`, `binary_response(...)`); what the
service adds to every operation whatever its handler does (the request id, `Retry-After` on 429,
503 and 507, `WWW-Authenticate` on 401, the 503 of a lost database, the 408 of a slow body) is
added here once, when the document is built.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

_STRING = {"type": "string"}

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": 'On a request, its version as a strong ETag (`"3"`): send it back in '
        "`If-Match` to change the request only if nobody changed it meanwhile. On a file, a "
        "validator of its bytes.",
        "schema": {**_STRING, "examples": ['"3"']},
    },
    "Location": {
        "description": "The path of the resource created.",
        "schema": {**_STRING, "examples": ["/api/v1/requests/6f1c0b9e-2a41-4c55-9d0e"]},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this answer replays the one given to an earlier request "
        "with the same `Idempotency-Key` and body (nothing new was created).",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Content-Disposition": {
        "description": "`attachment`, with the file name (RFC 6266).",
        "schema": _STRING,
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "WWW-Authenticate": {"description": "`Bearer`: send a bearer token.", "schema": _STRING},
    "X-Request-ID": {
        "description": "The request's id in the service's log (the client's own when it sent "
        "a short safe `X-Request-ID`).",
        "schema": _STRING,
    },
}
_RETRY_AFTER_STATUSES = ("429", "503", "507")
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def operation_id(route: APIRoute) -> str:
    """An operation's id is its route function's name (`create_request`, `upload_document`), so
    a route added later gets a readable id with nothing to remember; FastAPI warns on a duplicate
    and the contract tests fail on it."""
    return route.name


def _header_refs(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def with_headers(status: int, *names: str) -> dict[int | str, dict[str, Any]]:
    """The `responses` entry that declares the headers a route's answer carries."""
    unknown = set(names) - set(HEADERS)
    if unknown:
        raise ValueError(f"undeclared headers: {sorted(unknown)}")
    return {status: {"headers": _header_refs(*names)}}


def binary_response(
    *media_types: str, description: str, headers: tuple[str, ...] = ()
) -> dict[int | str, dict[str, Any]]:
    """A 200 answer whose body is a file (`application/pdf`, `image/jpeg`, `image/png`)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {
            "description": description,
            "content": dict.fromkeys(media_types, binary),
            "headers": _header_refs(*headers),
        }
    }


_FORM_SCHEMAS: dict[str, dict[str, Any]] = {}


def form_body(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a route that parses its multipart form itself (a streamed upload,
    which FastAPI cannot describe): the body is the component schema `name`, so that generated
    clients get one model for the form, as for any other body."""
    _FORM_SCHEMAS[name] = schema
    ref = {"$ref": f"#/components/schemas/{name}"}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": ref}}}
    }


def _problem_ref() -> dict[str, Any]:
    return {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _binary_uploads(node: Any) -> None:
    """OpenAPI 3.1 says a file part is `contentMediaType: application/octet-stream`; generators
    (openapi-python-client among them) still need `format: binary` to type it as a file."""
    if isinstance(node, dict):
        if node.get("type") == "string" and "contentMediaType" in node:
            node["format"] = "binary"
        for value in node.values():
            _binary_uploads(value)
    elif isinstance(node, list):
        for value in node:
            _binary_uploads(value)


def _describe_operation(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "requestBody" in operation:
        responses.setdefault(
            "408", {"description": "The body did not arrive in time", "content": _problem_ref()}
        )
    if path.startswith("/api/"):
        responses.setdefault(
            "503", {"description": "The database is unavailable", "content": _problem_ref()}
        )
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers.update(_header_refs("X-Request-ID"))
        if status in _RETRY_AFTER_STATUSES:
            headers.update(_header_refs("Retry-After"))
        if status == "401":
            headers.update(_header_refs("WWW-Authenticate"))


def describe_contract(app: FastAPI) -> None:
    """Complete the document FastAPI builds (after the problem declarations of `app.problems`)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, path_item in schema.get("paths", {}).items():
            for method, operation in path_item.items():
                if method in _METHODS:
                    _describe_operation(path, operation)
                    _binary_uploads(operation.get("requestBody", {}))
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {}).update(_FORM_SCHEMAS)
        _binary_uploads(components["schemas"])
        components["headers"] = HEADERS
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
