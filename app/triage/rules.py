"""IMWU triage rules: what sends a request that passed the prerequisites to a reviewer.

Small named functions in one ordered tuple, `TRIAGE_RULES`; each rule's id is its function name.
Sources: `poe_eligibility.md` §4 (medical exams) and §6 (what a reviewer decides),
`rules_notes.md` §1 (NOC), §8 (C20, February 2026 revision) and §10 (job locations),
`imm5686_fields.md` (the fields the form adds for triage); the rules of issue 11 live in
`treaty_rules` (agreements, codes), `limit_rules` (the occupation and length a code allows) and
`person_rules` (the worker's situation) and join the same tuple. Every rule is pure: it reads a
`TriageContext` and yields `Finding`s whose `fields` are JSON pointers; messages never repeat a
submitted personal value.

The prerequisite findings (app.eligibility.rules) come first in every triage run, so rules that
issue 4 lists and the prerequisites already cover are not repeated here: criminal history,
document-conditional nationality, US permanent residence, superseded codes, and a code whose POE
use is discouraged (`poe_advance_application_encouraged`, warn).
"""

import re
from collections.abc import Iterator
from typing import Final

from app.common.findings import Finding, Message, Outcome
from app.eligibility.medical import (
    IME_KIND,
    MEDICAL_EXAM_NOC_CODES,
    MEDICAL_EXAM_NOC_PREFIXES,
    job_setting_needs_exam,
)
from app.triage import limit_rules, person_rules, treaty_rules
from app.triage.context import (
    JOB_OFFER_KIND,
    OFFER,
    PROVINCE_NAMES,
    TriageContext,
    TriageRule,
    is_code,
    mentions_phrase,
    mentions_province,
    offer_text,
)

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

