"""The audit trail: one hash chain per case, appended as the last work of the transaction.

Why per case: a single chain needs a single head, and every write of the whole service (on every
instance) then waits on that one row from its first event until COMMIT. Here each case's events
form their own chain (its head is a row of `audit_chain`), so writes on different cases never
wait on each other. Events without a case (accounts, tokens) chain per account
(`account:<id>`), so they are no hotspot either.

Why at the end: `record()` only queues the event on the session. A `before_commit` hook appends
the queued events of each chain (sorted by chain id, so two transactions touching the same chains
lock them in the same order): one upsert that locks the head (or creates it) and reserves the
sequence numbers, then the rows and the new head (one statement on PostgreSQL). The head is
therefore locked for the last few statements and the
COMMIT, never across rendering, triage, inspection or file I/O.

What proves that no whole chain was dropped or rewritten is the signed checkpoint
(app/audit/checkpoints.py): a Merkle root over every chain's head, as Certificate Transparency
commits to its log. `imwu audit verify` walks every chain and every checkpoint.

Details carry ids, codes and counts, never personal data (names, dates of birth, passport numbers).
"""

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction

from app.audit.models import AuditChain, AuditEvent
from app.common.clock import utcnow
from app.db import after_commit
from app.observability.metrics import observe_event

logger = logging.getLogger("imwu.audit")

GENESIS = "0" * 64
_PENDING = "audit_pending"


def event_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def content(
    *,
    chain_id: str,
    seq: int,
    request_id: str | None,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str | None,
    details: Mapping[str, Any],
    created_at: datetime,
) -> dict[str, Any]:
    """What an event's hash covers (its chain and position included, so an event cannot be
    moved to another chain or place)."""
    return {
        "chain_id": chain_id,
        "seq": seq,
        "request_id": request_id,
        "actor_id": actor_id,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": dict(details),
        "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }


def chain_of(request_id: str | None, subject_type: str, subject_id: str | None) -> str:
    """A case's events chain under the case id; others under their subject (`account:<id>`)."""
    if request_id is not None:
        return request_id
    return f"{subject_type}:{subject_id}" if subject_id else subject_type


@dataclass
class _Pending:
    chain_id: str
    request_id: str | None
    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str | None
    details: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)


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
    """Queue one event; it is chained and written when the transaction commits, or dropped with
    it. Call it outside `begin_nested()` blocks (a savepoint's rollback does not drop it)."""
    subject = subject_id or request_id
    session.connection()  # the queued event belongs to this transaction: its rollback drops it
    session.info.setdefault(_PENDING, []).append(
        _Pending(
            chain_id=chain_of(request_id, subject_type, subject),
            request_id=request_id,
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject,
            details=dict(details or {}),
        )
    )


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return
    session.flush()  # the rows the events name exist before the events do
    by_chain: dict[str, list[_Pending]] = {}
    for item in pending:
        by_chain.setdefault(item.chain_id, []).append(item)
    for chain_id in sorted(by_chain):
        _append(session, chain_id, by_chain[chain_id])


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


@cache
def _statements(dialect: str) -> tuple[Any, Any, Any]:
    """The append's statements, built once per dialect with bound parameters (Core: they run on
    every write of the service, and building them cost more than running them).

    - reserve: one upsert that locks the chain's head (or creates it at `count`) and moves it
      `count` places on, returning the last reserved number and the hash before them;
    - one event: on PostgreSQL its row goes in through a data-modifying CTE of the head's UPDATE
      (one round trip); elsewhere two statements;
    - the head's UPDATE alone."""
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    values = upsert(AuditChain).values(
        chain_id=bindparam("b_chain_id"), seq=bindparam("b_count"), hash=GENESIS
    )
    reserve = values.on_conflict_do_update(
        index_elements=["chain_id"], set_={"seq": AuditChain.seq + values.excluded.seq}
    ).returning(AuditChain.seq, AuditChain.hash)
    head = (
        update(AuditChain)
        .where(AuditChain.chain_id == bindparam("head_chain_id"))
        .values(hash=bindparam("head_hash"))
    )
    row = insert(AuditEvent).values(
        {c.name: bindparam(f"e_{c.name}", type_=c.type) for c in AuditEvent.__table__.columns}
    )
    one_event = head.add_cte(row.cte("appended")) if dialect == "postgresql" else None
    return reserve, head, one_event


