from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class ResolutionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    resolution: str
    note: str | None
    resolved_by_id: str
    resolved_at: datetime


class StoredFinding(BaseModel):
    id: str = Field(description="Stable: name it to resolve the finding")
    rule: str
    outcome: str
    message: dict[str, str]
    fields: list[str]
    reference_version: str
    created_at: datetime
    resolution: ResolutionOut | None = None


class TriageOut(BaseModel):
    request_id: str
    run: int | None
    revision: int | None = Field(description="The revision this run triaged")
    stream: str | None
    language: str
    priority: int
    priority_reasons: list[str]
    urgent: bool
    due_date: date | None
    findings: list[StoredFinding]
