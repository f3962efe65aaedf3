"""Signed checkpoints over every audit chain: how per-case chains still prove one whole history.

This is how transparency logs prove append-only history without one lock. Certificate
Transparency (RFC 6962) and Trillian append entries freely and, from time to time, publish a
signed tree head: a Merkle root over everything logged so far. Anyone holding an older signed head
can later check that the log only grew. Here the "log" is the set of case chains: a checkpoint is
the RFC 6962 Merkle tree hash over the leaves `(chain id, seq, head hash)` of every chain, sorted
by chain id, signed with the service's signing key and published (`GET /api/v1/audit/checkpoints`).

- Editing or deleting an event breaks its chain (app/audit/service.py); editing a chain's head
  makes it disagree with its last event.
- Deleting a whole case's events *and* its head leaves no broken chain behind, but the case's
  leaf is in every checkpoint taken since its last event: `imwu audit verify` finds the sealed
  event missing, and the next checkpoint refuses to be written (`AuditTampered`).
- Rewriting history consistently (events, heads and the stored checkpoints) needs the signing key;
  and copies of published checkpoints held outside the database are not reachable at all.

Who writes them: `imwu serve` in a background thread every `IMWU_AUDIT_CHECKPOINT_SECONDS`
(default 300; each worker process tries, the checkpoint number's primary key lets one win) and
`imwu audit checkpoint` (cron, or before a backup). A checkpoint is skipped when no chain moved.
The migration that introduced per-case chains writes checkpoint 1 unsigned (a migration has no
business with key material); the first `imwu serve` or `imwu audit checkpoint` checks it against
the events and signs it. Until then `imwu audit verify` reports it as not signed.

Each checkpoint stores only the leaves that changed since the previous one; a checkpoint's full
leaf set is the latest leaf of each chain up to it.
"""

import hashlib
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.audit.models import AuditChain, AuditCheckpoint, AuditCheckpointLeaf, AuditEvent
from app.audit.service import BrokenLink
from app.common.clock import utcnow
from app.signing.service import sign_detached, verify_detached

logger = logging.getLogger("imwu.audit")

ORIGIN = "imwu-intake audit checkpoint v1"

Leaf = tuple[int, str]
"""A chain's (seq, head hash); a state maps chain ids to leaves."""


class AuditTampered(Exception):
    """A chain sealed by a checkpoint went missing or backwards: no new checkpoint is written."""


def leaf_hash(chain_id: str, seq: int, head: str) -> bytes:
    return hashlib.sha256(b"\x00" + f"{chain_id}\n{seq}\n{head}".encode()).digest()


