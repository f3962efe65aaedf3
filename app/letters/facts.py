"""What an IMWU opinion letter says: its facts, the signed form of them, and their wording.

`LetterFacts` is everything the letter states; `facts_dict` is the JSON-ready form that is embedded
in the signed PDF (`imwu-letter-facts.json`, see `letters.service.signed_letter_pdf`).
`letter_lines` phrases the facts in the letter's language (English or French) as a list of
`Line`s, which `render.py` lays out on the page.

Sources: the employer compliance fee (CAD 230, R303.1), its waivers (R299(2), R209.9) and the fee
exemption codes come from the reference notes (`rules_notes.md` §3-4) and the `exemption_codes.json`
fields `employer_compliance_fee` and `fee_exemption_codes`; "the BSO makes the final decision" is
the project brief's disclaimer (`rules_notes.md` §5). French wording follows IRCC's own French pages
("Unité pour la mobilité internationale des travailleurs (UMIT)", "code de dispense", "agent des
services frontaliers (ASF)"). Exemption titles, conditions and reasons are printed as given: the
reference file's titles are in English, so a caller that wants them in French passes them so.
"""

import gettext
from dataclasses import dataclass, fields
from datetime import date
from functools import cache
from typing import Literal

import pycountry

Language = Literal["en", "fr"]
Outcome = Literal["positive", "negative", "not_eligible"]
ComplianceFee = Literal["required", "exempt", "varies", "not_applicable"]
LineKind = Literal["title", "meta", "heading", "field", "text", "item"]

FACTS_SCHEMA = "imwu-letter/1"
COMPLIANCE_FEE_CAD = 230  # R303.1, unchanged since 2015-02-21 (rules_notes.md §3)
_FEES: frozenset[str] = frozenset({"required", "exempt", "varies", "not_applicable"})


@dataclass(frozen=True)
class LetterFacts:
    """Everything a letter states. Dates are dates; codes are as the reference data spells them."""

    reference: str
    issued_on: date
    language: Language
    outcome: Outcome
    employer_name: str
    worker_family_name: str
    worker_given_names: str
    worker_date_of_birth: date
    worker_citizenship: str  # ISO 3166-1 alpha-2, as on the passport
    passport_number: str
    exemption_code: str
    exemption_title: str
    regulation: str | None
    job_title: str
    noc_code: str
    location: str  # "City, PROVINCE"
    period_from: date
    period_to: date
    conditions: tuple[str, ...]
    reasons: tuple[str, ...]
    employer_compliance_fee: ComplianceFee | None
    fee_exemption_codes: tuple[str, ...]
    verification_code: str
    verify_url: str
    supersedes: str | None = None
    suggest_lmia_route: bool = False  # printed on negative and not-eligible letters only

    def __post_init__(self) -> None:
        # Messages name the field only: the values may be personal data.
        if self.language not in ("en", "fr"):
            raise ValueError("language must be 'en' or 'fr'")
        if self.outcome not in ("positive", "negative", "not_eligible"):
            raise ValueError("unknown outcome")
        if self.outcome != "positive" and not self.reasons:
            raise ValueError("a negative or not-eligible letter must state its reasons")
        if self.period_to < self.period_from:
            raise ValueError("period_to is before period_from")
        if self.employer_compliance_fee is not None and self.employer_compliance_fee not in _FEES:
            raise ValueError("unknown employer_compliance_fee")
        for name in ("conditions", "reasons", "fee_exemption_codes"):
            if not isinstance(getattr(self, name), tuple):
                raise TypeError(f"{name} must be a tuple")


