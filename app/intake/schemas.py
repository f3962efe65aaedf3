from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.common.form import RequestContent
from app.common.text import SingleLine
from app.intake.models import RequestStatus


class RequestOut(RequestContent):
    """A request as it reads back: the form plus its identity, state and budget."""

    model_config = ConfigDict(extra="ignore")

    id: str
    reference: str = Field(examples=["IMWU-2026-000123"])
    status: RequestStatus
    version: int
    form_edition: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    declarant_name: str | None
    documents_bytes_used: int
    documents_bytes_remaining: int
    stream: str | None = Field(default=None, description="Set by triage on submit")
    priority: int = 0
    priority_reasons: list[str] = Field(default_factory=list)
    due_date: date | None = Field(default=None, description="Service standard, business days")
    claimed_by_id: str | None = Field(default=None, description="The reviewer holding the case")
    claim_expires_at: datetime | None = None
    decided_at: datetime | None = None
    revision: int | None = Field(
        default=None, description="The latest frozen revision (1 at submit); null for a draft"
    )


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class SubmitBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"declarant_name": "Robin Lee", "declaration_accepted": True}]
        },
    )

    declarant_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine
    ]
    declaration_accepted: bool


class FindingOut(BaseModel):
    rule: str
    outcome: str
    message: dict[str, str]
    fields: list[str]


class ChecklistItemOut(BaseModel):
    kind: str
    required: bool
    present: bool
    label: str | None = None


class ValidationReport(BaseModel):
    submittable: bool
    findings: list[FindingOut]
    checklist: list[ChecklistItemOut]


PatchBody = dict[str, Any]
