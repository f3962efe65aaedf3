from datetime import date, datetime

from pydantic import BaseModel


class StoredFinding(BaseModel):
    rule: str
    outcome: str
    message: dict[str, str]
    fields: list[str]
    reference_version: str
    created_at: datetime


class TriageOut(BaseModel):
    request_id: str
    run: int | None
    stream: str | None
    language: str
    priority: int
    priority_reasons: list[str]
    urgent: bool
    due_date: date | None
    findings: list[StoredFinding]
