"""Two `imwu serve` processes on one PostgreSQL database (issue 5 §4): claims never double, and
every race between two writers ends in one consistent state with one winner."""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Account
from app.common.form import FORM_EDITION
from app.intake.models import OpinionRequest, RequestStatus
from app.letters.models import Letter
from app.queue.models import Decision
from app.triage.models import TriageFinding
from tests.builders import make_jpeg, make_pdf
from tests.faults.conftest import (
    Seed,
    Server,
    ServerFactory,
    create_pg_database,
    drop_pg_database,
    pg_url,
    problem,
    server_factory,
    start_together,
)
from tests.intake.scenarios import job_offer_pdf, t11_body

ROUNDS = 6
FRENCH = {"languages": ["fr"]}
DECLARATION = {"declarant_name": "Pat Declarant", "declaration_accepted": True}
DECISION = {
    "outcome": "positive",
    "exemption_code": "T11",
    "reasons": [],
    "conditions": [],
    "letter_language": "en",
}


@dataclass
class Pair:
    """Two servers sharing one database and one storage directory."""

    a: Server
    b: Server
    db: Seed

    def client(self, server: Server, headers: dict[str, str]) -> httpx.Client:
        return httpx.Client(base_url=server.url, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two servers for the module, on one database migrated and given an account before either
    starts (starting together on an empty one is the race `TestStartingTogether` shows)."""
    name = create_pg_database()
    db = Seed(pg_url(name))
    db.account("admin")
    directory = tmp_path_factory.mktemp("pair")
    try:
        with server_factory(directory) as start:
            a, b = start_together(start, pg_url(name), directory / "storage", 2)
            yield Pair(a, b, db)
    finally:
        db.close()
        drop_pg_database(name)


def race(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls at the same instant from their own threads; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[httpx.Response | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def _waiting_cases(db: Seed, rep_id: str, count: int) -> list[str]:
    """Submitted French cases written straight to the database (the queue reads only these
    columns); the other tests of the module file English ones."""
    now = datetime.now(UTC)
    with db.sessions.begin() as session:
        organization_id = session.get(Account, rep_id).organization_id  # type: ignore[union-attr]
        cases = [
            OpinionRequest(
                reference=f"IMWU-2026-8{n:05d}",
                organization_id=organization_id,
                created_by_id=rep_id,
                status=RequestStatus.SUBMITTED,
                version=1,
                form_edition=FORM_EDITION,
                language="fr",
                exemption_code="T11",
                content={**t11_body(), "language": "fr"},
                documents_bytes_used=0,
                submitted_at=now + timedelta(seconds=n),
                stream="trade_agreement",
                priority=n % 3,
                created_at=now,
                updated_at=now,
            )
            for n in range(count)
        ]
        session.add_all(cases)
        session.flush()
        return [case.id for case in cases]


def _ready_draft(api: httpx.Client) -> tuple[str, str]:
    """A complete draft (every required document attached) and its ETag."""
    body = t11_body()
    request_id = api.post("/api/v1/requests", json=body).json()["id"]
    report = api.post(f"/api/v1/requests/{request_id}/validate").json()
    for item in report["checklist"]:
        if not item["required"] or item["present"]:
            continue
        kind = item["kind"]
        if kind == "job_offer":
            file = ("offer.pdf", job_offer_pdf(body), "application/pdf")
        elif kind == "passport_bio_page":
            file = ("passport.jpg", make_jpeg(320, 240), "image/jpeg")
        else:
            file = (f"{kind}.pdf", make_pdf([f"{kind} document"]), "application/pdf")
        uploaded = api.post(
            f"/api/v1/requests/{request_id}/documents", data={"kind": kind}, files={"file": file}
        )
        assert uploaded.status_code == 201, uploaded.text
    read = api.get(f"/api/v1/requests/{request_id}")
    return request_id, read.headers["ETag"]


def _one_winner(
    answers: list[httpx.Response], wins: set[int], losing_codes: set[str]
) -> tuple[int, dict[str, Any]]:
    """Exactly one answer is a success; the other is a problem with a losing code."""
    winners = [i for i, a in enumerate(answers) if a.status_code in wins]
    assert len(winners) == 1, [a.text for a in answers]
    loser = answers[1 - winners[0]]
    assert loser.status_code in (403, 409, 412), loser.text
    assert problem(loser)["code"] in losing_codes
    body: dict[str, Any] = answers[winners[0]].json()
    return winners[0], body


def _actions(db: Seed, request_id: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.request_id == request_id)
                .order_by(AuditEvent.seq)
            )
        )


def _assert_chain_intact(server: Server) -> None:
    verified = server.cli("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "intact" in verified.stdout


@pytest.fixture
def rep_clients(pair: Pair) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two representatives of one organization, one on each server."""
    _, first = pair.db.account("representative", organization="Race Org")
    _, second = pair.db.account("representative", organization="Race Org")
    with pair.client(pair.a, first) as a, pair.client(pair.b, second) as b:
        yield a, b


class TestTwoServersOnOneDatabase:
    def test_32_claimers_across_both_servers_get_10_distinct_claims_and_22_no_content(
        self, pair: Pair
    ) -> None:
        rep_id, _ = pair.db.account("representative", organization="Queue Org")
        ids = _waiting_cases(pair.db, rep_id, 10)
        reviewers = [pair.db.account("reviewer") for _ in range(32)]
        clients = [
            pair.client(pair.a if n % 2 == 0 else pair.b, headers)
            for n, (_, headers) in enumerate(reviewers)
        ]
        try:
            answers = race(
                *(lambda c=c: c.post("/api/v1/queue/claim", json=FRENCH) for c in clients)
            )
        finally:
            for client in clients:
                client.close()

        statuses = [a.status_code for a in answers]
        assert statuses.count(200) == 10
        assert statuses.count(204) == 22
        won = {
            a.json()["id"]: reviewers[n][0] for n, a in enumerate(answers) if a.status_code == 200
        }
        assert sorted(won) == sorted(ids)
        with pair.db.session() as session:
            holders = {
                case.id: case.claimed_by_id
                for case in session.scalars(
                    select(OpinionRequest).where(OpinionRequest.id.in_(ids))
                )
            }
            claims = session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "case.claimed", AuditEvent.request_id.in_(ids))
            )
        assert holders == won
        assert len(set(holders.values())) == 10
        assert claims == 10
        _assert_chain_intact(pair.a)

    def test_submit_and_withdraw_racing_on_two_servers_end_with_one_winner(
        self, pair: Pair, rep_clients: tuple[httpx.Client, httpx.Client]
    ) -> None:
        a, b = rep_clients
        for _ in range(ROUNDS):
            request_id, etag = _ready_draft(a)
            submit = _post(a, f"/api/v1/requests/{request_id}/submit", DECLARATION, etag)
            withdraw = _post(b, f"/api/v1/requests/{request_id}/withdraw", None, etag)
            answers = race(submit, withdraw)
            winner, body = _one_winner(answers, {200}, {"invalid_state", "precondition_failed"})
            status = "submitted" if winner == 0 else "withdrawn"
            _assert_submit_state_agrees(pair.db, request_id, status, body)
        _assert_chain_intact(pair.b)

    def test_decide_and_release_racing_on_two_servers_end_with_one_winner(
        self, pair: Pair, rep_clients: tuple[httpx.Client, httpx.Client]
    ) -> None:
        rep_api, _ = rep_clients
        reviewer_id, reviewer = pair.db.account("reviewer")
        losing = {"invalid_state", "precondition_failed", "not_claim_holder", "decision_exists"}
        with pair.client(pair.a, reviewer) as on_a, pair.client(pair.b, reviewer) as on_b:
            for _ in range(ROUNDS):
                request_id, _etag = _ready_draft(rep_api)
                submitted = rep_api.post(f"/api/v1/requests/{request_id}/submit", json=DECLARATION)
                assert submitted.status_code == 200, submitted.text
                claimed = on_a.post(f"/api/v1/requests/{request_id}/claim")
                assert claimed.status_code == 200, claimed.text
                decide = _post(
                    on_a,
                    f"/api/v1/requests/{request_id}/decision",
                    DECISION,
                    claimed.headers["ETag"],
                )
                release = _post(on_b, f"/api/v1/requests/{request_id}/release", None, None)
                winner, body = _one_winner(race(decide, release), {200, 201}, losing)
                _assert_decision_agrees(pair.db, request_id, reviewer_id, winner, body)
        _assert_chain_intact(pair.a)


