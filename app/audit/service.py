"""The audit trail: events written in the same transaction as the change they record.

Details carry ids, codes and counts, never personal data (names, dates of birth, passport numbers).
"""

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent, AuditHead
from app.common.clock import utcnow
from app.db import after_commit
from app.observability.metrics import observe_event

logger = logging.getLogger("imwu.audit")

GENESIS = "0" * 64


def _event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _content(
    *,
    seq: int,
    request_id: str | None,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str | None,
    details: Mapping[str, Any],
    created_at: datetime,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "request_id": request_id,
        "actor_id": actor_id,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": dict(details),
        "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }


def _lock_head(session: Session) -> tuple[int, str]:
    """Lock the chain's head row (creating it the first time, race-free) and read it."""
    query = select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
    head = session.execute(query.with_for_update()).one_or_none()
    if head is None:
        dialect = session.get_bind().dialect.name
        upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            upsert(AuditHead)
            .values(id=1, last_seq=0, last_hash=GENESIS)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = session.execute(query.with_for_update()).one()
    return int(head[0]), str(head[1])


def record(
    session: Session,
    *,
    actor_id: str | None,
    action: str,
    request_id: str | None = None,
    subject_type: str = "request",
    subject_id: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one event to the chain, in the caller's transaction (Core statements: this is on
    every state change's path, claims included)."""
    last_seq, last_hash = _lock_head(session)
    created_at = utcnow()
    seq = last_seq + 1
    content = _content(
        seq=seq,
        request_id=request_id,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id or request_id,
        details=details or {},
        created_at=created_at,
    )
    digest = _event_hash(last_hash, content)
    session.execute(
        insert(AuditEvent).values(
            seq=seq,
            request_id=request_id,
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id or request_id,
            details=dict(details or {}),
            created_at=created_at,
            prev_hash=last_hash,
            hash=digest,
        )
    )
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_seq=seq, last_hash=digest)
    )
    frozen = dict(details or {})
    after_commit(session, lambda: _announce(seq, action, request_id, frozen))


def _announce(seq: int, action: str, request_id: str | None, details: Mapping[str, Any]) -> None:
    """Once committed: one log line per event (ids and codes only) and the business metrics."""
    observe_event(action, details)
    logger.info("event", extra={"event": action, "seq": seq, "request": request_id})


def timeline(session: Session, *, request_id: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.request_id == request_id).order_by(AuditEvent.seq)
        )
    )


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    reason: str


def verify_chain(session: Session) -> BrokenLink | None:
    """Walk the chain from the start; the first event whose links or hash do not hold."""
    previous_hash, expected_seq = GENESIS, 1
    for event in _all_events(session):
        if event.seq != expected_seq:
            return BrokenLink(expected_seq, "an event is missing")
        if event.prev_hash != previous_hash:
            return BrokenLink(event.seq, "prev_hash does not match the previous event")
        content = _content(
            seq=event.seq,
            request_id=event.request_id,
            actor_id=event.actor_id,
            action=event.action,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            details=event.details,
            created_at=event.created_at,
        )
        if _event_hash(previous_hash, content) != event.hash:
            return BrokenLink(event.seq, "the event's content does not match its hash")
        previous_hash, expected_seq = event.hash, expected_seq + 1
    head = session.execute(select(AuditHead.last_seq, AuditHead.last_hash)).one_or_none()
    if head is not None and (head[0] != expected_seq - 1 or head[1] != previous_hash):
        return BrokenLink(expected_seq, "events after this point were removed")
    return None


def _all_events(session: Session) -> Iterator[AuditEvent]:
    yield from session.scalars(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    )
