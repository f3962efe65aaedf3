"""index the waiting cases in claim order

Revision ID: c3a1f0d2e9b7
Revises: 2eb80b60a106
Create Date: 2026-11-26 17:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3a1f0d2e9b7"
down_revision: str | None = "2eb80b60a106"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBMITTED = "status = 'submitted'"


def upgrade() -> None:
    op.create_index(
        "ix_opinion_request_waiting",
        "opinion_request",
        [sa.text("priority DESC"), "submitted_at", "id"],
        postgresql_where=sa.text(SUBMITTED),
        sqlite_where=sa.text(SUBMITTED),
    )


def downgrade() -> None:
    op.drop_index("ix_opinion_request_waiting", table_name="opinion_request")