def _append(session: Session, chain_id: str, events: list[_Pending]) -> None:
    connection = session.connection()
    reserve, head, one_event = _statements(connection.dialect.name)
    last, prev = connection.execute(reserve, {"b_chain_id": chain_id, "b_count": len(events)}).one()
    rows = []
    for seq, item in enumerate(events, start=last - len(events) + 1):
        digest = event_hash(
            prev,
            content(
                chain_id=chain_id,
                seq=seq,
                request_id=item.request_id,
                actor_id=item.actor_id,
                action=item.action,
                subject_type=item.subject_type,
                subject_id=item.subject_id,
                details=item.details,
                created_at=item.created_at,
            ),
        )
        rows.append(
            {
                "chain_id": chain_id,
                "seq": seq,
                "request_id": item.request_id,
                "actor_id": item.actor_id,
                "action": item.action,
                "subject_type": item.subject_type,
                "subject_id": item.subject_id,
                "details": item.details,
                "created_at": item.created_at,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
        after_commit(session, _announcer(chain_id, seq, item))
    new_head = {"head_chain_id": chain_id, "head_hash": prev}
    if one_event is not None and len(rows) == 1:
        connection.execute(one_event, {**{f"e_{k}": v for k, v in rows[0].items()}, **new_head})
        return
    connection.execute(insert(AuditEvent), rows)
    connection.execute(head, new_head)


def _announcer(chain_id: str, seq: int, item: _Pending) -> Any:
    def announce() -> None:
        """Once committed: one log line per event (ids and codes only) and the metrics."""
        observe_event(item.action, item.details)
        logger.info(
            "event",
            extra={"event": item.action, "chain": chain_id, "seq": seq, "request": item.request_id},
        )

    return announce


def timeline(session: Session, *, request_id: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.chain_id == request_id).order_by(AuditEvent.seq)
        )
    )


@dataclass(frozen=True)
class BrokenLink:
    """The first place where the audit trail does not hold: a chain's event, or a checkpoint."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def verify_chains(session: Session) -> BrokenLink | None:
    """Walk every chain from its start (chains in id order); the first event whose position,
    link or hash does not hold, or a head that does not match its chain's last event."""
    heads = {
        chain_id: (seq, digest)
        for chain_id, seq, digest in session.execute(
            select(AuditChain.chain_id, AuditChain.seq, AuditChain.hash)
        )
    }
    walked: set[str] = set()
    for chain_id, events in _chains(session):
        walked.add(chain_id)
        broken = _walk(chain_id, events, heads.get(chain_id))
        if broken is not None:
            return broken
    for chain_id in sorted(heads.keys() - walked):
        return BrokenLink(f"chain {chain_id}", "its head names events that are missing")
    return None


def _walk(
    chain_id: str, events: list[AuditEvent], head: tuple[int, str] | None
) -> BrokenLink | None:
    previous, expected = GENESIS, 1
    for item in events:
        where = f"chain {chain_id} event {expected}"
        if item.seq != expected:
            return BrokenLink(where, "the event is missing")
        if item.prev_hash != previous:
            return BrokenLink(where, "prev_hash does not match the previous event")
        recomputed = event_hash(
            previous,
            content(
                chain_id=chain_id,
                seq=item.seq,
                request_id=item.request_id,
                actor_id=item.actor_id,
                action=item.action,
                subject_type=item.subject_type,
                subject_id=item.subject_id,
                details=item.details,
                created_at=item.created_at,
            ),
        )
        if recomputed != item.hash:
            return BrokenLink(where, "the event's content does not match its hash")
        previous, expected = item.hash, expected + 1
    if head is None:
        return BrokenLink(f"chain {chain_id}", "the chain has no head")
    if head != (expected - 1, previous):
        return BrokenLink(
            f"chain {chain_id} event {min(head[0], expected)}",
            "the head does not match the chain's last event (events removed or head edited)",
        )
    return None


def _chains(session: Session) -> Iterator[tuple[str, list[AuditEvent]]]:
    """Every chain's events in order, read in batches."""
    current: str | None = None
    events: list[AuditEvent] = []
    rows = session.scalars(
        select(AuditEvent)
        .order_by(AuditEvent.chain_id, AuditEvent.seq)
        .execution_options(yield_per=2000)
    )
    for item in rows:
        if item.chain_id != current:
            if current is not None:
                yield current, events
            current, events = item.chain_id, []
        events.append(item)
    if current is not None:
        yield current, events
