"""Running triage on a request and keeping its findings, so any decision can be explained later."""

from collections import Counter
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.common.findings import Outcome
from app.common.form import RequestContent
from app.config import get_settings
from app.documents.models import Document, DocumentKind
from app.documents.service import present_kinds
from app.eligibility.reference import load_reference
from app.intake.models import OpinionRequest
from app.triage.engine import TriageResult, run_triage
from app.triage.models import TriageFinding
from app.triage.rules import TriageContext


def job_offer_text(session: Session, *, request_id: str) -> str | None:
    """The text extracted from the request's job offers at upload; None if none could be read."""
    texts = [
        text
        for text in session.scalars(
            select(Document.text).where(
                Document.request_id == request_id, Document.kind == DocumentKind.JOB_OFFER
            )
        )
        if text
    ]
    return "\n".join(texts) if texts else None


def evaluate(session: Session, *, request: OpinionRequest, today: date) -> TriageResult:
    """Triage the request as it stands (reads only: callers run it before their first write, so
    no lock is held while the rules run)."""
    context = TriageContext(
        content=RequestContent.model_validate(request.content),
        reference=load_reference(),
        present_kinds=present_kinds(session, request_id=request.id),
        job_offer_text=job_offer_text(session, request_id=request.id),
        today=today,
    )
    return run_triage(context, urgent_business_days=get_settings().urgent_business_days)


def store(
    session: Session, *, request: OpinionRequest, result: TriageResult, actor_id: str | None
) -> TriageResult:
    """Store the findings as a new run, set stream and priority on the request, and record the
    run in the audit trail."""
    reference = load_reference()
    run = request.triage_run + 1
    session.add_all(
        TriageFinding(
            request_id=request.id,
            run=run,
            position=position,
            rule=finding.rule,
            outcome=finding.outcome.value,
            message_en=finding.message.en,
            message_fr=finding.message.fr,
            fields=list(finding.fields),
            reference_version=reference.version,
        )
        for position, finding in enumerate(result.findings)
    )
    request.triage_run = run
    request.stream = result.stream
    request.priority = result.priority.score
    request.priority_reasons = list(result.priority.reasons)
    counts = Counter(f.outcome.value for f in result.findings)
    record(
        session,
        actor_id=actor_id,
        action="request.triaged",
        request_id=request.id,
        details={
            "run": run,
            "stream": result.stream,
            "priority": result.priority.score,
            "outcomes": dict(counts),
            "reference_version": reference.version,
        },
    )
    session.flush()
    return result


def latest_findings(session: Session, *, request: OpinionRequest) -> list[TriageFinding]:
    return list(
        session.scalars(
            select(TriageFinding)
            .where(TriageFinding.request_id == request.id, TriageFinding.run == request.triage_run)
            .order_by(TriageFinding.position)
        )
    )


def outcome_counts(session: Session, *, request_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Findings per outcome of each request's latest run (for a queue page)."""
    if not request_ids:
        return {}
    rows = session.execute(
        select(TriageFinding.request_id, TriageFinding.outcome, func.count())
        .join(
            OpinionRequest,
            (OpinionRequest.id == TriageFinding.request_id)
            & (OpinionRequest.triage_run == TriageFinding.run),
        )
        .where(TriageFinding.request_id.in_(request_ids))
        .group_by(TriageFinding.request_id, TriageFinding.outcome)
    )
    counts: dict[str, dict[str, int]] = {rid: {o.value: 0 for o in Outcome} for rid in request_ids}
    for request_id, outcome, count in rows:
        counts[request_id][outcome] = count
    return counts
