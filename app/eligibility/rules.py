"""IMWU prerequisite rules: small named functions in one ordered list, `RULES`.

Source: `poe_eligibility.md` §3 (R1-R16) and §6, `rules_notes.md` §1, §2 and §6, the IMWU page and
the reference files in `app/eligibility/data/`. Every rule is pure: it reads a `RuleContext` and
yields `Finding`s whose `fields` are JSON pointers, never values. Facts the reference marks as
unconfirmed lead to `review`, never to `block`.
"""

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

from app.common.findings import Finding, Message, Outcome
from app.common.form import RequestContent
from app.eligibility.checklist import (
    ChecklistEntry,
    checklist,
    document_findings,
    missing_fields,
    offer_number_findings,
)
from app.eligibility.reference import (
    SCOPE_REASONS,
    CountryRecord,
    ExemptionCodeRecord,
    ReferenceData,
)

__all__ = [
    "RULES",
    "RULE_IDS",
    "ChecklistEntry",
    "RuleContext",
    "checklist",
    "codes_named",
    "evaluate",
]

NOC_2021_SINCE: Final = date(2022, 11, 16)
# The statuses that make a nationality visa-exempt (`visa_exempt_countries.json` rules).
VISA_EXEMPT_STATUSES: Final = frozenset(
    {
        "visa_exempt_eta",
        "visa_exempt_eta_passport_condition",
        "document_based_exempt",
        "visa_exempt_no_eta",
    }
)
_TYPE_TO_KIND: Final = {
    "lmia_exemption": "lmia_exempt_work_permit",
    "work_permit_exemption": "work_permit_exemption",
}
_CODE: Final = ("/exemption/code",)


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may read: the request, the reference set, the documents, the date."""

    content: RequestContent
    reference: ReferenceData
    present_kinds: frozenset[str]
    today: date


Rule = Callable[[RuleContext], Iterable[Finding]]


def nationality(content: RequestContent) -> tuple[str | None, str]:
    """The nationality that decides visa exemption, and the JSON pointer it came from.

    The passport used for travel decides (`visa_exempt_countries.json` rules): the travel passport
    country, else the passport's issuing country, else the citizenship.
    """
    worker = content.worker
    if worker.travel_passport_country is not None:
        return worker.travel_passport_country, "/worker/travel_passport_country"
    if worker.passport.issuing_country is not None:
        return worker.passport.issuing_country, "/worker/passport/issuing_country"
    return worker.citizenship, "/worker/citizenship"


def _country(ctx: RuleContext) -> tuple[str | None, CountryRecord | None, str]:
    code, pointer = nationality(ctx.content)
    return code, ctx.reference.countries.get(code) if code else None, pointer


def _is_us_pr(ctx: RuleContext) -> bool:
    return ctx.content.worker.us_permanent_resident is True


def _record(ctx: RuleContext) -> ExemptionCodeRecord | None:
    """The code's record when the reference confirms the code itself, else None."""
    code = ctx.content.exemption.code
    record = ctx.reference.codes.get(code.upper()) if code else None
    if record is None or not record.confirmed or record.is_unconfirmed("code"):
        return None
    return record