def facts_dict(facts: LetterFacts) -> dict[str, object]:
    """The JSON-ready facts that are signed: every field, dates in ISO 8601, tuples as lists,
    plus `schema` so that a later layout of the facts cannot be confused with this one."""
    out: dict[str, object] = {"schema": FACTS_SCHEMA}
    for field in fields(facts):
        value = getattr(facts, field.name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[field.name] = value
    return out


@dataclass(frozen=True)
class Line:
    """One piece of the letter: `field` lines have a label, the others only text."""

    kind: LineKind
    text: str
    label: str = ""


_WORDS: dict[str, dict[Language, str]] = {
    "title": {
        "en": "Opinion of the International Mobility Workers Unit (IMWU)",
        "fr": "Opinion de l'Unité pour la mobilité internationale des travailleurs (UMIT)",
    },
    "reference": {"en": "Reference: {0}", "fr": "Référence : {0}"},
    "date": {"en": "Date: {0}", "fr": "Date : {0}"},
    "supersedes": {
        "en": "This letter replaces letter {0}, which is no longer valid.",
        "fr": "La présente lettre remplace la lettre {0}, qui n'est plus valide.",
    },
    "positive": {
        "en": "In the IMWU's opinion, the exemption below applies to this offer of employment, "
        "subject to the conditions listed.",
        "fr": "De l'avis de l'UMIT, la dispense ci-dessous s'applique à cette offre d'emploi, "
        "sous réserve des conditions indiquées.",
    },
    "negative": {
        "en": "In the IMWU's opinion, the exemption below does not apply to this offer of "
        "employment, for the reasons listed.",
        "fr": "De l'avis de l'UMIT, la dispense ci-dessous ne s'applique pas à cette offre "
        "d'emploi, pour les motifs indiqués.",
    },
    "not_eligible": {
        "en": "This request cannot receive an IMWU opinion, for the reasons listed.",
        "fr": "Cette demande ne peut pas faire l'objet d'une opinion de l'UMIT, pour les motifs "
        "indiqués.",
    },
    "employer": {"en": "Employer", "fr": "Employeur"},
    "employer_name": {"en": "Name", "fr": "Nom"},
    "worker": {"en": "Worker", "fr": "Travailleur"},
    "family_name": {"en": "Family name", "fr": "Nom de famille"},
    "given_names": {"en": "Given name(s)", "fr": "Prénom(s)"},
    "dob": {"en": "Date of birth", "fr": "Date de naissance"},
    "citizenship": {"en": "Citizenship", "fr": "Citoyenneté"},
    "passport": {"en": "Passport number", "fr": "Numéro de passeport"},
    "exemption": {"en": "Exemption", "fr": "Dispense"},
    "code": {"en": "Exemption code", "fr": "Code de dispense"},
    "regulation": {"en": "Regulation", "fr": "Règlement"},
    "not_stated": {"en": "not stated", "fr": "non précisé"},
    "employment": {"en": "Employment", "fr": "Emploi"},
    "job_title": {"en": "Job title", "fr": "Titre du poste"},
    "noc": {"en": "NOC 2021", "fr": "CNP 2021"},
    "location": {"en": "Location", "fr": "Lieu de travail"},
    "period": {"en": "Period", "fr": "Période"},
    "period_value": {"en": "{0} to {1}", "fr": "du {0} au {1}"},
    "conditions": {"en": "Conditions", "fr": "Conditions"},
    "reasons": {"en": "Reasons", "fr": "Motifs"},
    "lmia": {
        "en": "The employer may instead apply for a Labour Market Impact Assessment (LMIA) from "
        "Employment and Social Development Canada (ESDC).",
        "fr": "L'employeur peut plutôt demander une étude d'impact sur le marché du travail (EIMT) "
        "à Emploi et Développement social Canada (EDSC).",
    },
    "fees": {"en": "Fees", "fr": "Frais"},
    "decision": {"en": "Final decision", "fr": "Décision finale"},
    "bso": {
        "en": "This opinion is advisory. The border services officer (BSO) at the port of entry "
        "makes the final decision.",
        "fr": "Cette opinion est fournie à titre indicatif. L'agent des services frontaliers (ASF) "
        "au point d'entrée prend la décision finale.",
    },
}

_FEE_WORDS: dict[str, dict[Language, str]] = {
    "label": {
        "en": "Employer compliance fee: {0}",
        "fr": "Frais relatifs à la conformité de l'employeur : {0}",
    },
    "required": {"en": "CAD {0} (R303.1).", "fr": "{0} $ CA (R303.1)."},
    "exempt": {"en": "not payable (exempt).", "fr": "non exigibles (dispense)."},
    "varies": {
        "en": "CAD {0} (R303.1), unless waived because the worker is exempt from the work permit "
        "fee (R299(2)) or the employer is exempt from the compliance regime (R209.9).",
        "fr": "{0} $ CA (R303.1), sauf si le travailleur est dispensé des frais de permis de "
        "travail (R299(2)) ou si l'employeur est soustrait au régime de conformité (R209.9).",
    },
    "not_applicable": {"en": "not applicable.", "fr": "sans objet."},
    "unknown": {
        "en": "not stated in the reference data.",
        "fr": "non précisés dans les données de référence.",
    },
    "codes": {"en": "Fee exemption code(s): {0}.", "fr": "Code(s) d'exemption des frais : {0}."},
}


def _say(key: str, language: Language, *args: object) -> str:
    return _WORDS[key][language].format(*args)


def _iso(*days: date) -> tuple[str, ...]:
    return tuple(day.isoformat() for day in days)


def fee_sentences(facts: LetterFacts) -> tuple[str, ...]:
    """The fee lines, from the reference record's `employer_compliance_fee` and
    `fee_exemption_codes` (rules_notes.md §3-4)."""
    lang = facts.language
    status = facts.employer_compliance_fee or "unknown"
    value = _FEE_WORDS[status][lang].format(COMPLIANCE_FEE_CAD)
    lines = [_FEE_WORDS["label"][lang].format(value)]
    if facts.fee_exemption_codes:
        lines.append(_FEE_WORDS["codes"][lang].format(", ".join(facts.fee_exemption_codes)))
    return tuple(lines)


@cache
def _french_names() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)


