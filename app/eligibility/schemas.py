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
