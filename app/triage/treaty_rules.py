"""Triage rules about the code claimed: who an agreement covers, the professions a code admits,
where the job may be, and notes the reviewer needs (the occupations and lengths a code allows
are in `limit_rules`).

Every finding here is `review` (or a `warn` note): the sources either leave the point to a human
or it means the facts may fit a different code (`poe_eligibility.md` §6); none of these is a
§3 REJECT rule. Sources per rule in its docstring.
"""

from collections.abc import Iterator
from datetime import date
from types import MappingProxyType
from typing import Final

from app.common.findings import Finding, Message, Outcome
from app.eligibility.agreements import (
    AGREEMENTS,
    CUSMA_PROFESSIONS,
    GATS_PROFESSIONS,
    matches_profession,
)
from app.eligibility.reference import ExemptionCodeRecord
from app.triage.context import (
    OFFER,
    TriageContext,
    TriageRule,
    code_record,
    mentions_province,
    offer_text,
)

__all__ = ["NCLC_5_SINCE", "PROFESSION_LISTS", "RULES"]

_CODE: Final = ("/exemption/code",)
NCLC_5_SINCE: Final = date(2023, 6, 15)


def _confirmed(ctx: TriageContext) -> ExemptionCodeRecord | None:
    record = code_record(ctx)
    return record if record is not None and record.confirmed else None


def _citizenships(ctx: TriageContext) -> set[str]:
    worker = ctx.content.worker
    found = {*worker.other_citizenships}
    if worker.citizenship is not None:
        found.add(worker.citizenship)
    return found


def _residences(ctx: TriageContext) -> set[str]:
    worker = ctx.content.worker
    return {*worker.permanent_resident_of, *(("US",) if worker.us_permanent_resident else ())}


