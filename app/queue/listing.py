"""Reading the queue and the supervisors' figures."""

from datetime import date, datetime
from statistics import median

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session, load_only

from app.auth.models import Account
from app.common.clock import today
from app.common.pagination import decode_cursor, encode_cursor
from app.intake.models import OPEN_CASES, OpinionRequest, RequestStatus
from app.problems import ValidationFailed
from app.queue.models import Decision, InfoRequest
from app.queue.schemas import QueueItem, QueuePage, Stats
from app.triage.service import outcome_counts

QUEUE_COLUMNS = (
    OpinionRequest.reference,
    OpinionRequest.status,
    OpinionRequest.stream,
    OpinionRequest.language,
    OpinionRequest.exemption_code,
    OpinionRequest.priority,
    OpinionRequest.priority_reasons,
    OpinionRequest.submitted_at,
    OpinionRequest.due_date,
    OpinionRequest.claimed_by_id,
    OpinionRequest.claim_expires_at,
)
OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.INFO_REQUESTED)


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
    """Waiting and claimed cases, most urgent first, then the longest waiting."""
    # The literal predicate lets SQLite prove the partial queue index applies (it cannot with
    # bound parameters); PostgreSQL uses the index either way.
    query = (
        select(OpinionRequest)
        .options(load_only(*QUEUE_COLUMNS))  # not the form: a page never shows it
        .where(text(OPEN_CASES))
    )
    if status:
        query = query.where(OpinionRequest.status == status)
    if stream:
        query = query.where(OpinionRequest.stream == stream)
    if language:
        query = query.where(OpinionRequest.language == language)
    if mine:
        query = query.where(OpinionRequest.claimed_by_id == account.id)
    if cursor:
        query = query.where(_after(cursor))
    rows = list(
        session.scalars(
            query.order_by(
                OpinionRequest.priority.desc(), OpinionRequest.submitted_at, OpinionRequest.id
            ).limit(limit + 1)
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last.priority, last.submitted_at, last.id)
    return QueuePage(items=_items(session, rows), next_cursor=next_cursor)


def _after(cursor: str):  # type: ignore[no-untyped-def]
    priority, submitted_at, last_id = decode_cursor(cursor, 3)
    try:
        after = datetime.fromisoformat(str(submitted_at))
        priority = int(priority)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("The cursor is not valid") from exc
    return or_(
        OpinionRequest.priority < priority,
        and_(OpinionRequest.priority == priority, OpinionRequest.submitted_at > after),
        and_(
            OpinionRequest.priority == priority,
            OpinionRequest.submitted_at == after,
            OpinionRequest.id > str(last_id),
        ),
    )


def _items(session: Session, rows: list[OpinionRequest]) -> list[QueueItem]:
    ids = [r.id for r in rows]
    counts = outcome_counts(session, request_ids=ids)
    overdue = (
        set(
            session.scalars(
                select(InfoRequest.request_id).where(
                    InfoRequest.request_id.in_(ids),
                    InfoRequest.responded_at.is_(None),
                    InfoRequest.due_date < today(),
                )
            )
        )
        if ids
        else set()
    )
    now = today()
    return [
        QueueItem(
            id=r.id,
            reference=r.reference,
            status=r.status,
            stream=r.stream,
            language=r.language,
            exemption_code=r.exemption_code,
            priority=r.priority,
            priority_reasons=list(r.priority_reasons or []),
            submitted_at=r.submitted_at,
            due_date=r.due_date,
            past_due=bool(r.due_date and r.due_date < now),
            claimed_by_id=r.claimed_by_id,
            claim_expires_at=r.claim_expires_at,
            info_overdue=r.id in overdue,
            findings=counts.get(r.id, {}),
        )
        for r in rows
    ]


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
