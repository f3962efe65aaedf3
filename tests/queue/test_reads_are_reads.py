"""Reads are reads: no GET changes a row or an ETag, a lapsed claim shows as waiting without being
released, and a read does not wait for an open write transaction."""

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.audit.models import AuditChain, AuditEvent
from app.db import get_sessionmaker
from app.intake.models import OpinionRequest, RequestStatus
from app.queue.models import InfoRequest
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body
from tests.queue.helpers import claim, decide, submitted_case
from tests.queue.test_claims import _waiting_cases


def _lapse(case_id: str) -> None:
    with get_sessionmaker().begin() as session:
        session.execute(
            update(OpinionRequest)
            .where(OpinionRequest.id == case_id)
            .values(claim_expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )


def _snapshot() -> dict[str, Any]:
    """Everything a write would change: every case's state and version, every chain's head."""
    with get_sessionmaker()() as session:
        cases = session.execute(
            select(
                OpinionRequest.id,
                OpinionRequest.version,
                OpinionRequest.status,
                OpinionRequest.claimed_by_id,
                OpinionRequest.claim_expires_at,
                OpinionRequest.updated_at,
            ).order_by(OpinionRequest.id)
        ).all()
        heads = session.execute(select(AuditChain.chain_id, AuditChain.seq, AuditChain.hash)).all()
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        answered = session.scalar(select(func.count()).where(InfoRequest.responded_at.is_not(None)))
    return {"cases": cases, "heads": sorted(heads), "events": events, "answered": answered}


class TestReadsWriteNothing:
    def test_no_get_changes_a_row_or_an_etag(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        waiting, lapsed = _waiting_cases(accounts, 2)
        holder, supervisor = accounts.make("reviewer"), accounts.make("supervisor")
        assert claim(client, holder, lapsed).status_code == 200
        _lapse(lapsed)
        decided = submitted_case(client, rep, t11_body())["id"]
        assert claim(client, holder, decided).status_code == 200
        assert decide(client, holder, decided).status_code == 201
        paths = [
            "/api/v1/queue",
            "/api/v1/queue?status=submitted",
            "/api/v1/queue?status=in_review",
            "/api/v1/queue?claimed_by=me",
            "/api/v1/stats",
            "/api/v1/audit/checkpoints",
            "/api/v1/me",
            "/api/v1/reference/versions",
            "/api/v1/letters/certificates",
            "/api/v1/letters/certificates?format=pem",
        ]
        for case_id in (waiting, lapsed, decided):
            paths += [
                f"/api/v1/requests/{case_id}{suffix}"
                for suffix in (
                    "",
                    "/events",
                    "/triage",
                    "/info-requests",
                    "/documents",
                    "/revisions",
                    "/notifications",
                )
            ]
        paths += [f"/api/v1/requests/{lapsed}/decision/readiness"]
        paths += [
            f"/api/v1/requests/{decided}/{p}"
            for p in ("decision", "letters", "letter", "revisions/1")
        ]
        before = _snapshot()
        etags = {p: client.get(p, headers=supervisor).headers.get("ETag") for p in paths}
        answers = {p: client.get(p, headers=supervisor) for p in paths}
        assert {p: a.status_code for p, a in answers.items()} == dict.fromkeys(paths, 200)
        assert {p: a.headers.get("ETag") for p, a in answers.items()} == etags
        assert client.get("/api/v1/requests", headers=rep).status_code == 200
        assert _snapshot() == before

    def test_a_lapsed_claim_shows_as_waiting_and_stays_stored_until_claimed(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        (case_id,) = _waiting_cases(accounts, 1)
        holder, other = accounts.make("reviewer"), accounts.make("reviewer")
        held = claim(client, holder, case_id).json()
        _lapse(case_id)
        listed = client.get("/api/v1/queue", headers=other).json()["items"]
        assert [(i["id"], i["status"], i["claimed_by_id"]) for i in listed] == [
            (case_id, "submitted", None)
        ]
        waiting = client.get("/api/v1/queue?status=submitted", headers=other).json()["items"]
        assert [i["id"] for i in waiting] == [case_id]
        assert client.get("/api/v1/queue?status=in_review", headers=other).json()["items"] == []
        assert client.get("/api/v1/queue?claimed_by=me", headers=holder).json()["items"] == []
        with get_sessionmaker()() as session:
            stored = session.get(OpinionRequest, case_id)
            assert stored is not None
            assert (stored.status, stored.version) == (RequestStatus.IN_REVIEW, held["version"])
        taken = client.post("/api/v1/queue/claim", json={}, headers=other)
        assert taken.status_code == 200
        assert (taken.json()["id"], taken.json()["version"]) == (case_id, held["version"] + 1)

    def test_the_maintenance_command_releases_lapsed_claims_with_an_event(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        lapsed, held = _waiting_cases(accounts, 2)
        holder, supervisor = accounts.make("reviewer"), accounts.make("supervisor")
        version = claim(client, holder, lapsed).json()["version"]
        claim(client, holder, held)
        _lapse(lapsed)
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "queue", "release-lapsed"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"released": 1}
        read = client.get(f"/api/v1/requests/{lapsed}", headers=supervisor).json()
        assert (read["status"], read["claimed_by_id"], read["version"]) == (
            "submitted",
            None,
            version + 1,
        )
        events = client.get(f"/api/v1/requests/{lapsed}/events", headers=supervisor).json()
        assert (events[-1]["action"], events[-1]["details"]) == ("case.released", {"how": "lapsed"})
        still = client.get(f"/api/v1/requests/{held}", headers=supervisor).json()
        assert still["status"] == "in_review"


class TestReadsDoNotWait:
    def test_the_queue_answers_while_a_write_transaction_is_open(
        self, client: TestClient, accounts: Accounts, reviewer: dict[str, str]
    ) -> None:
        (case_id,) = _waiting_cases(accounts, 1)
        answered = threading.Event()
        statuses: list[int] = []

        def read() -> None:
            statuses.append(client.get("/api/v1/queue", headers=reviewer).status_code)
            answered.set()

        with get_sessionmaker()() as writer:
            writer.execute(
                update(OpinionRequest)
                .where(OpinionRequest.id == case_id)
                .values(priority=OpinionRequest.priority + 1)
            )  # the write lock (SQLite) and the row lock (PostgreSQL) are held from here
            reader = threading.Thread(target=read)
            reader.start()
            finished_while_writing = answered.wait(timeout=120)
            writer.rollback()
        reader.join()
        assert finished_while_writing
        assert statuses == [200]
