import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.config import get_settings
from app.db import get_sessionmaker
from app.documents.models import Document
from app.intake.models import OpinionRequest
from app.letters.models import Letter
from app.observability.logs import JsonFormatter
from app.retention.service import purge, remove_objects
from tests.conftest import Accounts
from tests.intake.scenarios import create, t11_body
from tests.queue.helpers import claim, decide, submitted_case
from tests.storage_backends import stored_keys

DISTINCTIVE = {
    "family_name": "Quixotemberg",
    "given_names": "Zebedee Ulyana",
    "passport": "QZ9876543",
    "date_of_birth": "1977-07-17",
}


def _distinctive_body() -> dict:  # type: ignore[type-arg]
    body = t11_body()
    body["worker"].update(family_name=DISTINCTIVE["family_name"], given_names=DISTINCTIVE["given_names"],
                          date_of_birth=DISTINCTIVE["date_of_birth"])
    body["worker"]["passport"]["number"] = DISTINCTIVE["passport"]
    return body


class TestRequestLog:
    def test_one_json_line_per_request_with_the_route_template(
        self, client: TestClient, rep: dict[str, str], caplog: pytest.LogCaptureFixture
    ) -> None:
        created = create(client, rep, t11_body())
        caplog.set_level(logging.INFO, logger="imwu.request")
        response = client.get(f"/api/v1/requests/{created['id']}?x=1", headers={**rep, "X-Request-ID": "abc-123"})
        assert response.headers["X-Request-ID"] == "abc-123"
        records = [r for r in caplog.records if r.name == "imwu.request"]
        assert len(records) == 1
        line = json.loads(JsonFormatter().format(records[0]))
        assert line["route"] == "/api/v1/requests/{request_id}"
        assert line["status"] == 200
        assert line["request_id"] == "abc-123"
        assert line["duration_ms"] >= 0
        assert created["id"] not in json.dumps(line)

    def test_an_unsafe_request_id_is_replaced(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 300})
        assert len(response.headers["X-Request-ID"]) == 32


def test_nothing_personal_is_ever_logged(
    client: TestClient, accounts: Accounts, rep: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = _distinctive_body()
    case = submitted_case(client, rep, body)
    reviewer = accounts.make("reviewer")
    version = claim(client, reviewer, case["id"]).json()["version"]
    documents = client.get(f"/api/v1/requests/{case['id']}/documents", headers=reviewer).json()["items"]
    client.get(f"/api/v1/requests/{case['id']}/documents/{documents[0]['id']}", headers=reviewer)
    assert decide(client, reviewer, case["id"], version=version).status_code == 201
    bad = _distinctive_body()
    bad["worker"]["citizenship"] = DISTINCTIVE["passport"]
    bad["worker"]["date_of_birth"] = DISTINCTIVE["passport"]
    assert client.post("/api/v1/requests", json=bad, headers=rep).status_code == 422
    client.get(f"/api/v1/requests/{DISTINCTIVE['passport']}", headers=rep)
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records) + caplog.text
    assert "imwu.request" in everything
    for value in DISTINCTIVE.values():
        assert value not in everything, value


class TestMetrics:
    def test_exposes_requests_queue_and_business_counters(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        submitted_case(client, rep, t11_body())
        text = client.get("/metrics").text
        assert 'imwu_http_requests_total{method="POST",route="/api/v1/requests",status="201"}' in text
        assert "imwu_http_request_duration_seconds_bucket" in text
        assert "imwu_upload_bytes_total" in text
        assert 'imwu_queue_depth{status="submitted",stream="international_agreement"} 1.0' in text
        assert "imwu_queue_oldest_age_seconds" in text
        assert "imwu_triage_findings_total" in text

    def test_guarded_by_the_metrics_token(self, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(get_settings(), "metrics_token", "s3cret-metrics")
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"}).status_code == 200


class TestPurge:
    @pytest.mark.usefixtures("backend")
    def test_purges_old_cases_documents_keeps_letters_and_is_safe_twice(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        decided = submitted_case(client, rep, t11_body())
        reviewer = accounts.make("reviewer")
        version = claim(client, reviewer, decided["id"]).json()["version"]
        decide(client, reviewer, decided["id"], version=version)
        fresh = create(client, rep, t11_body())
        long_ago = datetime.now(UTC) - timedelta(days=400)
        with get_sessionmaker().begin() as session:
            session.execute(update(OpinionRequest).where(OpinionRequest.id == decided["id"])
                            .values(decided_at=long_ago))
        with get_sessionmaker().begin() as session:
            report = purge(session)
        assert set(report.keys) <= set(stored_keys())
        remove_objects(report.keys)
        assert not set(report.keys) & set(stored_keys())
        assert report.cases == 1
        assert report.documents >= 4
        with get_sessionmaker()() as session:
            left = session.scalar(select(func.count()).select_from(Document)
                                  .where(Document.request_id == decided["id"]))
            letters = session.scalar(select(func.count()).select_from(Letter))
        assert left == 0
        assert letters == 1
        assert client.get(f"/api/v1/requests/{decided['id']}", headers=rep).json()["documents_bytes_used"] == 0
        assert client.get(f"/api/v1/requests/{decided['id']}/letter", headers=rep).status_code == 200
        events = client.get(f"/api/v1/requests/{decided['id']}/events", headers=rep).json()
        assert events[-1]["action"] == "documents.purged"
        assert client.get(f"/api/v1/requests/{fresh['id']}", headers=rep).status_code == 200
        with get_sessionmaker().begin() as session:
            again = purge(session)
        assert again.documents == 0
