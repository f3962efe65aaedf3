"""letters' PDFs move from the letter table to the object store

Revision ID: 1e9c96bf3151
Revises: 5d1e7a9c4b21
Create Date: 2026-12-04 18:00:00+00:00

Each letter's bytes are written to the configured store (IMWU_STORAGE_URL) under the letter's id,
read back and checked against `pdf_sha256`, and only then is the column dropped: the migration and
not a separate `imwu storage` step, so no instance of the new code ever runs while a letter's
bytes are still only in the column. Re-running after a failure rewrites the same objects.
Downgrade reads them back into the column.
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1e9c96bf3151"
down_revision: str | None = "5d1e7a9c4b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM letter"))]
    if ids:
        _copy_to_store(connection, ids)
    with op.batch_alter_table("letter") as batch:
        batch.drop_column("pdf")


def _copy_to_store(connection: sa.Connection, ids: list[str]) -> None:
    """One letter at a time (a table of letters need not fit in memory)."""
    from app.storage import get_store

    store = get_store()
    store.ensure()
    for letter_id in ids:
        pdf = connection.execute(
            sa.text("SELECT pdf FROM letter WHERE id = :id"), {"id": letter_id}
        ).scalar_one()
        if pdf is None:
            continue
        data = bytes(pdf)
        store.put(letter_id, data)
        if store.stored_sha256(letter_id) != hashlib.sha256(data).hexdigest():
            raise RuntimeError(f"letter {letter_id} did not read back from the store intact")


def downgrade() -> None:
    with op.batch_alter_table("letter") as batch:
        batch.add_column(sa.Column("pdf", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM letter"))]
    if not ids:
        return
    from app.storage import get_store
    from app.storage.base import ObjectMissing

    store = get_store()
    for letter_id in ids:
        try:
            data = b"".join(store.open(letter_id).chunks)
        except ObjectMissing:
            continue
        connection.execute(
            sa.text("UPDATE letter SET pdf = :pdf WHERE id = :id"), {"pdf": data, "id": letter_id}
        )
