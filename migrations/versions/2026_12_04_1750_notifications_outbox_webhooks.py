"""notifications: webhook endpoints, the outbox of events and their deliveries

Revision ID: 5d1e7a9c4b21
Revises: 5e1d7a93c4b2
Create Date: 2026-12-04 17:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

WAITING = "status IN ('pending', 'delivering')"

revision: str = "5d1e7a9c4b21"
down_revision: str | None = "5e1d7a93c4b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_by_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("previous_secret", sa.String(length=200), nullable=True),
        sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["account.id"],
            name=op.f("fk_webhook_endpoint_created_by_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_webhook_endpoint_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
    )
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_endpoint_org", ["organization_id", "created_at"], unique=False
        )

    op.create_table(
        "notification_event",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_notification_event_organization_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["opinion_request.id"],
            name=op.f("fk_notification_event_request_id_opinion_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_event")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_event_dedupe_key")),
    )
    with op.batch_alter_table("notification_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_event_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("endpoint_id", sa.String(length=36), nullable=True),
        sa.Column("recipient", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_token", sa.String(length=36), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_response_code", sa.Integer(), nullable=True),
        sa.Column("last_response_body", sa.Text(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(channel = 'webhook') = (endpoint_id IS NOT NULL)",
            name=op.f("ck_notification_delivery_webhook_has_endpoint"),
        ),
        sa.CheckConstraint(
            "channel IN ('webhook', 'email')", name=op.f("ck_notification_delivery_channel_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'delivered', 'failed', 'cancelled')",
            name=op.f("ck_notification_delivery_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoint.id"],
            name=op.f("fk_notification_delivery_endpoint_id_webhook_endpoint"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["notification_event.id"],
            name=op.f("fk_notification_delivery_event_id_notification_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
    )
    with op.batch_alter_table("notification_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_delivery_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text(WAITING),
            sqlite_where=sa.text(WAITING),
        )
        batch_op.create_index(
            "ix_notification_delivery_endpoint", ["endpoint_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_delivery_event_id"), ["event_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_delivery_event_id"))
        batch_op.drop_index("ix_notification_delivery_endpoint")
        batch_op.drop_index(
            "ix_notification_delivery_due",
            postgresql_where=sa.text(WAITING),
            sqlite_where=sa.text(WAITING),
        )

    op.drop_table("notification_delivery")
    with op.batch_alter_table("notification_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_event_request_id"))

    op.drop_table("notification_event")
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_endpoint_org")

    op.drop_table("webhook_endpoint")
