"""The database goes away while the service runs, then comes back (issue 5 §4).

A real `imwu serve` talks to its own PostgreSQL database through a TCP proxy that the tests cut
(listener closed, live connections dropped), blackhole (connections accepted, never answered) and
restore on the same port. The server is never restarted: it must recover by itself.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.intake.models import OpinionRequest
from app.storage import get_store
from tests.faults.conftest import (
    Seed,
    Server,
    TcpProxy,
    create_pg_database,
    drop_pg_database,
    pg_url,
    problem,
    server_factory,
)
from tests.intake.scenarios import create, job_offer_pdf, t11_body, upload


@dataclass
class Outage:
    server: Server
    proxy: TcpProxy
    db: Seed
    rep: dict[str, str]

    def client(self, timeout_s: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers=self.rep, timeout=timeout_s)

    def request_count(self) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(OpinionRequest)) or 0


@pytest.fixture(scope="module")
def outage_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    """One server for the module, on its own database, reached only through the proxy."""
    name = create_pg_database()
    db = Seed(pg_url(name))
    proxy = TcpProxy()
    proxy.start()
    _, rep = db.account("representative", organization="Outage Org")
    directory = tmp_path_factory.mktemp("outage")
    try:
        with server_factory(directory) as start:
            server = start(pg_url(name, proxy.port), directory / "storage")
            yield Outage(server, proxy, db, rep)
    finally:
        proxy.stop()
        db.close()
        drop_pg_database(name)


@pytest.fixture
def outage(outage_server: Outage) -> Iterator[Outage]:
    """Each test starts and ends with the database reachable."""
    outage_server.proxy.restore()
    yield outage_server
    outage_server.proxy.restore()


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    body = problem(response)
    assert body["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    # Nothing about the database leaks: no driver, host, port or SQL.
    text = response.text.lower()
    assert not any(word in text for word in ("psycopg", "postgres", "5432", "select", "sql"))


def _wait_ready(api: httpx.Client) -> None:
    deadline = time.monotonic() + 10
    while api.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the service did not recover by itself"
        time.sleep(0.1)


class TestDatabaseOutage:
    def test_calls_answer_503_while_the_database_is_away_and_recover_without_a_restart(
        self, outage: Outage
    ) -> None:
        before = outage.request_count()
        pid = outage.server.process.pid if outage.server.process else None
        with outage.client() as api:
            created = api.post("/api/v1/requests", json=t11_body())
            assert created.status_code == 201, created.text
            request_id = created.json()["id"]

            outage.proxy.cut()
            for _ in range(3):
                _assert_unavailable(api.get(f"/api/v1/requests/{request_id}"))
                _assert_unavailable(api.post("/api/v1/requests", json=t11_body()))
            _assert_unavailable(api.get("/readyz"))
            assert api.get("/healthz").json() == {"status": "ok"}

            outage.proxy.restore()
            _wait_ready(api)
            assert api.get(f"/api/v1/requests/{request_id}").status_code == 200
            again = api.post("/api/v1/requests", json=t11_body())
            assert again.status_code == 201, again.text
        # The creates refused during the outage left nothing behind.
        assert outage.request_count() == before + 2
        assert outage.server.alive
        assert outage.server.process is not None
        assert outage.server.process.pid == pid

    def test_an_outage_during_writes_loses_nothing_acknowledged(self, outage: Outage) -> None:
        """Writes keep coming while the database drops twice: every 201 is in the database,
        every other answer is a 503 problem (never a 500, never a hang)."""
        before = outage.request_count()
        acknowledged: list[str] = []
        statuses: set[int] = set()
        with outage.client() as api:
            for round_ in range(40):
                if round_ in (10, 28):
                    outage.proxy.cut()
                if round_ in (18, 34):
                    outage.proxy.restore()
                response = api.post("/api/v1/requests", json=t11_body())
                statuses.add(response.status_code)
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])
                else:
                    _assert_unavailable(response)
        assert statuses == {201, 503}
        with outage.db.session() as session:
            stored = set(session.scalars(select(OpinionRequest.id)))
        assert set(acknowledged) <= stored
        assert outage.request_count() == before + len(acknowledged)


class TestDatabasePartition:
    def test_a_database_that_never_answers_gives_503_in_bounded_time(self, outage: Outage) -> None:
        """Packets vanish (no refusal, no reset): calls must not wait on the database for ever
        (libpq's default); the connect timeout in app/db.py bounds them."""
        with outage.client(timeout_s=60) as api:
            assert api.get("/api/v1/requests").status_code == 200
            outage.proxy.blackhole()
            started = time.monotonic()
            _assert_unavailable(api.get("/api/v1/requests"))
            assert time.monotonic() - started < 15
            outage.proxy.restore()
            _wait_ready(api)
            assert api.get("/api/v1/requests").status_code == 200


class TestDatabaseLostAtCommit:
    @pytest.mark.usefixtures("backend")
    def test_an_upload_whose_commit_fails_leaves_no_file_and_no_bytes_reserved(
        self, client: TestClient, rep: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The object is stored before the commit; if the commit is lost, the object goes too
        (on the file store and on S3)."""
        body = t11_body()
        request_id = create(client, rep, body)["id"]
        real_commit = Session.commit
        lost = {"armed": True}

        def commit(session: Session) -> None:
            if lost.pop("armed", False):
                raise OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))
            real_commit(session)

        monkeypatch.setattr(Session, "commit", commit)
        response = upload(client, rep, request_id, "job_offer", job_offer_pdf(body))

        _assert_unavailable(response)
        store = get_store()
        assert list(store.objects()) == []
        assert store.remove_stale_uploads(-1) == 0  # no temporary and no unfinished upload left
        listing = client.get(f"/api/v1/requests/{request_id}/documents", headers=rep).json()
        assert listing["items"] == []
        assert listing["documents_bytes_used"] == 0
        retried = upload(client, rep, request_id, "job_offer", job_offer_pdf(body))
        assert retried.status_code == 201, retried.text

    def test_a_database_error_that_is_not_an_outage_stays_a_500(
        self, app: Any, rep: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Only a lost or overloaded database is a 503 to retry; a failing query is a bug."""
        with TestClient(app, raise_server_exceptions=False) as lenient:
            request_id = create(lenient, rep, t11_body())["id"]

            def commit(_session: Session) -> None:
                raise IntegrityError("INSERT", {}, ValueError("constraint"))

            monkeypatch.setattr(Session, "commit", commit)
            response = lenient.get(f"/api/v1/requests/{request_id}", headers=rep)
        assert response.status_code == 500
        assert problem(response)["code"] == "internal_error"
        assert "Retry-After" not in response.headers
