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
from tests.intake.scenarios import t11_body


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


BEFORE_REVISIONS = "7d2c9e41b5a3"
REVISIONS = "d9e4b1a7c2f5"
NOW = "2026-11-30 10:00:00"


def _insert(engine: Engine, table: str, **values: object) -> None:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)


def _seed_cases_before_revisions(engine: Engine) -> None:
    """A submitted case (two documents, triaged twice, a decision, an information request that
    asked for a field the old way) and a draft, as the schema before revisions stored them."""
    _insert(engine, "organization", id="org", name="Acme", created_at=NOW)
    _insert(
        engine,
        "account",
        id="rep",
        role="representative",
        name="R",
        email="r@x.org",
        organization_id="org",
        created_at=NOW,
    )
    content = json.dumps(t11_body())
    for case_id, status, submitted in (("case", "decided", NOW), ("draft", "draft", None)):
        _insert(
            engine,
            "opinion_request",
            id=case_id,
            reference=f"IMWU-2026-{case_id}",
            organization_id="org",
            created_by_id="rep",
            status=status,
            version=3,
            form_edition="IMM 5686",
            language="en",
            content=content,
            documents_bytes_used=30,
            created_at=NOW,
            updated_at=NOW,
            submitted_at=submitted,
            triage_run=2,
        )
    for document_id, kind in (("doc-1", "job_offer"), ("doc-2", "cv")):
        _insert(
            engine,
            "document",
            id=document_id,
            request_id="case",
            kind=kind,
            display_name=f"{kind}.pdf",
            media_type="application/pdf",
            size_bytes=15,
            sha256=document_id.replace("-", "") * 8,
            uploaded_by_id="rep",
            created_at=NOW,
        )
    for run in (1, 2):
        _insert(
            engine,
            "triage_finding",
            id=f"finding-{run}",
            request_id="case",
            run=run,
            position=0,
            rule="code_unconfirmed",
            outcome="review",
            message_en="m",
            message_fr="m",
            fields='["/exemption/code"]',
            reference_version=f"v{run}",
            created_at=NOW,
        )
    _insert(
        engine,
        "info_request",
        id="info",
        request_id="case",
        asked_by_id="rep",
        message="?",
        items='[{"kind": "diploma"}, {"field": "/work/duties"}]',
        due_date="2099-01-01",
        created_at=NOW,
    )
    _insert(
        engine,
        "decision",
        id="decision",
        request_id="case",
        decided_by_id="rep",
        outcome="positive",
        exemption_code="T11",
        reasons="[]",
        conditions="[]",
        letter_language="en",
        suggest_lmia_route=False,
        created_at=NOW,
        business_days_to_decision=1,
    )
    _insert(
        engine,
        "letter",
        id="letter",
        request_id="case",
        decision_id="decision",
        verification_code="AAAA-BBBB-CCCC",
        status="valid",
        language="en",
        facts="{}",
        pdf_sha256="0" * 64,
        signature="s",
        signature_scheme="ed25519-legacy",
        key_id="k",
        issued_by_id="rep",
        issued_at=NOW,
    )


def _one(engine: Engine, query: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(query)).one()


def test_existing_cases_become_revision_1_and_step_down_again(empty_database: str) -> None:
    upgrade(empty_database, BEFORE_REVISIONS)
    engine = make_engine(empty_database)
    try:
        _seed_cases_before_revisions(engine)
    finally:
        engine.dispose()
    upgrade(empty_database, REVISIONS)
    engine = make_engine(empty_database)
    try:
        revision = _one(
            engine,
            "SELECT number, content, documents, reference_version, triage_run, created_by_id"
            " FROM request_revision WHERE request_id = 'case'",
        )
        number, content, documents, version, run, author = revision
        assert (number, version, run, author) == (1, "v2", 2, "rep")
        assert _json(content) == t11_body()
        assert [(d["id"], d["kind"], d["sha256"]) for d in _json(documents)] == [
            ("doc-1", "job_offer", "doc1" * 8),
            ("doc-2", "cv", "doc2" * 8),
        ]
        assert _one(engine, "SELECT revision FROM opinion_request WHERE id = 'case'")[0] == 1
        assert _one(engine, "SELECT revision FROM opinion_request WHERE id = 'draft'")[0] == 0
        assert _one(engine, "SELECT count(*) FROM request_revision")[0] == 1
        assert _one(engine, "SELECT revision FROM decision")[0] == 1
        assert _one(engine, "SELECT decision_id FROM letter")[0] == "decision"
        items, fields = _one(engine, "SELECT items, fields FROM info_request")
        assert (_json(items), _json(fields)) == ([{"kind": "diploma"}], ["/work/duties"])
    finally:
        engine.dispose()
    downgrade(empty_database, BEFORE_REVISIONS)
    engine = make_engine(empty_database)
    try:
        items = _one(engine, "SELECT items FROM info_request")[0]
        assert _json(items) == [{"kind": "diploma"}, {"field": "/work/duties"}]
        assert "request_revision" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


_BEFORE_VERSIONS = "7d2c4e1a9b30"
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
    " conditions, letter_language, suggest_lmia_route, created_at, business_days_to_decision,"
    " revision) VALUES ('d', 'r', 'a', 'positive', 'T11', '[]', '[]', 'en', false,"
    " CURRENT_TIMESTAMP, 1, 1)",
    "INSERT INTO letter (id, request_id, decision_id, verification_code, status, language, facts,"
    " pdf, pdf_sha256, signature, signature_scheme, key_id, issued_by_id, issued_at) VALUES"
    " ('l', 'r', 'd', 'ABCD-EFGH-JKLM', 'valid', 'en', '{}', :pdf, 'h', 's', 'ed25519-legacy',"
    " 'k', 'a', CURRENT_TIMESTAMP)",
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


PER_CASE_CHAINS = "7d2c4e1a9b30"
BEFORE_PER_CASE_CHAINS = "d9e4b1a7c2f5"


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
