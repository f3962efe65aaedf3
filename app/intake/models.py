from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.ids import new_id
from app.db import Base

OPEN_CASES = "status IN ('submitted', 'in_review', 'info_requested')"
IN_REVIEW = "status = 'in_review'"
SUBMITTED = "status = 'submitted'"


class RequestStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    INFO_REQUESTED = "info_requested"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


# The longest exemption code of the reference ("R186(e.1)", "GSS-15/30") fits with room to spare.
MAX_CODE_LENGTH = 12

# Where the form or its documents may change at all: a draft freely; after submit the form is
# frozen in revisions, and an open information request lets the organization change what it
# names, nothing else (`app.revisions.scope`).
CHANGEABLE_STATUSES = (RequestStatus.DRAFT, RequestStatus.INFO_REQUESTED)
WITHDRAWABLE_STATUSES = (
    RequestStatus.DRAFT,
    RequestStatus.SUBMITTED,
    RequestStatus.IN_REVIEW,
    RequestStatus.INFO_REQUESTED,
)


class OpinionRequest(Base):
    """One IMM 5686 request for an opinion. `content` holds the form (app.common.form)."""

    __tablename__ = "opinion_request"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'submitted', 'in_review', 'info_requested', 'decided', "
            "'withdrawn')",
            name="status_known",
        ),
        CheckConstraint("documents_bytes_used >= 0", name="budget_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("created_by_id", "idempotency_key", name="uq_opinion_request_idempotency"),
        Index("ix_opinion_request_org_created", "organization_id", "created_at", "id"),
        # The queue's order (priority first, then the longest waiting) over open cases only, so a
        # page or a claim reads the first rows of one index whatever the number of cases.
        Index(
            "ix_opinion_request_open_queue",
            text("priority DESC"),
            "submitted_at",
            "id",
            postgresql_where=text(OPEN_CASES),
            sqlite_where=text(OPEN_CASES),
        ),
        # The cases a reviewer can claim next, in claim order: a claim reads one index entry
        # instead of skipping every case already in review.
        Index(
            "ix_opinion_request_waiting",
            text("priority DESC"),
            "submitted_at",
            "id",
            postgresql_where=text(SUBMITTED),
            sqlite_where=text(SUBMITTED),
        ),
        # Claims whose lease ran out, found without reading every case.
        Index(
            "ix_opinion_request_claim_expiry",
            "claim_expires_at",
            postgresql_where=text(IN_REVIEW),
            sqlite_where=text(IN_REVIEW),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    created_by_id: Mapped[str] = mapped_column(ForeignKey("account.id"))
    status: Mapped[RequestStatus] = mapped_column(String(20), default=RequestStatus.DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    form_edition: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    exemption_code: Mapped[str | None] = mapped_column(String(MAX_CODE_LENGTH))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    documents_bytes_used: Mapped[int] = mapped_column(Integer, default=0)
    declarant_name: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)

    # Triage and queue state (issue 4): set on submit, changed by the queue's conditional UPDATEs.
    stream: Mapped[str | None] = mapped_column(String(30))
    triage_run: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The number of the latest frozen revision (`request_revision`); 0 while a draft.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priority_reasons: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    due_date: Mapped[date | None] = mapped_column(Date)
    claimed_by_id: Mapped[str | None] = mapped_column(ForeignKey("account.id"), index=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class ReferenceCounter(Base):
    """The last number handed out per year for `IMWU-<year>-<number>` references."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)
