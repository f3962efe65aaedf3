from fastapi import APIRouter, Depends

from app.auth.deps import require
from app.auth.models import Role
from app.config import get_settings
from app.db import SessionDep
from app.intake.deps import CurrentRequest
from app.problems import problem_responses
from app.triage.engine import is_urgent
from app.triage.schemas import TriageOut
from app.triage.service import stored_findings

router = APIRouter(
    prefix="/api/v1",
    tags=["triage"],
    responses=problem_responses(401, 403, 404),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)


@router.get("/requests/{request_id}/triage", response_model=TriageOut)
def read_triage(request: CurrentRequest, session: SessionDep) -> TriageOut:
    """The latest triage run (that of the latest revision): every finding with its stable id,
    rule, outcome, reasons in both languages, the fields concerned, the reference data version
    and the holder's resolution; the priority and the due date."""
    return TriageOut(
        request_id=request.id,
        run=request.triage_run or None,
        revision=request.revision or None,
        stream=request.stream,
        language=request.language,
        priority=request.priority,
        priority_reasons=list(request.priority_reasons or []),
        urgent=is_urgent(
            request.priority_reasons or [],
            urgent_business_days=get_settings().urgent_business_days,
        ),
        due_date=request.due_date,
        findings=stored_findings(session, request_id=request.id, run=request.triage_run),
    )
