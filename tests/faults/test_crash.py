"""SIGKILL in the middle of uploads and submits, then a restart on the same database and storage
(issue 5 §4): nothing acknowledged is lost, nothing is half-written, and the sweep finds orphans."""

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.documents.models import Document
from app.intake.models import OpinionRequest, RequestStatus
from app.triage.models import TriageFinding
from tests.builders import make_jpeg, make_pdf
from tests.faults.conftest import Seed, Server, ServerFactory, pg_url
from tests.intake.scenarios import t11_body

WORKERS = 12
SUBMITS_BEFORE_KILL = 6
DECLARATION = {"declarant_name": "Pat Declarant", "declaration_accepted": True}


@dataclass
class Workload:
    """Representatives filing requests from many threads until the server disappears."""

    server: Server
    reps: list[dict[str, str]]
    files: dict[str, tuple[str, bytes, str]]
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    documents: dict[str, str] = field(default_factory=dict)  # acknowledged id -> sha256
    submitted: set[str] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)

    def call(self, client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
        try:
            return client.request(method, url, **kwargs)
        finally:
            with self.lock:
                self.in_flight -= 1

    def file_one(self, client: httpx.Client) -> None:
        created = self.call(client, "POST", "/api/v1/requests", json=t11_body())
        self.expect(created, 201)
        request_id = created.json()["id"]
        for kind, (name, data, media_type) in self.files.items():
            uploaded = self.call(
                client,
                "POST",
                f"/api/v1/requests/{request_id}/documents",
                data={"kind": kind},
                files={"file": (name, data, media_type)},
            )
            self.expect(uploaded, 201)
            with self.lock:
                self.documents[uploaded.json()["id"]] = hashlib.sha256(data).hexdigest()
        submitted = self.call(
            client, "POST", f"/api/v1/requests/{request_id}/submit", json=DECLARATION
        )
        self.expect(submitted, 200)
        with self.lock:
            self.submitted.add(request_id)

    def expect(self, response: httpx.Response, status: int) -> None:
        if response.status_code != status:
            self.unexpected.append(f"{response.status_code} {response.text[:200]}")
            raise AssertionError(response.text)

    def worker(self, rep: dict[str, str]) -> None:
        with httpx.Client(base_url=self.server.url, headers=rep, timeout=60) as client:
            while not self.stop.is_set():
                try:
                    self.file_one(client)
                except (httpx.TransportError, AssertionError):
                    return

    def run_until_killed(self) -> int:
        """Start the workers, SIGKILL the server once enough submits are in; the in-flight count."""
        threads = [
            threading.Thread(target=self.worker, args=(self.reps[n % len(self.reps)],))
            for n in range(WORKERS)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(self.submitted) < SUBMITS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.02)
        with self.lock:
            in_flight = self.in_flight
        self.server.kill()
        self.stop.set()
        for thread in threads:
            thread.join(60)
        return in_flight


def _required_files(server: Server, rep: dict[str, str]) -> dict[str, tuple[str, bytes, str]]:
    body = t11_body()
    with httpx.Client(base_url=server.url, headers=rep, timeout=30) as client:
        request_id = client.post("/api/v1/requests", json=body).json()["id"]
        report = client.post(f"/api/v1/requests/{request_id}/validate").json()
    kinds = [i["kind"] for i in report["checklist"] if i["required"]]
    files = {}
    for kind in kinds:
        if kind == "job_offer":
            # No NOC code in the offer: triage flags it, so a submit always stores findings.
            files[kind] = ("offer.pdf", make_pdf(["Offer of employment"]), "application/pdf")
        elif kind == "passport_bio_page":
            files[kind] = ("passport.jpg", make_jpeg(640, 480), "image/jpeg")
        else:
            files[kind] = (f"{kind}.pdf", make_pdf([f"{kind} document"]), "application/pdf")
    assert files, "T11 requires documents"
    return files


def _stored_files(storage: Path) -> dict[str, Path]:
    return {p.name: p for p in (storage / "objects").glob("*/*") if p.is_file()}


def _assert_every_row_has_its_file(db: Seed, storage: Path, acknowledged: dict[str, str]) -> None:
    files = _stored_files(storage)
    with db.session() as session:
        documents = list(session.scalars(select(Document)))
        rows = {d.id: d for d in documents}
        for request in session.scalars(select(OpinionRequest)):
            used = sum(d.size_bytes for d in documents if d.request_id == request.id)
            assert request.documents_bytes_used == used, "budget differs from the stored bytes"
    assert set(acknowledged) <= set(rows), "an acknowledged upload was lost"
    for document in rows.values():
        assert document.id in files, "a document row has no file"
        data = files[document.id].read_bytes()
        assert len(data) == document.size_bytes
        assert hashlib.sha256(data).hexdigest() == document.sha256
        if document.id in acknowledged:
            assert document.sha256 == acknowledged[document.id]


def _actions(session: Any, request_id: str) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.request_id == request_id)
            .order_by(AuditEvent.seq)
        )
    )


