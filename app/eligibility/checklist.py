"""What a request must contain: the fields submit needs and the documents to upload.

Fields: IMM 5686 page 1 (`imm5686_fields.md`). Documents: the IMWU page's list of what accompanies
an IMM 5686 (`rules_notes.md` §5; `exemption_codes.json` `generic_imwu_package`), the IMM 5686
page 2 checklist (`imm5686_fields.md`), and each code's `evidence` phrases in
`exemption_codes.json`, mapped to a document kind by keyword. Evidence of a record whose
`unconfirmed_fields` name "evidence" is listed with `confirmed=False` and is never required:
unconfirmed facts lead to review, never refusal.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from app.common.findings import Finding, Message, Outcome
from app.common.form import RequestContent
from app.eligibility.medical import IME_KIND, medical_exam_triggered
from app.eligibility.reference import DocumentRequirement, ExemptionCodeRecord, ReferenceData

# What submit needs (IMM 5686 page 1; passport data and current location: inferred fields that
# the eligibility rules need), as JSON pointers into the request body.
SUBMIT_REQUIRED_FIELDS: Final[tuple[str, ...]] = (
    "/exemption/type",
    "/exemption/code",
    "/employer/name",
    "/employer/address",
    "/employer/phone",
    "/employer/contact_name",
    "/employer/email",
    "/employer/principal_activity",
    "/employer/size_in_canada",
    "/worker/family_name",
    "/worker/given_names",
    "/worker/date_of_birth",
    "/worker/citizenship",
    "/worker/country_of_birth",
    "/worker/country_of_residence",
    "/worker/currently_in_canada",
    "/worker/holds_or_applied_for_work_permit",
    "/worker/charged_or_convicted",
    "/worker/current_location_country",
    "/worker/passport/number",
    "/worker/passport/issuing_country",
    "/worker/passport/expiry_date",
    "/work/job_title",
    "/work/noc_code",
    "/work/location/address",
    "/work/location/city",
    "/work/location/province",
    "/work/start_date",
    "/work/end_date",
    "/work/duties",
)

DocumentKind = Literal[
    "passport_bio_page",
    "cv",
    "job_offer",
    "employer_letter",
    "diploma",
    "certification",
    "pay_stub",
    "business_licence",
    "imm5686_form",
    "language_test",
    "medical_exam_results",
    "other_evidence",
]
DOCUMENT_KINDS: Final[tuple[DocumentKind, ...]] = (
    "passport_bio_page",
    "cv",
    "job_offer",
    "employer_letter",
    "diploma",
    "certification",
    "pay_stub",
    "business_licence",
    "imm5686_form",
    "language_test",
    "medical_exam_results",
    "other_evidence",
)

KIND_LABELS: Final[Mapping[str, Message]] = MappingProxyType(
    {
        "passport_bio_page": Message("Passport biographic page", "Page biographique du passeport"),
        "cv": Message("CV or résumé", "Curriculum vitæ"),
        "job_offer": Message(
            "Job offer or employment contract", "Offre d'emploi ou contrat de travail"
        ),
        "employer_letter": Message("Letter from the employer", "Lettre de l'employeur"),
        "diploma": Message("Diploma or degree", "Diplôme ou grade"),
        "certification": Message(
            "Licence, certification or registration",
            "Permis, certificat ou inscription professionnelle",
        ),
        "pay_stub": Message("Recent pay stubs", "Talons de paie récents"),
        "business_licence": Message("Business licence", "Permis d'exploitation de l'entreprise"),
        "imm5686_form": Message("Completed IMM 5686 form", "Formulaire IMM 5686 rempli"),
        "language_test": Message(
            "Language test results or proof of education in the language",
            "Résultats d'un test linguistique ou preuve d'études dans la langue",
        ),
        "medical_exam_results": Message(
            "Immigration medical exam (IME) results",
            "Résultats de l'examen médical aux fins de l'immigration (EMI)",
        ),
        "other_evidence": Message(
            "Other supporting documents for the exemption code",
            "Autres pièces justificatives propres au code de dispense",
        ),
    }
)

GENERIC_SOURCE = "exemption_codes.json generic_imwu_package (IMWU page)"
# (kind, phrase of `generic_imwu_package`, required): the four documents every request needs.
# The diploma is listed "if applicable", so it is shown but never required.
GENERIC_ITEMS: Final[tuple[tuple[DocumentKind, str, bool], ...]] = (
    ("passport_bio_page", "passport biographic page", True),
    ("employer_letter", "letter explaining the Canadian company and its staffing needs", True),
    ("job_offer", "job offer or employment contract", True),
    ("cv", "CV", True),
    ("diploma", "diploma (if applicable)", False),
)

# Evidence phrases that only apply in some cases ("diploma (if applicable)").
_CONDITIONAL = re.compile(
    r"if applicable|where applicable|if required|not mandatory|optional|on request"
    r"|\bif\b[^,;]*\bregulated\b|if registered|if any\b",
    re.IGNORECASE,
)
# The offer of employment number is the `employer.offer_number` field, not a document.
_NOT_A_DOCUMENT = re.compile(r"offer of employment number|\ba \+ 7 digits\b", re.IGNORECASE)
# First match wins; anything unmatched is `other_evidence`.
_KIND_KEYWORDS: Final[tuple[tuple[DocumentKind, str], ...]] = (
    ("imm5686_form", r"\bimm ?5686\b"),
    ("business_licence", r"business licen[cs]e"),
    ("pay_stub", r"pay ?(?:stub|slip)s?"),
    ("passport_bio_page", r"passport"),
    ("cv", r"\bcv\b|r[ée]sum[ée]"),
    ("language_test", r"\bNCLC\b|\bCLB\b|\bTEF\b|\bTCF\b|language test"),
    (
        "employer_letter",
        r"\bemployer letter\b"
        r"|letter from the (?:\S+ ){0,2}(?:employer|organi[sz]ation|company|agency)\b",
    ),
    ("job_offer", r"job offer|employment contract|\bcontract\b|^offer\b"),
    ("diploma", r"degree|diploma|credential"),
    # Certificates and registrations that are not professional credentials.
    (
        "other_evidence",
        r"(?:marriage|incorporation|selection) certificate|registration (?:number|under|for)",
    ),
    ("certification", r"licen[cs]e|registration|certification|certificate"),
)
_KIND_PATTERNS = tuple((kind, re.compile(pattern, re.I)) for kind, pattern in _KIND_KEYWORDS)


@dataclass(frozen=True)
class EvidenceItem:
    """One phrase of the reference mapped to a document kind."""

    kind: DocumentKind
    phrase: str
    conditional: bool
    confirmed: bool
    source: str

    @property
    def required(self) -> bool:
        """Required only when the reference confirms it and the phrase sets no condition."""
        return self.confirmed and not self.conditional


def evidence_kind(phrase: str) -> DocumentKind | None:
    """The document kind an `evidence` phrase asks for; None when it is not a document."""
    if _NOT_A_DOCUMENT.search(phrase):
        return None
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(phrase):
            return kind
    return "other_evidence"


def is_conditional(phrase: str) -> bool:
    """Whether an `evidence` phrase is needed only in some cases ("if applicable", "optional")."""
    return _CONDITIONAL.search(phrase) is not None


def evidence_items(record: ExemptionCodeRecord) -> list[EvidenceItem]:
    """The code's `evidence` phrases as checklist items (`exemption_codes.json` `evidence`)."""
    confirmed = record.confirmed and not record.is_unconfirmed("evidence")
    items = []
    for phrase in record.evidence:
        kind = evidence_kind(phrase)
        if kind is None:
            continue
        source = f"exemption_codes.json {record.code} evidence"
        items.append(EvidenceItem(kind, phrase, is_conditional(phrase), confirmed, source))
    return items


