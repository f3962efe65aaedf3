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
from app.eligibility.reference import ReferenceData
from app.eligibility.versions import active_reference
from app.intake.models import OpinionRequest
from app.triage.engine import TriageResult, run_triage
from app.triage.models import FindingResolution, TriageFinding
from app.triage.rules import TriageContext
from app.triage.schemas import ResolutionOut, StoredFinding


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


def triage(
    session: Session, *, request: OpinionRequest, reference: ReferenceData, today: date
) -> TriageResult:
    """Triage the request as it stands on `reference`, storing nothing. Reads only: callers run
    it before their first write, so no lock is held while the rules run (and a dry run of a
    reference update compares it with the stored findings)."""
    context = TriageContext(
        content=RequestContent.model_validate(request.content),
        reference=reference,
        present_kinds=present_kinds(session, request_id=request.id),
        job_offer_text=job_offer_text(session, request_id=request.id),
        today=today,
    )
    return run_triage(context, urgent_business_days=get_settings().urgent_business_days)


def run_and_store(
    session: Session,
    *,
    request: OpinionRequest,
    actor_id: str | None,
    today: date,
    reference: ReferenceData | None = None,
) -> TriageResult:
    """Triage the request as it stands (on the active reference set unless `reference` is
    given) and store the run (`store`)."""
    reference = reference or active_reference(session, exact=True)
    result = triage(session, request=request, reference=reference, today=today)
    return store(
        session,
        request=request,
        result=result,
        reference_version=reference.version,
        actor_id=actor_id,
    )


def store(
    session: Session,
    *,
    request: OpinionRequest,
    result: TriageResult,
    reference_version: str,
    actor_id: str | None,
) -> TriageResult:
    """Store the findings of `result` (judged on `reference_version`) as a new run, set stream
    and priority on the request, and record the run in the audit trail."""
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
            reference_version=reference_version,
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
            "reference_version": reference_version,
        },
    )
    session.flush()
    return result


def findings_of_run(session: Session, *, request_id: str, run: int) -> list[TriageFinding]:
    return list(
        session.scalars(
            select(TriageFinding)
            .where(TriageFinding.request_id == request_id, TriageFinding.run == run)
            .order_by(TriageFinding.position)
        )
    )


def resolutions_of(
    session: Session, *, finding_ids: Sequence[str]
) -> dict[str, FindingResolution]:
    """The holder's resolution of each of these findings that has one, by finding id."""
    if not finding_ids:
        return {}
    rows = session.scalars(
        select(FindingResolution).where(FindingResolution.finding_id.in_(finding_ids))
    )
    return {row.finding_id: row for row in rows}


def keep_resolutions(session: Session, *, request_id: str, from_run: int, to_run: int) -> int:
    """Copy the holder's resolutions of `from_run` to the same findings (rule, outcome, fields)
    of `to_run`; the number kept. Only for the same form judged again (a reference-data
    update): what the holder checked has not changed."""
    before = findings_of_run(session, request_id=request_id, run=from_run)
    resolved = resolutions_of(session, finding_ids=[f.id for f in before])
    kept = {_same(f): resolved[f.id] for f in before if f.id in resolved}
    count = 0
    for finding in findings_of_run(session, request_id=request_id, run=to_run):
        old = kept.get(_same(finding))
        if old is not None:
            session.add(
                FindingResolution(
                    finding_id=finding.id,
                    request_id=request_id,
                    resolution=old.resolution,
                    note=old.note,
                    resolved_by_id=old.resolved_by_id,
                    resolved_at=old.resolved_at,
                )
            )
            count += 1
    session.flush()
    return count


def _same(finding: TriageFinding) -> tuple[str, str, tuple[str, ...]]:
    return finding.rule, finding.outcome, tuple(finding.fields)


def stored_findings(session: Session, *, request_id: str, run: int) -> list[StoredFinding]:
    """The findings of one run as the API shows them, each with its resolution if it has one."""
    findings = findings_of_run(session, request_id=request_id, run=run)
    resolved = resolutions_of(session, finding_ids=[f.id for f in findings])
    return [
        StoredFinding(
            id=f.id,
            rule=f.rule,
            outcome=f.outcome,
            message={"en": f.message_en, "fr": f.message_fr},
            fields=list(f.fields),
            reference_version=f.reference_version,
            created_at=f.created_at,
            resolution=(
                ResolutionOut.model_validate(resolved[f.id]) if f.id in resolved else None
            ),
        )
        for f in findings
    ]


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
