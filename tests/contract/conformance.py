"""Is an answer one the OpenAPI description declares? Its status, its media type and the headers
a client acts on (`ETag`, `Location`, `Retry-After`...). Used on every answer of the access
matrix (every route, every kind of caller) and of the generated client's flow."""

import re
from functools import cache
from typing import Any

import httpx

# Headers a client reads to act; generic transport headers (Content-Length, Cache-Control...)
# are the protocol's, not the contract's.
CONTRACT_HEADERS = (
    "ETag",
    "Location",
    "Idempotent-Replayed",
    "Retry-After",
    "Content-Disposition",
    "WWW-Authenticate",
    "X-Request-ID",
)


@cache
def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def operation_for(schema: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The operation a concrete path is an instance of (the most literal template wins)."""
    matches = [t for t in schema["paths"] if _pattern(t).match(path)]
    matches.sort(key=lambda t: t.count("{"))
    for template in matches:
        operation: dict[str, Any] | None = schema["paths"][template].get(method.lower())
        if operation is not None:
            return operation
    return None


def undeclared(schema: dict[str, Any], response: httpx.Response) -> list[str]:
    """What the answer carries that the description does not declare (empty when conformant)."""
    request = response.request
    where = f"{request.method} {request.url.path} -> {response.status_code}"
    operation = operation_for(schema, request.method, request.url.path)
    if operation is None:
        return [f"{where}: no operation"]
    declared = operation["responses"].get(str(response.status_code))
    if declared is None:
        return [f"{where}: status not declared"]
    problems = []
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if response.content and media_type not in declared.get("content", {}):
        problems.append(f"{where}: media type {media_type!r} not declared")
    headers = {name.lower() for name in declared.get("headers", {})}
    problems += [
        f"{where}: header {name} not declared"
        for name in CONTRACT_HEADERS
        if name in response.headers and name.lower() not in headers
    ]
    return problems
