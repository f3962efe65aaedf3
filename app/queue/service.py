"""The reviewer queue: atomic claims as leases, release, reassign and lapse.

A claim is one conditional UPDATE with a rowcount (RETURNING) check. On PostgreSQL the candidate
is picked with `FOR UPDATE SKIP LOCKED`; on SQLite, where that compiles to nothing, the same
statement is its own twin because `BEGIN IMMEDIATE` serializes writers (app/db.py).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    TextClause,
    and_,
    bindparam,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from app.audit.service import record
from app.auth.models import Account, Role
from app.common.clock import utcnow
from app.config import get_settings
from app.intake.models import IN_REVIEW, OPEN_CASES, SUBMITTED, OpinionRequest, RequestStatus
from app.problems import AlreadyClaimed, ClaimLapsed, InvalidState, NotClaimHolder, NotFound

MAX_CLAIM_ATTEMPTS = 8


def _lease_end(now: datetime) -> datetime:
    return now + timedelta(hours=get_settings().claim_hours)


def waiting(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Cases a reviewer may take: submitted, or in review under a lease that has lapsed."""
    return and_(
        text(OPEN_CASES),  # literal, so SQLite can use the partial queue index
        or_(
            OpinionRequest.status == RequestStatus.SUBMITTED,
            and_(
                OpinionRequest.status == RequestStatus.IN_REVIEW,
                OpinionRequest.claim_expires_at < now,
            ),
        ),
    )


def _claim_values(reviewer_id: str, now: datetime) -> dict[str, Any]:
    return {
        "status": RequestStatus.IN_REVIEW,
        "claimed_by_id": reviewer_id,
        "claim_expires_at": _lease_end(now),
        "version": OpinionRequest.version + 1,
        "updated_at": now,
    }


def claim_next(
    session: Session, *, reviewer: Account, streams: Sequence[str], languages: Sequence[str]
) -> OpinionRequest | None:
    """Give the reviewer the most urgent waiting case of the asked streams, or None.

    Waiting means submitted, or claimed under a lease that has lapsed: the lapsed claim is
    released by being claimed (nothing releases it on a read). One statement: the first entry of
    the `submitted` partial index and the first lapsed claim (from the lease-expiry index), each
    `FOR UPDATE SKIP LOCKED`, and the better of the two is claimed by a conditional UPDATE."""
    statement, exists = _claim_next_statements(bool(streams), bool(languages))
    for _ in range(MAX_CLAIM_ATTEMPTS):
        now = utcnow()
        parameters = {
            "now": now,
            "lease_end": _lease_end(now),
            "reviewer_id": reviewer.id,
            "streams": list(streams),
            "languages": list(languages),
        }
        row = session.connection().execute(statement, parameters).one_or_none()
        if row is not None:
            claimed = _attached(session, row._asdict())
            record(
                session,
                actor_id=reviewer.id,
                action="case.claimed",
                request_id=claimed.id,
                details={"how": "next"},
            )
            return claimed
        if not session.scalar(exists, parameters):
            return None
    return None


def _attached(session: Session, values: dict[str, Any]) -> OpinionRequest:
    """The claimed row as a persistent, clean object of the session, without another query (the
    UPDATE returned every column; the ORM's own UPDATE machinery costs more than the claim)."""
    existing = session.identity_map.get(identity_key(OpinionRequest, values["id"]))
    if existing is not None:
        session.refresh(existing)
        return existing
    request = OpinionRequest(**values)
    make_transient_to_detached(request)
    session.add(request)
    return request


@cache
def _claim_next_statements(streams: bool, languages: bool) -> tuple[Any, Any]:
    """The claim and its "anything left?" check, built once per filter shape with bound
    parameters (`now`, `lease_end`, `reviewer_id`, `streams`, `languages`): a claim is on every
    reviewer's path, and building and keying the statement cost more than running it."""
    now = bindparam("now", type_=OpinionRequest.claim_expires_at.type)
    filters: list[ColumnElement[bool]] = []
    if streams:
        filters.append(OpinionRequest.stream.in_(bindparam("streams", expanding=True)))
    if languages:
        filters.append(OpinionRequest.language.in_(bindparam("languages", expanding=True)))
    order = (OpinionRequest.priority.desc(), OpinionRequest.submitted_at, OpinionRequest.id)

    def first(name: str, where: ColumnElement[bool] | TextClause) -> Any:
        return (
            select(OpinionRequest.id, OpinionRequest.priority, OpinionRequest.submitted_at)
            .where(where, *filters)
            .order_by(*order)
            .limit(1)
            .with_for_update(skip_locked=True)
            .cte(name)
        )

    submitted = first("first_submitted", text(SUBMITTED))  # literal: SQLite's partial index
    lapsed = first("first_lapsed", and_(text(IN_REVIEW), OpinionRequest.claim_expires_at < now))
    both = union_all(select(submitted), select(lapsed)).subquery("candidates")
    candidate = (
        select(both.c.id)
        .order_by(both.c.priority.desc(), both.c.submitted_at, both.c.id)
        .limit(1)
        .scalar_subquery()
    )
    claim = (
        update(OpinionRequest)
        .where(OpinionRequest.id == candidate, waiting(now))
        .values(
            status=RequestStatus.IN_REVIEW,
            claimed_by_id=bindparam("reviewer_id"),
            claim_expires_at=bindparam("lease_end", type_=OpinionRequest.claim_expires_at.type),
            version=OpinionRequest.version + 1,
            updated_at=now,
        )
        .returning(*OpinionRequest.__table__.columns)
    )
    exists = select(select(OpinionRequest.id).where(waiting(now), *filters).exists())
    return claim, exists


