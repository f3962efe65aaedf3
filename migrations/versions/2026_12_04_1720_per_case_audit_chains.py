"""per-case audit chains and signed checkpoints

The single audit chain (one `audit_head` row every write locked) becomes one chain per case
(`audit_chain` heads) and signed Merkle checkpoints over every head (app/audit/checkpoints.py).

Upgrade: the existing chain is checked first (its links and hashes, with the formula it was
written with): a broken chain stops the migration rather than being re-sealed as if intact. Its
events are then re-chained per case in their original order (per-chain `seq` from 1, hashes with
today's formula), each chain's head is written, and checkpoint 1 seals every head, unsigned: a
migration does not handle key material. The first `imwu serve` (or `imwu audit checkpoint`)
checks it against the events and signs it.

Downgrade: the events are chained again into one chain in the order of their time (then chain
and position), with the old formula, and the checkpoints are dropped.

The hash formulas, the Merkle tree and the note are frozen copies here (a migration is history).

Revision ID: 7d2c4e1a9b30
Revises: d9e4b1a7c2f5
Create Date: 2026-12-04 17:20:00+00:00
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "7d2c4e1a9b30"
down_revision: str | None = "d9e4b1a7c2f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
ORIGIN = "imwu-intake audit checkpoint v1"

_FIELDS = ("request_id", "actor_id", "action", "subject_type", "subject_id", "details")


def _event_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["opinion_request.id"],
            name=op.f("fk_audit_event_request_id_opinion_request"),
        ),
    ]


def _old_event_table() -> sa.Table:
    return sa.table(
        "audit_event",
        sa.column("seq", sa.Integer()),
        *(sa.column(name, sa.JSON() if name == "details" else sa.String()) for name in _FIELDS),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )


def _new_event_table() -> sa.Table:
    return sa.table(
        "audit_event",
        sa.column("chain_id", sa.String()),
        sa.column("seq", sa.Integer()),
        *(sa.column(name, sa.JSON() if name == "details" else sa.String()) for name in _FIELDS),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )


def _utc(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stamp(value: Any) -> str:
    return _utc(value).isoformat(timespec="microseconds")


def _hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _old_content(seq: int, row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "seq": seq,
        **{name: row[name] for name in _FIELDS},
        "details": dict(row["details"]),
        "created_at": _stamp(row["created_at"]),
    }


def _new_content(chain_id: str, seq: int, row: Mapping[str, Any]) -> dict[str, Any]:
    return {"chain_id": chain_id, **_old_content(seq, row)}


def _chain_of(row: Mapping[str, Any]) -> str:
    if row["request_id"] is not None:
        return str(row["request_id"])
    subject_type, subject_id = row["subject_type"], row["subject_id"]
    return f"{subject_type}:{subject_id}" if subject_id else str(subject_type)


def _merkle_root(leaves: list[bytes]) -> str:
    if not leaves:
        return hashlib.sha256(b"").hexdigest()

    def node(low: int, high: int) -> bytes:
        if high - low == 1:
            return leaves[low]
        split = 1 << ((high - low - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + node(low, low + split) + node(low + split, high)).digest()

    return node(0, len(leaves)).hex()


def _check_old_chain(rows: list[dict[str, Any]], head: Any) -> None:
    previous, expected = GENESIS, 1
    for row in rows:
        intact = (
            row["seq"] == expected
            and row["prev_hash"] == previous
            and _hash(previous, _old_content(row["seq"], row)) == row["hash"]
        )
        if not intact:
            raise RuntimeError(
                f"the audit chain is broken at event {expected}: not migrated. Investigate with "
                "`imwu audit verify` on the previous release before upgrading."
            )
        previous, expected = row["hash"], expected + 1
    if head is not None and (head[0] != expected - 1 or head[1] != previous):
        raise RuntimeError("the audit chain's head does not match its last event: not migrated")


def upgrade() -> None:
    bind = op.get_bind()
    old = _old_event_table()
    rows = [dict(r._mapping) for r in bind.execute(sa.select(old).order_by(old.c.seq))]
    head = bind.execute(sa.text("SELECT last_seq, last_hash FROM audit_head")).first()
    _check_old_chain(rows, head)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_request_id"))
    op.drop_table("audit_event")
    op.drop_table("audit_head")
    op.create_table(
        "audit_event",
        sa.Column("chain_id", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        *_event_columns(),
        sa.PrimaryKeyConstraint("chain_id", "seq", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_request_id"), ["request_id"], unique=False)
    chains = op.create_table(
        "audit_chain",
        sa.Column("chain_id", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", name=op.f("pk_audit_chain")),
    )
    checkpoints = op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=100), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    leaves = op.create_table(
        "audit_checkpoint_leaf",
        sa.Column("checkpoint_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chain_id", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["audit_checkpoint.id"],
            name=op.f("fk_audit_checkpoint_leaf_checkpoint_id_audit_checkpoint"),
        ),
        sa.PrimaryKeyConstraint("checkpoint_id", "chain_id", name=op.f("pk_audit_checkpoint_leaf")),
    )
    heads = _rechain(bind, rows)
    if heads:
        bind.execute(
            sa.insert(chains),
            [{"chain_id": c, "seq": s, "hash": h} for c, (s, h) in sorted(heads.items())],
        )
    _first_checkpoint(bind, checkpoints, leaves, heads)


def _rechain(bind: sa.Connection, rows: list[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """Each case's events, in their original order, become that case's chain."""
    heads: dict[str, tuple[int, str]] = {}
    batch: list[dict[str, Any]] = []
    table = _new_event_table()
    for row in rows:
        chain_id = _chain_of(row)
        seq, previous = heads.get(chain_id, (0, GENESIS))
        seq += 1
        digest = _hash(previous, _new_content(chain_id, seq, row))
        batch.append(
            {
                **{name: row[name] for name in _FIELDS},
                "chain_id": chain_id,
                "seq": seq,
                "created_at": _utc(row["created_at"]),
                "prev_hash": previous,
                "hash": digest,
            }
        )
        heads[chain_id] = (seq, digest)
        if len(batch) >= 5000:
            bind.execute(sa.insert(table), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(table), batch)
    return heads


def _first_checkpoint(
    bind: sa.Connection,
    checkpoints: sa.Table,
    leaves: sa.Table,
    heads: Mapping[str, tuple[int, str]],
) -> None:
    """Checkpoint 1 seals every head; unsigned (signed on first start)."""
    hashed = [
        hashlib.sha256(b"\x00" + f"{c}\n{s}\n{h}".encode()).digest()
        for c, (s, h) in sorted(heads.items())
    ]
    root = _merkle_root(hashed)
    created_at = datetime.now(UTC)
    note = f"{ORIGIN}\n1\n{len(heads)}\n{root}\n{_stamp(created_at)}\n"
    bind.execute(
        sa.insert(checkpoints),
        [{"id": 1, "created_at": created_at, "size": len(heads), "root": root, "note": note}],
    )
    if heads:
        bind.execute(
            sa.insert(leaves),
            [
                {"checkpoint_id": 1, "chain_id": c, "seq": s, "hash": h}
                for c, (s, h) in sorted(heads.items())
            ],
        )


def downgrade() -> None:
    bind = op.get_bind()
    new = _new_event_table()
    rows = [
        dict(r._mapping)
        for r in bind.execute(sa.select(new).order_by(new.c.created_at, new.c.chain_id, new.c.seq))
    ]
    op.drop_table("audit_checkpoint_leaf")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_request_id"))
    op.drop_table("audit_event")
    heads = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        *_event_columns(),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_request_id"), ["request_id"], unique=False)
    previous, batch = GENESIS, []
    old = _old_event_table()
    for seq, row in enumerate(rows, start=1):
        digest = _hash(previous, _old_content(seq, row))
        batch.append(
            {
                **{name: row[name] for name in _FIELDS},
                "seq": seq,
                "created_at": _utc(row["created_at"]),
                "prev_hash": previous,
                "hash": digest,
            }
        )
        previous = digest
    if batch:
        bind.execute(sa.insert(old), batch)
    if rows:
        bind.execute(sa.insert(heads), [{"id": 1, "last_seq": len(rows), "last_hash": previous}])
