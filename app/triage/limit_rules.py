"""Triage rules about what a code allows: the occupation (TEER category, NOC unit group) and the
length of the stay.

Sources: `rules_notes.md` §1 (TEER-dependent rules), §9 (permit lengths under the trade
agreements) and §10 (short-term exemption), and the records' titles, evidence and notes in
`exemption_codes.json`. Every finding is `review`: §3 has no REJECT rule for any of these, and
the facts may fit another code (`poe_eligibility.md` §6).
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from app.common.findings import Finding, Message, Outcome
from app.eligibility.agreements import matches_profession
from app.eligibility.medical import add_months
from app.eligibility.reference import ExemptionCodeRecord
from app.triage.context import TriageContext, TriageRule, code_record

__all__ = [
    "NOC_LIMITS",
    "PERMIT_LENGTH_LIMITS",
    "RULES",
    "SHORT_TERM_DAYS",
    "TEER_LIMITS",
    "LengthLimit",
]

_CODE: Final = ("/exemption/code",)


def _confirmed(ctx: TriageContext) -> ExemptionCodeRecord | None:
    record = code_record(ctx)
    return record if record is not None and record.confirmed else None


# Codes whose occupation must be in some TEER categories (rules_notes.md §1 and §10; the
# records' titles, notes and evidence): code -> (allowed TEER digits, when, in both languages).
TEER_LIMITS: Final[Mapping[str, tuple[str, Message]]] = MappingProxyType(
    {
        "GSS-15/30": ("01", Message("TEER 0 or 1", "FEER 0 ou 1")),
        "C88": ("0123", Message("TEER 0 to 3", "FEER 0 à 3")),
        "T13": (
            "0123",
            Message(
                "TEER 0 to 3 for significant investment projects",
                "FEER 0 à 3 pour les grands projets d'investissement",
            ),
        ),
    }
)


def noc_teer_not_allowed(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §1 (TEER-dependent rules: the short-term exemption needs TEER 0 or 1; T13
    significant investment projects and C88 need TEER 0-3) and §10 (short-term exemption). The
    TEER is the NOC 2021 code's second digit. Review, not refusal: §3 has no such rule, and T13
    has other sub-cases without a TEER limit."""
    record, noc = _confirmed(ctx), ctx.content.work.noc_code
    limit = TEER_LIMITS.get(record.key) if record is not None else None
    if record is None or limit is None or noc is None or len(noc) != 5:
        return
    allowed, described = limit
    if noc[1] not in allowed:
        message = Message(
            f"Code {record.code} needs an occupation of {described.en}, and the NOC code given "
            f"is TEER {noc[1]}. A reviewer will check the occupation.",
            f"Le code {record.code} exige une profession de {described.fr}, et le code de la "
            f"CNP indiqué est de FEER {noc[1]}. Un agent vérifiera la profession.",
        )
        yield Finding("noc_teer_not_allowed", Outcome.REVIEW, message, ("/work/noc_code", *_CODE))


# Codes whose occupation is one NOC 2021 unit group or a few (the records' evidence and notes):
# code -> (the unit groups, what they are in both languages).
NOC_LIMITS: Final[Mapping[str, tuple[frozenset[str], Message]]] = MappingProxyType(
    {
        "C24": (
            frozenset({"54100"}),
            Message(
                "residential camp counsellor work (NOC 54100)",
                "un travail de moniteur de camp résidentiel (CNP 54100)",
            ),
        ),
        "C90": (
            frozenset({"44100", "44101"}),
            Message(
                "home child care providers or home support workers (NOC 44100 or 44101)",
                "les gardiens d'enfants en milieu familial ou les aides de maintien à domicile "
                "(CNP 44100 ou 44101)",
            ),
        ),
    }
)


def noc_not_allowed_for_code(ctx: TriageContext) -> Iterator[Finding]:
    """The C24 record's evidence (an offer whose main duties are residential camp counsellor work,
    NOC 54100; C24 took camp counsellors over from C20 on 2022-12-15) and the C90 record's notes
    ("Restricted to NOC 44100 or 44101"): another NOC 2021 code goes to a reviewer, who checks
    whether the duties or another code fit (§3 has no REJECT rule for it)."""
    record, noc = _confirmed(ctx), ctx.content.work.noc_code
    limit = NOC_LIMITS.get(record.key) if record is not None else None
    if record is None or limit is None or noc is None or len(noc) != 5:
        return
    allowed, described = limit
    if noc not in allowed:
        message = Message(
            f"Code {record.code} is for {described.en}, and the NOC code given is another. A "
            "reviewer will check the occupation and the duties.",
            f"Le code {record.code} vise {described.fr}, et le code de la CNP indiqué est "
            "différent. Un agent vérifiera la profession et les fonctions.",
        )
        yield Finding(
            "noc_not_allowed_for_code", Outcome.REVIEW, message, ("/work/noc_code", *_CODE)
        )


