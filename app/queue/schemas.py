from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.common.text import MultiLine, SingleLine
from app.documents.models import DocumentKind
from app.eligibility.reference import Stream

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), MultiLine
]
FormPath = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^/?[A-Za-z0-9_]+([./][A-Za-z0-9_]+){0,4}$"),
    Field(examples=["/worker/passport/expiry_date", "worker.passport.expiry_date"]),
]


class InfoItem(BaseModel):
    """One document asked for, by kind."""

    model_config = ConfigDict(extra="forbid")

    kind: DocumentKind


class InfoRequestCreate(BaseModel):
    """What the organization must send: documents of the named kinds and/or new values for the
    named form fields (JSON pointers or dotted paths); nothing else may change meanwhile."""

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
    items: list[InfoItem] = Field(default_factory=list, max_length=20)
    fields: list[FormPath] = Field(default_factory=list, max_length=40)
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
    fields: list[str] = Field(description="JSON pointers of the fields that may change")
    due_date: date
    created_at: datetime
    responded_at: datetime | None
    response_message: str | None
    overdue: bool = False


class ClaimNextBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"streams": ["trade_agreement"]}]}
    )

    streams: list[Stream] = Field(
        default_factory=list, max_length=6, description="Empty: every stream"
    )
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


class ResolutionRecord(BaseModel):
    """One finding of the decided revision and the holder's resolution of it."""

    finding_id: str
    rule: str
    outcome: str
    resolution: str
    note: str | None
    resolved_by_id: str
    resolved_at: datetime


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
    revision: int = Field(description="The revision decided on; its letter certifies it")
    resolutions: list[ResolutionRecord] = Field(default_factory=list)


class ResolutionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Literal["accepted", "overridden"]
    note: Text | None = Field(default=None, description="Required to override")


DecisionOutcome = Literal["positive", "negative", "not_eligible"]


class BlockReason(BaseModel):
    """One reason the current revision cannot carry a decision (`decision_blocked`)."""

    code: Literal[
        "blocking_finding",
        "finding_unresolved",
        "required_document_missing",
        "letter_fact_missing",
        "no_revision",
    ]
    detail: str
    finding_id: str | None = None
    rule: str | None = None
    kind: str | None = None
    field: str | None = Field(default=None, description="JSON pointer of a missing letter fact")
    outcomes: tuple[DecisionOutcome, ...] = Field(description="The outcomes it blocks")


class DecisionReadiness(BaseModel):
    revision: int | None = Field(description="The revision a decision would be made on")
    decidable: dict[DecisionOutcome, bool]
    reasons: list[BlockReason]


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