def _post(
    client: httpx.Client, url: str, body: dict[str, Any] | None, etag: str | None
) -> Callable[[], httpx.Response]:
    headers = {"If-Match": etag} if etag else {}
    return lambda: client.post(url, json=body, headers=headers)


def _assert_submit_state_agrees(
    db: Seed, request_id: str, status: str, body: dict[str, Any]
) -> None:
    """The database says what the winner was told, and nothing of the loser happened."""
    with db.session() as session:
        request = session.get(OpinionRequest, request_id)
        assert request is not None
        findings = session.scalar(
            select(func.count())
            .select_from(TriageFinding)
            .where(TriageFinding.request_id == request_id)
        )
    assert request.status == status == body["status"]
    assert request.version == body["version"] == 2
    actions = _actions(db, request_id)
    if status == "submitted":
        assert request.submitted_at is not None
        assert request.triage_run == 1
        assert "request.withdrawn" not in actions
        assert {"request.submitted", "request.triaged"} <= set(actions)
    else:
        assert request.submitted_at is None
        assert request.triage_run == 0
        assert findings == 0
        assert "request.withdrawn" in actions
        assert not {"request.submitted", "request.triaged"} & set(actions)


def _assert_decision_agrees(
    db: Seed, request_id: str, reviewer_id: str, winner: int, body: dict[str, Any]
) -> None:
    with db.session() as session:
        request = session.get(OpinionRequest, request_id)
        assert request is not None
        decisions = list(session.scalars(select(Decision).where(Decision.request_id == request_id)))
        letters = session.scalar(
            select(func.count()).select_from(Letter).where(Letter.request_id == request_id)
        )
    actions = _actions(db, request_id)
    if winner == 0:
        assert request.status == RequestStatus.DECIDED
        assert [d.id for d in decisions] == [body["id"]]
        assert decisions[0].decided_by_id == reviewer_id
        assert letters == 1
        assert "case.decided" in actions
        assert "case.released" not in actions
    else:
        assert request.status == RequestStatus.SUBMITTED == body["status"]
        assert request.claimed_by_id is None
        assert decisions == []
        assert letters == 0
        assert "case.released" in actions
        assert "case.decided" not in actions


class TestStartingTogether:
    def test_servers_starting_at_once_on_an_empty_database_all_come_up(
        self, tmp_path: Path, pg_database: Callable[[], str], start_server: ServerFactory
    ) -> None:
        url = pg_url(pg_database())
        failures: list[str] = []

        def boot() -> None:
            try:
                start_server(url, tmp_path / "storage")
            except RuntimeError as exc:
                failures.append(str(exc)[-300:])

        threads = [threading.Thread(target=boot) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert failures == []
        db = Seed(url)
        try:
            with db.session() as session:
                admins = session.scalar(
                    select(func.count()).select_from(Account).where(Account.role == "admin")
                )
        finally:
            db.close()
        assert admins == 1
