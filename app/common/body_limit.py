"""A pure-ASGI guard on request body size (PITFALLS.md: Starlette caps no file part).

A declared `Content-Length` over the limit is refused before a byte is read; a chunked body is
counted as it arrives and cut off as soon as it passes the limit, without reading the rest.
Multipart bodies get the business limit plus a small framing allowance; every other body gets the
(much smaller) JSON limit. Both paths answer the same problem+json.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from app.problems import body_too_large_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit; FastAPI re-raises it as is."""

    def __init__(self, limit: int, multipart: bool) -> None:
        super().__init__(status_code=413, detail=f"The request body is over {limit} bytes")
        self.limit = limit
        self.multipart = multipart


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        multipart_limit: Callable[[], int],
        other_limit: Callable[[], int],
    ) -> None:
        self.app = app
        self.multipart_limit = multipart_limit
        self.other_limit = other_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        is_multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        limit = self.multipart_limit() if is_multipart else self.other_limit()
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await body_too_large_response(limit, is_multipart)(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, is_multipart)
            return message

        await answer_unless_started(
            self.app,
            scope,
            counting_receive,
            send,
            error=BodyTooLarge,
            answer=lambda: body_too_large_response(limit, is_multipart),
        )


async def answer_unless_started(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    error: type[Exception],
    answer: Callable[[], Callable[[Scope, Receive, Send], Awaitable[None]]],
) -> None:
    """Run `app`; if it raises `error` before any response was started, send `answer()` instead
    (a guard's own problem response); once a response has started, let the error propagate."""
    started = False

    async def tracking_send(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, receive, tracking_send)
    except error:
        if started:
            raise
        await answer()(scope, receive, send)
