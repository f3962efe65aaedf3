"""Issuing, revoking, superseding and verifying opinion letters.

A letter is a PAdES-signed PDF (`signed_letter_pdf`) that carries its facts as an embedded JSON
file and the certificate chain in its signature: the PDF and the CA certificate
(`GET /api/v1/letters/certificates`) suffice to check it offline, e.g. with poppler's `pdfsig`.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, Final, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account
from app.common.clock import utcnow
from app.common.form import RequestContent
from app.common.ids import new_id
from app.config import get_settings
from app.eligibility.reference import ReferenceData
from app.eligibility.versions import active_reference, reference_of
from app.intake.models import OpinionRequest
from app.letters.files import persist_pdf
from app.letters.models import Letter
from app.letters.render import LetterFacts, facts_dict, render_letter
from app.letters.verification import canonical_json, new_verification_code, pdf_sha256
from app.notifications.outbox import emit
from app.problems import DecisionBlocked, LetterRevoked, NotFound
from app.queue.models import Decision
from app.revisions.service import revision_of_decision
from app.signing.pdf import Attachment, SignedPdf, sign_pdf

T = TypeVar("T")

FACTS_FILE = "imwu-letter-facts.json"


def verify_url(code: str) -> str:
    """The verification page a border officer opens from the letter's QR code."""
    return f"{get_settings().public_base_url.rstrip('/')}/verify/{code}"


# Every fact of the form a letter prints (JSON pointers). A letter certifies them as given in the
# decided revision; one missing is a `decision_blocked`, never a stand-in value.
LETTER_FACTS: Final[tuple[str, ...]] = (
    "/employer/name",
    "/worker/family_name",
    "/worker/given_names",
    "/worker/date_of_birth",
    "/worker/citizenship",
    "/worker/passport/number",
    "/work/job_title",
    "/work/noc_code",
    "/work/location/city",
    "/work/location/province",
    "/work/start_date",
    "/work/end_date",
)


def missing_letter_facts(content: RequestContent) -> list[str]:
    """The `LETTER_FACTS` the form leaves empty, in that order."""
    data = content.model_dump()
    missing = []
    for pointer in LETTER_FACTS:
        value: Any = data
        for part in pointer[1:].split("/"):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None or value == "":
            missing.append(pointer)
    return missing


def letter_facts_missing(missing: list[str]) -> DecisionBlocked:
    return DecisionBlocked(
        f"{len(missing)} fact(s) the letter prints are missing from the revision",
        extra={
            "reasons": [
                {
                    "code": "letter_fact_missing",
                    "detail": "A fact the letter prints is missing",
                    "field": pointer,
                    "outcomes": ["positive", "negative", "not_eligible"],
                }
                for pointer in missing
            ]
        },
    )


def _given(value: T | None, pointer: str) -> T:
    if value is None:
        raise letter_facts_missing([pointer])
    return value


def _facts(
    request: OpinionRequest,
    decision: Decision,
    *,
    content: RequestContent,
    code: str,
    issued_on: date,
    supersedes: str | None,
    reference: ReferenceData,
) -> LetterFacts:
    """The letter's facts, from the decided revision's form (`content`) only."""
    missing = missing_letter_facts(content)
    if missing:
        raise letter_facts_missing(missing)
    record_ = reference.codes[decision.exemption_code]
    worker, work = content.worker, content.work
    return LetterFacts(
        reference=request.reference,
        issued_on=issued_on,
        language=decision.letter_language,  # type: ignore[arg-type]
        outcome=decision.outcome,  # type: ignore[arg-type]
        employer_name=_given(content.employer.name, "/employer/name"),
        worker_family_name=_given(worker.family_name, "/worker/family_name"),
        worker_given_names=_given(worker.given_names, "/worker/given_names"),
        worker_date_of_birth=_given(worker.date_of_birth, "/worker/date_of_birth"),
        worker_citizenship=_given(worker.citizenship, "/worker/citizenship"),
        passport_number=_given(worker.passport.number, "/worker/passport/number"),
        exemption_code=record_.code,
        exemption_title=record_.title or "",
        regulation=record_.regulation,
        job_title=_given(work.job_title, "/work/job_title"),
        noc_code=_given(work.noc_code, "/work/noc_code"),
        location=f"{work.location.city}, {work.location.province}",
        period_from=_given(work.start_date, "/work/start_date"),
        period_to=_given(work.end_date, "/work/end_date"),
        conditions=tuple(decision.conditions),
        reasons=tuple(decision.reasons),
        employer_compliance_fee=record_.employer_compliance_fee,
        fee_exemption_codes=tuple(record_.fee_exemption_codes),
        verification_code=code,
        verify_url=verify_url(code),
        supersedes=supersedes,
        suggest_lmia_route=decision.suggest_lmia_route,
    )


