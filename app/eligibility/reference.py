"""Versioned reference data for eligibility: exemption codes and visa-exempt nationalities.

Source: the files in `app/eligibility/data/` (copies of the project's reference set, as of the date
they carry): `exemption_codes.json`, `visa_exempt_countries.json` and the notes they rest on
(`poe_eligibility.md`, `imm5686_fields.md`, `rules_notes.md`). The files are validated strictly when
loaded: a record with a missing or unknown key, a wrong type or a value outside the documented enums
makes the whole set unusable (`ReferenceDataError`), so the rules never run on half-understood data.
"""

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, StringConstraints, TypeAdapter, ValidationError

from app.common.findings import Message

CODES_FILE = "exemption_codes.json"
COUNTRIES_FILE = "visa_exempt_countries.json"
NOTE_FILES = ("imm5686_fields.md", "poe_eligibility.md", "rules_notes.md")
DATA_FILES: tuple[str, ...] = tuple(sorted((CODES_FILE, COUNTRIES_FILE, *NOTE_FILES)))

Kind = Literal["lmia_exempt_work_permit", "work_permit_exemption"]
Category = Literal[
    "international_agreement",
    "work_permit_exempt",
    "canadian_interests_competitiveness_public_policy",
    "canadian_interests_significant_benefit",
    "canadian_interests_reciprocal",
    "canadian_interests_designated_by_minister",
    "canada_provincial_agreement",
    "youth_mobility",
    "pr_pathway",
    "pr_applicants_in_canada",
    "public_policy",
    "charitable_religious",
    "no_other_means_of_support",
    "humanitarian",
    "vulnerable_workers",
]
CodeStatus = Literal["current", "superseded", "no_active_agreements", "not_found"]
PortalOffer = Literal["required", "not_required", "varies", "not_applicable"]
ComplianceFee = Literal["required", "exempt", "varies", "not_applicable"]
PermitType = Literal["employer_specific", "open", "occupation_restricted_open", "varies", "none"]
PoeApplication = Literal[
    "allowed_if_visa_exempt",
    "allowed_if_visa_exempt_but_advance_application_encouraged",
    "apply_on_entry",
    "discouraged",
    "not_allowed",
    "not_allowed_unless_us_or_approved",
]
ImwuScope = Literal[
    "in_scope",
    "out_of_scope",
    "out_of_scope_in_canada",
    "out_of_scope_open_permit",
    "out_of_scope_no_poe",
    "out_of_scope_pr_pathway",
    "out_of_scope_student",
    "out_of_scope_iec",
    "no_active_agreements",
    "map_to_current_code",
    "unknown_code",
]
CountryStatus = Literal[
    "visa_exempt_eta",
    "visa_exempt_eta_passport_condition",
    "document_based_exempt",
    "visa_exempt_no_eta",
    "status_based_exempt",
    "conditional_eta",
]
Stream = Literal[
    "trade_agreement",
    "international_agreement",
    "significant_benefit",
    "reciprocal",
    "work_permit_exempt",
    "other",
]

Text = Annotated[str, StringConstraints(min_length=1)]
Iso2 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# `page_modified` is an ISO date, sometimes followed by a remark (C20: "2024-12-23 (IRCC ...)").
DatedText = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}( .+)?$")]

_STRICT: ConfigDict = ConfigDict(extra="forbid", strict=True)


class ReferenceDataError(ValueError):
    """A reference file is missing, unreadable or does not match the expected schema."""


