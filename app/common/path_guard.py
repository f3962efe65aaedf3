"""No resource's URL holds a control character: such a path is answered 404 before any route.

Ids in paths go straight into queries, and PostgreSQL refuses a NUL in text with an error that
would surface as a 500 (`/api/v1/requests/%00`). Checking the decoded path once here covers every
route, including the ones added later."""

from app.common.body_limit import ASGIApp, Receive, Scope, Send
from app.common.text import has_control_character
from app.problems import NotFound, problem_response


class ControlCharacterPathGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and has_control_character(str(scope.get("path", ""))):
            response = problem_response(
                status=NotFound.status,
                code=NotFound.code,
                title=NotFound.title,
                detail="No resource has this path",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