# Fixed messages (the ones naming a code or a document are built in their rule).
_MISSING = Message(
    "Some information needed to submit the request is missing.",
    "Des renseignements nécessaires pour soumettre la demande sont manquants.",
)
_IN_CANADA = Message(
    "The worker must be outside Canada: IMWU gives opinions only for workers who will apply at "
    "a port of entry, and flagpoling is not allowed.",
    "Le travailleur doit se trouver à l'extérieur du Canada : l'UMIT ne donne d'avis que pour "
    "les travailleurs qui présenteront leur demande à un point d'entrée, et l'aller-retour à la "
    "frontière (« flagpoling ») n'est pas permis.",
)
_PERMIT = Message(
    "IMWU does not give an opinion when the worker already holds a work permit, has applied for "
    "one or is waiting for a decision.",
    "L'UMIT ne donne pas d'avis lorsque le travailleur détient déjà un permis de travail, en a "
    "demandé un ou attend une décision.",
)
# The passport each document-conditional nationality needs (`visa_exempt_countries.json`
# `passport_requirement`, R190(2), R190(2.1)), in French; a nationality missing here gets a French
# message without the label rather than the English one.
PASSPORT_REQUIREMENTS_FR: Final[Mapping[str, str]] = MappingProxyType(
    {
        "RO": "passeport électronique lisible à la machine, muni d'une puce sans contact, "
        "délivré par la Roumanie (RIPR, par. 190(2.1))",
        "IL": "passeport national israélien",
        "TW": "passeport ordinaire délivré par le ministère des Affaires étrangères de Taïwan et "
        "portant le numéro d'identification personnel du titulaire",
        "HK": "passeport de la Région administrative spéciale de Hong Kong",
        "VA": "passeport ou titre de voyage délivré par le Saint-Siège",
    }
)
_CONDITIONAL_ETA = Message(
    "The worker's nationality may travel with an eTA only under conditions; it remains "
    "visa-required at a port of entry, so the worker cannot apply there.",
    "Les ressortissants de ce pays ne peuvent voyager avec une AVE que sous conditions; ils "
    "restent assujettis à l'obligation de visa au point d'entrée, où le travailleur ne peut "
    "donc pas présenter sa demande.",
)
_VISA_REQUIRED = Message(
    "The worker's nationality is not visa-exempt, so the worker cannot apply for a work permit "
    "at a port of entry (IRPR R190, R198(1)).",
    "La nationalité du travailleur n'est pas dispensée de visa; il ne peut donc pas demander de "
    "permis de travail à un point d'entrée (RIPR, art. 190 et par. 198(1)).",
)
_US_PR = Message(
    "The worker is a US permanent resident with a visa-required nationality: visa-exempt by "
    "status (IRPR R190), but IMWU serves nationals of visa-exempt countries, so a reviewer "
    "decides.",
    "Le travailleur est résident permanent des États-Unis et sa nationalité est assujettie à "
    "l'obligation de visa : il est dispensé de visa en raison de son statut (RIPR, art. 190), "
    "mais l'UMIT sert les ressortissants de pays dispensés de visa; un agent tranchera.",
)
_UNCONFIRMED_CODE = Message(
    "The exemption code could not be confirmed in IRCC's current code table; a reviewer will "
    "check it.",
    "Le code de dispense n'a pas pu être confirmé dans le tableau actuel des codes d'IRCC; un "
    "agent le vérifiera.",
)
_UNKNOWN_CODE = Message(
    "The exemption code is not a known LMIA or work permit exemption code.",
    "Le code de dispense n'est pas un code connu de dispense de l'EIMT ou de permis de travail.",
)
_TYPE_MISMATCH = Message(
    "The exemption code does not match the type of exemption selected (LMIA exemption or work "
    "permit exemption).",
    "Le code de dispense ne correspond pas au type de dispense choisi (dispense de l'EIMT ou "
    "dispense de permis de travail).",
)
_IEC = Message(
    "International Experience Canada participants may apply at a port of entry only if they are "
    "US nationals or permanent residents (IRPR R198(2)(c)); others apply to IRCC.",
    "Les participants à Expérience internationale Canada ne peuvent présenter leur demande à un "
    "point d'entrée que s'ils sont ressortissants ou résidents permanents des États-Unis (RIPR, "
    "al. 198(2)c)); les autres la présentent à IRCC.",
)
_PASSPORT_EXPIRY = Message(
    "The passport expires before the requested end date: the work permit is normally limited to "
    "the passport's validity.",
    "Le passeport expire avant la date de fin demandée : le permis de travail est normalement "
    "limité à la durée de validité du passeport.",
)
_NOC_2016 = Message(
    "This is a NOC 2016 code; give the five-digit NOC 2021 code (in use since 2022-11-16).",
    "Il s'agit d'un code de la CNP 2016; indiquez le code à cinq chiffres de la CNP 2021 (en "
    "usage depuis le 2022-11-16).",
)
_NOC_TEER = Message(
    "The NOC code is not valid: its second digit (TEER category) must be 0 to 5.",
    "Le code de la CNP n'est pas valide : son deuxième chiffre (catégorie FEER) doit être de 0 "
    "à 5.",
)
_CRIMINAL = Message(
    "The worker declared a charge or conviction; a reviewer must look at the request "
    "(admissibility is decided by the border services officer).",
    "Le travailleur a déclaré une accusation ou une condamnation; un agent doit examiner la "
    "demande (l'admissibilité relève de l'agent des services frontaliers).",
)


