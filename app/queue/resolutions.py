"""The holder resolves the findings of the current revision before a positive decision: each
`review` finding is `accepted` (checked, it stands) or `overridden` (with a note saying why).
A blocking finding cannot be resolved away: ask for information, or refuse."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account
from app.common.clock import utcnow
from app.common.findings import Outcome
from app.intake.models import OpinionRequest, RequestStatus
from app.problems import FieldError, InvalidState, NotFound, ValidationFailed
from app.queue.schemas import ResolutionCreate
from app.queue.service import require_holder
from app.triage.models import FindingResolution, TriageFinding


def resolve(
    session: Session,
    *,
    reviewer: Account,
    request: OpinionRequest,
    finding_id: str,
    data: ResolutionCreate,
) -> TriageFinding:
    """Record (or replace) the holder's resolution of one finding of the current revision."""
    require_holder(request, reviewer)
    if request.status != RequestStatus.IN_REVIEW:
        raise InvalidState(f"Findings cannot be resolved while the request is '{request.status}'")
    finding = session.get(TriageFinding, finding_id) if len(finding_id) <= 36 else None
    if finding is None or finding.request_id != request.id:
        raise NotFound("No such finding")
    if finding.run != request.triage_run:
        raise InvalidState("This finding belongs to an earlier revision")
    if finding.outcome == Outcome.BLOCK:
        raise InvalidState("A blocking finding cannot be resolved: ask for information or refuse")
    if data.resolution == "overridden" and not data.note:
        raise ValidationFailed(
            "A note is required to override a finding",
            errors=[FieldError(pointer="/note", message="required to override")],
        )
    _store(session, reviewer=reviewer, finding=finding, data=data)
    record(
        session,
        actor_id=reviewer.id,
        action="finding.resolved",
        request_id=request.id,
        subject_type="finding",
        subject_id=finding.id,
        details={"rule": finding.rule, "resolution": data.resolution, "revision": request.revision},
    )
    return finding


def _store(
    session: Session, *, reviewer: Account, finding: TriageFinding, data: ResolutionCreate
) -> None:
    values = {
        "resolution": data.resolution,
        "note": data.note,
        "resolved_by_id": reviewer.id,
        "resolved_at": utcnow(),
    }
    existing = session.scalar(
        select(FindingResolution).where(FindingResolution.finding_id == finding.id)
    )
    if existing is None:
        try:
            with session.begin_nested():
                session.add(
                    FindingResolution(
                        finding_id=finding.id, request_id=finding.request_id, **values
                    )
                )
            return
        except IntegrityError:
            existing = session.scalar(
                select(FindingResolution).where(FindingResolution.finding_id == finding.id)
            )
            if existing is None:
                raise
    for name, value in values.items():
        setattr(existing, name, value)
    session.flush()
