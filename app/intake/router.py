from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response, status

from app.auth.deps import Representative, require
from app.auth.models import Role
from app.common.form import RequestContent
from app.common.openapi import with_headers
from app.db import SessionDep
from app.intake import service
from app.intake.deps import CurrentRequest
from app.intake.examples import PATCH_EXAMPLE, REQUEST_EXAMPLE
from app.intake.models import RequestStatus
from app.intake.schemas import RequestOut, RequestPage, SubmitBody, ValidationReport
from app.problems import FieldError, ValidationFailed, problem_responses

# Cases are for their organization and IMWU staff: an admin manages accounts, never cases (403).
router = APIRouter(
    prefix="/api/v1/requests",
    tags=["requests"],
    responses=problem_responses(401, 403),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)

IfMatch = Annotated[str | None, Header(max_length=100, description="The ETag you read")]
IdempotencyKey = Annotated[str | None, Header(max_length=200)]
NewRequest = Annotated[
    RequestContent,
    Body(openapi_examples={"t11": {"summary": "A complete T11 request", "value": REQUEST_EXAMPLE}}),
]


def _with_etag(response: Response, out: RequestOut) -> RequestOut:
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.post(
    "",
    response_model=RequestOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(403, 422),
        **with_headers(201, "ETag", "Location", "Idempotent-Replayed"),
    },
)
def create_request(
    content: NewRequest,
    session: SessionDep,
    account: Representative,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RequestOut:
    """Create a draft request. The same `Idempotency-Key` and body return the same request."""
    request, created = service.create_request(
        session, account=account, content=content, idempotency_key=idempotency_key
    )
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/requests/{request.id}"
    return _with_etag(response, service.to_out(request))


@router.get("", response_model=RequestPage, responses=problem_responses(403, 422))
def list_requests(
    session: SessionDep,
    account: Representative,
    status: RequestStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RequestPage:
    """Your organization's requests, newest first."""
    rows, next_cursor = service.list_requests(
        session, account=account, status=status, cursor=cursor, limit=limit
    )
    return RequestPage(items=[service.to_out(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{request_id}",
    response_model=RequestOut,
    responses={**problem_responses(404), **with_headers(200, "ETag")},
)
def read_request(request: CurrentRequest, response: Response) -> RequestOut:
    """One request, with its `ETag` (the version) and its document budget."""
    return _with_etag(response, service.to_out(request))


@router.patch(
    "/{request_id}",
    response_model=RequestOut,
    responses={**problem_responses(403, 404, 409, 412, 422), **with_headers(200, "ETag")},
)
def update_request(
    request: CurrentRequest,
    session: SessionDep,
    account: Representative,
    response: Response,
    body: Annotated[
        dict[str, Any],
        Body(
            description="Merge patch of the request's fields",
            openapi_examples={"hours": {"summary": "Change one field", "value": PATCH_EXAMPLE}},
        ),
    ],
    if_match: IfMatch = None,
) -> RequestOut:
    """Edit a draft (or a request waiting on more information): objects merge key by key,
    `null` clears an optional field."""
    updated = service.patch_request(
        session, request=request, patch=body, if_match=if_match, actor_id=account.id
    )
    return _with_etag(response, service.to_out(updated))


@router.post(
    "/{request_id}/withdraw",
    response_model=RequestOut,
    responses={**problem_responses(403, 404, 409, 412), **with_headers(200, "ETag")},
)
def withdraw_request(
    request: CurrentRequest,
    session: SessionDep,
    account: Representative,
    response: Response,
    if_match: IfMatch = None,
) -> RequestOut:
    """Withdraw a request that has not been decided."""
    return _with_etag(
        response,
        service.to_out(
            service.withdraw(session, request=request, if_match=if_match, actor_id=account.id)
        ),
    )


@router.post(
    "/{request_id}/validate", response_model=ValidationReport, responses=problem_responses(403, 404)
)
def validate_request(
    request: CurrentRequest, session: SessionDep, _account: Representative
) -> ValidationReport:
    """Every finding and the document checklist, without changing anything."""
    return service.report(session, request=request)


@router.post(
    "/{request_id}/submit",
    response_model=RequestOut,
    responses={**problem_responses(403, 404, 409, 412, 422), **with_headers(200, "ETag")},
)
def submit_request(
    request: CurrentRequest,
    session: SessionDep,
    account: Representative,
    body: SubmitBody,
    response: Response,
    if_match: IfMatch = None,
) -> RequestOut:
    """Submit a complete draft; refused with every blocking reason (422
    `request_not_submittable`), or frozen and time-stamped."""
    if not body.declaration_accepted:
        raise ValidationFailed(
            "The declaration must be accepted",
            errors=[FieldError(pointer="/declaration_accepted", message="must be true")],
        )
    submitted, _report = service.submit(
        session,
        request=request,
        declarant_name=body.declarant_name,
        if_match=if_match,
        actor_id=account.id,
    )
    return _with_etag(response, service.to_out(submitted))
