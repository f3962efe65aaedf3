from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.ids import new_id
from app.db import Base


class InfoRequest(Base):
    """A reviewer's request for more information; the service clock stops while it is open."""

    __tablename__ = "info_request"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("opinion_request.id"), index=True)
    asked_by_id: Mapped[str] = mapped_column(ForeignKey("account.id"))
    message: Mapped[str] = mapped_column(Text)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # JSON pointers of the form fields the organization may change while the request is open.
    fields: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(default=None)
    response_message: Mapped[str | None] = mapped_column(Text)
    responded_by_id: Mapped[str | None] = mapped_column(ForeignKey("account.id"))


class Decision(Base):
    """The holder's decision on a case; one per request."""

    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('positive', 'negative', 'not_eligible')", name="outcome_known"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("opinion_request.id"), unique=True)
    decided_by_id: Mapped[str] = mapped_column(ForeignKey("account.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    exemption_code: Mapped[str] = mapped_column(String(12))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    conditions: Mapped[list[str]] = mapped_column(JSON)
    letter_language: Mapped[str] = mapped_column(String(2))
    suggest_lmia_route: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    business_days_to_decision: Mapped[int] = mapped_column(Integer, default=0)
    # The revision (`request_revision.number`) the decision was made on; its letter certifies it.
    revision: Mapped[int] = mapped_column(Integer)
