from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.ids import new_id
from app.db import Base


class Letter(Base):
    """An issued opinion letter: its signed facts, its PDF's digest and whether it still stands.
    The PDF itself is in the object store under the letter's id (`app/letters/files.py`).

    `signature_scheme` says how the PDF was signed: `pades-b-b` (a PDF signature by the key
    `key_id`, whose certificate has SHA-256 `certificate_fingerprint`), or `ed25519-legacy` for
    letters issued before PDF signatures (an Ed25519 signature over the facts and the PDF hash,
    kept in `signature`; they keep their verification status, but no certificate checks them).
    """

    __tablename__ = "letter"
    __table_args__ = (
        CheckConstraint("status IN ('valid', 'revoked', 'superseded')", name="status_known"),
        CheckConstraint(
            "signature_scheme IN ('pades-b-b', 'ed25519-legacy')", name="signature_scheme_known"
        ),
        CheckConstraint(
            "(signature_scheme = 'pades-b-b') = (certificate_fingerprint IS NOT NULL)",
            name="certificate_with_pades",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("opinion_request.id"), index=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decision.id"))
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="valid")
    language: Mapped[str] = mapped_column(String(2))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    signature_scheme: Mapped[str] = mapped_column(String(20))
    key_id: Mapped[str] = mapped_column(String(40))
    certificate_fingerprint: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(200))
    issued_by_id: Mapped[str] = mapped_column(ForeignKey("account.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[str | None] = mapped_column(ForeignKey("letter.id"))
    # The reference data version the letter was written with (code title, regulation, fees);
    # None for letters issued before versions were kept (the migration fills it when it can).
    reference_version: Mapped[str | None] = mapped_column(String(40))
