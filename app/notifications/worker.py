"""The delivery worker: claim due deliveries, send each outside any transaction, record the
attempt; and, now and then, announce information requests falling due or overdue.

Claims are leases: a claimed row is `delivering` until `lease_until` with a fresh `lease_token`.
The outcome is written only if the token still matches, so a worker that was presumed dead
cannot overwrite the attempt of the one that took over. A worker killed mid-delivery leaves its
lease to run out; the row is then claimed again and sent with the same `webhook-id` (receivers
deduplicate on it). A delivery marked `delivered` is never claimed again.
On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`; on SQLite one conditional UPDATE per row.
"""

import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.common.clock import utcnow
from app.common.text import printable
from app.config import Settings, get_settings
from app.notifications import sending
from app.notifications.models import DeliveryStatus, NotificationDelivery
from app.notifications.outbox import WAKE, scan_info_requests
from app.observability.metrics import DELIVERIES

logger = logging.getLogger("imwu.notifications")

CLAIM_BATCH = 20
"""Deliveries per round before the worker looks at its stop flag and the scan clock again."""


@dataclass(frozen=True)
class Claim:
    """A delivery this worker holds; `attempts` counts this one (an attempt counts once it
    starts, so one cut short by a killed worker is counted too)."""

    delivery_id: str
    token: str
    attempts: int


def backoff_seconds(attempt: int, settings: Settings, rand: random.Random | None = None) -> float:
    """The wait after failed attempt `attempt` (1-based): geometric from the base to the cap over
    the allowed attempts (30 s to 24 h over 12 by default), with +-20% jitter (never past the cap)
    so receivers that failed together are not retried together."""
    base, cap = settings.notify_backoff_base_seconds, settings.notify_backoff_max_seconds
    if base <= 0 or cap <= 0:
        return 0.0
    steps = max(1, settings.notify_max_attempts - 2)
    ratio = (max(cap, base) / base) ** (1 / steps)
    delay = min(cap, base * ratio ** min(attempt - 1, steps))
    return float(min(cap, delay * (rand or random).uniform(0.8, 1.2)))


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(
            NotificationDelivery.status == DeliveryStatus.PENDING,
            NotificationDelivery.next_attempt_at <= now,
        ),
        and_(
            NotificationDelivery.status == DeliveryStatus.DELIVERING,
            NotificationDelivery.lease_until < now,
        ),
    )


