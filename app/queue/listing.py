"""Reading the queue and the supervisors' figures."""

from datetime import UTC, date, datetime
from functools import cache
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, case, func, not_, or_, select, text
from sqlalchemy.orm import Session

from app.auth.models import Account
from app.common.clock import today, utcnow
from app.common.findings import Outcome
from app.common.pagination import decode_cursor, encode_cursor
from app.intake.models import OPEN_CASES, OpinionRequest, RequestStatus
from app.problems import ValidationFailed
from app.queue.models import Decision, InfoRequest
from app.queue.schemas import QueueItem, QueuePage, Stats
from app.triage.models import TriageFinding

OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.INFO_REQUESTED)
_OUTCOMES = tuple(Outcome)
_SHIFT = 20
"""Findings per outcome are folded into one correlated sum, each outcome counted in its own
20-bit field (at most about a million findings of one outcome per run)."""


_NOW = bindparam("now", type_=OpinionRequest.claim_expires_at.type)
_TODAY = bindparam("today", type_=InfoRequest.due_date.type)


def _lapsed() -> ColumnElement[bool]:
    return and_(
        OpinionRequest.status == RequestStatus.IN_REVIEW, OpinionRequest.claim_expires_at < _NOW
    )


def _page_columns() -> tuple[Any, ...]:
    """What a queue item shows, as the reader should see it: a lapsed claim is waiting."""
    lapsed = _lapsed()
    packed = case(
        *((TriageFinding.outcome == o.value, 1 << (_SHIFT * n)) for n, o in enumerate(_OUTCOMES)),
        else_=0,
    )
    findings = (
        select(func.coalesce(func.sum(packed), 0))
        .where(
            TriageFinding.request_id == OpinionRequest.id,
            TriageFinding.run == OpinionRequest.triage_run,
        )
        .scalar_subquery()
    )
    overdue = (
        select(InfoRequest.id)
        .where(
            InfoRequest.request_id == OpinionRequest.id,
            InfoRequest.responded_at.is_(None),
            InfoRequest.due_date < _TODAY,
        )
        .exists()
    )
    return (
        OpinionRequest.id,
        OpinionRequest.reference,
        case((lapsed, RequestStatus.SUBMITTED.value), else_=OpinionRequest.status).label("status"),
        OpinionRequest.stream,
        OpinionRequest.language,
        OpinionRequest.exemption_code,
        OpinionRequest.priority,
        OpinionRequest.priority_reasons,
        OpinionRequest.submitted_at,
        OpinionRequest.due_date,
        case((lapsed, None), else_=OpinionRequest.claimed_by_id).label("claimed_by_id"),
        case((lapsed, None), else_=OpinionRequest.claim_expires_at).label("claim_expires_at"),
        overdue.label("info_overdue"),
        findings.label("findings"),
    )


def _status_filter(status: RequestStatus) -> ColumnElement[bool]:
    if status == RequestStatus.SUBMITTED:
        return or_(OpinionRequest.status == RequestStatus.SUBMITTED, _lapsed())
    if status == RequestStatus.IN_REVIEW:
        return and_(OpinionRequest.status == status, not_(_lapsed()))
    return OpinionRequest.status == status


@cache
def _page_statement(
    status: RequestStatus | None, stream: bool, language: bool, mine: bool, cursor: bool
) -> Any:
    """The page query for one shape of filters, built once; values are bound parameters."""
    # The literal predicate lets SQLite prove the partial queue index applies (it cannot with
    # bound parameters); PostgreSQL uses the index either way.
    query = select(*_page_columns()).where(text(OPEN_CASES))
    if status:
        query = query.where(_status_filter(status))
    if stream:
        query = query.where(OpinionRequest.stream == bindparam("stream"))
    if language:
        query = query.where(OpinionRequest.language == bindparam("language"))
    if mine:
        query = query.where(
            OpinionRequest.claimed_by_id == bindparam("account_id"), not_(_lapsed())
        )
    if cursor:
        priority = bindparam("after_priority", type_=OpinionRequest.priority.type)
        submitted = bindparam("after_submitted_at", type_=OpinionRequest.submitted_at.type)
        last_id = bindparam("after_id", type_=OpinionRequest.id.type)
        query = query.where(
            or_(
                OpinionRequest.priority < priority,
                and_(OpinionRequest.priority == priority, OpinionRequest.submitted_at > submitted),
                and_(
                    OpinionRequest.priority == priority,
                    OpinionRequest.submitted_at == submitted,
                    OpinionRequest.id > last_id,
                ),
            )
        )
    return query.order_by(
        OpinionRequest.priority.desc(), OpinionRequest.submitted_at, OpinionRequest.id
    ).limit(bindparam("page_size"))


