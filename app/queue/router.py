from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from app.auth.deps import Representative, Staff, Supervisor, require
from app.auth.models import Role
from app.common.clock import today
from app.common.openapi import binary_response, with_headers
from app.db import SessionDep
from app.eligibility.reference import Stream
from app.intake.deps import CurrentRequest
from app.intake.models import OpinionRequest, RequestStatus
from app.intake.schemas import RequestOut
from app.intake.service import to_out
from app.problems import NotFound, problem_responses
from app.queue import decisions, info, listing, resolutions, service
from app.queue.models import InfoRequest
from app.queue.readiness import readiness
from app.queue.schemas import (
    ClaimNextBody,
    DecisionCreate,
    DecisionOut,
    DecisionReadiness,
    InfoRequestCreate,
    InfoRequestOut,
    InfoResponse,
    QueuePage,
    ReassignBody,
    ResolutionCreate,
    Stats,
)
from app.triage.schemas import StoredFinding
from app.triage.service import stored_findings

router = APIRouter(
    prefix="/api/v1",
    tags=["queue"],
    responses=problem_responses(401, 403),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)

IfMatch = Annotated[str | None, Header(max_length=100)]


def _out(request: OpinionRequest, response: Response) -> RequestOut:
    response.headers["ETag"] = f'"{request.version}"'
    return to_out(request)


@router.get("/queue", response_model=QueuePage, responses=problem_responses(422))
def list_queue(
    session: SessionDep,
    account: Staff,
    stream: Stream | None = None,
    language: Literal["en", "fr"] | None = None,
    status: Literal["submitted", "in_review", "info_requested"] | None = None,
    claimed_by: Annotated[Literal["me"] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> QueuePage:
    """Waiting and claimed cases by priority, then submission time. A claim whose lease lapsed
    shows as waiting (`submitted`, no holder); reading the queue changes nothing."""
    return listing.queue_page(
        session,
        account=account,
        stream=stream,
        language=language,
        status=RequestStatus(status) if status else None,
        mine=claimed_by == "me",
        cursor=cursor,
        limit=limit,
    )


@router.post(
    "/queue/claim",
    response_model=RequestOut,
    responses={
        204: {"description": "No case waits"},
        **problem_responses(422),
        **with_headers(200, "ETag"),
    },
)
def claim_next(
    session: SessionDep, account: Staff, response: Response, body: ClaimNextBody | None = None
) -> RequestOut | Response:
    """Take the next waiting case of the streams asked for (all when empty), atomically."""
    body = body or ClaimNextBody()
    claimed = service.claim_next(
        session, reviewer=account, streams=body.streams, languages=body.languages
    )
    if claimed is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return _out(claimed, response)


@router.post(
    "/requests/{request_id}/claim",
    response_model=RequestOut,
    responses={**problem_responses(404, 409), **with_headers(200, "ETag")},
)
def claim_request(
    request: CurrentRequest, session: SessionDep, account: Staff, response: Response
) -> RequestOut:
    """Claim this case; 409 `already_claimed` names the holder."""
    return _out(service.claim(session, reviewer=account, request=request), response)


@router.post(
    "/requests/{request_id}/release",
    response_model=RequestOut,
    responses={**problem_responses(404, 409), **with_headers(200, "ETag")},
)
def release_request(
    request: CurrentRequest, session: SessionDep, account: Staff, response: Response
) -> RequestOut:
    """Give the case back to the queue."""
    return _out(service.release(session, reviewer=account, request=request), response)


@router.post(
    "/requests/{request_id}/reassign",
    response_model=RequestOut,
    responses={**problem_responses(404, 409, 422), **with_headers(200, "ETag")},
)
def reassign_request(
    request: CurrentRequest,
    session: SessionDep,
    account: Supervisor,
    body: ReassignBody,
    response: Response,
) -> RequestOut:
    """A supervisor hands the case to a reviewer."""
    moved = service.reassign(
        session, supervisor=account, request=request, reviewer_id=body.reviewer_id
    )
    return _out(moved, response)


def _info_out(item: InfoRequest) -> InfoRequestOut:
    out = InfoRequestOut.model_validate(item)
    out.overdue = info.is_overdue(item, today())
    return out


@router.post(
    "/requests/{request_id}/info-requests",
    response_model=InfoRequestOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409, 422),
)
def ask_for_information(
    request: CurrentRequest, session: SessionDep, account: Staff, body: InfoRequestCreate
) -> InfoRequestOut:
    """The holder asks the organization for documents or fields; the clock stops."""
    return _info_out(info.ask(session, reviewer=account, request=request, data=body))


@router.get(
    "/requests/{request_id}/info-requests",
    response_model=list[InfoRequestOut],
    responses=problem_responses(404),
)
def list_info_requests(request: CurrentRequest, session: SessionDep) -> list[InfoRequestOut]:
    """Every information request of the case, oldest first."""
    return [_info_out(i) for i in info.list_info_requests(session, request_id=request.id)]


@router.post(
    "/requests/{request_id}/info-requests/{info_id}/respond",
    response_model=InfoRequestOut,
    responses=problem_responses(404, 409, 422),
)
def answer_info_request(
    request: CurrentRequest,
    session: SessionDep,
    account: Representative,
    info_id: Annotated[str, Path(max_length=36)],
    body: InfoResponse | None = None,
) -> InfoRequestOut:
    """Answer an information request; the case returns to its reviewer and is triaged again."""
    answered = info.respond(
        session,
        account=account,
        request=request,
        info_id=info_id,
        message=body.message if body else None,
    )
    return _info_out(answered)


@router.post(
    "/requests/{request_id}/decision",
    response_model=DecisionOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409, 412, 422),
)
def decide_request(
    request: CurrentRequest,
    session: SessionDep,
    account: Staff,
    body: DecisionCreate,
    if_match: IfMatch = None,
) -> DecisionOut:
    """The holder decides on the current revision; the case is frozen and its letter issued.
    `422 decision_blocked` lists every reason the revision cannot carry this outcome (see
    `GET .../decision/readiness`)."""
    decision, _letter = decisions.decide(
        session, reviewer=account, request=request, data=body, if_match=if_match
    )
    return decisions.decision_out(session, decision=decision)