def _assert_no_request_is_half_submitted(db: Seed, acknowledged: set[str]) -> dict[str, int]:
    counts = {"draft": 0, "submitted": 0}
    with db.session() as session:
        for request in session.scalars(select(OpinionRequest)):
            findings = session.scalar(
                select(func.count())
                .select_from(TriageFinding)
                .where(TriageFinding.request_id == request.id)
            )
            actions = _actions(session, request.id)
            if request.status == RequestStatus.DRAFT:
                assert request.id not in acknowledged, "an acknowledged submit was lost"
                assert request.submitted_at is None
                assert request.due_date is None
                assert request.triage_run == 0
                assert findings == 0
                assert not {"request.submitted", "request.triaged"} & set(actions)
            else:
                assert request.status == RequestStatus.SUBMITTED, request.status
                assert request.submitted_at is not None
                assert request.due_date is not None
                assert request.triage_run >= 1
                assert findings, "the offer names no NOC code: triage must have found it"
                assert {"request.submitted", "request.triaged"} <= set(actions)
                triaged = session.scalar(
                    select(AuditEvent.details).where(
                        AuditEvent.request_id == request.id, AuditEvent.action == "request.triaged"
                    )
                )
                assert triaged is not None
                assert sum(triaged["outcomes"].values()) == findings
            counts[request.status] += 1
    return counts


def _plant_orphans(storage: Path) -> str:
    """A file no row owns (as a crash between rename and commit leaves) and a stale temporary."""
    key = str(uuid.uuid4())
    (storage / "objects" / key[:2]).mkdir(parents=True, exist_ok=True)
    (storage / "objects" / key[:2] / key).write_bytes(b"%PDF-1.7 orphan")
    (storage / "tmp" / f"{uuid.uuid4()}.part").write_bytes(b"half an upload")
    return key


class TestSigkillDuringUploadsAndSubmits:
    @pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
    def test_a_restart_finds_every_acknowledged_write_whole_and_sweeps_orphans(
        self,
        backend: str,
        tmp_path: Path,
        pg_database: Callable[[], str],
        seed: Callable[[str], Seed],
        start_server: ServerFactory,
    ) -> None:
        url = (
            f"sqlite:///{tmp_path}/crash.sqlite3" if backend == "sqlite" else pg_url(pg_database())
        )
        storage = tmp_path / "storage"
        db = seed(url)
        reps = [db.account("representative", organization="Crash Org")[1] for _ in range(4)]
        server = start_server(url, storage)
        workload = Workload(server, reps, _required_files(server, reps[0]))

        in_flight = workload.run_until_killed()

        assert not server.alive
        assert in_flight > 0, "the kill must land while requests are in flight"
        assert workload.unexpected == []
        assert len(workload.submitted) >= SUBMITS_BEFORE_KILL
        planted = _plant_orphans(storage)
        server.start()
        assert httpx.get(f"{server.url}/readyz").status_code == 200

        _assert_every_row_has_its_file(db, storage, workload.documents)
        counts = _assert_no_request_is_half_submitted(db, workload.submitted)
        assert counts["submitted"] >= len(workload.submitted)
        assert counts["draft"] >= 1

        with db.session() as session:
            owned = set(session.scalars(select(Document.id)))
        orphans = set(_stored_files(storage)) - owned
        assert planted in orphans
        swept = server.cli("storage", "sweep", "--grace-seconds", "0")
        assert swept.returncode == 0, swept.stderr
        report = json.loads(swept.stdout)
        assert set(report["keys"]) == orphans
        assert report["removed"] == len(orphans)
        assert set(_stored_files(storage)) == owned
        assert list((storage / "tmp").iterdir()) == []

        verified = server.cli("audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert "intact" in verified.stdout

        # The restarted service takes new work as if nothing happened.
        after = Workload(server, reps[:1], workload.files)
        with httpx.Client(base_url=server.url, headers=reps[0], timeout=60) as client:
            after.file_one(client)
        assert len(after.submitted) == 1
