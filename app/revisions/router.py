from typing import Annotated

from fastapi import APIRouter, Depends, Path

from app.auth.deps import require
from app.auth.models import Role
from app.db import SessionDep
from app.intake.deps import CurrentRequest
from app.problems import problem_responses
from app.revisions import service
from app.revisions.schemas import RevisionOut, RevisionSummary

router = APIRouter(
    prefix="/api/v1/requests/{request_id}/revisions",
    tags=["revisions"],
    responses=problem_responses(401, 403, 404),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)


@router.get("", response_model=list[RevisionSummary])
def list_revisions(request: CurrentRequest, session: SessionDep) -> list[RevisionSummary]:
    """Every frozen revision of the request, oldest first, with what changed since the one
    before (field paths and document ids). Empty for a draft."""
    return service.summaries(session, request_id=request.id)


@router.get("/{number}", response_model=RevisionOut)
def read_revision(
    request: CurrentRequest, session: SessionDep, number: Annotated[int, Path(ge=1, le=10_000)]
) -> RevisionOut:
    """One revision in full: the form, its documents with SHA-256, the reference-data version,
    the triage findings of that revision with their resolutions, and what changed."""
    return service.revision_out(session, request_id=request.id, number=number)
