"""Migration 1e9c96bf3151 moves letters' PDFs from the `letter.pdf` column to the store, and its
downgrade brings them back, on either backend, with a real issued letter."""

import hashlib

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import get_engine
from app.migrate import alembic_config, downgrade, upgrade
from app.storage import get_store
from tests.conftest import DATABASE_URL, Accounts
from tests.intake.scenarios import t11_body
from tests.queue.helpers import claim, decide, submitted_case
from tests.storage_backends import stored_keys

MOVE = "1e9c96bf3151"


def _before() -> str:
    """The revision just before the move (whatever the migrations are chained after)."""
    down = ScriptDirectory.from_config(alembic_config(DATABASE_URL)).get_revision(MOVE).down_revision
    assert isinstance(down, str)
    return down


@pytest.mark.usefixtures("backend")
def test_letter_pdfs_move_to_the_store_and_back(
    client: TestClient, accounts: Accounts, rep: dict[str, str]
) -> None:
    case = submitted_case(client, rep, t11_body())
    reviewer = accounts.make("reviewer")
    version = claim(client, reviewer, case["id"]).json()["version"]
    assert decide(client, reviewer, case["id"], version=version).status_code == 201
    issued = client.get(f"/api/v1/requests/{case['id']}/letter", headers=rep).content
    letter_id = client.get(f"/api/v1/requests/{case['id']}/letters", headers=rep).json()[0]["id"]

    downgrade(DATABASE_URL, _before())
    try:
        with get_engine().connect() as connection:
            column = connection.execute(
                text("SELECT pdf, pdf_sha256 FROM letter WHERE id = :id"), {"id": letter_id}
            ).one()
        assert bytes(column[0]) == issued
        assert hashlib.sha256(issued).hexdigest() == column[1]
        get_store().delete(letter_id)  # from here on only the column holds the letter
        assert letter_id not in stored_keys()
    finally:
        upgrade(DATABASE_URL)

    assert letter_id in stored_keys()
    assert b"".join(get_store().open(letter_id).chunks) == issued
    again = client.get(f"/api/v1/requests/{case['id']}/letter", headers=rep)
    assert again.status_code == 200
    assert again.content == issued
