"""Requests for more information: the holder asks, the service clock stops, the organization
answers (documents and field changes inside the same budget), the case returns to its holder and
is triaged again."""

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account
from app.common.clock import utcnow
from app.intake.models import OpinionRequest, RequestStatus
from app.intake.service import transition
from app.problems import InvalidState, NotFound, ValidationFailed
from app.queue.models import InfoRequest
from app.queue.schemas import InfoRequestCreate
from app.queue.service import _lease_end, require_holder
from app.triage import service as triage
from app.triage.calendar import add_business_days, business_days_between


def ask(
    session: Session, *, reviewer: Account, request: OpinionRequest, data: InfoRequestCreate
) -> InfoRequest:
    require_holder(request, reviewer)
    if request.status != RequestStatus.IN_REVIEW:
        raise InvalidState(f"A request in status '{request.status}' cannot be asked for more")
    if data.due_date < utcnow().date():
        raise ValidationFailed("The due date is in the past")
    now = utcnow()
    transition(
        session,
        request=request,
        values={"status": RequestStatus.INFO_REQUESTED, "claim_expires_at": None},
        from_statuses=(RequestStatus.IN_REVIEW,),
        conflict=InvalidState("The case changed meanwhile; read it again"),
    )
    info = InfoRequest(
        request_id=request.id,
        asked_by_id=reviewer.id,
        message=data.message,
        items=[item.model_dump(exclude_none=True) for item in data.items],
        due_date=data.due_date,
        created_at=now,
    )
    session.add(info)
    session.flush()
    record(
        session,
        actor_id=reviewer.id,
        action="info.requested",
        request_id=request.id,
        subject_type="info_request",
        subject_id=info.id,
        details={"items": len(data.items), "due_date": data.due_date.isoformat()},
    )
    return info


def open_info_request(session: Session, *, request_id: str) -> InfoRequest | None:
    return session.scalar(
        select(InfoRequest)
        .where(InfoRequest.request_id == request_id, InfoRequest.responded_at.is_(None))
        .order_by(InfoRequest.created_at.desc())
    )


def list_info_requests(session: Session, *, request_id: str) -> list[InfoRequest]:
    return list(
        session.scalars(
            select(InfoRequest)
            .where(InfoRequest.request_id == request_id)
            .order_by(InfoRequest.created_at)
        )
    )


def respond(
    session: Session,
    *,
    account: Account,
    request: OpinionRequest,
    info_id: str,
    message: str | None,
) -> InfoRequest:
    """The organization answers: the case goes back to its holder with a fresh lease, the due
    date moves by the business days the clock was stopped, and triage runs again."""
    info = session.get(InfoRequest, info_id) if len(info_id) <= 36 else None
    if info is None or info.request_id != request.id:
        raise NotFound("No such information request")
    if info.responded_at is not None or request.status != RequestStatus.INFO_REQUESTED:
        raise InvalidState("This information request is already answered")
    now = utcnow()
    paused = business_days_between(info.created_at.date(), now.date())
    due = add_business_days(request.due_date, paused) if request.due_date else None
    triaged = triage.evaluate(session, request=request, today=now.date())
    changed = session.execute(
        update(OpinionRequest)
        .where(
            OpinionRequest.id == request.id, OpinionRequest.status == RequestStatus.INFO_REQUESTED
        )
        .values(
            status=RequestStatus.IN_REVIEW,
            claim_expires_at=_lease_end(now),
            due_date=due,
            version=OpinionRequest.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState("The case changed meanwhile; read it again")
    info.responded_at = now
    info.response_message = message
    info.responded_by_id = account.id
    session.flush()
    session.refresh(request)
    record(
        session,
        actor_id=account.id,
        action="info.answered",
        request_id=request.id,
        subject_type="info_request",
        subject_id=info.id,
        details={"paused_business_days": paused},
    )
    triage.store(session, request=request, result=triaged, actor_id=account.id)
    return info


def is_overdue(info: InfoRequest | None, today: date) -> bool:
    return info is not None and info.responded_at is None and info.due_date < today
