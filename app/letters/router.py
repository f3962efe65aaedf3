from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.auth.deps import Supervisor, require
from app.auth.models import Role
from app.common.rate_limit import RateLimiter
from app.config import get_settings
from app.db import SessionDep
from app.intake.deps import CurrentRequest
from app.letters import service
from app.letters.files import pdf_response
from app.letters.verification import normalize_code, public_key_id, public_key_pem
from app.problems import NotFound, problem_responses

router = APIRouter(prefix="/api/v1", tags=["letters"])
limiter = RateLimiter(per_minute=lambda: get_settings().verify_rate_per_minute)

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class WorkerFacts(BaseModel):
    family_name: str
    date_of_birth: str
    passport_last4: str | None


class Verification(BaseModel):
    status: Literal["valid", "revoked", "superseded"]
    reference: str
    issued_at: str
    exemption_code: str
    outcome: str
    worker: WorkerFacts
    signature: str
    pdf_sha256: str
    key_id: str


class PublicKey(BaseModel):
    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str
    public_key_pem: str


class RevokeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class ReissueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conditions: list[Reason] | None = Field(default=None, max_length=20)
    letter_language: Literal["en", "fr"] | None = None


class LetterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    request_id: str
    verification_code: str
    status: str
    language: str
    issued_at: datetime
    superseded_by_id: str | None
    pdf_sha256: str
    signature: str = Field(description="Ed25519 over canonical JSON {facts, pdf_sha256}")
    key_id: str
    facts: dict[str, object] = Field(description="The signed facts")


@router.get(
    "/requests/{request_id}/letter",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/pdf": {}}},
        **problem_responses(401, 403, 404, 503),
    },
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)
def letter_pdf(request: CurrentRequest, session: SessionDep) -> StreamingResponse:
    """The case's newest letter as a PDF, for the organization's representatives and reviewers."""
    letter = service.current_letter(session, request_id=request.id)
    if letter is None:
        raise NotFound("No letter has been issued for this request")
    return pdf_response(
        letter.id,
        headers={
            "Content-Disposition": f'attachment; filename="{letter.facts["reference"]}.pdf"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/requests/{request_id}/letters",
    response_model=list[LetterOut],
    responses=problem_responses(401, 403, 404),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)
def letters(request: CurrentRequest, session: SessionDep) -> list[LetterOut]:
    """Every letter of the case with its verification code and status, oldest first."""
    return [LetterOut.model_validate(x) for x in service.letters_of(session, request_id=request.id)]


@router.get("/letters/public-key", response_model=PublicKey)
def public_key() -> PublicKey:
    """The Ed25519 key that signs letters, for checking them offline."""
    key = service.signing_key().public_key()
    return PublicKey(key_id=public_key_id(key), public_key_pem=public_key_pem(key))


@router.get(
    "/letters/verify/{code}", response_model=Verification, responses=problem_responses(404, 429)
)
def verify(
    code: Annotated[str, Path(max_length=40)], session: SessionDep, http_request: Request
) -> Verification:
    """Anyone may check a letter by its verification code; an unknown code reveals nothing."""
    limiter.hit(http_request.client.host if http_request.client else "unknown")
    normalized = normalize_code(code)
    letter = service.find_by_code(session, code=normalized) if normalized else None
    if letter is None:
        raise NotFound("No such letter")
    return Verification(
        status=letter.status,
        reference=str(letter.facts["reference"]),
        issued_at=letter.issued_at.isoformat(),
        exemption_code=str(letter.facts["exemption_code"]),
        outcome=str(letter.facts["outcome"]),
        worker=WorkerFacts(**service.worker_summary(letter)),
        signature=letter.signature,
        pdf_sha256=letter.pdf_sha256,
        key_id=letter.key_id,
    )


@router.post(
    "/letters/{letter_id}/revoke",
    response_model=LetterOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def revoke(
    letter_id: Annotated[str, Path(max_length=36)],
    body: RevokeBody,
    session: SessionDep,
    account: Supervisor,
) -> LetterOut:
    """A supervisor revokes a letter, with a reason."""
    letter = service.get_letter(session, letter_id=letter_id)
    return LetterOut.model_validate(
        service.revoke(session, letter=letter, reason=body.reason, supervisor=account)
    )


@router.post(
    "/letters/{letter_id}/reissue",
    response_model=LetterOut,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def reissue(
    letter_id: Annotated[str, Path(max_length=36)],
    body: ReissueBody,
    session: SessionDep,
    account: Supervisor,
) -> LetterOut:
    """A supervisor issues a corrected letter that supersedes this one."""
    letter = service.get_letter(session, letter_id=letter_id)
    new = service.reissue(
        session,
        letter=letter,
        supervisor=account,
        conditions=body.conditions,
        language=body.letter_language,
    )
    return LetterOut.model_validate(new)
