from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.db import Base
from app.intake.models import OpinionRequest


class AuditEvent(Base):
    """An append-only event of one chain (a case, or an account for events without a case).
    `hash` = SHA-256 over the previous event's hash in the same chain and this event's canonical
    content, so editing or deleting a row breaks its chain (`imwu audit verify`)."""

    __tablename__ = "audit_event"

    chain_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    request_id: Mapped[str | None] = mapped_column(ForeignKey(OpinionRequest.id), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The head of one chain: its last sequence number and hash. Locked only by a transaction
    appending to this chain, at its very end, so writes on different cases never wait on each
    other."""

    __tablename__ = "audit_chain"

    chain_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed Merkle root over every chain's (chain id, seq, head hash) at one moment.

    `id` is the previous checkpoint's plus one (the primary key makes two writers racing for the
    same number fail, so checkpoints form one sequence). `note` is the exact text signed."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str | None] = mapped_column(String(100))
    signature: Mapped[str | None] = mapped_column(Text)


class AuditCheckpointLeaf(Base):
    """A chain head that changed since the previous checkpoint (a checkpoint's full leaf set is
    the latest leaf of each chain up to it, so storage grows with activity, not cases x time)."""

    __tablename__ = "audit_checkpoint_leaf"

    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("audit_checkpoint.id"), primary_key=True, autoincrement=False
    )
    chain_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
