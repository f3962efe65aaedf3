from datetime import date, datetime

from pydantic import BaseModel, Field

from app.eligibility.reference import CodeStatus, CountryRecord, ExemptionCodeRecord, Stream


class RequirementOut(BaseModel):
    kind: str
    label: str
    required: bool
    confirmed: bool = Field(
        description="False: the reference could not confirm it; a reviewer decides"
    )
    source_text: str


class ExemptionCodeSummary(BaseModel):
    code: str
    title: str | None
    kind: str
    regulation: str | None
    category: str | None
    stream: Stream
    status: CodeStatus
    imwu_scope: str
    confirmed: bool
    unconfirmed_fields: list[str]


class ExemptionCodeList(BaseModel):
    version: str
    items: list[ExemptionCodeSummary]


class ExemptionCodeDetail(BaseModel):
    version: str
    stream: Stream
    record: ExemptionCodeRecord
    checklist: list[RequirementOut]


class CountryList(BaseModel):
    version: str
    items: list[CountryRecord]


class ReferenceVersionOut(BaseModel):
    number: int
    version: str = Field(description="The content version findings and letters keep")
    as_of: date
    active: bool
    stored: bool = Field(
        description="False for the shipped files (version 1) before any version is loaded"
    )
    loaded_at: datetime | None
    open_cases: int | None = Field(description="Open cases re-triaged when it was loaded")
    changed_cases: int | None = Field(description="Open cases whose findings it changed")


class ReferenceVersionList(BaseModel):
    active: int
    items: list[ReferenceVersionOut]
