"""partial index for the open queue

Revision ID: 0ec4691b0d73
Revises: 24f616c920f0
Create Date: 2026-11-26 16:02:09.939195+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0ec4691b0d73"
down_revision: str | None = "24f616c920f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OPEN_CASES = "status IN ('submitted', 'in_review', 'info_requested')"


def upgrade() -> None:
    with op.batch_alter_table("opinion_request", schema=None) as batch_op:
        batch_op.drop_index("ix_opinion_request_queue")
    op.create_index(
        "ix_opinion_request_open_queue",
        "opinion_request",
        [sa.text("priority DESC"), "submitted_at", "id"],
        postgresql_where=sa.text(OPEN_CASES),
        sqlite_where=sa.text(OPEN_CASES),
    )


def downgrade() -> None:
    op.drop_index("ix_opinion_request_open_queue", table_name="opinion_request")
    with op.batch_alter_table("opinion_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_opinion_request_queue", ["status", "priority", "submitted_at", "id"], unique=False
        )
