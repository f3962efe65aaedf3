"""The outbox: an event and its deliveries, written in the transaction of the change.

Workflow services call `emit` once per change; if their transaction rolls back, nothing is
announced, and once it commits, the worker cannot miss it. Deliveries are fanned out here (one
per subscribed endpoint and email recipient) so the worker only ever sends rows.
"""

import threading
import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.common.clock import utcnow
from app.common.findings import Outcome
from app.config import get_settings
from app.db import after_commit
from app.intake.models import OpinionRequest, RequestStatus
from app.letters.models import Letter
from app.notifications.events import (
    DUE_SOON_BUSINESS_DAYS,
    EMAILED,
    EventName,
    links,
    payload,
)
from app.notifications.models import NotificationDelivery, NotificationEvent, WebhookEndpoint
from app.queue.models import Decision, InfoRequest
from app.triage.calendar import add_business_days
from app.triage.engine import TriageResult

WAKE = threading.Event()
"""Set after a commit that wrote deliveries, so a worker in this process sends them at once."""


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _subject_data(subject: object | None) -> dict[str, Any]:
    if isinstance(subject, InfoRequest):
        return {"info_request_id": subject.id, "due_date": subject.due_date.isoformat()}
    if isinstance(subject, Decision):
        return {"decision_id": subject.id, "outcome": subject.outcome}
    if isinstance(subject, Letter):
        return {"letter_id": subject.id, "letter_status": subject.status}
    if isinstance(subject, TriageResult):
        # A submit with a blocking finding is refused (422) and writes nothing, so a triaged
        # case is routed; after an answer a blocking finding means the holder must refuse or
        # ask again (`blocking`), which the case's status does not say yet.
        blocked = any(f.outcome is Outcome.BLOCK for f in subject.findings)
        return {"outcome": "blocking" if blocked else "routed", "stream": subject.stream}
    return {}


def emit(
    session: Session,
    event: EventName,
    *,
    request: OpinionRequest | str,
    subject: object | None = None,
    dedupe_key: str | None = None,
    **extra: str | int | None,
) -> NotificationEvent | None:
    """Write `event` about `request` (and its info request, decision or letter) with a delivery
    per subscribed webhook endpoint and email recipient. With `dedupe_key`, a second call for the
    same key writes nothing and returns None (the scanned events happen once)."""
    if isinstance(request, str):
        request = session.get_one(OpinionRequest, request)
    now = utcnow()
    data: dict[str, Any] = {
        "request_id": request.id,
        "reference": request.reference,
        "status": str(request.status),
        **_subject_data(subject),
        **extra,
    }
    letter_id = subject.id if isinstance(subject, Letter) else None
    data["links"] = links(get_settings().public_base_url, request.id, letter_id)
    row = NotificationEvent(
        id=new_event_id(),
        type=event,
        organization_id=request.organization_id,
        request_id=request.id,
        payload=payload(event, occurred_at=now, data=data),
        dedupe_key=dedupe_key,
        created_at=now,
    )
    if dedupe_key is None:
        session.add(row)
        session.flush()
    else:
        try:
            with session.begin_nested():  # another worker's scan may have written it first
                session.add(row)
                session.flush()
        except IntegrityError:
            return None
    fan_out(session, event=row, recipients=_email_recipients(event, request))
    return row


def _email_recipients(event: str, request: OpinionRequest) -> list[str]:
    """The representative always; the employer contact when the form asks for copies."""
    if event not in EMAILED or not get_settings().smtp_url:
        return []
    employer = request.content.get("employer") or {}
    return (
        ["representative", "employer"] if employer.get("copy_notifications") else ["representative"]
    )


def fan_out(session: Session, *, event: NotificationEvent, recipients: list[str]) -> None:
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id == event.organization_id,
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.deleted_at.is_(None),
        )
    )
    rows = [
        NotificationDelivery(event_id=event.id, channel="webhook", endpoint_id=endpoint.id)
        for endpoint in endpoints
        if event.type in endpoint.events
    ]
    rows += [
        NotificationDelivery(event_id=event.id, channel="email", recipient=recipient)
        for recipient in recipients
    ]
    if rows:
        session.add_all(rows)
        session.flush()
        after_commit(session, WAKE.set)


def scan_info_requests(session: Session, *, today: date) -> int:
    """Announce open information requests that fall due within two business days
    (`info_request.due_soon`) or are past due (`info_request.overdue`), once each."""
    horizon = add_business_days(today, DUE_SOON_BUSINESS_DAYS)
    rows = session.execute(
        select(InfoRequest, OpinionRequest)
        .join(OpinionRequest, OpinionRequest.id == InfoRequest.request_id)
        .where(
            InfoRequest.responded_at.is_(None),
            OpinionRequest.status == RequestStatus.INFO_REQUESTED,
            InfoRequest.due_date <= horizon,
        )
    ).all()
    wanted = {
        f"{'overdue' if info.due_date < today else 'due_soon'}:{info.id}": (info, request)
        for info, request in rows
    }
    done = set(
        session.scalars(
            select(NotificationEvent.dedupe_key).where(NotificationEvent.dedupe_key.in_(wanted))
        )
    )
    written = 0
    for key, (info, request) in wanted.items():
        if key in done:
            continue
        event: EventName = (
            "info_request.overdue" if key.startswith("overdue") else "info_request.due_soon"
        )
        if emit(session, event, request=request, subject=info, dedupe_key=key) is not None:
            written += 1
    return written
