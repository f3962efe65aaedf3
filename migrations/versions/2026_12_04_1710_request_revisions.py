"""request revisions, finding resolutions, decisions on a revision

Every request submitted before this migration becomes revision 1 as it stands: its current form,
its documents with their SHA-256, the reference-data version of its latest triage run (from the
`request.triaged` audit event, else from its findings) and that run's findings. Existing
decisions were made on that revision. Fields asked for by information requests move from `items`
(`{"field": pointer}`) to the new `fields` list.

Revision ID: d9e4b1a7c2f5
Revises: 7d2c9e41b5a3
Create Date: 2026-12-04 17:10:00+00:00
"""

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "d9e4b1a7c2f5"
down_revision: str | None = "7d2c9e41b5a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

opinion_request = sa.table(
    "opinion_request",
    sa.column("id", sa.String),
    sa.column("created_by_id", sa.String),
    sa.column("content", sa.JSON),
    sa.column("submitted_at", sa.DateTime(timezone=True)),
    sa.column("triage_run", sa.Integer),
    sa.column("revision", sa.Integer),
)
document = sa.table(
    "document",
    sa.column("id", sa.String),
    sa.column("request_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("sha256", sa.String),
    sa.column("size_bytes", sa.Integer),
    sa.column("media_type", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
triage_finding = sa.table(
    "triage_finding",
    sa.column("request_id", sa.String),
    sa.column("run", sa.Integer),
    sa.column("reference_version", sa.String),
)
audit_event = sa.table(
    "audit_event",
    sa.column("seq", sa.Integer),
    sa.column("request_id", sa.String),
    sa.column("actor_id", sa.String),
    sa.column("action", sa.String),
    sa.column("details", sa.JSON),
)
request_revision = sa.table(
    "request_revision",
    sa.column("id", sa.String),
    sa.column("request_id", sa.String),
    sa.column("number", sa.Integer),
    sa.column("content", sa.JSON),
    sa.column("documents", sa.JSON),
    sa.column("reference_version", sa.String),
    sa.column("triage_run", sa.Integer),
    sa.column("created_by_id", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
info_request = sa.table(
    "info_request",
    sa.column("id", sa.String),
    sa.column("items", sa.JSON),
    sa.column("fields", sa.JSON),
)
decision = sa.table("decision", sa.column("revision", sa.Integer))


def upgrade() -> None:
    op.create_table(
        "request_revision",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("reference_version", sa.String(length=40), nullable=False),
        sa.Column("triage_run", sa.Integer(), nullable=False),
        sa.Column("info_request_id", sa.String(length=36), nullable=True),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["account.id"],
            name=op.f("fk_request_revision_created_by_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["info_request_id"],
            ["info_request.id"],
            name=op.f("fk_request_revision_info_request_id_info_request"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["opinion_request.id"],
            name=op.f("fk_request_revision_request_id_opinion_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_revision")),
        sa.UniqueConstraint("request_id", "number", name="uq_request_revision_number"),
    )
    with op.batch_alter_table("request_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_revision_request_id"), ["request_id"], unique=False
        )
    op.create_table(
        "finding_resolution",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("finding_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("resolution", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_by_id", sa.String(length=36), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "resolution <> 'overridden' OR note IS NOT NULL",
            name=op.f("ck_finding_resolution_override_has_note"),
        ),
        sa.CheckConstraint(
            "resolution IN ('accepted', 'overridden')",
            name=op.f("ck_finding_resolution_resolution_known"),
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["triage_finding.id"],
            name=op.f("fk_finding_resolution_finding_id_triage_finding"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["opinion_request.id"],
            name=op.f("fk_finding_resolution_request_id_opinion_request"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["account.id"],
            name=op.f("fk_finding_resolution_resolved_by_id_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_resolution")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_finding_resolution_finding_id")),
    )
    with op.batch_alter_table("finding_resolution", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finding_resolution_request_id"), ["request_id"], unique=False
        )
    with op.batch_alter_table("opinion_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("info_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fields", sa.JSON(), server_default="[]", nullable=False))
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=True))

    connection = op.get_bind()
    _freeze_submitted_requests(connection)
    _move_asked_fields(connection)
    # Every decision so far was made on the request as it stood: revision 1.
    connection.execute(sa.update(decision).values(revision=1))
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.alter_column("revision", existing_type=sa.Integer(), nullable=False)


def _chunks(rows: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _freeze_submitted_requests(connection: sa.Connection) -> None:
    requests = connection.execute(
        sa.select(
            opinion_request.c.id,
            opinion_request.c.created_by_id,
            opinion_request.c.content,
            opinion_request.c.submitted_at,
            opinion_request.c.triage_run,
        ).where(opinion_request.c.submitted_at.is_not(None))
    ).all()
    if not requests:
        return
    documents: dict[str, list[dict[str, Any]]] = {}
    for row in connection.execute(
        sa.select(document).order_by(document.c.created_at, document.c.id)
    ).mappings():
        documents.setdefault(row["request_id"], []).append(
            {
                "id": row["id"],
                "kind": row["kind"],
                "sha256": row["sha256"],
                "size_bytes": row["size_bytes"],
                "media_type": row["media_type"],
            }
        )
    triaged: dict[str, str] = {}
    submitters: dict[str, str | None] = {}
    for request_id, actor_id, action, details in connection.execute(
        sa.select(
            audit_event.c.request_id,
            audit_event.c.actor_id,
            audit_event.c.action,
            audit_event.c.details,
        )
        .where(audit_event.c.action.in_(["request.triaged", "request.submitted"]))
        .order_by(audit_event.c.seq)
    ):
        if action == "request.submitted":
            submitters[request_id] = actor_id
        elif isinstance(details, dict) and details.get("reference_version"):
            triaged[request_id] = str(details["reference_version"])
    judged: dict[tuple[str, int], str] = {}
    for request_id, run, version in connection.execute(
        sa.select(
            triage_finding.c.request_id, triage_finding.c.run, triage_finding.c.reference_version
        ).distinct()
    ):
        judged.setdefault((request_id, run), version)
    rows = [
        {
            "id": str(uuid.uuid4()),
            "request_id": r.id,
            "number": 1,
            "content": r.content,
            "documents": documents.get(r.id, []),
            "reference_version": triaged.get(r.id) or judged.get((r.id, r.triage_run)) or "unknown",
            "triage_run": r.triage_run,
            "created_by_id": submitters.get(r.id, r.created_by_id),
            "created_at": r.submitted_at,
        }
        for r in requests
    ]
    for chunk in _chunks(rows):
        connection.execute(sa.insert(request_revision), chunk)
    ids = [r.id for r in requests]
    for chunk in _chunks(ids):
        connection.execute(
            sa.update(opinion_request).where(opinion_request.c.id.in_(chunk)).values(revision=1)
        )


def _move_asked_fields(connection: sa.Connection) -> None:
    for info_id, items in connection.execute(sa.select(info_request.c.id, info_request.c["items"])):
        items = list(items or [])
        fields = [str(i["field"]) for i in items if isinstance(i, dict) and i.get("field")]
        if fields:
            connection.execute(
                sa.update(info_request)
                .where(info_request.c.id == info_id)
                .values(
                    items=[i for i in items if not (isinstance(i, dict) and i.get("field"))],
                    fields=fields,
                )
            )


def downgrade() -> None:
    connection = op.get_bind()
    for info_id, items, fields in connection.execute(
        sa.select(info_request.c.id, info_request.c["items"], info_request.c.fields)
    ):
        if fields:
            connection.execute(
                sa.update(info_request)
                .where(info_request.c.id == info_id)
                .values(items=[*(items or []), *({"field": f} for f in fields)])
            )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("info_request", schema=None) as batch_op:
        batch_op.drop_column("fields")
    with op.batch_alter_table("opinion_request", schema=None) as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("finding_resolution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_resolution_request_id"))
    op.drop_table("finding_resolution")
    with op.batch_alter_table("request_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_revision_request_id"))
    op.drop_table("request_revision")
