"""Headers every answer carries, set in one place whatever the route (pure ASGI, so problem
answers, static files and 404s get them too).

- Every page: a strict Content-Security-Policy (scripts, styles and connections from this origin
  only, nothing inline; `blob:` only for the documents and letters the client shows in a frame or
  an image after fetching them with the token), no framing, no `<base>`, forms to this origin.
- Every answer: `nosniff` (a browser never guesses a type: an uploaded file stays an attachment)
  and `Referrer-Policy: no-referrer` (ids in URLs never leave in a Referer).
- Every authenticated answer and every API answer: `Cache-Control: no-store` (personal data
  stays out of shared and browser caches). The description (`openapi.json`) and static files are
  revalidated (`no-cache`) against their ETag, so a browser keeps them until they change.
"""

from starlette.datastructures import MutableHeaders

from app.common.body_limit import ASGIApp, Message, Receive, Scope, Send

_POLICY = (
    "default-src 'self'",
    "img-src 'self' blob:",
    "frame-src blob:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)
CONTENT_SECURITY_POLICY = "; ".join(_POLICY)
# Swagger UI's stylesheet draws its icons as `data:` SVG images; images cannot run script.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "img-src 'self' blob:", "img-src 'self' data:"
)


def content_security_policy(path: str) -> str:
    return DOCS_CONTENT_SECURITY_POLICY if path == "/docs" else CONTENT_SECURITY_POLICY


REVALIDATED_PREFIXES = ("/static/", "/docs/assets/", "/api/v1/openapi.json")


def cache_policy(path: str, *, authenticated: bool) -> str | None:
    """The `Cache-Control` an answer must carry, or None to keep the route's own."""
    if authenticated:
        return "no-store"
    if path.startswith(REVALIDATED_PREFIXES):
        return "no-cache"
    if path.startswith("/api/"):
        return "no-store"
    return None


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authenticated = any(name.lower() == b"authorization" for name, _ in scope["headers"])
        path = str(scope["path"])
        cache = cache_policy(path, authenticated=authenticated)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = content_security_policy(path)
                    headers["X-Frame-Options"] = "DENY"
                if cache == "no-store" or (cache and "cache-control" not in headers):
                    headers["Cache-Control"] = cache
            await send(message)

        await self.app(scope, receive, send_with_headers)