# The longest stay each short-term code allows, in days, by record key (the code in capitals):
# rules_notes.md §10; the R186(j) title ("for events under 5 days").
SHORT_TERM_DAYS: Final[Mapping[str, int]] = MappingProxyType(
    {"GSS-15/30": 30, "GSS-120R": 120, "R186(J)": 4}
)


def short_term_duration(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §10 (Global Skills Strategy short-term exemption): up to 15 consecutive
    days once per 6 months or 30 days once per 12 months; researchers up to 120 days once per
    12 months; public speakers (R186(j), its record's title) for events under 5 days. Longer
    dates go to a reviewer (a work permit may be needed instead)."""
    record, work = _confirmed(ctx), ctx.content.work
    days = SHORT_TERM_DAYS.get(record.key) if record is not None else None
    if record is None or days is None or work.start_date is None or work.end_date is None:
        return
    if (work.end_date - work.start_date).days + 1 > days:
        message = Message(
            f"Code {record.code} covers at most {days} days of work, and the dates given span "
            "more. A reviewer will check whether a work permit is needed.",
            f"Le code {record.code} vise au plus {days} jours de travail, et les dates indiquées "
            "couvrent une période plus longue. Un agent vérifiera si un permis de travail est "
            "nécessaire.",
        )
        yield Finding("short_term_duration", Outcome.REVIEW, message, ("/work/end_date",))


@dataclass(frozen=True)
class LengthLimit:
    """The longest employment a code allows, in calendar months, stated as a sentence in both
    languages; `titles` narrows it to the sub-case whose job title names one of them
    (`matches_profession`: accents and case ignored)."""

    months: int
    stated: Message
    titles: Mapping[str, re.Pattern[str]] | None = None


def _ceta_stay(code: str) -> LengthLimit:
    return LengthLimit(
        12,
        Message(
            f"Under CETA, code {code} limits the stay to 12 months within any 24-month period",
            f"Sous le régime de l'AECG, le code {code} limite le séjour à 12 mois sur toute "
            "période de 24 mois",
        ),
    )


# Maximum lengths the reference states (rules_notes.md §9; the records' notes): CUSMA
# professionals, CETA independent professionals, contractual service suppliers and technologists,
# C22 visiting professors. Extensions (T44's 18 months, T42's none) are not IMWU requests, and A73
# is never at a port of entry (R8), so they are not here.
PERMIT_LENGTH_LIMITS: Final[Mapping[str, LengthLimit]] = MappingProxyType(
    {
        "T36": LengthLimit(
            36,
            Message(
                "CUSMA professionals (code T36) get an initial work permit of up to 3 years",
                "Les professionnels visés par l'ACEUM (code T36) obtiennent un permis de travail "
                "initial d'au plus 3 ans",
            ),
        ),
        "T43": _ceta_stay("T43"),
        "T47": _ceta_stay("T47"),
        "T48": _ceta_stay("T48"),
        "C22": LengthLimit(
            24,
            Message(
                "Visiting professors (code C22) stay at most 2 academic years",
                "Les professeurs invités (code C22) séjournent au plus 2 années universitaires",
            ),
            titles={"visiting professor": re.compile(r"\bprofess", re.IGNORECASE)},
        ),
    }
)


def permit_length_exceeded(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §9 and the records' notes: CUSMA professionals (T36) get an initial permit
    of up to 3 years; CETA T43, T47 and T48 stays are limited to 12 months within any 24 months;
    C22 visiting professors (a job title naming a professor) up to 2 academic years. Dates that
    run past that many calendar months after the start (the count `medical_exam_residence` uses
    for six months) go to a reviewer: the sources state the limit, not a refusal (§3)."""
    record, work = _confirmed(ctx), ctx.content.work
    limit = PERMIT_LENGTH_LIMITS.get(record.key) if record is not None else None
    if record is None or limit is None or work.start_date is None or work.end_date is None:
        return
    if limit.titles is not None and not matches_profession(work.job_title or "", limit.titles):
        return
    if work.end_date > add_months(work.start_date, limit.months):
        message = Message(
            f"{limit.stated.en}, and the dates of employment given span more. A reviewer will "
            "check the dates.",
            f"{limit.stated.fr}, et les dates d'emploi indiquées couvrent une période plus "
            "longue. Un agent vérifiera les dates.",
        )
        fields = ("/work/start_date", "/work/end_date", *_CODE)
        yield Finding("permit_length_exceeded", Outcome.REVIEW, message, fields)


RULES: Final[tuple[TriageRule, ...]] = (
    noc_teer_not_allowed,
    noc_not_allowed_for_code,
    short_term_duration,
    permit_length_exceeded,
)
