"""reference data versions; letters keep their version

Revision ID: 5e1d7a93c4b2
Revises: 7d2c4e1a9b30
Create Date: 2026-12-04 17:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1d7a93c4b2"
down_revision: str | None = "7d2c4e1a9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A letter issued before versions were kept was written with the version its case was last
# triaged with (nothing changed the reference in between: it came from the package).
BACKFILL_LETTERS = """
UPDATE letter SET reference_version = (
    SELECT triage_finding.reference_version FROM triage_finding
    WHERE triage_finding.request_id = letter.request_id
    ORDER BY triage_finding.run DESC, triage_finding.position
    LIMIT 1
)
"""


def upgrade() -> None:
    op.create_table(
        "reference_version",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open_cases", sa.Integer(), nullable=False),
        sa.Column("changed_cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_reference_version")),
    )
    with op.batch_alter_table("letter") as batch:
        batch.add_column(sa.Column("reference_version", sa.String(length=40), nullable=True))
    op.execute(BACKFILL_LETTERS)


def downgrade() -> None:
    with op.batch_alter_table("letter") as batch:
        batch.drop_column("reference_version")
    op.drop_table("reference_version")