def claim(session: Session, *, reviewer: Account, request: OpinionRequest) -> OpinionRequest:
    """Claim one given case (or renew your own lease on it)."""
    now = utcnow()
    claimed_id = session.scalar(
        update(OpinionRequest)
        .where(
            OpinionRequest.id == request.id,
            or_(
                waiting(now),
                and_(
                    OpinionRequest.status == RequestStatus.IN_REVIEW,
                    OpinionRequest.claimed_by_id == reviewer.id,
                ),
            ),
        )
        .values(**_claim_values(reviewer.id, now))
        .returning(OpinionRequest.id)
        .execution_options(synchronize_session=False)
    )
    if claimed_id is None:
        session.refresh(request)
        if request.status == RequestStatus.IN_REVIEW and request.claimed_by_id:
            holder = session.get(Account, request.claimed_by_id)
            raise AlreadyClaimed(
                "Another reviewer holds this case",
                extra={
                    "holder": {"id": request.claimed_by_id, "name": holder.name if holder else None}
                },
            )
        raise InvalidState(f"A request in status '{request.status}' cannot be claimed")
    return _claimed(session, reviewer=reviewer, request_id=claimed_id, how="direct")


def _claimed(session: Session, *, reviewer: Account, request_id: str, how: str) -> OpinionRequest:
    request = session.get(OpinionRequest, request_id, populate_existing=True)
    if request is None:
        raise NotFound("No such request")
    record(
        session,
        actor_id=reviewer.id,
        action="case.claimed",
        request_id=request_id,
        details={"how": how},
    )
    return request


def require_holder(request: OpinionRequest, reviewer: Account) -> None:
    """The caller must hold a live claim on the case."""
    if request.claimed_by_id != reviewer.id:
        raise NotClaimHolder("Only the reviewer holding the case may do this")
    if request.status == RequestStatus.IN_REVIEW and (
        request.claim_expires_at is not None and request.claim_expires_at < utcnow()
    ):
        raise ClaimLapsed("Your claim has lapsed; claim the case again")


def release(session: Session, *, reviewer: Account, request: OpinionRequest) -> OpinionRequest:
    """Give the case back to the queue."""
    require_holder(request, reviewer)
    if request.status != RequestStatus.IN_REVIEW:
        raise InvalidState(f"A request in status '{request.status}' cannot be released")
    now = utcnow()
    released = session.scalar(
        update(OpinionRequest)
        .where(
            OpinionRequest.id == request.id,
            OpinionRequest.claimed_by_id == reviewer.id,
            OpinionRequest.status == RequestStatus.IN_REVIEW,
        )
        .values(
            status=RequestStatus.SUBMITTED,
            claimed_by_id=None,
            claim_expires_at=None,
            version=OpinionRequest.version + 1,
            updated_at=now,
        )
        .returning(OpinionRequest.id)
        .execution_options(synchronize_session=False)
    )
    if released is None:
        raise NotClaimHolder("You no longer hold this case")
    session.refresh(request)
    record(session, actor_id=reviewer.id, action="case.released", request_id=request.id)
    return request


def reassign(
    session: Session, *, supervisor: Account, request: OpinionRequest, reviewer_id: str
) -> OpinionRequest:
    """A supervisor hands a waiting or claimed case to a reviewer, with a fresh lease."""
    target = session.get(Account, reviewer_id) if len(reviewer_id) <= 36 else None
    if target is None or target.role not in (Role.REVIEWER, Role.SUPERVISOR):
        raise NotFound("No such reviewer")
    now = utcnow()
    moved = session.scalar(
        update(OpinionRequest)
        .where(
            OpinionRequest.id == request.id,
            OpinionRequest.status.in_([RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW]),
        )
        .values(**_claim_values(target.id, now))
        .returning(OpinionRequest.id)
        .execution_options(synchronize_session=False)
    )
    if moved is None:
        raise InvalidState(f"A request in status '{request.status}' cannot be reassigned")
    session.refresh(request)
    record(
        session,
        actor_id=supervisor.id,
        action="case.reassigned",
        request_id=request.id,
        details={"reviewer_id": target.id},
    )
    return request


def release_lapsed(session: Session) -> int:
    """Put cases whose lease lapsed back to `submitted`, each with a `case.released` event
    (`imwu queue release-lapsed`: tidiness only, since claims and the queue page already treat
    a lapsed claim as waiting)."""
    now = utcnow()
    released = session.scalars(
        update(OpinionRequest)
        .where(text(IN_REVIEW), OpinionRequest.claim_expires_at < now)
        .values(
            status=RequestStatus.SUBMITTED,
            claimed_by_id=None,
            claim_expires_at=None,
            version=OpinionRequest.version + 1,
            updated_at=now,
        )
        .returning(OpinionRequest.id)
        .execution_options(synchronize_session=False)
    ).all()
    for request_id in released:
        record(
            session,
            actor_id=None,
            action="case.released",
            request_id=request_id,
            details={"how": "lapsed"},
        )
    return len(released)
