from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.ids import new_id
from app.db import Base


class RequestRevision(Base):
    """One frozen state of a submitted request. Rows are written once and never changed: what a
    decision was made on, and what its letter certifies, can always be read back.

    `documents` lists `{id, kind, sha256, size_bytes, media_type}` per document (the rows and files
    may be purged later; the list stays). `triage_run` names the `triage_finding` run of this
    revision."""

    __tablename__ = "request_revision"
    __table_args__ = (UniqueConstraint("request_id", "number", name="uq_request_revision_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("opinion_request.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reference_version: Mapped[str] = mapped_column(String(40))
    triage_run: Mapped[int] = mapped_column(Integer)
    info_request_id: Mapped[str | None] = mapped_column(ForeignKey("info_request.id"))
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