def queue_page(
    session: Session,
    *,
    account: Account,
    stream: str | None,
    language: str | None,
    status: RequestStatus | None,
    mine: bool,
    cursor: str | None,
    limit: int,
) -> QueuePage:
    """Waiting and claimed cases, most urgent first, then the longest waiting: one query of the
    columns shown, the findings counts and the overdue flag folded in. Writes nothing."""
    today_ = today()
    parameters: dict[str, Any] = {
        "now": utcnow(),
        "today": today_,
        "stream": stream,
        "language": language,
        "account_id": account.id,
        "page_size": limit + 1,
    }
    if cursor:
        parameters.update(_after(cursor))
    statement = _page_statement(status, bool(stream), bool(language), mine, bool(cursor))
    rows = session.execute(statement, parameters).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last.priority, last.submitted_at, last.id)
    return QueuePage(items=[_item(row, today_) for row in rows], next_cursor=next_cursor)


def _after(cursor: str) -> dict[str, Any]:
    priority, submitted_at, last_id = decode_cursor(cursor, 3)
    try:
        after = datetime.fromisoformat(str(submitted_at))
        priority = int(priority)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("The cursor is not valid") from exc
    return {"after_priority": priority, "after_submitted_at": after, "after_id": str(last_id)}


def _item(row: Row[Any], today_: date) -> QueueItem:
    packed = int(row.findings or 0)
    mask = (1 << _SHIFT) - 1
    return QueueItem.model_construct(  # typed by the query: no second validation
        id=row.id,
        reference=row.reference,
        status=row.status,
        stream=row.stream,
        language=row.language,
        exemption_code=row.exemption_code,
        priority=row.priority,
        priority_reasons=list(row.priority_reasons or []),
        submitted_at=row.submitted_at,
        due_date=row.due_date,
        past_due=bool(row.due_date and row.due_date < today_),
        claimed_by_id=row.claimed_by_id,
        claim_expires_at=_aware(row.claim_expires_at),
        info_overdue=bool(row.info_overdue),
        findings={o.value: (packed >> (_SHIFT * n)) & mask for n, o in enumerate(_OUTCOMES)},
    )


def _aware(value: datetime | None) -> datetime | None:
    """A CASE expression loses the column's type on SQLite: give the value its UTC zone back."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def stats(session: Session, *, on: date | None = None) -> Stats:
    """Cases by status and stream, median business days to decision, open cases past due."""
    day = on or today()
    by_status = dict(
        session.execute(
            select(OpinionRequest.status, func.count()).group_by(OpinionRequest.status)
        ).all()
    )
    by_stream = {
        stream or "none": count
        for stream, count in session.execute(
            select(OpinionRequest.stream, func.count())
            .where(OpinionRequest.status != RequestStatus.DRAFT)
            .group_by(OpinionRequest.stream)
        ).all()
    }
    days = list(session.scalars(select(Decision.business_days_to_decision)))
    past_due = session.scalar(
        select(func.count())
        .select_from(OpinionRequest)
        .where(OpinionRequest.status.in_(list(OPEN_STATUSES)), OpinionRequest.due_date < day)
    )
    return Stats(
        by_status={str(k): int(v) for k, v in by_status.items()},
        by_stream={str(k): int(v) for k, v in by_stream.items()},
        median_business_days_to_decision=float(median(days)) if days else None,
        past_due=int(past_due or 0),
    )
