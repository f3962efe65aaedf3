from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from app.audit.service import timeline
from app.auth.deps import require
from app.auth.models import Role
from app.db import SessionDep
from app.intake.deps import CurrentRequest
from app.problems import problem_responses

router = APIRouter(
    prefix="/api/v1",
    tags=["audit"],
    responses=problem_responses(401, 403, 404),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    action: str
    actor_id: str | None
    subject_type: str
    subject_id: str | None
    details: dict[str, Any]
    created_at: datetime
    hash: str


@router.get("/requests/{request_id}/events", response_model=list[EventOut])
def list_events(request: CurrentRequest, session: SessionDep) -> list[EventOut]:
    """The case's timeline, oldest first; each event is chained to the one before it."""
    return [EventOut.model_validate(e) for e in timeline(session, request_id=request.id)]
