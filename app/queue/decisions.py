"""Decisions: the holder decides, the case freezes as `decided`, and a letter is issued."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account
from app.common.clock import utcnow
from app.eligibility.reference import load_reference
from app.intake.models import OpinionRequest, RequestStatus
from app.intake.service import check_version, transition
from app.letters.models import Letter
from app.letters.service import issue_letter, preview_letter, render_new
from app.problems import (
    DecisionExists,
    FieldError,
    InvalidState,
    ValidationFailed,
)
from app.queue.models import Decision
from app.queue.schemas import DecisionCreate
from app.queue.service import require_holder
from app.triage.calendar import business_days_between


def _check_decision(data: DecisionCreate) -> str:
    code = data.exemption_code.upper()
    if code not in load_reference().codes:
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
    """Record the holder's decision, freeze the case and issue its letter, in one transaction."""
    if request.status == RequestStatus.DECIDED:
        raise DecisionExists("This case is already decided")
    draft = _draft(reviewer=reviewer, request=request, data=data, if_match=if_match)
    rendered = render_new(request, draft)  # before the first write: nothing is locked meanwhile
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
        details={"outcome": data.outcome, "exemption_code": decision.exemption_code},
    )
    letter = issue_letter(
        session, request=request, decision=decision, issued_by=reviewer, rendered=rendered
    )
    return decision, letter


def preview(
    session: Session, *, reviewer: Account, request: OpinionRequest, data: DecisionCreate
) -> bytes:
    """The letter this decision would issue, for the holder to read before deciding."""
    del session
    return preview_letter(request, _draft(reviewer=reviewer, request=request, data=data))


def _draft(
    *,
    reviewer: Account,
    request: OpinionRequest,
    data: DecisionCreate,
    if_match: str | None = None,
) -> Decision:
    """The decision the holder asks for, checked but not stored (decide and preview share it)."""
    require_holder(request, reviewer)
    if request.status != RequestStatus.IN_REVIEW:
        raise InvalidState(f"A request in status '{request.status}' cannot be decided")
    check_version(request, if_match)
    return Decision(
        request_id=request.id,
        decided_by_id=reviewer.id,
        outcome=data.outcome,
        exemption_code=_check_decision(data),
        reasons=list(data.reasons),
        conditions=list(data.conditions),
        letter_language=data.letter_language,
        suggest_lmia_route=data.suggest_lmia_route,
    )


def decision_of(session: Session, *, request_id: str) -> Decision | None:
    return session.scalar(select(Decision).where(Decision.request_id == request_id))
