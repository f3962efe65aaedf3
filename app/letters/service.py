"""Issuing, revoking, superseding and verifying opinion letters.

The signature covers the canonical JSON of the letter's facts and the PDF's SHA-256, so a letter
can be checked offline with the public key (`GET /api/v1/letters/public-key`).
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account
from app.common.clock import utcnow
from app.common.form import RequestContent
from app.config import get_settings
from app.eligibility.reference import load_reference
from app.intake.models import OpinionRequest
from app.letters.models import Letter
from app.letters.render import LetterFacts, facts_dict, render_letter
from app.letters.verification import (
    new_verification_code,
    public_key_id,
    sign,
    signing_key_from_secret,
)
from app.problems import LetterRevoked, NotFound
from app.queue.models import Decision


@cache
def signing_key() -> Ed25519PrivateKey:
    return signing_key_from_secret(get_settings().secret_key)


def verify_url(code: str) -> str:
    """The verification page a border officer opens from the letter's QR code."""
    return f"{get_settings().public_base_url.rstrip('/')}/verify/{code}"


def _facts(
    request: OpinionRequest,
    decision: Decision,
    *,
    code: str,
    issued_on: date,
    supersedes: str | None,
) -> LetterFacts:
    content = RequestContent.model_validate(request.content)
    record_ = load_reference().codes[decision.exemption_code]
    worker, work = content.worker, content.work
    location = ", ".join(p for p in (work.location.city, work.location.province) if p)
    return LetterFacts(
        reference=request.reference,
        issued_on=issued_on,
        language=decision.letter_language,  # type: ignore[arg-type]
        outcome=decision.outcome,  # type: ignore[arg-type]
        employer_name=content.employer.name or "",
        worker_family_name=worker.family_name or "",
        worker_given_names=worker.given_names or "",
        worker_date_of_birth=worker.date_of_birth or issued_on,
        worker_citizenship=worker.citizenship or "",
        passport_number=worker.passport.number or "",
        exemption_code=record_.code,
        exemption_title=record_.title or "",
        regulation=record_.regulation,
        job_title=work.job_title or "",
        noc_code=work.noc_code or "",
        location=location,
        period_from=work.start_date or issued_on,
        period_to=work.end_date or issued_on,
        conditions=tuple(decision.conditions),
        reasons=tuple(decision.reasons),
        employer_compliance_fee=record_.employer_compliance_fee,
        fee_exemption_codes=tuple(record_.fee_exemption_codes),
        verification_code=code,
        verify_url=verify_url(code),
        supersedes=supersedes,
        suggest_lmia_route=decision.suggest_lmia_route,
    )


@dataclass(frozen=True)
class RenderedLetter:
    """A letter's facts and PDF, rendered before its transaction writes anything: rendering is
    the slow part, and nothing should be locked meanwhile."""

    facts: LetterFacts
    pdf: bytes


def render_new(
    request: OpinionRequest, decision: Decision, *, supersedes: str | None = None
) -> RenderedLetter:
    """Render the letter of a decision with a fresh verification code (nothing stored)."""
    facts = _facts(
        request,
        decision,
        code=new_verification_code(),
        issued_on=utcnow().date(),
        supersedes=supersedes,
    )
    return RenderedLetter(facts, render_letter(facts))


def _store(
    session: Session,
    *,
    request: OpinionRequest,
    decision: Decision,
    rendered: RenderedLetter,
    issued_by: Account,
) -> Letter:
    facts, pdf = rendered.facts, rendered.pdf
    digest = hashlib.sha256(pdf).hexdigest()
    signed = facts_dict(facts)
    key = signing_key()
    letter = Letter(
        request_id=request.id,
        decision_id=decision.id,
        verification_code=facts.verification_code,
        status="valid",
        language=facts.language,
        facts=signed,
        pdf=pdf,
        pdf_sha256=digest,
        signature=sign(key, signed, digest),
        key_id=public_key_id(key.public_key()),
        issued_by_id=issued_by.id,
        issued_at=utcnow(),
    )
    session.add(letter)
    session.flush()
    record(
        session,
        actor_id=issued_by.id,
        action="letter.issued",
        request_id=request.id,
        subject_type="letter",
        subject_id=letter.id,
        details={"outcome": decision.outcome, "language": facts.language},
    )
    return letter


