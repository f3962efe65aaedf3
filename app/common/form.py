"""The IMM 5686 request body: the contract a front-end codes against (issue 3, section 8).

Every field is optional while the request is a draft; what submit needs is decided by the
eligibility rules, not here. Here we only refuse values that can never be right (an unknown country,
a malformed NOC or offer number, an end before a start), and cap every string.
Source of the fields: `eligibility/data/imm5686_fields.md`.
"""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from app.common.clock import today
from app.common.text import MultiLine, SingleLine

FORM_EDITION = "IMM 5686 (01-2018) E"

ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), MultiLine
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+() .\-x]{7,30}$")]


def _to_alpha2(value: str) -> str:
    """ISO 3166-1 alpha-2 or alpha-3 in, alpha-2 out."""
    code = value.strip().upper()
    country = None
    if len(code) == 2:
        country = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        country = pycountry.countries.get(alpha_3=code)
    if country is None:
        raise ValueError("not an ISO 3166-1 alpha-2 or alpha-3 country code")
    return str(country.alpha_2)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError("not an ISO 4217 currency code")
    return code


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


CountryCode = Annotated[str, StringConstraints(max_length=3), AfterValidator(_to_alpha2)]
CurrencyCode = Annotated[str, StringConstraints(max_length=3), AfterValidator(_currency)]
NocCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4,5}$"),
    Field(
        description="NOC 2021 five-digit code; a four-digit NOC 2016 code is accepted and flagged."
    ),
]
ExemptionCode = Annotated[
    str,
    BeforeValidator(_upper),
    # Room for a request that names several codes ("T37/T38", "T37, T38"): the eligibility
    # rule `several_codes` refuses it naming the codes, not a schema error (poe_eligibility R3).
    StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9().\-/,;&+ ]{1,39}$"),
    Field(description="One exemption code, as listed by /api/v1/reference/exemption-codes."),
]
BusinessNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
OfferNumber = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^A[0-9]{7}$")]
Province = Literal["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]
SizeRange = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,7}(-[0-9]{1,7}|\+)?$")
]

NOC_2021 = re.compile(r"^[0-9][0-5][0-9]{3}$")


class FormModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)


class Exemption(FormModel):
    # "lmia_required": no exemption applies, the job needs an LMIA (out of IMWU's scope, R11).
    type: Literal["lmia_exemption", "work_permit_exemption", "lmia_required"] | None = None
    code: ExemptionCode | None = None


class Employer(FormModel):
    name: ShortText | None = None
    address: LongText | None = None
    phone: Phone | None = None
    contact_name: ShortText | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    website: Annotated[str, StringConstraints(max_length=500), SingleLine] | None = None
    size_in_canada: SizeRange | None = None
    size_abroad: SizeRange | None = None
    principal_activity: LongText | None = None
    business_number: BusinessNumber | None = None
    offer_number: OfferNumber | None = None
    copy_notifications: bool | None = Field(
        default=None, description="Email the employer contact a copy of each notification"
    )


class Passport(FormModel):
    number: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9<\- ]{3,20}$")]
        | None
    ) = None
    issuing_country: CountryCode | None = None
    expiry_date: date | None = None


class Worker(FormModel):
    family_name: ShortText | None = None
    given_names: ShortText | None = None
    date_of_birth: date | None = None
    gender: Literal["F", "M", "X"] | None = None
    citizenship: CountryCode | None = None
    country_of_birth: CountryCode | None = None
    country_of_residence: CountryCode | None = None
    other_citizenships: list[CountryCode] = Field(default_factory=list, max_length=10)
    travel_passport_country: CountryCode | None = None
    uci: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-?[0-9]{4}(-?[0-9]{2})?$")] | None = (
        None
    )
    currently_in_canada: bool | None = None
    in_canada_explanation: LongText | None = None
    current_location_country: CountryCode | None = None
    holds_or_applied_for_work_permit: bool | None = None
    charged_or_convicted: bool | None = None
    us_permanent_resident: bool | None = None
    passport: Passport = Field(default_factory=Passport)
    # Triage fields (issue 11; poe_eligibility.md §4-§6, rules_notes.md §9-§10): not on the
    # IMM 5686, asked so that a reviewer sees what the sources leave to a human.
    permanent_resident_of: list[CountryCode] = Field(default_factory=list, max_length=10)
    countries_lived_last_year: list[CountryCode] | None = Field(default=None, max_length=20)
    previously_refused: bool | None = None
    previously_overstayed: bool | None = None
    previous_canadian_permit: bool | None = None
    immigration_history_explanation: LongText | None = None
    accompanying_family: bool | None = None
    french_nclc_level: Annotated[int, Field(ge=1, le=12)] | None = None

    @field_validator("date_of_birth")
    @classmethod
    def _born_in_the_past(cls, born: date | None) -> date | None:
        if born is not None and born.year < 1900:
            raise ValueError("date of birth is before 1900")
        if born is not None and born > today():
            raise ValueError("date of birth is in the future")
        return born


class Location(FormModel):
    address: LongText | None = None
    city: ShortText | None = None
    province: Province | None = None


class Certification(FormModel):
    provincial: bool = False
    territorial: bool = False
    federal: bool = False
    body: ShortText | None = None


class Wage(FormModel):
    amount: Annotated[Decimal, Field(max_digits=12, decimal_places=2)] | None = None
    currency: CurrencyCode | None = None
    per: Literal["hour", "week", "month", "year"] | None = None


class Work(FormModel):
    job_title: ShortText | None = None
    noc_code: NocCode | None = None
    location: Location = Field(default_factory=Location)
    start_date: date | None = None
    end_date: date | None = None
    duties: LongText | None = None
    minimum_education: LongText | None = None
    skills_experience: LongText | None = None
    certification: Certification = Field(default_factory=Certification)
    wage: Wage = Field(default_factory=Wage)
    hours_per_week: Annotated[float, Field(gt=0, le=168)] | None = None
    intended_port_of_entry: ShortText | None = None
    intended_entry_date: date | None = None
    seasonal_agricultural: bool | None = None

    @field_validator("end_date")
    @classmethod
    def _dates_in_order(cls, end_date: date | None, info: ValidationInfo) -> date | None:
        start_date = info.data.get("start_date")
        if end_date is not None and start_date is not None and start_date > end_date:
            raise ValueError("end_date is before start_date")
        return end_date


class Representative(FormModel):
    name: ShortText | None = None
    type: Literal["lawyer", "quebec_notary", "rcic", "unpaid"] | None = None
    licence_number: ShortText | None = None
    regulator: ShortText | None = None
    firm: ShortText | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: Phone | None = None
    imm5476_on_file: bool | None = None


class RequestContent(FormModel):
    """The whole IMM 5686 request as stored (the body of create, the merged result of PATCH)."""

    language: Literal["en", "fr"] = "en"
    exemption: Exemption = Field(default_factory=Exemption)
    employer: Employer = Field(default_factory=Employer)
    worker: Worker = Field(default_factory=Worker)
    work: Work = Field(default_factory=Work)
    representative: Representative | None = None
