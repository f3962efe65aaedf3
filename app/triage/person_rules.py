"""Triage rules about the worker's situation: where the worker is, age, history, family, medical
exams, agricultural work, and the passport number the job offer states.

`poe_eligibility.md` §4-§6 leave each of these to a human, so every finding is `review`; the form
fields they read are in `app.common.form.Worker` and `Work` (issue 11). Sources per rule.
"""

import re
from collections.abc import Iterator
from datetime import date
from typing import Final

from app.common.findings import Finding, Message, Outcome
from app.eligibility.medical import IME_KIND, stay_over_six_months
from app.triage.context import OFFER, TriageContext, TriageRule, offer_text

__all__ = ["AGRICULTURAL_NOC_CODES", "RULES", "stated_passport_numbers"]

_IME: Final = f"/documents/{IME_KIND}"

_FLAGPOLING = Message(
    "The worker lives in Canada but is now in the United States or Saint-Pierre-et-Miquelon: "
    "since 2024-12-23 most temporary residents of Canada can no longer get a permit by leaving "
    "briefly and coming back (flagpoling). A reviewer will check whether the worker may apply "
    "at a port of entry.",
    "Le travailleur réside au Canada, mais se trouve maintenant aux États-Unis ou à "
    "Saint-Pierre-et-Miquelon : depuis le 2024-12-23, la plupart des résidents temporaires du "
    "Canada ne peuvent plus obtenir de permis en sortant brièvement du pays pour y revenir "
    "(« flagpoling »). Un agent vérifiera si le travailleur peut présenter sa demande à un point "
    "d'entrée.",
)


def flagpoling_suspected(ctx: TriageContext) -> Iterator[Finding]:
    """poe_eligibility.md §5 (flagpoling restriction from 2024-12-23; "a worker currently in the
    US who holds Canadian temporary status is effectively a flagpoler -> REVIEW") and §6
    (whether the worker is really outside Canada). US citizens and permanent residents are
    exempt from the restriction; the other exceptions (FTA professionals, CBSA appointments,
    truck drivers) are for the reviewer."""
    worker = ctx.content.worker
    us_status = worker.us_permanent_resident is True or "US" in {
        worker.citizenship,
        *worker.other_citizenships,
    }
    if (
        worker.country_of_residence == "CA"
        and worker.current_location_country in {"US", "PM"}
        and not us_status
    ):
        fields = ("/worker/country_of_residence", "/worker/current_location_country")
        yield Finding("flagpoling_suspected", Outcome.REVIEW, _FLAGPOLING, fields)


_MINOR = Message(
    "The worker will be under 18 on the start date; a reviewer will look at the request.",
    "Le travailleur aura moins de 18 ans à la date de début; un agent examinera la demande.",
)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def worker_minor(ctx: TriageContext) -> Iterator[Finding]:
    """poe_eligibility.md §6 (minors are for a reviewer); IMM 5686 "Date of birth" and "Duration
    of expected employment: From". Age is taken on the start date (today when none is given)."""
    born, start = ctx.content.worker.date_of_birth, ctx.content.work.start_date
    if born is not None and _age_on(born, start or ctx.today) < 18:
        fields = ("/worker/date_of_birth", "/work/start_date")
        yield Finding("worker_minor", Outcome.REVIEW, _MINOR, fields)


_HISTORY = Message(
    "The worker declared earlier immigration history in Canada (a refusal, an overstay or an "
    "earlier permit); a reviewer will look at it.",
    "Le travailleur a déclaré des antécédents d'immigration au Canada (un refus, un séjour "
    "au-delà de la période autorisée ou un permis antérieur); un agent les examinera.",
)


def prior_immigration_history(ctx: TriageContext) -> Iterator[Finding]:
    """poe_eligibility.md §6 (prior immigration history in Canada: previous refusals, overstays,
    earlier permits). The IMM 5686 only asks for a UCI; the form's yes/no questions say which."""
    worker = ctx.content.worker
    answers = {
        "/worker/previously_refused": worker.previously_refused,
        "/worker/previously_overstayed": worker.previously_overstayed,
        "/worker/previous_canadian_permit": worker.previous_canadian_permit,
    }
    fields = tuple(pointer for pointer, answer in answers.items() if answer is True)
    if fields:
        yield Finding("prior_immigration_history", Outcome.REVIEW, _HISTORY, fields)


_FAMILY = Message(
    "Family members will come with the worker: each must meet the port-of-entry conditions on "
    "their own (IRPR R198(1)), and their permits are separate requests. A reviewer will look at "
    "the request.",
    "Des membres de la famille accompagneront le travailleur : chacun doit remplir lui-même les "
    "conditions pour présenter une demande au point d'entrée (RIPR, par. 198(1)), et leurs "
    "permis font l'objet de demandes distinctes. Un agent examinera la demande.",
)