def claim(session: Session, *, limit: int, lease_seconds: float) -> list[Claim]:
    """Take up to `limit` due deliveries (and lapsed leases) for this worker, oldest first."""
    now = utcnow()
    due = (
        select(NotificationDelivery.id)
        .where(_claimable(now))
        .order_by(NotificationDelivery.next_attempt_at)
        .limit(limit)
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        due = due.with_for_update(skip_locked=True)
    claims = []
    for delivery_id in session.scalars(due).all():
        token = str(uuid.uuid4())
        attempts = session.scalar(
            update(NotificationDelivery)
            .where(NotificationDelivery.id == delivery_id, _claimable(now))
            .values(
                status=DeliveryStatus.DELIVERING,
                attempts=NotificationDelivery.attempts + 1,
                lease_token=token,
                lease_until=now + timedelta(seconds=lease_seconds),
            )
            .returning(NotificationDelivery.attempts)
            .execution_options(synchronize_session=False)
        )
        if attempts is not None:
            claims.append(Claim(delivery_id, token, attempts))
    return claims


def finish(session: Session, *, claim: Claim, result: sending.Result, settings: Settings) -> str:
    """Record one attempt if the lease is still ours; returns the outcome for the metrics."""
    now = utcnow()
    attempts = claim.attempts
    values: dict[str, object] = {
        "last_attempt_at": now,
        "last_response_code": result.status,
        "last_response_body": printable(result.body) if result.body is not None else None,
        "last_error": printable(result.error or "")[:300] or None,
        "lease_token": None,
        "lease_until": None,
    }
    if result.ok:
        outcome = "delivered"
        values.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif result.cancelled:
        outcome = "cancelled"
        values.update(status=DeliveryStatus.CANCELLED)
    elif result.final or attempts >= settings.notify_max_attempts:
        outcome = "failed"
        values.update(status=DeliveryStatus.FAILED)
    else:
        outcome = "retry"
        wait = timedelta(seconds=backoff_seconds(attempts, settings))
        values.update(status=DeliveryStatus.PENDING, next_attempt_at=now + wait)
    written = session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.id == claim.delivery_id,
            NotificationDelivery.lease_token == claim.token,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return outcome if written.rowcount == 1 else "lease_lost"  # type: ignore[attr-defined]


def run_once(factory: sessionmaker[Session], settings: Settings) -> int:
    """Up to CLAIM_BATCH deliveries, each claimed just before it is sent (a lease covers one
    delivery in flight, never a row waiting behind others); the number attempted."""
    lease = settings.notify_lease_seconds
    timeout = min(settings.webhook_timeout_seconds, lease / 2)
    for attempted in range(CLAIM_BATCH):
        with factory.begin() as session:
            claims = claim(session, limit=1, lease_seconds=lease)
        if not claims:
            return attempted
        one = claims[0]
        try:
            with factory() as session:
                result = sending.send(session, delivery_id=one.delivery_id, timeout=timeout)
        except Exception:
            logger.exception("a delivery raised; it will be retried")
            result = sending.Result(ok=False, error="internal error")
        with factory.begin() as session:
            outcome = finish(session, claim=one, result=result, settings=settings)
        DELIVERIES.labels(outcome=outcome).inc()
        logger.info("delivery attempt", extra={"delivery_id": one.delivery_id, "outcome": outcome})
    return CLAIM_BATCH


def scan(factory: sessionmaker[Session]) -> int:
    with factory.begin() as session:
        return scan_info_requests(session, today=utcnow().date())


def run(stop: threading.Event, factory: sessionmaker[Session], settings: Settings) -> None:
    """Deliver until `stop` is set: batches back to back while there is work, otherwise wait for
    the poll interval (or a wake-up from a commit in this process)."""
    next_scan = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() >= next_scan:
                scan(factory)
                next_scan = time.monotonic() + settings.notify_scan_seconds
            busy = run_once(factory, settings) > 0
        except Exception:
            logger.exception("the delivery worker failed a round; it goes on")
            busy = False
        if busy:
            continue
        WAKE.wait(settings.notify_poll_seconds)
        WAKE.clear()


def start_thread() -> tuple[threading.Thread, threading.Event]:
    """The worker inside `imwu serve` (a daemon thread), and the event that stops it."""
    from app.db import get_sessionmaker

    stop = threading.Event()
    thread = threading.Thread(
        target=run, args=(stop, get_sessionmaker(), get_settings()), name="imwu-notify", daemon=True
    )
    thread.start()
    return thread, stop


def say_email_state(settings: Settings) -> None:
    """Email is optional: say at start whether it is on, without printing the URL's password."""
    if settings.smtp_url and settings.mail_from:
        host = settings.smtp_url.rpartition("@")[2]
        logger.info("email notifications are on", extra={"smtp": host.split("?")[0]})
    else:
        logger.warning("email notifications are off (IMWU_SMTP_URL or IMWU_MAIL_FROM is unset)")


@contextmanager
def embedded() -> Iterator[None]:
    """The delivery worker as a thread of `imwu serve`, unless IMWU_NOTIFY_WORKER_IN_SERVE=false."""
    settings = get_settings()
    say_email_state(settings)
    if not settings.notify_worker_in_serve:
        yield
        return
    thread, stop = start_thread()
    try:
        yield
    finally:
        stop.set()
        WAKE.set()
        thread.join(timeout=settings.notify_poll_seconds + 15)