_CITY: Final = "/work/location/city"
_PROVINCE: Final = "/work/location/province"
_IME: Final = f"/documents/{IME_KIND}"

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
_LOCATION_CITY = Message(
    "The job offer does not mention the city of the job location given on the form; a reviewer "
    "will check that the form and the offer give the same job location.",
    "L'offre d'emploi ne mentionne pas la ville du lieu de travail indiquée dans le formulaire; "
    "un agent vérifiera que le formulaire et l'offre indiquent le même lieu de travail.",
)
_LOCATION_PROVINCE = Message(
    "The job offer names another province or territory, but not the one given on the form; a "
    "reviewer will check that the form and the offer give the same job location.",
    "L'offre d'emploi nomme une autre province ou un autre territoire, mais pas la province ou "
    "le territoire indiqué dans le formulaire; un agent vérifiera que le formulaire et l'offre "
    "indiquent le même lieu de travail.",
)
_LOCATION_CITY_AND_PROVINCE = Message(
    "The job offer mentions neither the city nor the province or territory given on the form, "
    "and names another province or territory; a reviewer will check that the form and the offer "
    "give the same job location.",
    "L'offre d'emploi ne mentionne ni la ville ni la province ou le territoire indiqués dans le "
    "formulaire, et nomme une autre province ou un autre territoire; un agent vérifiera que le "
    "formulaire et l'offre indiquent le même lieu de travail.",
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
    "agriculture); upload the exam results, or a reviewer will ask for them.",
    "La profession s'exerce dans un milieu où un examen médical aux fins de l'immigration est "
    "habituellement exigé avant de présenter une demande au point d'entrée (soins de santé, "
    "écoles, garde d'enfants, soins à domicile, agriculture); téléversez les résultats de "
    "l'examen, sinon un agent les demandera.",
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
    if not is_code(ctx, "C20"):
        return
    text = offer_text(ctx)
    if text is None:
        yield Finding("c20_location_check", Outcome.REVIEW, _C20_OFFER_UNREADABLE, OFFER)
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
    yield Finding("c20_location_check", Outcome.REVIEW, message, (*fields, *OFFER))


def _names_another_province(text: str, province: str) -> bool:
    """Whether `text` names, in full, a province or territory other than `province`. Two-letter
    codes are not counted here: "AB", "PE" or "NS" also stand for other things in an offer."""
    return any(
        mentions_phrase(text, name)
        for code, names in PROVINCE_NAMES.items()
        if code != province
        for name in names
    )


def job_location_differs_from_offer(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §10 (multiple job locations: "if the IMM 5686 location differs from the
    contract -> REVIEW") and imm5686_fields.md (Employment Location: "must match the
    offer/contract"), for every code but C20, whose stricter check is `c20_location_check`.

    The form's city must appear in the offer (an offer listing several locations may name it
    among others). The province differs only when the offer does not name it and names another
    province or territory in full: an offer that gives no province is not a difference. An
    unreadable offer is reported by `noc_not_in_offer`, a missing one by `document_missing`."""
    text = offer_text(ctx)
    if text is None or is_code(ctx, "C20"):
        return
    location = ctx.content.work.location
    city_missing = location.city is not None and not mentions_phrase(text, location.city)
    province_other = (
        location.province is not None
        and not mentions_province(text, location.province)
        and _names_another_province(text, location.province)
    )
    fields: tuple[str, ...]
    if city_missing and province_other:
        fields, message = (_CITY, _PROVINCE), _LOCATION_CITY_AND_PROVINCE
    elif city_missing:
        fields, message = (_CITY,), _LOCATION_CITY
    elif province_other:
        fields, message = (_PROVINCE,), _LOCATION_PROVINCE
    else:
        return
    yield Finding("job_location_differs_from_offer", Outcome.REVIEW, message, (*fields, *OFFER))


def noc_not_in_offer(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §1 (officers match the offer to the NOC unit group) and §8 (a C20 offer
    must state the NOC code). An unreadable offer is reported here for codes other than C20
    (`c20_location_check` reports it for C20); with no job offer uploaded the prerequisite
    `document_missing` speaks instead."""
    noc = ctx.content.work.noc_code
    if noc is None:
        return
    text = offer_text(ctx)
    if text is None:
        if JOB_OFFER_KIND in ctx.present_kinds and not is_code(ctx, "C20"):
            yield Finding("noc_not_in_offer", Outcome.REVIEW, _OFFER_UNREADABLE, OFFER)
        return
    if not re.search(rf"(?<![0-9]){noc}(?![0-9])", text):
        fields = ("/work/noc_code", *OFFER)
        yield Finding("noc_not_in_offer", Outcome.REVIEW, _NOC_NOT_IN_OFFER, fields)


def medical_exam_likely(ctx: TriageContext) -> Iterator[Finding]:
    """poe_eligibility.md §4 and rule R12 (IRPR R198(2)(b), R30): jobs in the settings of
    `MEDICAL_EXAM_NOC_PREFIXES` and `MEDICAL_EXAM_NOC_CODES` (app.eligibility.medical), unless
    the IME results are uploaded. The residence trigger is `medical_exam_residence`."""
    if job_setting_needs_exam(ctx.content.work.noc_code) and IME_KIND not in ctx.present_kinds:
        fields = ("/work/noc_code", _IME)
        yield Finding("medical_exam_likely", Outcome.REVIEW, _MEDICAL_EXAM, fields)


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
    job_location_differs_from_offer,
    noc_not_in_offer,
    medical_exam_likely,
    wage_missing_or_negative,
    start_date_in_past,
    *treaty_rules.RULES,
    *limit_rules.RULES,
    *person_rules.RULES,
)
TRIAGE_RULE_IDS: Final[tuple[str, ...]] = tuple(rule.__name__ for rule in TRIAGE_RULES)


def evaluate_triage(ctx: TriageContext) -> list[Finding]:
    """Run every rule of `TRIAGE_RULES` in order; the same context always gives the same list."""
    return [finding for rule in TRIAGE_RULES for finding in rule(ctx)]
