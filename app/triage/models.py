from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.ids import new_id
from app.db import Base


class TriageFinding(Base):
    """One rule's finding in one triage run, with the reference data version it was judged on."""

    __tablename__ = "triage_finding"
    __table_args__ = (Index("ix_triage_finding_request_run", "request_id", "run"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("opinion_request.id"))
    run: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(10))
    message_en: Mapped[str] = mapped_column(Text)
    message_fr: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON)
    reference_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