def signed_letter_pdf(facts: LetterFacts) -> SignedPdf:
    """The final bytes of a letter, made here only: rendered, its facts embedded as canonical JSON
    (`imwu-letter-facts.json`), then PAdES-signed with the current key. A reissued letter comes
    through here again, so it is signed anew."""
    facts_file = Attachment(
        name=FACTS_FILE,
        data=canonical_json(facts_dict(facts)),
        mime_type="application/json",
        description=f"The facts this letter certifies ({facts.verification_code})",
    )
    return sign_pdf(
        render_letter(facts),
        reason=f"IMWU opinion letter {facts.reference} ({facts.verification_code})",
        contact_info=facts.verify_url,
        attachments=(facts_file,),
    )


@dataclass(frozen=True)
class PreparedLetter:
    """A letter rendered, signed and stored as an object under its id before its transaction
    writes anything: those are the slow parts, and nothing is locked meanwhile. Its row comes
    with the decision (`_store`); if that transaction rolls back, the object is removed."""

    letter_id: str
    facts: LetterFacts
    signed: SignedPdf


def prepare_letter(
    session: Session,
    request: OpinionRequest,
    decision: Decision,
    *,
    content: RequestContent,
    reference: ReferenceData,
    supersedes: str | None = None,
) -> PreparedLetter:
    """The letter of a decision on the revision `content`, with a fresh verification code."""
    facts = _facts(
        request,
        decision,
        content=content,
        code=new_verification_code(),
        issued_on=utcnow().date(),
        supersedes=supersedes,
        reference=reference,
    )
    signed = signed_letter_pdf(facts)
    letter_id = new_id()
    persist_pdf(session, letter_id=letter_id, pdf=signed.pdf)
    return PreparedLetter(letter_id, facts, signed)


def _store(
    session: Session,
    *,
    request: OpinionRequest,
    decision: Decision,
    prepared: PreparedLetter,
    issued_by: Account,
    reference_version: str,
) -> Letter:
    facts, signed = prepared.facts, prepared.signed
    letter = Letter(
        id=prepared.letter_id,
        request_id=request.id,
        decision_id=decision.id,
        verification_code=facts.verification_code,
        status="valid",
        language=facts.language,
        facts=facts_dict(facts),
        pdf_sha256=pdf_sha256(signed.pdf),
        signature_scheme=signed.scheme,
        key_id=signed.key_id,
        certificate_fingerprint=signed.certificate_fingerprint,
        issued_by_id=issued_by.id,
        issued_at=utcnow(),
        reference_version=reference_version,
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


def preview_letter(
    request: OpinionRequest,
    decision: Decision,
    content: RequestContent,
    *,
    reference: ReferenceData,
) -> bytes:
    """The letter a decision would issue on the revision `content`, rendered but neither signed
    nor stored; its code (`PREVIEW`) verifies as unknown."""
    facts = _facts(
        request,
        decision,
        content=content,
        code=PREVIEW_CODE,
        issued_on=utcnow().date(),
        supersedes=None,
        reference=reference,
    )
    return render_letter(facts)


def issue_letter(
    session: Session,
    *,
    request: OpinionRequest,
    decision: Decision,
    prepared: PreparedLetter,
    reference_version: str,
    issued_by: Account,
) -> Letter:
    """Store the letter of a decision, prepared beforehand by `prepare_letter`."""
    letter = _store(
        session,
        request=request,
        decision=decision,
        prepared=prepared,
        issued_by=issued_by,
        reference_version=reference_version,
    )
    emit(session, "letter.issued", request=request, subject=letter)
    return letter


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
    emit(session, "letter.revoked", request=letter.request_id, subject=letter)
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
    if letter.status != "valid":  # fail fast; the conditional UPDATE below settles races
        raise LetterRevoked("Only a valid letter can be corrected")
    # The corrected letter says what the first said of the code (title, fees): the reference
    # data version it was written with, not whatever is active now.
    reference = (
        reference_of(session, letter.reference_version)
        if letter.reference_version
        else active_reference(session, exact=True)
    )
    if decision.exemption_code not in reference.codes:
        raise NotFound("The letter's exemption code is not in its reference data")
    if conditions is not None:
        decision.conditions = conditions
    if language is not None:
        decision.letter_language = language
    revision = revision_of_decision(session, request_id=request.id, number=decision.revision)
    prepared = prepare_letter(
        session,
        request,
        decision,
        content=RequestContent.model_validate(revision.content),
        reference=reference,
        supersedes=letter.verification_code,
    )
    changed = session.execute(
        update(Letter)
        .where(Letter.id == letter.id, Letter.status == "valid")
        .values(status="superseded")
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise LetterRevoked("Only a valid letter can be corrected")
    new = _store(
        session,
        request=request,
        decision=decision,
        prepared=prepared,
        issued_by=supervisor,
        reference_version=reference.version,
    )
    session.execute(
        update(Letter)
        .where(Letter.id == letter.id)
        .values(superseded_by_id=new.id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(letter)
    emit(session, "letter.reissued", request=request, subject=new, supersedes=letter.id)
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