@dataclass(frozen=True)
class ExemptionCodeRecord:
    """One record of `exemption_codes.json` (`records[]`); see that file's `field_notes`."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    code: Text
    kind: Kind
    title: Text | None
    regulation: Text | None
    category: Category | None
    agreement: Text | None
    status: CodeStatus
    previous_codes: tuple[Text, ...]
    replaced_by: tuple[Text, ...]
    employer_portal_offer: PortalOffer | None
    employer_compliance_fee: ComplianceFee | None
    permit_type: PermitType | None
    poe_application: PoeApplication | None
    imwu_scope: ImwuScope
    evidence: tuple[Text, ...]
    notes: tuple[Text, ...]
    fee_exemption_codes: tuple[Text, ...]
    confirmed: bool
    unconfirmed_fields: tuple[Text, ...]
    source: Text
    extra_sources: tuple[Text, ...]
    page_modified: DatedText | None
    as_of: date

    @property
    def key(self) -> str:
        """The lookup key: the code in upper case, as the IMM 5686 form stores it."""
        return self.code.upper()

    def is_unconfirmed(self, field: str) -> bool:
        """Whether `unconfirmed_fields` names `field` (entries read "evidence (why ...)")."""
        return any(
            re.split(r"[\s(]", entry, maxsplit=1)[0] == field for entry in self.unconfirmed_fields
        )


@dataclass(frozen=True)
class CountryRecord:
    """One record of `visa_exempt_countries.json` (`records[]`); `iso2` is None for the British
    special categories and US permanent residents, which are not countries."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    iso2: Iso2 | None
    name: Text
    status: CountryStatus
    eta_required_for_air: bool
    poe_work_permit_eligible: bool
    passport_requirement: Text | None
    conditions: tuple[Text, ...]
    effective_from: date | None
    notes: tuple[Text, ...]
    confirmed: bool
    source: Text
    as_of: date
    extra_sources: tuple[Text, ...]


@dataclass(frozen=True)
class DocumentRequirement:
    """One line of a request's document checklist (IMWU page; IMM 5686 page 2; `evidence`).

    `label` keeps the wording of the reference file(s); `source_text` says where it came from.
    `confirmed=False` marks evidence the reference could not confirm: listed, never required.
    """

    kind: str
    label: str
    required: bool
    confirmed: bool
    source_text: str


@dataclass(frozen=True)
class _CodesFile:
    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="ignore", strict=True)

    dataset: Literal["imwu_exemption_codes"]
    schema_version: Literal[1]
    as_of: date
    generic_imwu_package: tuple[Text, ...]
    records: tuple[ExemptionCodeRecord, ...]


@dataclass(frozen=True)
class _CountriesFile:
    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="ignore", strict=True)

    dataset: Literal["visa_exempt_nationalities"]
    schema_version: Literal[1]
    as_of: date
    records: tuple[CountryRecord, ...]


@dataclass(frozen=True)
class ReferenceData:
    """The validated reference set. `version` = "<as_of>+<first 12 hex of sha256(files)>"."""

    version: str
    as_of: date
    codes: Mapping[str, ExemptionCodeRecord]
    countries: Mapping[str, CountryRecord]
    special_records: tuple[CountryRecord, ...]
    generic_package: tuple[str, ...]


_CODES_ADAPTER = TypeAdapter(_CodesFile)
_COUNTRIES_ADAPTER = TypeAdapter(_CountriesFile)


def _schema_error(filename: str, error: ValidationError) -> ReferenceDataError:
    """A readable error naming the file and the first problems (never echoing input values)."""
    problems = error.errors(include_input=False, include_url=False)
    shown = "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or '<root>'}: {item['msg']}"
        for item in problems[:5]
    )
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return ReferenceDataError(f"{filename}: {shown}{more}")


def _parse_exemption_codes(raw: bytes) -> _CodesFile:
    """Validate `exemption_codes.json`: schema, unique codes, resolvable `replaced_by`."""
    try:
        parsed = _CODES_ADAPTER.validate_json(raw)
    except ValidationError as error:
        raise _schema_error(CODES_FILE, error) from None
    counts = Counter(record.key for record in parsed.records)
    duplicates = sorted(key for key, count in counts.items() if count > 1)
    if duplicates:
        raise ReferenceDataError(f"{CODES_FILE}: duplicate codes {', '.join(duplicates)}")
    for record in parsed.records:
        unknown = [code for code in record.replaced_by if code.upper() not in counts]
        if unknown:
            raise ReferenceDataError(
                f"{CODES_FILE}: {record.code} is replaced by unknown codes {', '.join(unknown)}"
            )
        if record.status == "superseded" and not record.replaced_by:
            raise ReferenceDataError(f"{CODES_FILE}: superseded {record.code} has no replaced_by")
    return parsed