def country_name(alpha_2: str, language: Language) -> str:
    """The ISO 3166 short name (pycountry, with its French translations) and the code as printed
    on the passport: "Germany (DE)", "Allemagne (DE)". An unknown code prints alone."""
    country = pycountry.countries.get(alpha_2=alpha_2.upper())
    if country is None:
        return alpha_2
    name: str = getattr(country, "common_name", None) or country.name
    if language == "fr":
        name = _french_names().gettext(name)
    return f"{name} ({country.alpha_2})"


def _head(facts: LetterFacts) -> list[Line]:
    lang = facts.language
    lines = [
        Line("title", _say("title", lang)),
        Line("meta", _say("reference", lang, facts.reference)),
        Line("meta", _say("date", lang, facts.issued_on.isoformat())),
    ]
    if facts.supersedes:
        lines.append(Line("text", _say("supersedes", lang, facts.supersedes)))
    lines.append(Line("text", _say(facts.outcome, lang)))
    return lines


def _parties(facts: LetterFacts) -> list[Line]:
    lang = facts.language

    def field(key: str, value: str) -> Line:
        return Line("field", value, _say(key, lang))

    return [
        Line("heading", _say("employer", lang)),
        field("employer_name", facts.employer_name),
        Line("heading", _say("worker", lang)),
        field("family_name", facts.worker_family_name),
        field("given_names", facts.worker_given_names),
        field("dob", facts.worker_date_of_birth.isoformat()),
        field("citizenship", country_name(facts.worker_citizenship, lang)),
        field("passport", facts.passport_number),
        Line("heading", _say("exemption", lang)),
        field("code", f"{facts.exemption_code} - {facts.exemption_title}"),
        field("regulation", facts.regulation or _say("not_stated", lang)),
        Line("heading", _say("employment", lang)),
        field("job_title", facts.job_title),
        field("noc", facts.noc_code),
        field("location", facts.location),
        field("period", _say("period_value", lang, *_iso(facts.period_from, facts.period_to))),
    ]


def letter_lines(facts: LetterFacts) -> tuple[Line, ...]:
    """The whole letter body in its language, top to bottom."""
    lang = facts.language
    lines = _head(facts) + _parties(facts)
    for key, items in (("conditions", facts.conditions), ("reasons", facts.reasons)):
        if items:
            lines.append(Line("heading", _say(key, lang)))
            lines.extend(Line("item", item) for item in items)
    if facts.suggest_lmia_route and facts.outcome != "positive":
        lines.append(Line("text", _say("lmia", lang)))
    lines.append(Line("heading", _say("fees", lang)))
    lines.extend(Line("text", sentence) for sentence in fee_sentences(facts))
    lines.append(Line("heading", _say("decision", lang)))
    lines.append(Line("text", _say("bso", lang)))
    return tuple(lines)