PREVIEW_CODE = "PREVIEW"


def preview_letter(request: OpinionRequest, decision: Decision) -> bytes:
    """The letter a decision would issue, rendered but neither signed nor stored; its code
    (`PREVIEW`) verifies as unknown."""
    facts = _facts(request, decision, code=PREVIEW_CODE, issued_on=utcnow().date(), supersedes=None)
    return render_letter(facts)


def issue_letter(
    session: Session,
    *,
    request: OpinionRequest,
    decision: Decision,
    issued_by: Account,
    rendered: RenderedLetter,
) -> Letter:
    """Sign and store the letter of a decision, rendered beforehand by `render_new`."""
    return _store(
        session, request=request, decision=decision, rendered=rendered, issued_by=issued_by
    )


def get_letter(session: Session, *, letter_id: str) -> Letter:
    letter = session.get(Letter, letter_id) if len(letter_id) <= 36 else None
    if letter is None:
        raise NotFound("No such letter")
    return letter


def letters_of(session: Session, *, request_id: str) -> list[Letter]:
    """Every letter of a request, oldest first (a correction supersedes the one before)."""
    return list(
        session.scalars(
            select(Letter)
            .where(Letter.request_id == request_id)
            .order_by(Letter.issued_at, Letter.id)
        )
    )


def current_letter(session: Session, *, request_id: str) -> Letter | None:
    """The newest letter of a request (valid, or the last one if all were revoked)."""
    return session.scalar(
        select(Letter)
        .where(Letter.request_id == request_id)
        .order_by(Letter.issued_at.desc(), Letter.id.desc())
        .limit(1)
    )


def revoke(session: Session, *, letter: Letter, reason: str, supervisor: Account) -> Letter:
    """Withdraw a letter; verification then answers `revoked`."""
    changed = session.execute(
        update(Letter)
        .where(Letter.id == letter.id, Letter.status == "valid")
        .values(status="revoked", revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise LetterRevoked("Only a valid letter can be revoked")
    session.refresh(letter)
    record(
        session,
        actor_id=supervisor.id,
        action="letter.revoked",
        request_id=letter.request_id,
        subject_type="letter",
        subject_id=letter.id,
    )
    return letter


def reissue(
    session: Session,
    *,
    letter: Letter,
    supervisor: Account,
    conditions: list[str] | None,
    language: str | None,
) -> Letter:
    """Issue a corrected letter that supersedes a valid one (same decision, new code)."""
    decision = session.get(Decision, letter.decision_id)
    request = session.get(OpinionRequest, letter.request_id)
    if decision is None or request is None:
        raise NotFound("The letter's decision is missing")
    if conditions is not None:
        decision.conditions = conditions
    if language is not None:
        decision.letter_language = language
    rendered = render_new(request, decision, supersedes=letter.verification_code)
    changed = session.execute(
        update(Letter)
        .where(Letter.id == letter.id, Letter.status == "valid")
        .values(status="superseded")
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise LetterRevoked("Only a valid letter can be corrected")
    new = _store(
        session, request=request, decision=decision, rendered=rendered, issued_by=supervisor
    )
    session.execute(
        update(Letter)
        .where(Letter.id == letter.id)
        .values(superseded_by_id=new.id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(letter)
    return new


def find_by_code(session: Session, *, code: str) -> Letter | None:
    return session.scalar(select(Letter).where(Letter.verification_code == code))


def worker_summary(letter: Letter) -> dict[str, str | None]:
    """The few facts a border officer compares with the passport."""
    passport = str(letter.facts.get("passport_number") or "")
    return {
        "family_name": str(letter.facts.get("worker_family_name") or ""),
        "date_of_birth": str(letter.facts.get("worker_date_of_birth") or ""),
        "passport_last4": passport[-4:] if passport else None,
    }
