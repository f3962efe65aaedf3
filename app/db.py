"""Database plumbing: the declarative base, the engine, and the per-request session.

The session dependency commits *before* the response is sent (FastAPI 0.121+ runs yield
teardown after the response by default; we declare it with ``scope="function"``), and rolls
back on any error.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import DateTime, Dialect, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from app.config import get_settings

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Expression indexes (e.g. `priority DESC`) that Alembic cannot reflect on SQLite; their migration
# is written by hand and autogenerate/`alembic check` leave them out of the comparison.
UNCOMPARED_INDEXES = frozenset({"ix_opinion_request_open_queue", "ix_opinion_request_waiting"})


def include_in_comparison(
    _object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object
) -> bool:
    return not (type_ == "index" and name in UNCOMPARED_INDEXES)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out on both databases (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            return value.replace(tzinfo=None) if dialect.name == "sqlite" else value
        return value

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is not None:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}  # noqa: RUF012


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.isolation_level = None


PG_CONNECT_TIMEOUT_S = 5
"""libpq waits for ever on a database host that does not answer (a partition): give up and let
the request end as a 503 instead of holding a worker thread. A `connect_timeout` in the URL wins."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )
        gate = _SqliteWriterGate()
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", gate.begin)
        event.listen(engine, "commit", gate.end)
        event.listen(engine, "rollback", gate.end)
        event.listen(engine.pool, "reset", gate.end_on_reset)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={} if "connect_timeout" in url else {"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )


class _SqliteWriterGate:
    """Writers of one process take turns on SQLite through a lock, then `BEGIN IMMEDIATE`.

    `BEGIN IMMEDIATE` (the documented pysqlite recipe) makes concurrent writers wait in turn
    instead of failing to upgrade a read lock; but SQLite's busy handler waits by sleeping (1, 2,
    5 ... 100 ms), which under 32 threads costs far more than the work. A lock in the process
    hands over at once; other processes (the CLI, a second server) still wait on busy_timeout.
    A connection that never commits or rolls back cannot hold the gate for ever: the pool's
    reset releases it, and a waiter gives up on the gate (not on the database) after a while.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def begin(self, conn: Any) -> None:
        conn.info[_GATE_KEY] = self.lock.acquire(timeout=SQLITE_GATE_TIMEOUT_S)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn)
            raise

    def end(self, conn: Any) -> None:
        self._release(conn.info)

    def end_on_reset(self, _dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        self._release(record.info)

    def _release(self, info: dict[Any, Any]) -> None:
        if info.pop(_GATE_KEY, False):
            self.lock.release()


_GATE_KEY = "imwu_sqlite_writer_gate"
SQLITE_GATE_TIMEOUT_S = 30.0


@cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False, autoflush=False)


def on_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` if this unit of work is rolled back (e.g. delete a file written for it)."""
    session.info.setdefault("on_rollback", []).append(callback)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once this unit of work is committed (e.g. delete a released file)."""
    session.info.setdefault("after_commit", []).append(callback)


def end_reads(session: Session) -> None:
    """End the transaction a handler's lookups opened (they wrote nothing), so that slow work
    that follows (receiving and inspecting an upload) holds no lock and no pooled connection;
    the session begins a new transaction at its next statement."""
    session.commit()


def _run_hooks(session: Session, name: str) -> None:
    for callback in session.info.pop(name, []):
        try:
            callback()
        except Exception:
            logger.exception("a %s hook failed", name)


def get_session() -> Iterator[Session]:
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
        session.info.pop("on_rollback", None)
        _run_hooks(session, "after_commit")
    except BaseException:
        session.rollback()
        session.info.pop("after_commit", None)
        _run_hooks(session, "on_rollback")
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
