"""Requests for more information: the holder names the document kinds and form fields that may
change, the service clock stops, the organization changes those and nothing else (see
`app.revisions.scope`), and its answer freezes the next revision, which is triaged again; the case
returns to its holder."""

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account
from app.common.clock import utcnow
from app.intake.models import OpinionRequest, RequestStatus
from app.intake.service import transition
from app.notifications.outbox import emit
from app.problems import FieldError, InvalidState, NotFound, ValidationFailed
from app.queue.models import InfoRequest
from app.queue.schemas import InfoRequestCreate
from app.queue.service import _lease_end, require_holder
from app.revisions.paths import UnknownPath, leaf_pointers, to_pointer, touches_identity
from app.revisions.service import freeze, judge
from app.triage.calendar import add_business_days, business_days_between


def asked_fields(paths: list[str]) -> list[str]:
    """The JSON pointers of the fields asked for, checked against the form schema; unknown
    paths and the worker's identity (frozen after submit) are refused, each named."""
    pointers: list[str] = []
    errors: list[FieldError] = []
    for index, path in enumerate(paths):
        try:
            pointer = to_pointer(path)
        except UnknownPath:
            errors.append(
                FieldError(pointer=f"/fields/{index}", message=f"unknown form field '{path}'")
            )
            continue
        if touches_identity(pointer):
            errors.append(
                FieldError(
                    pointer=f"/fields/{index}",
                    message=f"'{path}' is the worker's identity, which cannot change after submit",
                )
            )
        else:
            pointers += [leaf for leaf in leaf_pointers(pointer) if leaf not in pointers]
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) cannot be asked for", errors=errors)
    return pointers


def ask(
    session: Session, *, reviewer: Account, request: OpinionRequest, data: InfoRequestCreate
) -> InfoRequest:
    """The holder asks for documents of some kinds and/or new values of some fields."""
    require_holder(request, reviewer)
    if request.status != RequestStatus.IN_REVIEW:
        raise InvalidState(f"A request in status '{request.status}' cannot be asked for more")
    if not data.items and not data.fields:
        raise ValidationFailed(
            "Ask for at least one document kind or field",
            errors=[FieldError(pointer="/items", message="ask for a document kind or a field")],
        )
    fields = asked_fields(data.fields)
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
        items=[{"kind": kind} for kind in dict.fromkeys(item.kind.value for item in data.items)],
        fields=fields,
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
        details={
            "kinds": [item["kind"] for item in info.items],
            "fields": fields,
            "due_date": data.due_date.isoformat(),
        },
    )
    emit(session, "info_request.opened", request=request, subject=info)
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
    """The organization answers: what it changed is frozen as the next revision and triaged, the
    case goes back to its holder with a fresh lease, and the due date moves by the business days
    the clock was stopped."""
    info = session.get(InfoRequest, info_id) if len(info_id) <= 36 else None
    if info is None or info.request_id != request.id:
        raise NotFound("No such information request")
    if info.responded_at is not None or request.status != RequestStatus.INFO_REQUESTED:
        raise InvalidState("This information request is already answered")
    now = utcnow()
    paused = business_days_between(info.created_at.date(), now.date())
    due = add_business_days(request.due_date, paused) if request.due_date else None
    judged = judge(session, request=request, today=now.date())
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
    freeze(session, request=request, actor_id=account.id, judged=judged, info_request_id=info.id)
    return info


def is_overdue(info: InfoRequest | None, today: date) -> bool:
    return info is not None and info.responded_at is None and info.due_date < today