def _parse_countries(raw: bytes) -> _CountriesFile:
    """Validate `visa_exempt_countries.json`: schema and unique ISO 3166-1 alpha-2 codes."""
    try:
        parsed = _COUNTRIES_ADAPTER.validate_json(raw)
    except ValidationError as error:
        raise _schema_error(COUNTRIES_FILE, error) from None
    counts = Counter(record.iso2 for record in parsed.records if record.iso2 is not None)
    duplicates = sorted(code for code, count in counts.items() if count > 1)
    if duplicates:
        raise ReferenceDataError(f"{COUNTRIES_FILE}: duplicate iso2 {', '.join(duplicates)}")
    return parsed


def _check_notes(files: Mapping[str, bytes], as_of: date) -> None:
    """The Markdown notes must be UTF-8 and carry the same "As of" date as the JSON files."""
    marker = f"As of: {as_of.isoformat()}"
    for name in NOTE_FILES:
        try:
            text = files[name].decode("utf-8")
        except UnicodeDecodeError:
            raise ReferenceDataError(f"{name}: not UTF-8 text") from None
        if marker not in text:
            raise ReferenceDataError(f"{name}: missing '{marker}'")


def build_reference(files: Mapping[str, bytes]) -> ReferenceData:
    """Validate the raw bytes of every file in `DATA_FILES` and assemble a `ReferenceData`."""
    missing = [name for name in DATA_FILES if name not in files]
    if missing:
        raise ReferenceDataError(f"missing reference files: {', '.join(missing)}")
    codes_file = _parse_exemption_codes(files[CODES_FILE])
    countries_file = _parse_countries(files[COUNTRIES_FILE])
    if codes_file.as_of != countries_file.as_of:
        raise ReferenceDataError(f"{CODES_FILE} and {COUNTRIES_FILE} have different as_of dates")
    _check_notes(files, codes_file.as_of)
    digest = hashlib.sha256(b"".join(files[name] for name in DATA_FILES)).hexdigest()[:12]
    return ReferenceData(
        version=f"{codes_file.as_of.isoformat()}+{digest}",
        as_of=codes_file.as_of,
        codes=MappingProxyType({record.key: record for record in codes_file.records}),
        countries=MappingProxyType(
            {r.iso2: r for r in countries_file.records if r.iso2 is not None}
        ),
        special_records=tuple(r for r in countries_file.records if r.iso2 is None),
        generic_package=codes_file.generic_imwu_package,
    )


def read_reference_files(directory: Path) -> dict[str, bytes]:
    """The raw bytes of every file of `DATA_FILES` in `directory`."""
    try:
        return {name: (directory / name).read_bytes() for name in DATA_FILES}
    except OSError as error:
        raise ReferenceDataError(f"cannot read reference file {error.filename}") from None


def load_reference_from(directory: Path) -> ReferenceData:
    """Read and validate the reference files of `directory` (tests; other data sets)."""
    return build_reference(read_reference_files(directory))


def packaged_files() -> dict[str, bytes]:
    """The raw files the service ships (`app/eligibility/data/`): reference version 1."""
    data = resources.files("app.eligibility").joinpath("data")
    try:
        return {name: data.joinpath(name).read_bytes() for name in DATA_FILES}
    except OSError as error:
        raise ReferenceDataError(f"cannot read packaged reference file: {error.filename}") from None


@functools.cache
def load_reference() -> ReferenceData:
    """The packaged reference set (version 1), validated once per process. The rules run on the
    active version instead (`app.eligibility.versions.active_reference`), which is this set
    until another version is loaded."""
    return build_reference(packaged_files())


