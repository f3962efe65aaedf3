"""Migrations upgrade an empty database to the models, and step down and up with data present."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, make_url, text

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
            text(
                "INSERT INTO organization (id, name, created_at) VALUES (:id, :name, CURRENT_TIMESTAMP)"
            ),
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


_BEFORE_VERSIONS = "c3a1f0d2e9b7"
_SEED_A_LETTER = [
    "INSERT INTO organization (id, name, created_at) VALUES ('o', 'Org', CURRENT_TIMESTAMP)",
    "INSERT INTO account (id, role, name, email, organization_id, created_at)"
    " VALUES ('a', 'reviewer', 'R', 'r@example.com', 'o', CURRENT_TIMESTAMP)",
    "INSERT INTO opinion_request (id, reference, organization_id, created_by_id, status, version,"
    " form_edition, language, exemption_code, content, documents_bytes_used, created_at,"
    " updated_at) VALUES ('r', 'IMWU-2026-000001', 'o', 'a', 'decided', 3, 'IMM 5686', 'en',"
    " 'T11', '{}', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    *(
        "INSERT INTO triage_finding (id, request_id, run, position, rule, outcome, message_en,"
        f" message_fr, fields, reference_version, created_at) VALUES ('f{run}', 'r', {run}, 0,"
        f" 'x', 'warn', 'en', 'fr', '[]', 'v{run}', CURRENT_TIMESTAMP)"
        for run in (1, 2)
    ),
    "INSERT INTO decision (id, request_id, decided_by_id, outcome, exemption_code, reasons,"
    " conditions, letter_language, suggest_lmia_route, created_at, business_days_to_decision)"
    " VALUES ('d', 'r', 'a', 'positive', 'T11', '[]', '[]', 'en', false, CURRENT_TIMESTAMP, 1)",
    "INSERT INTO letter (id, request_id, decision_id, verification_code, status, language, facts,"
    " pdf, pdf_sha256, signature, key_id, issued_by_id, issued_at) VALUES ('l', 'r', 'd',"
    " 'ABCD-EFGH-JKLM', 'valid', 'en', '{}', :pdf, 'h', 's', 'k', 'a', CURRENT_TIMESTAMP)",
]


def test_reference_versions_keep_letters_and_the_queue_indexes(empty_database: str) -> None:
    """The issue 11 migration: a letter issued before versions were kept gets its case's latest
    triage version; the queue's partial indexes are untouched (no table copy on SQLite)."""
    upgrade(empty_database, _BEFORE_VERSIONS)
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            for statement in _SEED_A_LETTER:
                connection.execute(text(statement), {"pdf": b"%PDF-1.4"})
    finally:
        engine.dispose()
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT reference_version FROM letter")).scalar()
            if IS_POSTGRES:
                definitions = connection.execute(
                    text(
                        "SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'ix_opinion_request_%'"
                    )
                ).scalars()
            else:
                definitions = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name LIKE 'ix_opinion_request_%'")
                ).scalars()
            queue_indexes = [d for d in definitions if d and "priority" in d]
        assert version == "v2"
        assert len(queue_indexes) == 2
        assert all("priority DESC" in d for d in queue_indexes)
    finally:
        engine.dispose()
    downgrade(empty_database, _BEFORE_VERSIONS)
