"""Migrations upgrade an empty database to the models, and step down and up with data present."""

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.orm import Session

from app.db import UNCOMPARED_INDEXES, Base, include_in_comparison, make_engine
from app.migrate import alembic_config, downgrade, upgrade
from tests.conftest import DATABASE_URL, IS_POSTGRES


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path}/migrations.sqlite3"
        return
    url = make_url(DATABASE_URL)
    name = f"{url.database}_migrations_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": engine.dialect.name == "sqlite",
                "include_object": include_in_comparison,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def _seed(engine: Engine, step: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organization (id, name, created_at) VALUES (:id, :name, CURRENT_TIMESTAMP)"),
            {"id": f"org-{step}", "name": f"Seed Org {step}"},
        )


def _organizations(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM organization")).scalar_one())


def test_upgrade_from_empty_matches_the_models(empty_database: str) -> None:
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        assert _differences(engine) == []
        assert "opinion_request" in inspect(engine).get_table_names()
        indexes = {i["name"] for i in inspect(engine).get_indexes("opinion_request")}
        assert indexes >= UNCOMPARED_INDEXES
    finally:
        engine.dispose()


def test_each_step_goes_down_and_up_again_with_data_present(empty_database: str) -> None:
    revisions = list(ScriptDirectory.from_config(alembic_config(empty_database)).walk_revisions())
    for revision in reversed(revisions):
        upgrade(empty_database, revision.revision)
        engine = make_engine(empty_database)
        try:
            seeded = "organization" in inspect(engine).get_table_names()
            if seeded:
                _seed(engine, revision.revision)
                before = _organizations(engine)
        finally:
            engine.dispose()
        downgrade(empty_database, revision.down_revision or "base")
        upgrade(empty_database, revision.revision)
        if seeded and revision.down_revision is not None:
            engine = make_engine(empty_database)
            try:
                assert _organizations(engine) == before
            finally:
                engine.dispose()
    engine = make_engine(empty_database)
    try:
        assert _differences(engine) == []
    finally:
        engine.dispose()


PER_CASE_CHAINS = "7d2c4e1a9b30"
BEFORE_PER_CASE_CHAINS = "c3a1f0d2e9b7"


def _old_hash(prev_hash: str, seq: int, event: dict[str, Any]) -> str:
    """The single chain's formula before per-case chains (app/audit/service.py at ec57083)."""
    content = {"seq": seq, **event}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _seed_single_chain(engine: Engine) -> list[tuple[str | None, str]]:
    """Two cases and an event without a case, interleaved on the old single chain."""
    now = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organization (id, name, created_at) VALUES ('org', 'Org', :now)"),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO account (id, role, name, email, organization_id, created_at) "
                "VALUES ('rep', 'representative', 'Rep', 'rep@example.com', 'org', :now)"
            ),
            {"now": now},
        )
        for n, case_id in enumerate(("case-a", "case-b")):
            connection.execute(
                text(
                    "INSERT INTO opinion_request (id, reference, organization_id, created_by_id, "
                    "status, version, form_edition, language, content, documents_bytes_used, "
                    "created_at, updated_at) VALUES (:id, :ref, 'org', 'rep', 'draft', 1, "
                    "'2018-01', 'en', '{}', 0, :now, :now)"
                ),
                {"id": case_id, "ref": f"IMWU-2026-00000{n}", "now": now},
            )
        order = [
            ("case-a", "request.created"),
            ("case-b", "request.created"),
            (None, "account.created"),
            ("case-a", "request.edited"),
            ("case-b", "request.withdrawn"),
            ("case-a", "request.edited"),
        ]
        previous = "0" * 64
        for seq, (case_id, action) in enumerate(order, start=1):
            at = now + timedelta(seconds=seq)
            event = {
                "request_id": case_id,
                "actor_id": "rep",
                "action": action,
                "subject_type": "request" if case_id else "account",
                "subject_id": case_id or "rep",
                "details": {"n": seq, "sections": ["work"]},
                "created_at": at.isoformat(timespec="microseconds"),
            }
            digest = _old_hash(previous, seq, event)
            connection.execute(
                text(
                    "INSERT INTO audit_event (seq, request_id, actor_id, action, subject_type, "
                    "subject_id, details, created_at, prev_hash, hash) VALUES (:seq, :request_id,"
                    " :actor_id, :action, :subject_type, :subject_id, :details, :at, :prev, :hash)"
                ),
                {
                    **event,
                    "seq": seq,
                    "details": json.dumps(event["details"]),
                    "at": at,
                    "prev": previous,
                    "hash": digest,
                },
            )
            previous = digest
        connection.execute(
            text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, :seq, :hash)"),
            {"seq": len(order), "hash": previous},
        )
    return [(case_id, action) for case_id, action in order]


def test_the_single_chain_is_rechained_per_case_and_sealed(empty_database: str) -> None:
    from app.audit.checkpoints import sign_pending, verify_checkpoints
    from app.audit.service import verify_chains

    upgrade(empty_database, BEFORE_PER_CASE_CHAINS)
    engine = make_engine(empty_database)
    try:
        order = _seed_single_chain(engine)
        upgrade(empty_database, PER_CASE_CHAINS)
        with Session(engine) as session:
            chains = session.execute(
                text("SELECT chain_id, seq, action FROM audit_event ORDER BY chain_id, seq")
            ).all()
            assert [tuple(c) for c in chains] == [
                ("account:rep", 1, "account.created"),
                ("case-a", 1, "request.created"),
                ("case-a", 2, "request.edited"),
                ("case-a", 3, "request.edited"),
                ("case-b", 1, "request.created"),
                ("case-b", 2, "request.withdrawn"),
            ]
            assert verify_chains(session) is None
            unsigned = verify_checkpoints(session).broken
            assert unsigned is not None
            assert str(unsigned).startswith("checkpoint 1: not signed yet")
            assert sign_pending(session) == [1]
            session.commit()
            assert verify_checkpoints(session).broken is None
            sealed = session.execute(text("SELECT size FROM audit_checkpoint")).scalar_one()
            assert sealed == 3
        downgrade(empty_database, BEFORE_PER_CASE_CHAINS)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT request_id, action FROM audit_event ORDER BY seq")
            ).all()
        assert [tuple(r) for r in rows] == order
        upgrade(empty_database, PER_CASE_CHAINS)  # the downgraded chain is intact again
    finally:
        engine.dispose()


def test_a_broken_single_chain_is_not_resealed(empty_database: str) -> None:
    upgrade(empty_database, BEFORE_PER_CASE_CHAINS)
    engine = make_engine(empty_database)
    try:
        _seed_single_chain(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE audit_event SET action = 'x' WHERE seq = 4"))
        with pytest.raises(RuntimeError, match="broken at event 4"):
            upgrade(empty_database, PER_CASE_CHAINS)
    finally:
        engine.dispose()
