"""Tests run against a real database migrated once by Alembic (SQLite by default, PostgreSQL when
`IMWU_TEST_DATABASE_URL` is set), through the real app over httpx; tables are emptied after each
test so that concurrency tests can commit from several sessions."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

_TMP = Path(tempfile.mkdtemp(prefix="imwu-tests-"))
DATABASE_URL = os.environ.get("IMWU_TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.sqlite3"
os.environ["IMWU_DATABASE_URL"] = DATABASE_URL
os.environ["IMWU_STORAGE_URL"] = (_TMP / "storage").as_uri()
os.environ["IMWU_ENVIRONMENT"] = "test"
os.environ["IMWU_SIGNING_KEYS_DIR"] = str(_TMP / "keys")
# Tests drive the notification worker themselves (tests/notifications); no thread per app.
os.environ["IMWU_NOTIFY_WORKER_IN_SERVE"] = "false"
# Tests write audit checkpoints themselves (tests/audit); no background writer races them.
os.environ["IMWU_AUDIT_CHECKPOINT_SECONDS"] = "0"

from app.auth.models import Role  # noqa: E402
from app.auth.schemas import AccountCreate  # noqa: E402
from app.auth.service import create_account  # noqa: E402
from app.db import Base, get_engine, get_sessionmaker  # noqa: E402
from app.eligibility.versions import forget_active_reference  # noqa: E402
from app.main import create_app  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.signing.service import ensure_keys  # noqa: E402
from app.storage import get_store  # noqa: E402
from tests.storage_backends import backend, moto_server  # noqa: E402, F401

IS_POSTGRES = DATABASE_URL.startswith("postgresql")
# The service CA and a signing key in the temporary directory, before any app starts (some test
# modules start one while they are collected).
ensure_keys()


@pytest.fixture(scope="session", autouse=True)
def _migrated_database() -> Iterator[None]:
    upgrade(DATABASE_URL)
    yield
    get_engine().dispose()
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_tables() -> Iterator[None]:
    yield
    with get_engine().begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    forget_active_reference()  # the stored reference versions are gone too
    store = get_store()
    store.wipe()
    store.ensure()


@pytest.fixture(scope="session")
def app():  # type: ignore[no-untyped-def]
    return create_app()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


class Accounts:
    """Makes accounts directly in the database and hands out `Authorization` headers."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def make(
        self, role: str, *, organization: str | None = None, name: str = "Test User"
    ) -> dict[str, str]:
        email = f"{role}-{len(self.ids)}-{os.urandom(3).hex()}@example.com"
        with get_sessionmaker().begin() as session:
            account, token = create_account(
                session,
                data=AccountCreate(
                    role=Role(role), name=name, email=email, organization=organization
                ),
            )
            self.ids[token] = account.id
        return {"Authorization": f"Bearer {token}"}

    def id_of(self, headers: dict[str, str]) -> str:
        return self.ids[headers["Authorization"].removeprefix("Bearer ")]


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


@pytest.fixture
def rep(accounts: Accounts) -> dict[str, str]:
    return accounts.make("representative", organization="Acme Law LLP")


@pytest.fixture
def reviewer(accounts: Accounts) -> dict[str, str]:
    return accounts.make("reviewer")


@pytest.fixture
def admin(accounts: Accounts) -> dict[str, str]:
    return accounts.make("admin")


UploadFn = Callable[..., object]