def _generic_items() -> list[EvidenceItem]:
    return [
        EvidenceItem(kind, phrase, not required, True, GENERIC_SOURCE)
        for kind, phrase, required in GENERIC_ITEMS
    ]


def _merge(kind: str, items: list[EvidenceItem]) -> DocumentRequirement:
    """One entry per kind, labels kept in order. It is required if a confirmed item requires it;
    otherwise it is unconfirmed as soon as one of its items is (a reviewer then decides)."""
    required = any(item.required for item in items)
    return DocumentRequirement(
        kind=kind,
        label="; ".join(dict.fromkeys(item.phrase for item in items)),
        required=required,
        confirmed=required or all(item.confirmed for item in items),
        source_text="; ".join(dict.fromkeys(item.source for item in items)),
    )


def document_checklist(reference: ReferenceData, code: str | None) -> list[DocumentRequirement]:
    """The documents a request for `code` needs, one entry per kind in `DOCUMENT_KINDS` order.

    An unknown or missing code gives the generic IMWU package only.
    """
    record = reference.codes.get(code.strip().upper()) if code else None
    items = _generic_items() + (evidence_items(record) if record is not None else [])
    return [
        _merge(kind, matching)
        for kind in DOCUMENT_KINDS
        if (matching := [item for item in items if item.kind == kind])
    ]