def agreement_citizenship(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §9 (FTA overviews; the codes' `notes`) and poe_eligibility.md §6 ("facts
    fit a different code"): the code's agreement (its record's `agreement`) must cover one of
    the worker's citizenships on the day of the request, or a permanent residence the agreement
    admits. CUSMA: US and Mexican citizens only; CETA: the 27 EU states; CUKTCA: the UK; CPTPP:
    each party from the day it joined, Malaysia without T54/T55, Australian permanent residents
    in some categories (a reviewer checks which); Chile, Colombia, Korea, Panama, Ukraine: their
    citizens; Peru: citizens and permanent residents. GATS members are not in the reference, so
    T33 is not checked here. The spouses' open permits (T25, F36, T45, T53, F64: `permit_type`
    "open") are left out: the records make the relationship to a covered worker the condition,
    not the spouse's own citizenship, and `code_out_of_scope` already sends them to a reviewer."""
    record = _confirmed(ctx)
    if record is not None and record.permit_type == "open":
        return
    agreement = AGREEMENTS.get(record.agreement or "") if record is not None else None
    citizenships = _citizenships(ctx)
    if record is None or agreement is None or not citizenships:
        return
    if any(agreement.covers_citizen(c, code=record.key, on=ctx.today) for c in citizenships):
        return
    residences = _residences(ctx)
    if residences & agreement.permanent_residents:
        return
    fields = ("/worker/citizenship", *_CODE)
    if residences & agreement.pr_some_categories:
        message = Message(
            f"Code {record.code} falls under {agreement.name.en}; only some of its categories "
            "admit permanent residents of Australia, and the worker is not a citizen of a "
            "party. A reviewer will check whether this category admits the worker.",
            f"Le code {record.code} relève de {agreement.name.fr}; seules certaines de ses "
            "catégories admettent les résidents permanents de l'Australie, et le travailleur "
            "n'est citoyen d'aucune partie. Un agent vérifiera si cette catégorie admet le "
            "travailleur.",
        )
        yield Finding("agreement_citizenship", Outcome.REVIEW, message, fields)
        return
    message = Message(
        f"Code {record.code} falls under {agreement.name.en}, which covers "
        f"{agreement.covers.en}; the worker's citizenship is not among them. A reviewer will "
        "check whether another code fits.",
        f"Le code {record.code} relève de {agreement.name.fr}, qui vise {agreement.covers.fr}; "
        "la citoyenneté du travailleur n'en fait pas partie. Un agent vérifiera si un autre "
        "code convient.",
    )
    yield Finding("agreement_citizenship", Outcome.REVIEW, message, fields)


# The professions a professionals' code admits: (list, what the list is, in both languages).
PROFESSION_LISTS: Final = MappingProxyType(
    {
        "T36": (
            CUSMA_PROFESSIONS,
            Message(
                "the 63 professions of CUSMA Appendix 2",
                "des 63 professions de l'appendice 2 de l'ACEUM",
            ),
        ),
        "T33": (
            GATS_PROFESSIONS,
            Message(
                "the professions open to GATS professionals (engineers, agrologists, "
                "architects, forestry and geomatics professionals, land surveyors, foreign legal "
                "consultants, urban planners, senior computer specialists)",
                "des professions ouvertes aux professionnels de l'AGCS (ingénieurs, agrologues, "
                "architectes, professionnels de la foresterie et de la géomatique, "
                "arpenteurs-géomètres, conseillers juridiques étrangers, urbanistes, "
                "spécialistes principaux en informatique)",
            ),
        ),
    }
)


def profession_not_listed(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §9: a CUSMA professional's (T36) profession must be on Appendix 2 (63
    entries); GATS professionals (T33) have their own short list (the T33 record's notes). A
    job title that names none goes to a reviewer, who compares the duties (never a refusal: a
    title is not the profession)."""
    record, title = _confirmed(ctx), ctx.content.work.job_title
    listed = PROFESSION_LISTS.get(record.key) if record is not None else None
    if record is None or listed is None or title is None:
        return
    professions, described = listed
    if not matches_profession(title, professions):
        message = Message(
            f"The job title does not name one of {described.en} (code {record.code}); a "
            "reviewer will compare the job and its duties with the list.",
            f"Le titre du poste ne correspond à aucune {described.fr} (code {record.code}); un "
            "agent comparera l'emploi et ses fonctions à la liste.",
        )
        yield Finding("profession_not_listed", Outcome.REVIEW, message, ("/work/job_title",))


_C16_IN_QUEBEC = Message(
    "Francophone mobility (C16) is for jobs outside Quebec, and the job location given is in "
    "Quebec. A reviewer will check whether another code fits.",
    "La mobilité francophone (C16) vise les emplois hors du Québec, et le lieu de travail "
    "indiqué est au Québec. Un agent vérifiera si un autre code convient.",
)
_C16_OFFER_QUEBEC = Message(
    "The job offer mentions Quebec, and francophone mobility (C16) is for jobs outside Quebec. "
    "A reviewer will check the job location.",
    "L'offre d'emploi mentionne le Québec, et la mobilité francophone (C16) vise les emplois "
    "hors du Québec. Un agent vérifiera le lieu de travail.",
)
_C16_FRENCH = Message(
    "Francophone mobility (C16) needs moderate French (NCLC 5 in speaking and listening) since "
    "2023-06-15, and the level given is lower. A reviewer will check the language evidence.",
    "La mobilité francophone (C16) exige depuis le 2023-06-15 une connaissance moyenne du "
    "français (NCLC 5 en expression et en compréhension orales), et le niveau indiqué est "
    "inférieur. Un agent vérifiera la preuve linguistique.",
)


def c16_outside_quebec(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §10 and the C16 record (title; evidence "proof the work location is outside
    Quebec"): a C16 job in Quebec, or an offer that names Quebec, goes to a reviewer (§3 has no
    REJECT rule for it; the facts may fit another code, §6)."""
    record = _confirmed(ctx)
    if record is None or record.key != "C16":
        return
    if ctx.content.work.location.province == "QC":
        fields = ("/work/location/province", *_CODE)
        yield Finding("c16_outside_quebec", Outcome.REVIEW, _C16_IN_QUEBEC, fields)
        return
    text = offer_text(ctx)
    if text is not None and mentions_province(text, "QC"):
        fields = ("/work/location/province", *OFFER)
        yield Finding("c16_outside_quebec", Outcome.REVIEW, _C16_OFFER_QUEBEC, fields)


def c16_french_level(ctx: TriageContext) -> Iterator[Finding]:
    """rules_notes.md §10 and the C16 record's notes: since 2023-06-15, moderate French (NCLC 5
    speaking and listening). A declared level below 5 goes to a reviewer; the test results are
    asked as evidence (document kind `language_test`, from the C16 record's evidence)."""
    record, level = _confirmed(ctx), ctx.content.worker.french_nclc_level
    c16 = record is not None and record.key == "C16" and ctx.today >= NCLC_5_SINCE
    if c16 and level is not None and level < 5:
        fields = ("/worker/french_nclc_level", "/documents/language_test")
        yield Finding("c16_french_level", Outcome.REVIEW, _C16_FRENCH, fields)


_T11_NOTE = Message(
    "Reviewer note: IRCC's page on US government personnel cites R204(c) in its title but "
    "R204(a) in its text, and the code table cites R204(a); cite R204(a) unless the agreement "
    "relied on says otherwise.",
    "Note à l'agent : la page d'IRCC sur le personnel du gouvernement des États-Unis cite "
    "l'al. 204c) du RIPR dans son titre, mais l'al. 204a) dans son texte, et le tableau des "
    "codes cite l'al. 204a); citez l'al. 204a), sauf si l'accord invoqué indique autre chose.",
)


def t11_regulation_note(ctx: TriageContext) -> Iterator[Finding]:
    """Source 000 (IRCC, US government personnel, page of 2024-06-17) and rules_notes.md §7: the
    title says "R204(c) - T11", the body R204(a) (non-trade international agreements). A note
    for the reviewer who writes the letter, not a reason to review."""
    record = _confirmed(ctx)
    if record is not None and record.key == "T11":
        yield Finding("t11_regulation_note", Outcome.WARN, _T11_NOTE, _CODE)


RULES: Final[tuple[TriageRule, ...]] = (
    agreement_citizenship,
    profession_not_listed,
    c16_outside_quebec,
    c16_french_level,
    t11_regulation_note,
)