# Why a code is usually outside IMWU's scope (`imwu_scope`, field_notes of exemption_codes.json);
# in-scope, in-Canada, superseded and unknown codes are handled by their own rules.
SCOPE_REASONS: Mapping[str, Message] = MappingProxyType(
    {
        "out_of_scope": Message(
            "a category IMWU does not handle", "une catégorie que l'UMIT ne traite pas"
        ),
        "out_of_scope_open_permit": Message(
            "an open work permit not tied to an employer's request",
            "un permis de travail ouvert qui ne découle pas de la demande d'un employeur",
        ),
        "out_of_scope_no_poe": Message(
            "no port-of-entry application", "aucune demande au point d'entrée"
        ),
        "out_of_scope_pr_pathway": Message(
            "a permanent residence pathway", "une voie d'accès à la résidence permanente"
        ),
        "out_of_scope_student": Message("work by students", "le travail des étudiants"),
        "out_of_scope_iec": Message(
            "International Experience Canada, processed by IRCC",
            "Expérience internationale Canada, traitée par IRCC",
        ),
        "no_active_agreements": Message(
            "no agreement in force uses this code", "aucun accord en vigueur n'utilise ce code"
        ),
    }
)

_STREAMS: Mapping[str, Stream] = MappingProxyType(
    {
        "international_agreement": "international_agreement",
        "canadian_interests_significant_benefit": "significant_benefit",
        "canadian_interests_competitiveness_public_policy": "significant_benefit",
        "canadian_interests_designated_by_minister": "significant_benefit",
        "canada_provincial_agreement": "significant_benefit",
        "canadian_interests_reciprocal": "reciprocal",
        "youth_mobility": "reciprocal",
        "work_permit_exempt": "work_permit_exempt",
    }
)


# The `agreement` values of trade agreements (rules_notes.md §9: the FTAs and GATS); the other
# international agreements (T11's "non-trade agreements", R204(a)) are not trade agreements.
TRADE_AGREEMENTS: frozenset[str] = frozenset(
    {"CUSMA", "CETA", "CUKTCA", "CPTPP", "CCFTA", "CCOFTA", "CKFTA", "CPAFTA", "CPFTA", "CUFTA"}
    | {"GATS"}
)


def category_stream(record: ExemptionCodeRecord) -> Stream:
    """The broad stream of a code's `category` (IRCC exemption code table groupings); an
    international agreement is a trade agreement only when its `agreement` is one (T11, the
    non-trade agreements of R204(a), is not: seed 000) or when it is a pre-2022-12-15 FTA code
    (T21-T24, superseded, no `agreement`)."""
    trade = record.agreement in TRADE_AGREEMENTS or (
        record.agreement is None and record.status == "superseded"
    )
    if record.category == "international_agreement" and trade:
        return "trade_agreement"
    return _STREAMS.get(record.category or "", "other")


def filter_codes(
    reference: ReferenceData,
    *,
    kind: Kind | None = None,
    stream: Stream | None = None,
    status: CodeStatus | None = None,
    in_scope: bool | None = None,
    query: str | None = None,
) -> list[ExemptionCodeRecord]:
    """Codes matching every given filter, in file order (for the exemption-code listing).

    `in_scope` compares `imwu_scope == "in_scope"`; `query` is a case-insensitive substring of the
    code or the title.
    """
    needle = query.strip().casefold() if query else None
    return [
        record
        for record in reference.codes.values()
        if (kind is None or record.kind == kind)
        and (stream is None or category_stream(record) == stream)
        and (status is None or record.status == status)
        and (in_scope is None or (record.imwu_scope == "in_scope") == in_scope)
        and (needle is None or needle in f"{record.code} {record.title or ''}".casefold())
    ]


def filter_countries(
    reference: ReferenceData,
    *,
    status: CountryStatus | None = None,
    poe_work_permit_eligible: bool | None = None,
) -> list[CountryRecord]:
    """Country records (ISO-coded ones, then the special records) matching every given filter."""
    records: Iterable[CountryRecord] = (*reference.countries.values(), *reference.special_records)
    return [
        record
        for record in records
        if (status is None or record.status == status)
        and (
            poe_work_permit_eligible is None
            or record.poe_work_permit_eligible == poe_work_permit_eligible
        )
    ]
