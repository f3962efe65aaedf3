from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from app.audit.checkpoints import latest_checkpoints
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

    chain_id: str
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


public_router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class CheckpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    size: int
    root: str
    note: str
    key_id: str | None
    signature: str | None


@public_router.get("/checkpoints", response_model=list[CheckpointOut])
def list_checkpoints(
    session: SessionDep,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CheckpointOut]:
    """Signed checkpoints of the audit trail, newest first (`before` pages back). Public, like a
    transparency log's signed tree heads: a Merkle root over every case chain's head, the exact
    `note` signed and its detached signature (ECDSA P-256 over the note's UTF-8 bytes). Keep
    copies: a later checkpoint must still contain what an earlier one sealed."""
    return [
        CheckpointOut.model_validate(c)
        for c in latest_checkpoints(session, before=before, limit=limit)
    ]
