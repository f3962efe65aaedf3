from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.ids import new_id
from app.db import Base


class DocumentKind(StrEnum):
    PASSPORT_BIO_PAGE = "passport_bio_page"
    CV = "cv"
    JOB_OFFER = "job_offer"
    EMPLOYER_LETTER = "employer_letter"
    DIPLOMA = "diploma"
    CERTIFICATION = "certification"
    PAY_STUB = "pay_stub"
    BUSINESS_LICENCE = "business_licence"
    IMM5686_FORM = "imm5686_form"
    LANGUAGE_TEST = "language_test"
    MEDICAL_EXAM_RESULTS = "medical_exam_results"
    OTHER_EVIDENCE = "other_evidence"


class Document(Base):
    """A stored file of a request. The bytes live in storage under the row's id."""

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("request_id", "sha256", name="uq_document_request_sha256"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("opinion_request.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(String(30))
    display_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text, deferred=True)
    uploaded_by_id: Mapped[str] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
