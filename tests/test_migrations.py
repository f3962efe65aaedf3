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


_LEGACY_LETTER = [
    "INSERT INTO organization (id, name, created_at) VALUES ('o1', 'Legacy Org', CURRENT_TIMESTAMP)",
    "INSERT INTO account (id, role, name, email, organization_id, created_at) VALUES "
    "('a1', 'reviewer', 'R', 'r@example.com', NULL, CURRENT_TIMESTAMP)",
    "INSERT INTO opinion_request (id, reference, organization_id, created_by_id, status, version, "
    "form_edition, language, content, documents_bytes_used, created_at, updated_at) VALUES "
    "('q1', 'IMWU-2026-000001', 'o1', 'a1', 'decided', 3, 'IMM5686E (10-2018)', 'en', '{}', 0, "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO decision (id, request_id, decided_by_id, outcome, exemption_code, reasons, "
    "conditions, letter_language, suggest_lmia_route, created_at, business_days_to_decision) VALUES "
    "('d1', 'q1', 'a1', 'positive', 'T11', '[]', '[]', 'en', false, CURRENT_TIMESTAMP, 2)",
    "INSERT INTO letter (id, request_id, decision_id, verification_code, status, language, facts, "
    "pdf, pdf_sha256, signature, key_id, issued_by_id, issued_at) VALUES ('l1', 'q1', 'd1', "
    "'AAAA-BBBB-CCCC', 'valid', 'en', '{}', :pdf, :digest, :signature, '0123456789abcdef', 'a1', "
    "CURRENT_TIMESTAMP)",
]
PADES_REVISION = "7d2c9e41b5a3"


def _letter(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT signature_scheme, key_id, certificate_fingerprint, signature, status "
                 "FROM letter WHERE id = 'l1'")
        ).one()
    return tuple(row)


def test_letters_signed_before_pdf_signatures_become_ed25519_legacy(empty_database: str) -> None:
    revision = ScriptDirectory.from_config(alembic_config(empty_database)).get_revision(PADES_REVISION)
    assert revision is not None
    upgrade(empty_database, str(revision.down_revision))
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            for statement in _LEGACY_LETTER:
                connection.execute(
                    text(statement),
                    {"pdf": b"%PDF-1.4", "digest": "0" * 64, "signature": "S" * 86},
                )
        upgrade(empty_database, PADES_REVISION)
        expected = ("ed25519-legacy", "0123456789abcdef", None, "S" * 86, "valid")
        assert _letter(engine) == expected
        downgrade(empty_database, str(revision.down_revision))
        upgrade(empty_database, PADES_REVISION)
        assert _letter(engine) == expected
    finally:
        engine.dispose()
