"""IMWU triage rules: what sends a request that passed the prerequisites to a reviewer.

Small named functions in one ordered tuple, `TRIAGE_RULES`; each rule's id is its function name.
Sources: `poe_eligibility.md` §4 (medical exams) and §6 (what a reviewer decides),
`rules_notes.md` §1 (NOC) and §8 (C20, February 2026 revision), `imm5686_fields.md` (the fields
the form adds for triage). Every rule is pure: it reads a `TriageContext` and yields `Finding`s
whose `fields` are JSON pointers; messages are generic and never repeat a submitted value.

The prerequisite findings (app.eligibility.rules) come first in every triage run, so rules that
issue 4 lists and the prerequisites already cover are not repeated here: criminal history,
document-conditional nationality, US permanent residence, superseded codes, and a code whose POE
use is discouraged (`poe_advance_application_encouraged`, warn).
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

from app.common.findings import Finding, Message, Outcome
from app.common.form import RequestContent
from app.eligibility.reference import ExemptionCodeRecord, ReferenceData

__all__ = [
    "MEDICAL_EXAM_NOC_CODES",
    "MEDICAL_EXAM_NOC_PREFIXES",
    "PROVINCE_NAMES",
    "TRIAGE_RULES",
    "TRIAGE_RULE_IDS",
    "TriageContext",
    "TriageRule",
    "evaluate_triage",
    "mentions_phrase",
    "mentions_province",
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
_OFFER: Final = (f"/documents/{JOB_OFFER_KIND}",)
_CITY: Final = "/work/location/city"
_PROVINCE: Final = "/work/location/province"

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

# Job settings where an immigration medical exam is needed whatever the length of stay
# (poe_eligibility.md §4; IRCC "Who must submit an immigration medical examination", page modified
# 2024-07-26), as NOC 2021 unit groups (Statistics Canada, NOC 2021 Version 1.0).
MEDICAL_EXAM_NOC_PREFIXES: Final[tuple[str, ...]] = (
    "3",  # Broad category 3, health: health care settings, clinical laboratories, patient
    # attendants in nursing and geriatric homes (33102), physicians and nurses.
)
MEDICAL_EXAM_NOC_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "40021": "School principals and administrators of elementary and secondary education",
        "41220": "Secondary school teachers",
        "41221": "Elementary school and kindergarten teachers",
        "43100": "Elementary and secondary school teacher assistants",
        "42202": "Early childhood educators and assistants (day care)",
        "44100": "Home child care providers",
        "44101": "Home support workers, caregivers and related occupations (domestic work)",
        "82030": "Agricultural service contractors and farm supervisors",
        "84120": "Specialized livestock workers and farm machinery operators",
        "85100": "Livestock labourers",
        "85101": "Harvesting labourers",
        "85103": "Nursery and greenhouse labourers",
    }
)
# Left out on purpose: 43109 (other instructors: driving schools, hobby courses), food and fish
# processing labourers (9510x, factories rather than farms) and 85102 (aquaculture labourers).
# Agricultural workers need an exam only if they come from designated countries, and a stay over
# six months only with a history in such a country: neither is known here, so a reviewer decides.

_DUAL_NATIONALITY = Message(
    "The worker has more than one citizenship or will travel on another country's passport; a "
    "reviewer will confirm which passport the worker will use at the port of entry.",
    "Le travailleur a plus d'une citoyenneté ou voyagera avec le passeport d'un autre pays; un "
    "agent confirmera le passeport que le travailleur utilisera au point d'entrée.",
)
_C20_OFFER_UNREADABLE = Message(
    "The text of the job offer could not be read, so the job location could not be checked "
    "against it, as code C20 requires; a reviewer will check the offer.",
    "Le texte de l'offre d'emploi n'a pas pu être lu; le lieu de travail n'a donc pas pu être "
    "comparé à l'offre, comme l'exige le code C20. Un agent vérifiera l'offre.",
)
_C20_CITY = Message(
    "The job offer does not mention the city given on the form; for code C20 the job location "
    "must match the offer.",
    "L'offre d'emploi ne mentionne pas la ville indiquée dans le formulaire; pour le code C20, le "
    "lieu de travail doit correspondre à l'offre.",
)
_C20_PROVINCE = Message(
    "The job offer does not mention the province or territory given on the form; for code C20 "
    "the job location must match the offer.",
    "L'offre d'emploi ne mentionne pas la province ou le territoire indiqué dans le formulaire; "
    "pour le code C20, le lieu de travail doit correspondre à l'offre.",
)
_C20_CITY_AND_PROVINCE = Message(
    "The job offer mentions neither the city nor the province or territory given on the form; "
    "for code C20 the job location must match the offer.",
    "L'offre d'emploi ne mentionne ni la ville ni la province ou le territoire indiqués dans le "
    "formulaire; pour le code C20, le lieu de travail doit correspondre à l'offre.",
)
_OFFER_UNREADABLE = Message(
    "The text of the job offer could not be read, so it could not be compared with the form; a "
    "reviewer will check the offer.",
    "Le texte de l'offre d'emploi n'a pas pu être lu; il n'a donc pas pu être comparé au "
    "formulaire. Un agent vérifiera l'offre.",
)
_NOC_NOT_IN_OFFER = Message(
    "The job offer does not state the NOC code given on the form; a reviewer will check that the "
    "offer and the duties match the occupation.",
    "L'offre d'emploi n'indique pas le code de la CNP inscrit dans le formulaire; un agent "
    "vérifiera que l'offre et les fonctions correspondent à la profession.",
)
_MEDICAL_EXAM = Message(
    "The occupation is in a setting where an immigration medical exam is usually needed before "
    "applying at a port of entry (health care, schools, child care, care in the home, "
    "agriculture); a reviewer will check whether the worker has the exam results.",
    "La profession s'exerce dans un milieu où un examen médical aux fins de l'immigration est "
    "habituellement exigé avant de présenter une demande au point d'entrée (soins de santé, "
    "écoles, garde d'enfants, soins à domicile, agriculture); un agent vérifiera si le "
    "travailleur a les résultats de l'examen.",
)
_WAGE_MISSING = Message(
    "The wage offered is missing; a reviewer will ask for it.",
    "Le salaire offert n'est pas indiqué; un agent le demandera.",
)
_WAGE_NEGATIVE = Message(
    "The wage offered cannot be below zero; a reviewer will ask for the correct amount.",
    "Le salaire offert ne peut pas être inférieur à zéro; un agent demandera le montant exact.",
)
_START_IN_PAST = Message(
    "The start date of the job is in the past; a reviewer will confirm the dates of employment.",
    "La date de début de l'emploi est passée; un agent confirmera les dates d'emploi.",
)


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


def _offer_text(ctx: TriageContext) -> str | None:
    """The job offer text, or None when it is missing or holds no words (a scanned image)."""
    text = ctx.job_offer_text
    return text if text is not None and re.search(r"[^\W_]", text) else None


def _code_record(ctx: TriageContext) -> ExemptionCodeRecord | None:
    code = ctx.content.exemption.code
    return ctx.reference.codes.get(code.upper()) if code else None


def _is_c20(ctx: TriageContext) -> bool:
    code = ctx.content.exemption.code
    return code is not None and code.upper() == "C20"


def dual_nationality(ctx: TriageContext) -> Iterator[Finding]:
    """poe_eligibility.md §6 (a reviewer decides which passport a dual national uses);
    IMM 5686 inferred fields "Other citizenships / passport to be used for travel"."""
    worker, fields = ctx.content.worker, list[str]()
    if any(country != worker.citizenship for country in worker.other_citizenships):
        fields.append("/worker/other_citizenships")
    travel = worker.travel_passport_country
    if travel is not None and worker.citizenship is not None and travel != worker.citizenship:
        fields.append("/worker/travel_passport_country")
    if fields:
        yield Finding("dual_nationality", Outcome.REVIEW, _DUAL_NATIONALITY, tuple(fields))


def c20_location_check(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §8 (C20 guidelines, 2026-02-20 revision): the destination city and province
    must match the job address in the offer. A form without city or province is left to the
    prerequisite `required_field_missing`."""
    if not _is_c20(ctx):
        return
    text = _offer_text(ctx)
    if text is None:
        yield Finding("c20_location_check", Outcome.REVIEW, _C20_OFFER_UNREADABLE, _OFFER)
        return
    location = ctx.content.work.location
    city_missing = location.city is not None and not mentions_phrase(text, location.city)
    province_missing = location.province is not None and not mentions_province(
        text, location.province
    )
    fields: tuple[str, ...]
    if city_missing and province_missing:
        fields, message = (_CITY, _PROVINCE), _C20_CITY_AND_PROVINCE
    elif city_missing:
        fields, message = (_CITY,), _C20_CITY
    elif province_missing:
        fields, message = (_PROVINCE,), _C20_PROVINCE
    else:
        return
    yield Finding("c20_location_check", Outcome.REVIEW, message, (*fields, *_OFFER))