def merkle_root(leaves: Sequence[bytes]) -> str:
    """RFC 6962 Merkle Tree Hash of leaf hashes (the empty tree hashes the empty string)."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()

    def node(low: int, high: int) -> bytes:
        if high - low == 1:
            return leaves[low]
        split = 1 << ((high - low - 1).bit_length() - 1)  # largest power of two below the size
        return hashlib.sha256(b"\x01" + node(low, low + split) + node(low + split, high)).digest()

    return node(0, len(leaves)).hex()


def root_of(state: Mapping[str, Leaf]) -> str:
    return merkle_root([leaf_hash(c, *state[c]) for c in sorted(state)])


def note_text(checkpoint_id: int, size: int, root: str, created_at: datetime) -> str:
    """The exact text signed (the transparency-dev checkpoint layout: origin, size, root)."""
    stamp = created_at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"{ORIGIN}\n{checkpoint_id}\n{size}\n{root}\n{stamp}\n"


def _states(session: Session) -> Iterable[tuple[int, dict[str, Leaf], list[tuple[str, Leaf]]]]:
    """(checkpoint id, state after it, its own leaves) for every stored leaf set, in order."""
    state: dict[str, Leaf] = {}
    rows = session.execute(
        select(
            AuditCheckpointLeaf.checkpoint_id,
            AuditCheckpointLeaf.chain_id,
            AuditCheckpointLeaf.seq,
            AuditCheckpointLeaf.hash,
        ).order_by(AuditCheckpointLeaf.checkpoint_id, AuditCheckpointLeaf.chain_id)
    )
    current: int | None = None
    delta: list[tuple[str, Leaf]] = []
    for checkpoint_id, chain_id, seq, digest in rows:
        if checkpoint_id != current:
            if current is not None:
                yield current, state, delta
            current, delta = checkpoint_id, []
        delta.append((chain_id, (seq, digest)))
        state[chain_id] = (seq, digest)
    if current is not None:
        yield current, state, delta


def _state_up_to(session: Session, checkpoint_id: int) -> dict[str, Leaf]:
    state: dict[str, Leaf] = {}
    for number, folded, _ in _states(session):
        if number > checkpoint_id:
            break
        state = folded
    return dict(state)


def _heads(session: Session) -> dict[str, Leaf]:
    return {
        chain_id: (seq, digest)
        for chain_id, seq, digest in session.execute(
            select(AuditChain.chain_id, AuditChain.seq, AuditChain.hash)
        )
    }


def _check_grew(previous: Mapping[str, Leaf], heads: Mapping[str, Leaf]) -> None:
    """Every chain sealed before is still there, at the same or a later position."""
    for chain_id, (seq, digest) in sorted(previous.items()):
        now = heads.get(chain_id)
        if now is None:
            raise AuditTampered(f"chain {chain_id}, sealed at event {seq}, is missing")
        if now[0] < seq or (now[0] == seq and now[1] != digest):
            raise AuditTampered(f"chain {chain_id} no longer extends its sealed event {seq}")


def write_checkpoint(session: Session, *, force: bool = False) -> AuditCheckpoint | None:
    """Seal every chain's head in a new signed checkpoint; None when no chain moved since the
    last one (unless `force`) or when another process wrote the same number first."""
    last = session.scalar(select(func.max(AuditCheckpoint.id))) or 0
    previous = _state_up_to(session, last)
    heads = _heads(session)
    _check_grew(previous, heads)
    delta = {c: leaf for c, leaf in heads.items() if previous.get(c) != leaf}
    if last and not delta and not force:
        return None
    checkpoint = _new_checkpoint(last + 1, heads)
    try:
        with session.begin_nested():
            session.add(checkpoint)
            session.flush()
            if delta:
                session.execute(
                    insert(AuditCheckpointLeaf),
                    [
                        {"checkpoint_id": checkpoint.id, "chain_id": c, "seq": s, "hash": h}
                        for c, (s, h) in sorted(delta.items())
                    ],
                )
    except IntegrityError:
        return None
    return checkpoint


def _new_checkpoint(number: int, state: Mapping[str, Leaf]) -> AuditCheckpoint:
    created_at = utcnow()
    root = root_of(state)
    note = note_text(number, len(state), root, created_at)
    key_id, signature = sign_detached(note.encode())
    return AuditCheckpoint(
        id=number,
        created_at=created_at,
        size=len(state),
        root=root,
        note=note,
        key_id=key_id,
        signature=signature,
    )


def sign_pending(session: Session) -> list[int]:
    """Sign checkpoints written without a signature (the migration's), after checking that each
    still matches its leaves and the events it seals: the key never signs a tampered root."""
    unsigned = list(
        session.scalars(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.signature.is_(None))
            .order_by(AuditCheckpoint.id)
        )
    )
    signed = []
    for checkpoint in unsigned:
        broken = _check_one(session, checkpoint, _state_up_to(session, checkpoint.id))
        if broken is not None:
            raise AuditTampered(str(broken))
        key_id, signature = sign_detached(checkpoint.note.encode())
        session.execute(
            update(AuditCheckpoint)
            .where(AuditCheckpoint.id == checkpoint.id, AuditCheckpoint.signature.is_(None))
            .values(key_id=key_id, signature=signature)
            .execution_options(synchronize_session=False)
        )
        signed.append(checkpoint.id)
    return signed


def _check_one(
    session: Session, checkpoint: AuditCheckpoint, state: Mapping[str, Leaf]
) -> BrokenLink | None:
    where = f"checkpoint {checkpoint.id}"
    if checkpoint.size != len(state) or checkpoint.root != root_of(state):
        return BrokenLink(where, "its root does not match its leaves")
    expected = note_text(checkpoint.id, checkpoint.size, checkpoint.root, checkpoint.created_at)
    if checkpoint.note != expected:
        return BrokenLink(where, "its signed note does not match its fields")
    sealed = _sealed_events_missing(session, checkpoint.id)
    if sealed is not None:
        return BrokenLink(where, sealed)
    return None


def _sealed_events_missing(session: Session, checkpoint_id: int) -> str | None:
    """The first leaf of this checkpoint whose event is gone or has another hash."""
    rows = session.execute(
        select(AuditCheckpointLeaf.chain_id, AuditCheckpointLeaf.seq, AuditEvent.hash)
        .outerjoin(
            AuditEvent,
            and_(
                AuditEvent.chain_id == AuditCheckpointLeaf.chain_id,
                AuditEvent.seq == AuditCheckpointLeaf.seq,
            ),
        )
        .where(
            AuditCheckpointLeaf.checkpoint_id == checkpoint_id,
            (AuditEvent.hash.is_(None)) | (AuditEvent.hash != AuditCheckpointLeaf.hash),
        )
        .order_by(AuditCheckpointLeaf.chain_id)
        .limit(1)
    ).first()
    if rows is None:
        return None
    return f"event {rows[1]} of chain {rows[0]}, which it seals, is missing or changed"


@dataclass(frozen=True)
class CheckpointCheck:
    checked: int
    broken: BrokenLink | None


def verify_checkpoints(session: Session) -> CheckpointCheck:
    """Check every checkpoint in order: numbered without gaps, each chain only growing, root and
    note matching the leaves, every sealed event still present, the signature valid."""
    checkpoints = {
        c.id: c for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))
    }
    folded = {number: (dict(state), delta) for number, state, delta in _states(session)}
    state: dict[str, Leaf] = {}
    for position, number in enumerate(sorted(checkpoints), start=1):
        checkpoint = checkpoints[number]
        if number != position:
            return CheckpointCheck(position - 1, BrokenLink(f"checkpoint {position}", "missing"))
        after, delta = folded.get(number, (state, []))
        for chain_id, (seq, _digest) in delta:
            if chain_id in state and state[chain_id][0] >= seq:
                reason = f"chain {chain_id} went back from event {state[chain_id][0]} to {seq}"
                return CheckpointCheck(position - 1, BrokenLink(f"checkpoint {number}", reason))
        state = after
        broken = _check_one(session, checkpoint, state) or _check_signature(checkpoint)
        if broken is not None:
            return CheckpointCheck(position - 1, broken)
    return CheckpointCheck(len(checkpoints), None)


def _check_signature(checkpoint: AuditCheckpoint) -> BrokenLink | None:
    where = f"checkpoint {checkpoint.id}"
    if checkpoint.signature is None or checkpoint.key_id is None:
        return BrokenLink(where, "not signed yet (run `imwu audit checkpoint` or `imwu serve`)")
    if not verify_detached(checkpoint.key_id, checkpoint.note.encode(), checkpoint.signature):
        return BrokenLink(where, "its signature does not verify")
    return None


def latest_checkpoints(
    session: Session, *, before: int | None, limit: int
) -> list[AuditCheckpoint]:
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditCheckpoint.id < before)
    return list(session.scalars(query))


def checkpoint_now(sessions: sessionmaker[Session], *, force: bool = False) -> int | None:
    """Sign what is pending, then write a checkpoint; its number, or None if none was needed."""
    with sessions.begin() as session:
        sign_pending(session)
        written = write_checkpoint(session, force=force)
        return written.id if written is not None else None


class CheckpointWriter:
    """The background thread of `imwu serve`: a checkpoint every `interval_s` seconds."""

    def __init__(self, sessions: sessionmaker[Session], interval_s: float) -> None:
        self.sessions, self.interval_s = sessions, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        """At start (so the migration's checkpoint is signed on first start), then periodically."""
        while True:
            self._once()
            if self._stop.wait(self.interval_s):
                return

    def _once(self) -> None:
        try:
            number = checkpoint_now(self.sessions)
        except AuditTampered as exc:
            logger.error("audit checkpoint refused: %s", exc)
        except Exception:
            logger.exception("audit checkpoint failed")
        else:
            if number is not None:
                logger.info("audit checkpoint", extra={"checkpoint": number})
