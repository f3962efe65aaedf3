from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.triage.schemas import StoredFinding


class RevisionDocument(BaseModel):
    id: str
    kind: str
    sha256: str
    size_bytes: int
    media_type: str


class DocumentRef(BaseModel):
    id: str
    kind: str


class RevisionChanges(BaseModel):
    """What changed since the revision before: field paths and document ids, never values."""

    since: int = Field(description="The revision compared with")
    fields: list[str] = Field(description="JSON pointers of the fields whose value changed")
    documents_added: list[DocumentRef]


class RevisionSummary(BaseModel):
    number: int
    created_at: datetime
    created_by_id: str | None
    info_request_id: str | None = Field(description="The information request it answers")
    reference_version: str
    triage_run: int
    documents: int = Field(description="How many documents the revision holds")
    changes: RevisionChanges | None = Field(description="Null for revision 1")


class RevisionOut(RevisionSummary):
    content: dict[str, Any] = Field(description="The form as frozen")
    document_list: list[RevisionDocument]
    findings: list[StoredFinding]
