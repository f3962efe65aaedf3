"""letters are PAdES-signed PDFs; earlier letters become the ed25519-legacy scheme

Revision ID: 7d2c9e41b5a3
Revises: c3a1f0d2e9b7
Create Date: 2026-12-04 17:00:00+00:00

Letters issued before carry an Ed25519 signature over their facts and PDF hash (key derived from
IMWU_SECRET_KEY). They keep it, their key id and their status (the verify endpoint answers for
them as before) and are marked `ed25519-legacy`; new letters are `pades-b-b` with the
certificate's fingerprint. Going down, PAdES letters get an empty Ed25519 signature (the column is
required there); their PDF signature stays in their PDF.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2c9e41b5a3"
down_revision: str | None = "c3a1f0d2e9b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("letter") as batch:
        batch.add_column(sa.Column("signature_scheme", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("certificate_fingerprint", sa.String(length=64), nullable=True))
    op.execute("UPDATE letter SET signature_scheme = 'ed25519-legacy'")
    with op.batch_alter_table("letter") as batch:
        batch.alter_column("signature_scheme", existing_type=sa.String(length=20), nullable=False)
        batch.alter_column("signature", existing_type=sa.String(length=200), nullable=True)
        batch.create_check_constraint(
            "signature_scheme_known", "signature_scheme IN ('pades-b-b', 'ed25519-legacy')"
        )
        batch.create_check_constraint(
            "certificate_with_pades",
            "(signature_scheme = 'pades-b-b') = (certificate_fingerprint IS NOT NULL)",
        )


def downgrade() -> None:
    op.execute("UPDATE letter SET signature = '' WHERE signature IS NULL")
    with op.batch_alter_table("letter") as batch:
        batch.drop_constraint("certificate_with_pades", type_="check")
        batch.drop_constraint("signature_scheme_known", type_="check")
        batch.alter_column("signature", existing_type=sa.String(length=200), nullable=False)
        batch.drop_column("certificate_fingerprint")
        batch.drop_column("signature_scheme")
