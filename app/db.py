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
from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
)
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
        transactions = _SqliteTransactions()
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", transactions.begin)
        event.listen(engine, "before_cursor_execute", transactions.before_cursor_execute)
        event.listen(engine, "commit", transactions.commit)
        event.listen(engine, "rollback", transactions.rollback)
        event.listen(engine.pool, "reset", transactions.end_on_reset)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={} if "connect_timeout" in url else {"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )


class _SqliteTransactions:
    """On SQLite, readers never wait and writers wait only for writers.

    A transaction whose first statement is a SELECT starts as a deferred `BEGIN`: a read snapshot
    (WAL), no lock, no gate. At its first statement that is not a SELECT, the read snapshot is
    ended and the transaction becomes `BEGIN IMMEDIATE` behind an in-process gate (a transaction
    that writes first starts there at once), so writers of one process take turns through a
    lock that hands over at once instead of SQLite's sleeping busy handler (other processes
    still wait on busy_timeout). Work before the first write
    (authentication, loading the case, spooling and inspecting an upload, rendering a letter)
    therefore holds nothing, and the write transaction lasts from the first write to COMMIT.

    What was read before the switch comes from an earlier snapshot: every write that depends on
    such a read is a conditional UPDATE (version, status, budget), as on PostgreSQL's READ
    COMMITTED. The gate is released after COMMIT or ROLLBACK (by the pool's reset at the latest),
    and a waiter gives up on the gate (not on the database) after a while.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def begin(self, conn: Connection) -> None:
        """Nothing is sent yet: the first statement decides how the transaction starts."""
        conn.info[_MODE_KEY] = "pending"

    def before_cursor_execute(
        self, conn: Connection, _cursor: Any, statement: str, *_args: Any
    ) -> None:
        mode = conn.info.get(_MODE_KEY)
        if mode == "pending" and _reads_only(statement):
            _driver(conn).execute("BEGIN")
            conn.info[_MODE_KEY] = "read"
        elif mode in ("pending", "read") and not _reads_only(statement):
            self.upgrade(conn)

    def upgrade(self, conn: Connection) -> None:
        """End the read snapshot, if any, and hold SQLite's write lock until the end of the
        transaction."""
        driver = _driver(conn)
        if conn.info.get(_MODE_KEY) == "read":
            driver.execute("COMMIT")  # nothing was written: this only ends the read snapshot
        conn.info[_MODE_KEY] = None
        conn.info[_GATE_KEY] = self.lock.acquire(timeout=SQLITE_GATE_TIMEOUT_S)
        try:
            driver.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release(conn.info)
            raise
        conn.info[_MODE_KEY] = "write"

    def commit(self, conn: Connection) -> None:
        self._end(conn, "COMMIT")

    def rollback(self, conn: Connection) -> None:
        self._end(conn, "ROLLBACK")

    def _end(self, conn: Connection, verb: str) -> None:
        """End the transaction here, then open the gate (the driver's own commit or rollback
        that follows finds no transaction and does nothing)."""
        try:
            if _driver(conn).in_transaction:
                _driver(conn).execute(verb)
        finally:
            conn.info.pop(_MODE_KEY, None)
            self._release(conn.info)

    def end_on_reset(self, _dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        record.info.pop(_MODE_KEY, None)
        self._release(record.info)

    def _release(self, info: dict[Any, Any]) -> None:
        if info.pop(_GATE_KEY, False):
            self.lock.release()


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def _reads_only(statement: str) -> bool:
    return statement.lstrip()[:7].upper() in ("SELECT ", "SELECT\n", "EXPLAIN")


_GATE_KEY = "imwu_sqlite_writer_gate"
_MODE_KEY = "imwu_sqlite_mode"
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
