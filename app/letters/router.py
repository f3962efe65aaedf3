from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.auth.deps import Supervisor, require
from app.auth.models import Role
from app.common.openapi import binary_response
from app.common.rate_limit import RateLimiter
from app.common.text import MultiLine
from app.config import get_settings
from app.db import SessionDep
from app.intake.deps import CurrentRequest
from app.letters import service
from app.letters.files import pdf_response
from app.letters.verification import normalize_code
from app.problems import NotFound, problem_responses
from app.signing.keys import CertificateInfo
from app.signing.service import certificates as published_certificates

router = APIRouter(prefix="/api/v1", tags=["letters"])
limiter = RateLimiter(per_minute=lambda: get_settings().verify_rate_per_minute)

SignatureScheme = Literal["pades-b-b", "ed25519-legacy"]
CertificateStatus = Literal["current", "retired", "ca"]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MultiLine
]


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
    pdf_sha256: str = Field(description="SHA-256 of the issued PDF: compare with the file you hold")
    signature_scheme: SignatureScheme
    key_id: str = Field(description="The signing key, as listed by GET /letters/certificates")
    certificate_fingerprint: str | None = Field(
        description="SHA-256 of the signing certificate (DER); null for ed25519-legacy letters"
    )


class CertificateOut(BaseModel):
    key_id: str | None = Field(description="The key id letters name; null for the CA")
    status: CertificateStatus
    subject: str
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str
    pem: str


class Certificates(BaseModel):
    ca: CertificateOut
    certificates: list[CertificateOut] = Field(description="Signing certificates, current first")


class RevokeBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Issued with the wrong exemption code"}]},
    )

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
    signature_scheme: SignatureScheme
    key_id: str
    certificate_fingerprint: str | None
    facts: dict[str, object] = Field(
        description="The certified facts, as embedded in the signed PDF (imwu-letter-facts.json)"
    )
    reference_version: str | None = Field(
        description="The reference data version the letter was written with"
    )


@router.get(
    "/requests/{request_id}/letter",
    response_class=StreamingResponse,
    responses={
        **binary_response(
            "application/pdf",
            description="The signed letter",
            headers=("Content-Disposition",),
        ),
        **problem_responses(401, 403, 404, 503),
    },
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)
def download_letter(request: CurrentRequest, session: SessionDep) -> StreamingResponse:
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
def list_letters(request: CurrentRequest, session: SessionDep) -> list[LetterOut]:
    """Every letter of the case with its verification code and status, oldest first."""
    return [LetterOut.model_validate(x) for x in service.letters_of(session, request_id=request.id)]


def _certificate(info: CertificateInfo, status: CertificateStatus) -> CertificateOut:
    certificate = info.certificate
    return CertificateOut(
        key_id=None if status == "ca" else info.key_id,
        status=status,
        subject=certificate.subject.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        fingerprint_sha256=info.fingerprint,
        pem=info.pem,
    )


def _published() -> Certificates:
    published = published_certificates()
    return Certificates(
        ca=_certificate(published.ca, "ca"),
        certificates=[
            _certificate(info, "current" if info.current else "retired")
            for info in published.certificates
        ],
    )


def _as_pem(body: Certificates) -> str:
    """One PEM file, each certificate after a comment line naming it (PEM tools skip those)."""
    return "".join(
        f"# {c.status}{f' key {c.key_id}' if c.key_id else ''}: {c.subject}\n{c.pem}"
        for c in (body.ca, *body.certificates)
    )


PEM_MEDIA_TYPE = "application/x-pem-file"


@router.get(
    "/letters/certificates",
    response_model=Certificates,
    responses={200: {"content": {PEM_MEDIA_TYPE: {}}}},
)
def list_certificates(
    http_request: Request,
    format: Annotated[Literal["json", "pem"] | None, Query()] = None,
) -> Certificates | Response:
    """Every certificate that signs or signed letters (current and retired) and the service CA,
    for checking letters offline; no token needed. PEM with `Accept: application/x-pem-file` or
    `?format=pem`: the CA first, then each signing certificate, current first."""
    body = _published()
    wants_pem = PEM_MEDIA_TYPE in http_request.headers.get("accept", "")
    if format == "pem" or (format is None and wants_pem):
        return Response(
            _as_pem(body),
            media_type=PEM_MEDIA_TYPE,
            headers={"Content-Disposition": 'inline; filename="imwu-certificates.pem"'},
        )
    return body


@router.get(
    "/letters/verify/{code}", response_model=Verification, responses=problem_responses(404, 429)
)
def verify_letter(
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
        pdf_sha256=letter.pdf_sha256,
        signature_scheme=letter.signature_scheme,
        key_id=letter.key_id,
        certificate_fingerprint=letter.certificate_fingerprint,
    )


@router.post(
    "/letters/{letter_id}/revoke",
    response_model=LetterOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def revoke_letter(
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
def reissue_letter(
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
