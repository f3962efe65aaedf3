"""A deadline on reading a request body (PITFALLS.md: uvicorn has none).

A client that declares a body and then trickles it, or stops, would otherwise hold its
connection for ever. Each `receive` waits at most the time left before the deadline; past it the
request is answered 408 `request_timeout` (if nothing was sent yet) and the connection closes.
A reverse proxy adds its own header and body timeouts in front (see the README).
"""

import asyncio
import time
from collections.abc import Callable

from starlette.exceptions import HTTPException

from app.common.body_limit import ASGIApp, Message, Receive, Scope, Send, answer_unless_started
from app.problems import problem_response


class BodyTimeout(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=408, detail="The request body was not received in time")


class ReceiveTimeoutMiddleware:
    def __init__(self, app: ASGIApp, *, timeout: Callable[[], float]) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout()
        body_done = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            remaining = deadline - time.monotonic()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(remaining, 0.001))
            except TimeoutError:
                raise BodyTimeout() from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        await answer_unless_started(
            self.app,
            scope,
            timed_receive,
            send,
            error=BodyTimeout,
            answer=lambda: problem_response(
                status=408,
                code="request_timeout",
                title="Request timeout",
                detail="The request body was not received in time",
                headers={"Connection": "close"},
            ),
        )
