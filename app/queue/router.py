from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from app.auth.deps import Representative, Staff, Supervisor, require
from app.auth.models import Role
from app.common.clock import today
from app.db import SessionDep
from app.intake.deps import CurrentRequest
from app.intake.models import OpinionRequest, RequestStatus
from app.intake.schemas import RequestOut
from app.intake.service import to_out
from app.problems import NotFound, problem_responses
from app.queue import decisions, info, listing, service
from app.queue.models import InfoRequest
from app.queue.schemas import (
    ClaimNextBody,
    DecisionCreate,
    DecisionOut,
    InfoRequestCreate,
    InfoRequestOut,
    InfoResponse,
    QueuePage,
    ReassignBody,
    Stats,
)

router = APIRouter(
    prefix="/api/v1",
    tags=["queue"],
    responses=problem_responses(401, 403),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)

IfMatch = Annotated[str | None, Header(max_length=100)]
Stream = Literal[
    "trade_agreement", "significant_benefit", "reciprocal", "work_permit_exempt", "other"
]


def _out(request: OpinionRequest, response: Response) -> RequestOut:
    response.headers["ETag"] = f'"{request.version}"'
    return to_out(request)


@router.get("/queue", response_model=QueuePage, responses=problem_responses(422))
def queue(
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
    responses={204: {"description": "No case waits"}, **problem_responses(422)},
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
    "/requests/{request_id}/claim", response_model=RequestOut, responses=problem_responses(404, 409)
)
def claim(
    request: CurrentRequest, session: SessionDep, account: Staff, response: Response
) -> RequestOut:
    """Claim this case; 409 `already_claimed` names the holder."""
    return _out(service.claim(session, reviewer=account, request=request), response)


@router.post(
    "/requests/{request_id}/release",
    response_model=RequestOut,
    responses=problem_responses(404, 409),
)
def release(
    request: CurrentRequest, session: SessionDep, account: Staff, response: Response
) -> RequestOut:
    """Give the case back to the queue."""
    return _out(service.release(session, reviewer=account, request=request), response)


@router.post(
    "/requests/{request_id}/reassign",
    response_model=RequestOut,
    responses=problem_responses(404, 409, 422),
)
def reassign(
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
def information_requests(request: CurrentRequest, session: SessionDep) -> list[InfoRequestOut]:
    """Every information request of the case, oldest first."""
    return [_info_out(i) for i in info.list_info_requests(session, request_id=request.id)]


@router.post(
    "/requests/{request_id}/info-requests/{info_id}/respond",
    response_model=InfoRequestOut,
    responses=problem_responses(404, 409, 422),
)
def respond(
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
def decide(
    request: CurrentRequest,
    session: SessionDep,
    account: Staff,
    body: DecisionCreate,
    if_match: IfMatch = None,
) -> DecisionOut:
    """The holder decides; the case is frozen and its letter issued."""
    decision, _letter = decisions.decide(
        session, reviewer=account, request=request, data=body, if_match=if_match
    )
    return DecisionOut.model_validate(decision)


@router.post(
    "/requests/{request_id}/decision/preview",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **problem_responses(404, 409, 422)},
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
    """The decision on the case, with its reasons and conditions."""
    decision = decisions.decision_of(session, request_id=request.id)
    if decision is None:
        raise NotFound("The case has not been decided")
    return DecisionOut.model_validate(decision)


@router.get("/stats", response_model=Stats)
def statistics(session: SessionDep, _account: Supervisor) -> Stats:
    """Cases by status and stream, median business days to decision, cases past due."""
    return listing.stats(session)