@dataclass(frozen=True)
class ChecklistEntry:
    """One document kind the request needs or may add, and whether it has been uploaded."""

    kind: str
    required: bool
    present: bool


def _pointer_value(data: object, pointer: str) -> object:
    for part in pointer.strip("/").split("/"):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def missing_fields(content: RequestContent) -> list[str]:
    """The `SUBMIT_REQUIRED_FIELDS` that are still empty, in that order. A request that says the
    job needs an LMIA names no code (the rule `lmia_required_out_of_scope` answers it)."""
    data = content.model_dump()
    skip = {"/exemption/code"} if content.exemption.type == "lmia_required" else set()
    return [
        pointer
        for pointer in SUBMIT_REQUIRED_FIELDS
        if pointer not in skip and _pointer_value(data, pointer) is None
    ]


def checklist(
    content: RequestContent, reference: ReferenceData, present_kinds: Iterable[str]
) -> list[ChecklistEntry]:
    """The request's document checklist (`document_checklist`) with what has been uploaded."""
    present = frozenset(present_kinds)
    entries = [
        ChecklistEntry(item.kind, item.required, item.kind in present)
        for item in document_checklist(reference, content.exemption.code)
    ]
    if medical_exam_triggered(content):  # poe_eligibility.md §4, R12: asked, never required.
        entries.append(ChecklistEntry(IME_KIND, False, IME_KIND in present))
    return entries


_OFFER_NUMBER = Message(
    "This code needs an offer of employment number (A + 7 digits) from the Employer Portal.",
    "Ce code exige un numéro d'offre d'emploi (A suivi de 7 chiffres) du Portail des employeurs.",
)
_OFFER_NUMBER_UNCONFIRMED = Message(
    "This code may need an offer of employment number (A + 7 digits) from the Employer Portal "
    "(not confirmed); a reviewer will check.",
    "Ce code pourrait exiger un numéro d'offre d'emploi (A suivi de 7 chiffres) du Portail des "
    "employeurs (non confirmé); un agent vérifiera.",
)


def offer_number_findings(
    record: ExemptionCodeRecord | None, offer_number: str | None
) -> Iterator[Finding]:
    """`offer_number_missing` when the code's `employer_portal_offer` is "required" and the
    Employer Portal offer number (R209.11; rules_notes.md §2) is absent: block, or review when
    the reference marks `employer_portal_offer` as unconfirmed. The number replaces the
    "offer of employment number" phrases skipped from the document checklist."""
    if record is None or record.employer_portal_offer != "required" or offer_number is not None:
        return
    fields = ("/employer/offer_number",)
    if record.is_unconfirmed("employer_portal_offer"):
        yield Finding("offer_number_missing", Outcome.REVIEW, _OFFER_NUMBER_UNCONFIRMED, fields)
    else:
        yield Finding("offer_number_missing", Outcome.BLOCK, _OFFER_NUMBER, fields)


def document_findings(
    reference: ReferenceData, code: str | None, present_kinds: frozenset[str]
) -> Iterator[Finding]:
    """`document_missing` (block) for each missing required kind; `document_unconfirmed_missing`
    (review) for a missing kind that only unconfirmed evidence asks for."""
    for item in document_checklist(reference, code):
        if item.kind in present_kinds or (not item.required and item.confirmed):
            continue
        label, fields = KIND_LABELS[item.kind], (f"/documents/{item.kind}",)
        if item.required:
            message = Message(
                f"Required document missing: {label.en}.",
                f"Document requis manquant : {label.fr}.",
            )
            yield Finding("document_missing", Outcome.BLOCK, message, fields)
        else:
            message = Message(
                f"A document this code may need is missing: {label.en} (requirement not "
                "confirmed; a reviewer will decide).",
                f"Un document que ce code pourrait exiger est manquant : {label.fr} (exigence "
                "non confirmée; un agent décidera).",
            )
            yield Finding("document_unconfirmed_missing", Outcome.REVIEW, message, fields)
