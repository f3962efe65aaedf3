from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.documents.models import DocumentKind


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    request_id: str
    kind: DocumentKind
    display_name: str
    media_type: str
    size_bytes: int
    sha256: str
    pages: int | None
    width: int | None
    height: int | None
    created_at: datetime


class DocumentList(BaseModel):
    items: list[DocumentOut]
    documents_bytes_used: int
    documents_bytes_remaining: int
