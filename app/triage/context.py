"""What every triage rule reads, and the text helpers the rules share.

`TriageContext` carries the request, the reference set, the uploaded document kinds, the job
offer's text and the date; the helpers compare form values with the offer's text the way an
officer would (whole words, accents and case ignored).
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

from app.common.findings import Finding
from app.common.form import RequestContent
from app.eligibility.reference import ExemptionCodeRecord, ReferenceData

__all__ = [
    "JOB_OFFER_KIND",
    "OFFER",
    "PROVINCE_NAMES",
    "TriageContext",
    "TriageRule",
    "code_record",
    "is_code",
    "mentions_phrase",
    "mentions_province",
    "offer_text",
]


@dataclass(frozen=True)
class TriageContext:
    """Everything a triage rule may read.

    `job_offer_text` is the extracted text of the job offer documents joined, or None when there
    is no job offer or none could be read; `present_kinds` tells those two cases apart.
    """

    content: RequestContent
    reference: ReferenceData
    present_kinds: frozenset[str]
    job_offer_text: str | None
    today: date


TriageRule = Callable[[TriageContext], Iterable[Finding]]

JOB_OFFER_KIND: Final = "job_offer"
OFFER: Final = (f"/documents/{JOB_OFFER_KIND}",)

# English and French names of each province and territory (Canada Post abbreviations as keys).
PROVINCE_NAMES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "AB": ("Alberta",),
        "BC": ("British Columbia", "Colombie-Britannique"),
        "MB": ("Manitoba",),
        "NB": ("New Brunswick", "Nouveau-Brunswick"),
        "NL": ("Newfoundland and Labrador", "Terre-Neuve-et-Labrador"),
        "NS": ("Nova Scotia", "Nouvelle-Écosse"),
        "NT": ("Northwest Territories", "Territoires du Nord-Ouest"),
        "NU": ("Nunavut",),
        "ON": ("Ontario",),
        "PE": ("Prince Edward Island", "Île-du-Prince-Édouard"),
        "QC": ("Quebec", "Québec"),
        "SK": ("Saskatchewan",),
        "YT": ("Yukon",),
    }
)
# Codes that are also everyday words in lower case ("on", "nu"): only matched in capitals.
_CAPITALS_ONLY_CODES: Final = frozenset({"ON", "NU"})


def _fold(text: str) -> str:
    """Accents removed (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words(text: str) -> str:
    """Accent- and case-folded words, separated and surrounded by single spaces."""
    return " " + " ".join(re.findall(r"[^\W_]+", _fold(text).casefold())) + " "


def mentions_phrase(text: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `text` as whole words, ignoring accents, case and punctuation
    ("Saint-Jérôme" matches "SAINT JEROME", not "Saint-Jérômeville")."""
    needle = _words(phrase)
    return needle.strip() != "" and needle in _words(text)


def mentions_province(text: str, province: str) -> bool:
    """Whether `text` names `province` by its 2-letter code or its English or French name.

    Names and codes compare accent- and case-insensitively, except the codes in
    `_CAPITALS_ONLY_CODES`, which are ordinary words in lower case.
    """
    code = province.upper()
    flags = 0 if code in _CAPITALS_ONLY_CODES else re.IGNORECASE
    if re.search(rf"(?<![^\W_]){code}(?![^\W_])", _fold(text), flags):
        return True
    return any(mentions_phrase(text, name) for name in PROVINCE_NAMES.get(code, ()))


def offer_text(ctx: TriageContext) -> str | None:
    """The job offer text, or None when it is missing or holds no words (a scanned image)."""
    text = ctx.job_offer_text
    return text if text is not None and re.search(r"[^\W_]", text) else None


def code_record(ctx: TriageContext) -> ExemptionCodeRecord | None:
    code = ctx.content.exemption.code
    return ctx.reference.codes.get(code.upper()) if code else None


def is_code(ctx: TriageContext, code: str) -> bool:
    """Whether the request names exactly `code`."""
    named = ctx.content.exemption.code
    return named is not None and named.strip().upper() == code
