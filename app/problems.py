"""Errors as RFC 9457 problem details.

Every error leaves through the handlers here as `application/problem+json` with `type`, `title`,
`status`, `detail`, a stable `code` and, for field problems, `errors[]` naming each field as a JSON
pointer. Submitted values are never echoed: personal data must not come back in an error.
"""

import errno
import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://imwu-intake.example/problems/"


class FieldError(BaseModel):
    pointer: str
    message: str


class Problem(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] = []


class AppError(Exception):
    """A business failure with an HTTP status and a stable code. Subclasses set the class vars."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Iterable[FieldError] = (),
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = list(errors)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"


class MethodNotAllowed(AppError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"


class ValidationFailed(AppError):
    status, code, title = 422, "validation_error", "Invalid input"


class InvalidState(AppError):
    status, code, title = 409, "invalid_state", "Not allowed in the current state"


class PreconditionFailed(AppError):
    status, code, title = 412, "precondition_failed", "The resource has changed"


class IdempotencyConflict(AppError):
    status, code, title = 422, "idempotency_conflict", "Idempotency key reused with another body"


class RequestNotSubmittable(AppError):
    status, code, title = 422, "request_not_submittable", "The request cannot be submitted"


class DocumentTooLarge(AppError):
    status, code, title = 413, "document_too_large", "Over the request's 4 MB document budget"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported file type"


class DocumentUnreadable(AppError):
    status, code, title = 422, "document_unreadable", "The file cannot be read"


class DuplicateDocument(AppError):
    status, code, title = 409, "duplicate_document", "This file is already attached"


class AlreadyClaimed(AppError):
    status, code, title = 409, "already_claimed", "Another reviewer holds this case"


class NotClaimHolder(AppError):
    status, code, title = 403, "not_claim_holder", "You do not hold this case"


class ClaimLapsed(AppError):
    status, code, title = 409, "claim_lapsed", "Your claim on this case has lapsed"


class DecisionExists(AppError):
    status, code, title = 409, "decision_exists", "This case is already decided"


class DecisionBlocked(AppError):
    """The current revision cannot carry this decision yet; `reasons` lists every cause."""

    status, code, title = 422, "decision_blocked", "The case cannot be decided yet"


class LetterRevoked(AppError):
    status, code, title = 409, "letter_revoked", "This letter no longer stands"


class WebhookUrlRefused(AppError):
    status, code, title = 422, "webhook_url_refused", "This webhook address is not allowed"


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": "60"})


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "Service temporarily unavailable"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": "5"})


class InsufficientStorage(AppError):
    status, code, title = 507, "insufficient_storage", "No room to store the file"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": "60"})


_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def storage_problem(exc: OSError) -> AppError | None:
    """The answer to a failed write to document storage, or None if it is not a storage fault.

    A full disk is 507; a storage the service may not write to is 503 (an operator must act)."""
    if exc.errno in _NO_ROOM:
        return InsufficientStorage("The document store is full; nothing was stored")
    if exc.errno in _NOT_WRITABLE:
        return ServiceUnavailable("The document store cannot be written to; nothing was stored")
    return None


def database_unavailable(exc: sa_exc.SQLAlchemyError) -> bool:
    """The database cannot be reached or is overloaded (as opposed to a bug in a query)."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    return isinstance(exc, sa_exc.DBAPIError) and (
        exc.connection_invalidated
        or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    )


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Sequence[FieldError] = (),
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def pointer(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a JSON pointer, without the `body`/`query` prefix."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        prefix = "" if parts[0] == "body" else f"/{parts[0]}"
        parts = parts[1:]
    else:
        prefix = ""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return prefix + ("/" + "/".join(escaped) if escaped else "")


def _message(error: Mapping[str, Any]) -> str:
    """pydantic's message without the value: its messages only restate constraints."""
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    if error.get("type") == "string_unicode":
        return "contains an unpaired surrogate"
    msg = str(error.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    return [FieldError(pointer=pointer(e.get("loc", ())), message=_message(e)) for e in errors]


def validation_failed(exc: ValidationError | RequestValidationError) -> ValidationFailed:
    errors = field_errors(exc.errors())
    return ValidationFailed(f"{len(errors)} field(s) are invalid", errors=errors)


_STATUS_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Request body too large"),
    408: ("request_timeout", "Request timeout"),
    415: ("unsupported_media_type", "Unsupported media type"),
}


def body_too_large_response(limit: int, multipart: bool) -> JSONResponse:
    """The answer to a body over the transport limit, before or while it streams in."""
    if multipart:
        return problem_response(
            status=413,
            code=DocumentTooLarge.code,
            title=DocumentTooLarge.title,
            detail=f"The upload is larger than the request's document budget ({limit} bytes)",
            headers={"Connection": "close"},
        )
    return problem_response(
        status=413,
        code=PayloadTooLarge.code,
        title=PayloadTooLarge.title,
        detail=f"The request body is larger than {limit} bytes",
        headers={"Connection": "close"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    describe_framework_problems(app)

    @app.exception_handler(AppError)
    def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return problem_response(
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            extra=exc.extra,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        """Never a stack trace or an echo: the cause is logged by type only (no personal data)."""
        logger.error("unhandled %s", type(exc).__name__)
        return problem_response(
            status=500,
            code="internal_error",
            title="Internal error",
            detail="The service failed to handle this request",
        )

    @app.exception_handler(sa_exc.DBAPIError)
    @app.exception_handler(sa_exc.TimeoutError)
    def _database(_request: Request, exc: sa_exc.SQLAlchemyError) -> JSONResponse:
        """A lost or overloaded database is a 503 the client may retry; the pool (pre-ping)
        reconnects by itself once the database answers again. Anything else stays a 500."""
        if not database_unavailable(exc):
            raise exc
        logger.warning("database unavailable: %s", type(exc).__name__)
        return _app_error(_request, ServiceUnavailable("The database is unavailable; try again"))

    @app.exception_handler(RequestValidationError)
    def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _app_error(_request, validation_failed(exc))

    @app.exception_handler(StarletteHTTPException)
    def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        limit, multipart = getattr(exc, "limit", None), getattr(exc, "multipart", None)
        if exc.status_code == 413 and isinstance(limit, int) and isinstance(multipart, bool):
            return body_too_large_response(limit, multipart)
        code, title = _STATUS_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        detail = title if exc.status_code in _STATUS_CODES else str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 408:  # the body is half read: the connection cannot carry on
            headers["Connection"] = "close"
        return problem_response(
            status=exc.status_code,
            code=code,
            title=title,
            detail=detail,
            headers=headers,
        )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the problem responses a route may give."""
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {}},
            "description": HTTPStatus(status).phrase,
        }
        for status in statuses
    }


_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": _PROBLEM_CONTENT}


def _describe_operation(operation: dict[str, Any]) -> None:
    """Add the problems the framework gives on its own, and make every error problem+json."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if operation.get("security"):
        responses.setdefault("401", _problem("The bearer token is missing, unknown or revoked"))
    if "requestBody" in operation:
        responses.setdefault("400", _problem("The body cannot be parsed"))
        responses.setdefault("413", _problem("The body is over the size limit"))
    if "requestBody" in operation or operation.get("parameters"):
        default = responses.get("422", {}).get("description") == "Validation Error"
        if default or "422" not in responses:
            responses["422"] = _problem("Invalid input; `errors` names each field")
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = _PROBLEM_CONTENT


def describe_framework_problems(app: FastAPI) -> None:
    """Describe in OpenAPI the errors every operation may give whatever its handler does: 401 from
    the bearer guard, 400 and 413 for an unreadable or oversized body, 422 in our problem shape
    (FastAPI documents its own `HTTPValidationError`, which the handler here replaces). Every error
    response is declared as `application/problem+json`, the only way errors leave."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for path_item in schema.get("paths", {}).values():
            for method, operation in path_item.items():
                if method in _METHODS:
                    _describe_operation(operation)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in {**problem.pop("$defs", {}), "Problem": problem}.items():
            components.setdefault(name, definition)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