@router.get(
    "/requests/{request_id}/decision/readiness",
    response_model=DecisionReadiness,
    response_model_exclude_none=True,
    responses=problem_responses(404),
)
def decision_readiness(
    request: CurrentRequest, session: SessionDep, _account: Staff
) -> DecisionReadiness:
    """Which outcomes the current revision can carry now, and every reason it cannot carry the
    others (the `decision_blocked` reasons); changes nothing."""
    return readiness(session, request=request)


@router.post(
    "/requests/{request_id}/findings/{finding_id}/resolution",
    response_model=StoredFinding,
    responses=problem_responses(404, 409, 422),
)
def resolve_finding(
    request: CurrentRequest,
    session: SessionDep,
    account: Staff,
    finding_id: Annotated[str, Path(max_length=36)],
    body: ResolutionCreate,
) -> StoredFinding:
    """The holder accepts or overrides (with a note) a finding of the current revision; every
    `review` finding needs one before a positive decision."""
    finding = resolutions.resolve(
        session, reviewer=account, request=request, finding_id=finding_id, data=body
    )
    [out] = [
        f
        for f in stored_findings(session, request_id=request.id, run=finding.run)
        if f.id == finding.id
    ]
    return out


@router.post(
    "/requests/{request_id}/decision/preview",
    response_class=Response,
    responses={
        **binary_response("application/pdf", description="The letter as it would be issued"),
        **problem_responses(404, 409, 422),
    },
)
def preview_decision(
    request: CurrentRequest, session: SessionDep, account: Staff, body: DecisionCreate
) -> Response:
    """The letter this decision would issue, rendered for the holder before deciding; nothing
    is stored or signed."""
    pdf = decisions.preview(session, reviewer=account, request=request, data=body)
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store"})


@router.get(
    "/requests/{request_id}/decision",
    response_model=DecisionOut,
    responses=problem_responses(404),
)
def read_decision(request: CurrentRequest, session: SessionDep) -> DecisionOut:
    """The decision on the case: its revision, reasons, conditions and the holder's resolutions
    of that revision's findings."""
    decision = decisions.decision_of(session, request_id=request.id)
    if decision is None:
        raise NotFound("The case has not been decided")
    return decisions.decision_out(session, decision=decision)


@router.get("/stats", response_model=Stats)
def read_stats(session: SessionDep, _account: Supervisor) -> Stats:
    """Cases by status and stream, median business days to decision, cases past due."""
    return listing.stats(session)
