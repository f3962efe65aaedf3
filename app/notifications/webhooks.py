"""Sending one webhook delivery: Standard Webhooks headers, checked addresses, no redirects,
one overall deadline (`IMWU_WEBHOOK_TIMEOUT_SECONDS`, 10 s), and at most 1 KB of the answer kept."""

import json
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpcore

from app.config import get_settings
from app.notifications.safety import GuardedBackend, UnsafeDestination, check_url
from app.notifications.secrets import signature

KEEP_BODY_BYTES = 1024
USER_AGENT = "imwu-intake-webhooks/1"


@dataclass(frozen=True)
class Attempt:
    """What one attempt gave: `ok` for a 2xx answer; `final` when retrying cannot help."""

    ok: bool
    status: int | None = None
    body: str | None = None
    error: str | None = None
    final: bool = False


def body_of(payload: dict[str, Any]) -> bytes:
    """The same bytes on every attempt, so a receiver may hash or store them as sent."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def headers_for(
    *, msg_id: str, body: bytes, secrets: list[str], now: float | None = None
) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secrets, msg_id=msg_id, timestamp=timestamp, body=body),
    }


def post(url: str, *, headers: dict[str, str], body: bytes, timeout: float) -> Attempt:
    """POST once. Redirects are answers, not directions: a 3xx is a failed attempt."""
    settings = get_settings()
    try:
        check_url(
            url,
            environment=settings.environment,
            allow_private=settings.webhook_allow_private,
        )
    except UnsafeDestination as exc:
        return Attempt(ok=False, error=str(exc), final=True)
    backend = GuardedBackend(allow_private=settings.webhook_allow_private, timeout=timeout)
    timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    try:
        with (
            httpcore.ConnectionPool(
                ssl_context=ssl.create_default_context(),
                network_backend=backend,
                max_keepalive_connections=0,
            ) as pool,
            pool.stream(
                "POST",
                url,
                headers=list(headers.items()),
                content=body,
                extensions={"timeout": timeouts},
            ) as response,
        ):
            kept = _read_some(response)
            ok = 200 <= response.status < 300
            return Attempt(ok=ok, status=response.status, body=kept.decode("utf-8", "replace"))
    except UnsafeDestination as exc:
        return Attempt(ok=False, error=str(exc))
    except httpcore.TimeoutException:
        return Attempt(ok=False, error="timed out")
    except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
        return Attempt(ok=False, error=f"connection failed ({type(exc).__name__})")


def _read_some(response: httpcore.Response) -> bytes:
    kept = b""
    for chunk in response.iter_stream():
        kept += chunk
        if len(kept) >= KEEP_BODY_BYTES:
            break
    return kept[:KEEP_BODY_BYTES]
