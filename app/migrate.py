"""Run Alembic from code: `imwu migrate`, `imwu serve` and the tests share this."""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from app.config import get_settings
from app.db import make_engine

STARTUP_LOCK_KEY = 5_686_2018  # any constant shared by every instance: IMM 5686 (2018)

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url or get_settings().database_url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    target = url or get_settings().database_url
    if target.startswith("sqlite:///"):
        Path(target.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(target), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


@contextmanager
def startup_lock(url: str | None = None) -> Iterator[None]:
    """Serialize start-up work (migrations, the first admin) between instances starting together:
    a PostgreSQL advisory lock, or an exclusive lock on a file beside the SQLite database."""
    target = url or get_settings().database_url
    if target.startswith("postgresql"):
        engine = make_engine(target)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
                try:
                    yield
                finally:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY}
                    )
        finally:
            engine.dispose()
        return
    database = Path(target.removeprefix("sqlite:///")) if target.startswith("sqlite:///") else None
    if database is None or str(database) in ("", ":memory:"):
        yield
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{database}.startup-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
