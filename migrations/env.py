"""Alembic environment: the URL comes from the one settings object (or `-x url=` / config)."""

from alembic import context
from sqlalchemy import Connection

import app.models  # noqa: F401  (registers every table on Base.metadata)
from app.config import get_settings
from app.db import Base, include_in_comparison, make_engine

target_metadata = Base.metadata


def _url() -> str:
    configured = context.config.attributes.get("url") or context.get_x_argument(
        as_dictionary=True
    ).get("url")
    return str(configured) if configured else get_settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_in_comparison,
    )


def _run(connection: Connection) -> None:
    """Run the migrations. On SQLite, a batch operation copies a table, drops it and renames the
    copy: with foreign keys enforced, dropping a table other rows point to fails. Enforcement is
    off for the run (the PRAGMA only takes effect outside a transaction) and every reference is
    checked before it ends."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    try:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke {len(broken)} foreign key(s)")
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()  # also when a migration fails: no connection left to the collector


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