def accompanying_family(ctx: TriageContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 notes ("family members at the POE: each must meet R198(1) on their
    own"; C41/C46 PDI) and §6 (accompanying family is for a reviewer)."""
    if ctx.content.worker.accompanying_family is True:
        fields = ("/worker/accompanying_family",)
        yield Finding("accompanying_family", Outcome.REVIEW, _FAMILY, fields)


_RESIDENCE_ASK = Message(
    "The stay is longer than six months: if the worker spent more than six consecutive months "
    "in the year before entry in a country or territory IRCC designates, an immigration medical "
    "exam is needed before applying at a port of entry. Give the countries the worker lived in "
    "during the last year, or upload the exam results; a reviewer will check.",
    "Le séjour dépasse six mois : si, dans l'année précédant l'entrée, le travailleur a passé "
    "plus de six mois consécutifs dans un pays ou un territoire désigné par IRCC, un examen "
    "médical aux fins de l'immigration est exigé avant de présenter une demande au point "
    "d'entrée. Indiquez les pays où le travailleur a vécu au cours de la dernière année, ou "
    "téléversez les résultats de l'examen; un agent vérifiera.",
)
_RESIDENCE_CHECK = Message(
    "The stay is longer than six months: a reviewer will check the countries the worker lived in "
    "during the last year against IRCC's list of designated countries and territories; if an "
    "immigration medical exam is needed, its results must exist before the worker applies at a "
    "port of entry.",
    "Le séjour dépasse six mois : un agent comparera les pays où le travailleur a vécu au cours "
    "de la dernière année à la liste des pays et territoires désignés par IRCC; si un examen "
    "médical aux fins de l'immigration est exigé, les résultats doivent exister avant que le "
    "travailleur présente sa demande au point d'entrée.",
)


def medical_exam_residence(ctx: TriageContext) -> Iterator[Finding]:
    """poe_eligibility.md §4 (second trigger: a stay over six months and more than six
    consecutive months, in the year before entry, in a designated country or territory) and
    R12. The designated list is not in the reference, so a reviewer judges the countries the
    form lists; uploaded IME results satisfy R12."""
    if not stay_over_six_months(ctx.content) or IME_KIND in ctx.present_kinds:
        return
    countries = ctx.content.worker.countries_lived_last_year
    message = _RESIDENCE_CHECK if countries else _RESIDENCE_ASK
    fields = ("/worker/countries_lived_last_year", "/work/end_date", _IME)
    yield Finding("medical_exam_residence", Outcome.REVIEW, message, fields)


# NOC 2021 unit groups of farm work (Statistics Canada): specialized livestock workers and farm
# machinery operators, livestock labourers, harvesting labourers, nursery and greenhouse
# labourers.
AGRICULTURAL_NOC_CODES: Final = frozenset({"84120", "85100", "85101", "85103"})
_AGRICULTURAL = Message(
    "The occupation is farm work, and seasonal agricultural work can never be applied for at a "
    "port of entry (IRPR R198(2)(a)). Say whether the job is seasonal; a reviewer will check.",
    "La profession relève du travail agricole, et le travail agricole saisonnier ne peut jamais "
    "faire l'objet d'une demande à un point d'entrée (RIPR, al. 198(2)a)). Indiquez si l'emploi "
    "est saisonnier; un agent vérifiera.",
)


def agricultural_work_check(ctx: TriageContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R10 (R198(2)(a); SAWP PDI): a farm-work NOC whose form does not say
    the job is not seasonal goes to a reviewer; the prerequisite `seasonal_agricultural_work`
    refuses only when the form says it is seasonal."""
    work = ctx.content.work
    if work.noc_code in AGRICULTURAL_NOC_CODES and work.seasonal_agricultural is None:
        fields = ("/work/noc_code", "/work/seasonal_agricultural")
        yield Finding("agricultural_work_check", Outcome.REVIEW, _AGRICULTURAL, fields)


# "Passport No.: X1234567", "passport number X1234567", "numéro de passeport : X1234567".
_STATED_PASSPORT = re.compile(
    r"(?:passport|passeport)(?:\s+(?:no\.?|nos?\b|number|num[ée]ro|n[°º]\.?|#))?\s*[:#]?\s*"
    r"(?P<number>[A-Za-z0-9][A-Za-z0-9-]{4,19})\b",
    re.IGNORECASE,
)
_PASSPORT_MISMATCH = Message(
    "The job offer states a passport number that is not exactly the one on the form; IRCC "
    "matches the offer to the application by the exact passport number (spaces, hyphens and "
    "case count). A reviewer will check.",
    "L'offre d'emploi indique un numéro de passeport qui n'est pas exactement celui du "
    "formulaire; IRCC associe l'offre à la demande par le numéro de passeport exact (les "
    "espaces, les traits d'union et la casse comptent). Un agent vérifiera.",
)


def stated_passport_numbers(text: str) -> set[str]:
    """The passport numbers a text states after the word passport/passeport (with a digit)."""
    return {
        match["number"]
        for match in _STATED_PASSPORT.finditer(text)
        if any(char.isdigit() for char in match["number"])
    }


def passport_number_mismatch(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §2 (GCMS matches the offer by offer number plus an exact match of passport
    number and citizenship): when the job offer states a passport number, it must be exactly the
    form's (review on mismatch, like `c20_location_check`). An offer that states none is left
    alone."""
    number, text = ctx.content.worker.passport.number, offer_text(ctx)
    if number is None or text is None:
        return
    stated = stated_passport_numbers(text)
    if stated and number not in stated:
        fields = ("/worker/passport/number", *OFFER)
        yield Finding("passport_number_mismatch", Outcome.REVIEW, _PASSPORT_MISMATCH, fields)


RULES: Final[tuple[TriageRule, ...]] = (
    flagpoling_suspected,
    worker_minor,
    prior_immigration_history,
    accompanying_family,
    medical_exam_residence,
    agricultural_work_check,
    passport_number_mismatch,
)
