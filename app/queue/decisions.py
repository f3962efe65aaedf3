"""Decisions: the holder decides on the current revision, the case freezes as `decided`, and a
letter certifying that revision is issued. A decision the revision cannot carry is refused with
every reason (`decision_blocked`, see `readiness`)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account
from app.common.clock import utcnow
from app.common.form import RequestContent
from app.eligibility.reference import ReferenceData
from app.eligibility.versions import active_reference
from app.intake.models import OpinionRequest, RequestStatus
from app.intake.service import check_version, transition
from app.letters.models import Letter
from app.letters.service import issue_letter, prepare_letter, preview_letter
from app.notifications.outbox import emit
from app.problems import (
    DecisionBlocked,
    DecisionExists,
    FieldError,
    InvalidState,
    ValidationFailed,
)
from app.queue.models import Decision
from app.queue.readiness import blocking_messages, readiness
from app.queue.schemas import DecisionCreate, DecisionOut, ResolutionRecord
from app.queue.service import require_holder
from app.revisions.service import current_revision, revision_of_decision
from app.triage.calendar import business_days_between
from app.triage.service import findings_of_run, resolutions_of


def _check_decision(data: DecisionCreate, reference: ReferenceData) -> str:
    code = data.exemption_code.upper()
    if code not in reference.codes:
        raise ValidationFailed(
            "Unknown exemption code",
            errors=[FieldError(pointer="/exemption_code", message="not a known exemption code")],
        )
    if data.outcome != "positive" and not data.reasons:
        raise ValidationFailed(
            "A negative or not-eligible outcome needs its reasons",
            errors=[FieldError(pointer="/reasons", message="at least one reason is required")],
        )
    if data.suggest_lmia_route and data.outcome == "positive":
        raise ValidationFailed(
            "Only a refused case can point to the LMIA route",
            errors=[FieldError(pointer="/suggest_lmia_route", message="only when not positive")],
        )
    return code


def decide(
    session: Session,
    *,
    reviewer: Account,
    request: OpinionRequest,
    data: DecisionCreate,
    if_match: str | None,
) -> tuple[Decision, Letter]:
    """Record the holder's decision on the current revision, freeze the case and issue its
    letter, in one transaction."""
    if request.status == RequestStatus.DECIDED:
        raise DecisionExists("This case is already decided")
    reference = active_reference(session, exact=True)
    draft, content = _draft(
        session,
        reviewer=reviewer,
        request=request,
        data=data,
        reference=reference,
        if_match=if_match,
    )
    # Rendered, signed and stored before the first write: nothing is locked meanwhile.
    prepared = prepare_letter(session, request, draft, content=content, reference=reference)
    now = utcnow()
    transition(
        session,
        request=request,
        values={"status": RequestStatus.DECIDED, "decided_at": now, "claim_expires_at": None},
        from_statuses=(RequestStatus.IN_REVIEW,),
        also=(OpinionRequest.claimed_by_id == reviewer.id,),
    )
    submitted = request.submitted_at.date() if request.submitted_at else now.date()
    draft.created_at = now
    draft.business_days_to_decision = business_days_between(submitted, now.date())
    decision = draft
    session.add(decision)
    session.flush()
    record(
        session,
        actor_id=reviewer.id,
        action="case.decided",
        request_id=request.id,
        subject_type="decision",
        subject_id=decision.id,
        details={
            "outcome": data.outcome,
            "exemption_code": decision.exemption_code,
            "revision": decision.revision,
        },
    )
    emit(session, "request.decided", request=request, subject=decision)
    letter = issue_letter(
        session,
        request=request,
        decision=decision,
        prepared=prepared,
        reference_version=reference.version,
        issued_by=reviewer,
    )
    return decision, letter


def preview(
    session: Session, *, reviewer: Account, request: OpinionRequest, data: DecisionCreate
) -> bytes:
    """The letter this decision would issue, for the holder to read before deciding."""
    reference = active_reference(session)
    draft, content = _draft(
        session, reviewer=reviewer, request=request, data=data, reference=reference
    )
    return preview_letter(request, draft, content, reference=reference)


def _draft(
    session: Session,
    *,
    reviewer: Account,
    request: OpinionRequest,
    data: DecisionCreate,
    reference: ReferenceData,
    if_match: str | None = None,
) -> tuple[Decision, RequestContent]:
    """The decision the holder asks for on the current revision, checked but not stored (decide
    and preview share it), with the revision's form. A refusal states the revision's blocking
    findings among its reasons."""
    require_holder(request, reviewer)
    if request.status != RequestStatus.IN_REVIEW:
        raise InvalidState(f"A request in status '{request.status}' cannot be decided")
    check_version(request, if_match)
    code = _check_decision(data, reference)
    ready = readiness(session, request=request)
    blocked = [reason for reason in ready.reasons if data.outcome in reason.outcomes]
    revision = current_revision(session, request=request)
    if blocked or revision is None:
        raise DecisionBlocked(
            f"{len(blocked)} reason(s) keep the case from a {data.outcome} decision",
            extra={
                "revision": ready.revision,
                "reasons": [r.model_dump(mode="json", exclude_none=True) for r in blocked],
            },
        )
    reasons = list(data.reasons)
    if data.outcome != "positive":
        stated = blocking_messages(session, revision=revision, language=data.letter_language)
        reasons += [message for message in stated if message not in reasons]
    draft = Decision(
        request_id=request.id,
        decided_by_id=reviewer.id,
        outcome=data.outcome,
        exemption_code=code,
        reasons=reasons,
        conditions=list(data.conditions),
        letter_language=data.letter_language,
        suggest_lmia_route=data.suggest_lmia_route,
        revision=revision.number,
    )
    return draft, RequestContent.model_validate(revision.content)


def decision_of(session: Session, *, request_id: str) -> Decision | None:
    return session.scalar(select(Decision).where(Decision.request_id == request_id))


def decision_out(session: Session, *, decision: Decision) -> DecisionOut:
    """The decision record with the resolutions of the findings of its revision."""
    revision = revision_of_decision(
        session, request_id=decision.request_id, number=decision.revision
    )
    findings = findings_of_run(session, request_id=decision.request_id, run=revision.triage_run)
    resolved = resolutions_of(session, finding_ids=[f.id for f in findings])
    out = DecisionOut.model_validate(decision)
    out.resolutions = [
        ResolutionRecord(
            finding_id=f.id,
            rule=f.rule,
            outcome=f.outcome,
            resolution=resolved[f.id].resolution,
            note=resolved[f.id].note,
            resolved_by_id=resolved[f.id].resolved_by_id,
            resolved_at=resolved[f.id].resolved_at,
        )
        for f in findings
        if f.id in resolved
    ]
    return out
