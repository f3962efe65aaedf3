from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
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


class FindingResolution(Base):
    """The holder's word on one finding of the current revision: `accepted` (checked, it stands
    as the rule says) or `overridden` (the holder disagrees, and says why in `note`). Every
    `review` finding needs one before a positive decision; it is listed on the decision record."""

    __tablename__ = "finding_resolution"
    __table_args__ = (
        CheckConstraint("resolution IN ('accepted', 'overridden')", name="resolution_known"),
        CheckConstraint(
            "resolution <> 'overridden' OR note IS NOT NULL", name="override_has_note"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    finding_id: Mapped[str] = mapped_column(ForeignKey("triage_finding.id"), unique=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("opinion_request.id"), index=True)
    resolution: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[str] = mapped_column(ForeignKey("account.id"))
    resolved_at: Mapped[datetime] = mapped_column(default=utcnow)