def required_field_missing(ctx: RuleContext) -> Iterator[Finding]:
    """IMM 5686 page 1 fields needed to submit (`imm5686_fields.md`), plus the inferred passport
    and current-location fields the rules below need (`checklist.SUBMIT_REQUIRED_FIELDS`)."""
    missing = missing_fields(ctx.content)
    if missing:
        yield Finding("required_field_missing", Outcome.BLOCK, _MISSING, tuple(missing))


def worker_in_canada(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R1 (IMWU page: outside Canada; no flagpoling since 2024-12-23)."""
    worker, fields = ctx.content.worker, list[str]()
    if worker.currently_in_canada is True:
        fields.append("/worker/currently_in_canada")
    if worker.current_location_country == "CA":
        fields.append("/worker/current_location_country")
    if fields:
        yield Finding("worker_in_canada", Outcome.BLOCK, _IN_CANADA, tuple(fields))


def existing_work_permit(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R2 (IMWU page: no opinion once a permit is held or applied for)."""
    if ctx.content.worker.holds_or_applied_for_work_permit is True:
        fields = ("/worker/holds_or_applied_for_work_permit",)
        yield Finding("existing_work_permit", Outcome.BLOCK, _PERMIT, fields)


def nationality_conditional_eta(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R4 (eTA PDI; R7.01): conditional-eTA nationals stay visa-required
    for port-of-entry purposes. A US permanent resident goes to `us_permanent_resident`."""
    _, record, pointer = _country(ctx)
    if record is not None and record.status == "conditional_eta" and not _is_us_pr(ctx):
        yield Finding("nationality_conditional_eta", Outcome.BLOCK, _CONDITIONAL_ETA, (pointer,))


def nationality_not_visa_exempt(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R5 (R190, R198(1)): a nationality missing from
    `visa_exempt_countries.json` is visa-required. A US permanent resident goes to
    `us_permanent_resident` instead."""
    code, record, pointer = _country(ctx)
    if code is not None and record is None and not _is_us_pr(ctx):
        yield Finding("nationality_not_visa_exempt", Outcome.BLOCK, _VISA_REQUIRED, (pointer,))


def nationality_document_conditional(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R6 and §6 (R190(2), R190(2.1)): visa-exempt only with a specific
    passport (IL, TW, HK, VA, RO); a scan cannot prove the passport type."""
    _, record, pointer = _country(ctx)
    if record is None or not (
        record.status in {"document_based_exempt", "visa_exempt_eta_passport_condition"}
        or record.passport_requirement is not None
    ):
        return
    needed = record.passport_requirement or record.name
    needed_fr = PASSPORT_REQUIREMENTS_FR.get(record.iso2 or "")
    message = Message(
        f"This nationality is visa-exempt only with a specific passport ({needed}); a reviewer "
        "will confirm the passport type.",
        f"Cette nationalité n'est dispensée de visa qu'avec un passeport précis ({needed_fr}); un "
        "agent vérifiera le type de passeport."
        if needed_fr
        else "Cette nationalité n'est dispensée de visa qu'avec un type de passeport précis; un "
        "agent vérifiera le type de passeport.",
    )
    fields = (pointer, "/documents/passport_bio_page")
    yield Finding("nationality_document_conditional", Outcome.REVIEW, message, fields)


def us_permanent_resident(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R7 and §6 (R190(1)(c), R198): a US permanent resident with a
    visa-required nationality may use a port of entry, but IMWU speaks of nationals."""
    code, record, pointer = _country(ctx)
    exempt = record is not None and record.status in VISA_EXEMPT_STATUSES
    if _is_us_pr(ctx) and code is not None and not exempt:
        fields = ("/worker/us_permanent_resident", pointer)
        yield Finding("us_permanent_resident", Outcome.REVIEW, _US_PR, fields)


# Separators between codes in one field: punctuation, "and"/"or" in both languages, spaces.
_CODE_SEPARATORS = re.compile(r"\s*(?:[,;&+]|\b(?:AND|OR|ET|OU)\b)\s*|\s+")


def codes_named(value: str, reference: ReferenceData) -> tuple[str, ...]:
    """The exemption codes a form value names, in order and without repeats.

    A value that is itself a known code is one code, even with a slash in it (`GSS-15/30`);
    otherwise slashes also separate codes ("T37/T38").
    """
    key = value.strip().upper()
    if key in reference.codes:
        return (key,)
    tokens: list[str] = []
    for part in _CODE_SEPARATORS.split(key):
        if not part:
            continue
        tokens.extend([part] if part in reference.codes else [t for t in part.split("/") if t])
    return tuple(dict.fromkeys(tokens))


def several_codes(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §2 and §3 R3 (IMWU page: one exemption per request; a request naming
    several is not processed): refused, naming the codes seen."""
    code = ctx.content.exemption.code
    named = codes_named(code, ctx.reference) if code else ()
    if len(named) > 1:
        codes = ", ".join(named)
        message = Message(
            f"IMWU processes one exemption code per request, and this request names several "
            f"({codes}). Choose the single code most relevant to the job.",
            f"L'UMIT traite un seul code de dispense par demande, et cette demande en nomme "
            f"plusieurs ({codes}). Choisissez le code le plus pertinent pour l'emploi.",
        )
        yield Finding("several_codes", Outcome.BLOCK, message, _CODE)


_LMIA_REQUIRED = Message(
    "A job that needs a labour market impact assessment (LMIA) is outside IMWU's scope: IMWU "
    "only gives opinions on LMIA and work permit exemptions. The employer applies for an LMIA "
    "to Employment and Social Development Canada (Temporary Foreign Worker Program); once the "
    "LMIA is issued, a visa-exempt worker may apply for the work permit at a port of entry "
    "(IRPR R198(2)(a)), except for seasonal agricultural work.",
    "Un emploi qui exige une étude d'impact sur le marché du travail (EIMT) ne relève pas du "
    "mandat de l'UMIT : l'UMIT ne donne d'avis que sur les dispenses de l'EIMT et de permis de "
    "travail. L'employeur demande une EIMT à Emploi et Développement social Canada (Programme "
    "des travailleurs étrangers temporaires); une fois l'EIMT délivrée, un travailleur dispensé "
    "de visa peut demander son permis de travail à un point d'entrée (RIPR, al. 198(2)a)), sauf "
    "pour le travail agricole saisonnier.",
)
_SEASONAL = Message(
    "Seasonal agricultural work (such as the Seasonal Agricultural Worker Program) can never be "
    "applied for at a port of entry (IRPR R198(2)(a)), so IMWU cannot give an opinion.",
    "Le travail agricole saisonnier (comme le Programme des travailleurs agricoles saisonniers) "
    "ne peut jamais faire l'objet d'une demande à un point d'entrée (RIPR, al. 198(2)a)); "
    "l'UMIT ne peut donc pas donner d'avis.",
)


def lmia_required_out_of_scope(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R11 (R198(2)(a)): a job that needs an LMIA (no exemption claimed:
    exemption type "lmia_required") is outside IMWU's scope; the message gives the LMIA route."""
    if ctx.content.exemption.type == "lmia_required":
        fields = ("/exemption/type",)
        yield Finding("lmia_required_out_of_scope", Outcome.BLOCK, _LMIA_REQUIRED, fields)


def seasonal_agricultural_work(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R10 (R198(2)(a); SAWP PDI): seasonal agricultural work is never
    applied for at a port of entry. Refused only on the form's own answer; an agricultural NOC
    without it is left to the triage rule `agricultural_work_check` (a reviewer decides)."""
    if ctx.content.work.seasonal_agricultural is True:
        fields = ("/work/seasonal_agricultural",)
        yield Finding("seasonal_agricultural_work", Outcome.BLOCK, _SEASONAL, fields)


def code_unknown(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R14 (`exemption_codes.json`: `not_found` = not in IRCC's table).
    A code the reference could not confirm goes to review as `code_unconfirmed`."""
    code = ctx.content.exemption.code
    if code is None or len(codes_named(code, ctx.reference)) > 1:
        return
    record = ctx.reference.codes.get(code.upper())
    if record is not None and (not record.confirmed or record.is_unconfirmed("code")):
        yield Finding("code_unconfirmed", Outcome.REVIEW, _UNCONFIRMED_CODE, _CODE)
    elif record is None or record.status == "not_found":
        yield Finding("code_unknown", Outcome.BLOCK, _UNKNOWN_CODE, _CODE)


def exemption_type_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    """IMM 5686 "Type of exemption requested" must match the code's `kind`
    (`exemption_codes.json` field_notes)."""
    record, chosen = _record(ctx), ctx.content.exemption.type
    if record is not None and chosen in _TYPE_TO_KIND and _TYPE_TO_KIND[chosen] != record.kind:
        fields = ("/exemption/type", *_CODE)
        yield Finding("exemption_type_mismatch", Outcome.BLOCK, _TYPE_MISMATCH, fields)


def code_superseded(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R13 (code changes of 2022-12-15; `replaced_by`)."""
    record = _record(ctx)
    if record is not None and record.status == "superseded":
        codes = ", ".join(record.replaced_by)
        message = Message(
            f"Exemption code {record.code} was replaced; use one of the current codes: {codes}.",
            f"Le code de dispense {record.code} a été remplacé; utilisez l'un des codes en "
            f"vigueur : {codes}.",
        )
        yield Finding("code_superseded", Outcome.REVIEW, message, _CODE)


def code_not_allowed_at_poe(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R8 (`poe_application = not_allowed`, category PDIs); review when
    the reference marks `poe_application` as unconfirmed."""
    record = _record(ctx)
    if record is None or record.poe_application != "not_allowed":
        return
    if record.is_unconfirmed("poe_application"):
        message = Message(
            f"Code {record.code} may not be available at a port of entry (not confirmed); a "
            "reviewer will check.",
            f"Le code {record.code} n'est peut-être pas accessible à un point d'entrée (non "
            "confirmé); un agent vérifiera.",
        )
        yield Finding("code_not_allowed_at_poe", Outcome.REVIEW, message, _CODE)
        return
    message = Message(
        f"Code {record.code} cannot be applied for at a port of entry; the worker must apply "
        "before travelling.",
        f"Le code {record.code} ne permet pas de présenter une demande à un point d'entrée; le "
        "travailleur doit présenter sa demande avant son voyage.",
    )
    yield Finding("code_not_allowed_at_poe", Outcome.BLOCK, message, _CODE)


def code_in_canada_only(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R8 (`imwu_scope = out_of_scope_in_canada`)."""
    record = _record(ctx)
    if record is not None and record.imwu_scope == "out_of_scope_in_canada":
        message = Message(
            f"Code {record.code} is only for people already in Canada; IMWU handles workers who "
            "will apply at a port of entry.",
            f"Le code {record.code} vise uniquement des personnes qui se trouvent déjà au "
            "Canada; l'UMIT traite les dossiers des travailleurs qui présenteront leur demande à "
            "un point d'entrée.",
        )
        yield Finding("code_in_canada_only", Outcome.BLOCK, message, _CODE)


def code_out_of_scope(ctx: RuleContext) -> Iterator[Finding]:
    """`exemption_codes.json` `imwu_scope` (advisory only: a reviewer decides)."""
    record = _record(ctx)
    if record is not None and record.imwu_scope in SCOPE_REASONS:
        reason = SCOPE_REASONS[record.imwu_scope]
        message = Message(
            f"Code {record.code} is usually outside IMWU's scope ({reason.en}); a reviewer will "
            "decide.",
            f"Le code {record.code} n'entre habituellement pas dans le mandat de l'UMIT "
            f"({reason.fr}); un agent décidera.",
        )
        yield Finding("code_out_of_scope", Outcome.REVIEW, message, _CODE)


def iec_requires_us_national(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R9 (R198(2)(c); IEC PDI): C21 at a port of entry only for US
    nationals and permanent residents (`poe_application = not_allowed_unless_us_or_approved`)."""
    record = _record(ctx)
    if record is None or record.poe_application != "not_allowed_unless_us_or_approved":
        return
    code, _, pointer = _country(ctx)
    if code is not None and code != "US" and not _is_us_pr(ctx):
        yield Finding("iec_requires_us_national", Outcome.BLOCK, _IEC, (*_CODE, pointer))


def offer_number_missing(ctx: RuleContext) -> Iterator[Finding]:
    """rules_notes.md §2 (R209.11): codes with `employer_portal_offer = required` need the
    Employer Portal offer number; review when that field is unconfirmed."""
    yield from offer_number_findings(_record(ctx), ctx.content.employer.offer_number)


def poe_advance_application_encouraged(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R15 and §6 (category PDIs: C11, T34, T35, T46, A77)."""
    record = _record(ctx)
    if record is not None and record.poe_application in {
        "allowed_if_visa_exempt_but_advance_application_encouraged",
        "discouraged",
    }:
        message = Message(
            f"For code {record.code}, IRCC recommends applying online before travel rather than "
            "at a port of entry.",
            f"Pour le code {record.code}, IRCC recommande de présenter la demande en ligne avant "
            "le voyage plutôt qu'à un point d'entrée.",
        )
        yield Finding("poe_advance_application_encouraged", Outcome.WARN, message, _CODE)


def passport_expires_before_end(ctx: RuleContext) -> Iterator[Finding]:
    """poe_eligibility.md §3 R16; rules_notes.md §6: the permit is capped at passport expiry,
    except for travel-document-exempt US nationals."""
    expiry, end = ctx.content.worker.passport.expiry_date, ctx.content.work.end_date
    us_national = nationality(ctx.content)[0] == "US"
    if expiry is not None and end is not None and expiry < end and not us_national:
        fields = ("/worker/passport/expiry_date", "/work/end_date")
        yield Finding("passport_expires_before_end", Outcome.WARN, _PASSPORT_EXPIRY, fields)


def noc_2016_code(ctx: RuleContext) -> Iterator[Finding]:
    """rules_notes.md §1: four digits is a NOC 2016 code, replaced by NOC 2021 on 2022-11-16."""
    noc = ctx.content.work.noc_code
    if noc is not None and len(noc) == 4 and ctx.today >= NOC_2021_SINCE:
        yield Finding("noc_2016_code", Outcome.REVIEW, _NOC_2016, ("/work/noc_code",))


def noc_teer_invalid(ctx: RuleContext) -> Iterator[Finding]:
    """rules_notes.md §1: in a NOC 2021 code the second digit is the TEER category, 0 to 5."""
    noc = ctx.content.work.noc_code
    if noc is not None and len(noc) == 5 and noc[1] not in "012345":
        yield Finding("noc_teer_invalid", Outcome.BLOCK, _NOC_TEER, ("/work/noc_code",))


def criminal_history_declared(ctx: RuleContext) -> Iterator[Finding]:
    """IMM 5686 page 1 "charged or convicted"; poe_eligibility.md §6 (the BSO decides
    admissibility)."""
    if ctx.content.worker.charged_or_convicted is True:
        fields = ("/worker/charged_or_convicted",)
        yield Finding("criminal_history_declared", Outcome.REVIEW, _CRIMINAL, fields)


def document_missing(ctx: RuleContext) -> Iterator[Finding]:
    """IMWU page document list (rules_notes.md §5) and the code's `evidence`
    (`exemption_codes.json`); evidence the reference could not confirm only goes to review
    (`document_unconfirmed_missing`)."""
    code = ctx.content.exemption.code
    yield from document_findings(ctx.reference, code, ctx.present_kinds)


RULES: Final[tuple[Rule, ...]] = (
    required_field_missing,
    worker_in_canada,
    existing_work_permit,
    nationality_conditional_eta,
    nationality_not_visa_exempt,
    nationality_document_conditional,
    us_permanent_resident,
    lmia_required_out_of_scope,
    seasonal_agricultural_work,
    several_codes,
    code_unknown,
    exemption_type_mismatch,
    code_superseded,
    code_not_allowed_at_poe,
    code_in_canada_only,
    code_out_of_scope,
    iec_requires_us_national,
    offer_number_missing,
    poe_advance_application_encouraged,
    passport_expires_before_end,
    noc_2016_code,
    noc_teer_invalid,
    criminal_history_declared,
    document_missing,
)
# Every rule id a finding can carry: each rule's name, plus the softer id two of them use.
RULE_IDS: Final[tuple[str, ...]] = (
    *(rule.__name__ for rule in RULES),
    "code_unconfirmed",
    "document_unconfirmed_missing",
)


def evaluate(
    content: RequestContent,
    reference: ReferenceData,
    *,
    present_kinds: Iterable[str],
    today: date,
) -> list[Finding]:
    """Run every rule of `RULES` in order; the same input always gives the same list."""
    ctx = RuleContext(content, reference, frozenset(present_kinds), today)
    return [finding for rule in RULES for finding in rule(ctx)]
