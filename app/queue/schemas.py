from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.common.text import MultiLine, SingleLine
from app.documents.models import DocumentKind

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), MultiLine
]
Pointer = Annotated[str, StringConstraints(pattern=r"^(/[A-Za-z0-9_]+){1,4}$")]


class InfoItem(BaseModel):
    """One thing asked for: a document kind, or a field of the request (a JSON pointer)."""

    model_config = ConfigDict(extra="forbid")

    kind: DocumentKind | None = None
    field: Pointer | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "InfoItem":
        if (self.kind is None) == (self.field is None):
            raise ValueError("give exactly one of kind or field")
        return self


class InfoRequestCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "message": "Please add the worker's diploma",
                    "items": [{"kind": "diploma"}],
                    "due_date": "2027-01-15",
                }
            ]
        },
    )

    message: Text
    items: list[InfoItem] = Field(min_length=1, max_length=20)
    due_date: date


class InfoResponse(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"message": "The diploma is attached"}]}
    )

    message: Text | None = None


class InfoRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    request_id: str
    asked_by_id: str
    message: str
    items: list[InfoItem]
    due_date: date
    created_at: datetime
    responded_at: datetime | None
    response_message: str | None
    overdue: bool = False


class ClaimNextBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"streams": ["trade_agreement"]}]}
    )

    streams: list[
        Literal[
            "trade_agreement", "significant_benefit", "reciprocal", "work_permit_exempt", "other"
        ]
    ] = Field(default_factory=list, max_length=5, description="Empty: every stream")
    languages: list[Literal["en", "fr"]] = Field(default_factory=list, max_length=2)


class ReassignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewer_id: Annotated[str, StringConstraints(max_length=36), SingleLine]


class DecisionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "positive",
                    "exemption_code": "T11",
                    "conditions": [],
                    "letter_language": "en",
                }
            ]
        },
    )

    outcome: Literal["positive", "negative", "not_eligible"]
    exemption_code: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=12), SingleLine
    ]
    reasons: list[Text] = Field(default_factory=list, max_length=20)
    conditions: list[Text] = Field(default_factory=list, max_length=20)
    letter_language: Literal["en", "fr"]
    suggest_lmia_route: bool = Field(
        default=False, description="For a negative reciprocal-employment case: point to an LMIA"
    )


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    request_id: str
    decided_by_id: str
    outcome: str
    exemption_code: str
    reasons: list[str]
    conditions: list[str]
    letter_language: str
    suggest_lmia_route: bool
    created_at: datetime


class QueueItem(BaseModel):
    id: str
    reference: str
    status: str
    stream: str | None
    language: str
    exemption_code: str | None
    priority: int
    priority_reasons: list[str]
    submitted_at: datetime | None
    due_date: date | None
    past_due: bool
    claimed_by_id: str | None
    claim_expires_at: datetime | None
    info_overdue: bool
    findings: dict[str, int]


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None


class Stats(BaseModel):
    by_status: dict[str, int]
    by_stream: dict[str, int]
    median_business_days_to_decision: float | None
    past_due: int