def noc_not_in_offer(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §1 (officers match the offer to the NOC unit group) and §8 (a C20 offer
    must state the NOC code). An unreadable offer is reported here for codes other than C20
    (`c20_location_check` reports it for C20); with no job offer uploaded the prerequisite
    `document_missing` speaks instead."""
    noc = ctx.content.work.noc_code
    if noc is None:
        return
    text = _offer_text(ctx)
    if text is None:
        if JOB_OFFER_KIND in ctx.present_kinds and not _is_c20(ctx):
            yield Finding("noc_not_in_offer", Outcome.REVIEW, _OFFER_UNREADABLE, _OFFER)
        return
    if not re.search(rf"(?<![0-9]){noc}(?![0-9])", text):
        fields = ("/work/noc_code", *_OFFER)
        yield Finding("noc_not_in_offer", Outcome.REVIEW, _NOC_NOT_IN_OFFER, fields)


def medical_exam_likely(ctx: TriageContext) -> Iterator[Finding]:
    """poe_eligibility.md §4 and rule R12 (IRPR R198(2)(b), R30): jobs in the settings of
    `MEDICAL_EXAM_NOC_PREFIXES` and `MEDICAL_EXAM_NOC_CODES`. A stay over six months alone is
    not flagged: it needs the worker's country history, which the form does not give."""
    noc = ctx.content.work.noc_code
    if noc is None or len(noc) != 5:
        return
    if noc in MEDICAL_EXAM_NOC_CODES or noc.startswith(MEDICAL_EXAM_NOC_PREFIXES):
        yield Finding("medical_exam_likely", Outcome.REVIEW, _MEDICAL_EXAM, ("/work/noc_code",))


def wage_missing_or_negative(ctx: TriageContext) -> Iterator[Finding]:
    """imm5686_fields.md (wage: not on the form, taken from the offer; GCMS offer fields include
    the wage): a missing or negative amount goes to a reviewer."""
    amount = ctx.content.work.wage.amount
    fields = ("/work/wage/amount",)
    if amount is None:
        yield Finding("wage_missing_or_negative", Outcome.REVIEW, _WAGE_MISSING, fields)
    elif amount < 0:
        yield Finding("wage_missing_or_negative", Outcome.REVIEW, _WAGE_NEGATIVE, fields)


def start_date_in_past(ctx: TriageContext) -> Iterator[Finding]:
    """IMM 5686 "Duration of expected employment: From": an opinion is for work yet to start."""
    start = ctx.content.work.start_date
    if start is not None and start < ctx.today:
        yield Finding("start_date_in_past", Outcome.REVIEW, _START_IN_PAST, ("/work/start_date",))


TRIAGE_RULES: Final[tuple[TriageRule, ...]] = (
    dual_nationality,
    c20_location_check,
    noc_not_in_offer,
    medical_exam_likely,
    wage_missing_or_negative,
    start_date_in_past,
)
TRIAGE_RULE_IDS: Final[tuple[str, ...]] = tuple(rule.__name__ for rule in TRIAGE_RULES)


def evaluate_triage(ctx: TriageContext) -> list[Finding]:
    """Run every rule of `TRIAGE_RULES` in order; the same context always gives the same list."""
    return [finding for rule in TRIAGE_RULES for finding in rule(ctx)]
