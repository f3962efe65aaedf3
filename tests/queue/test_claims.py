import threading
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from app.auth.models import Role
from app.common.form import FORM_EDITION
from app.db import get_sessionmaker
from app.intake.models import OpinionRequest, RequestStatus
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body
from tests.queue.helpers import claim, decide, submitted_case


def _waiting_cases(accounts: Accounts, count: int) -> list[str]:
    """Submitted cases written straight to the database (the queue only reads these columns)."""
    rep = accounts.make("representative", organization="Bulk Org")
    account_id = accounts.id_of(rep)
    now = datetime.now(UTC)
    ids = []
    with get_sessionmaker().begin() as session:
        from app.auth.models import Account

        organization_id = session.get(Account, account_id).organization_id  # type: ignore[union-attr]
        for n in range(count):
            case = OpinionRequest(
                reference=f"IMWU-2026-9{n:05d}",
                organization_id=organization_id,
                created_by_id=account_id,
                status=RequestStatus.SUBMITTED,
                version=1,
                form_edition=FORM_EDITION,
                language="en",
                exemption_code="T11",
                content=t11_body(),
                documents_bytes_used=0,
                submitted_at=now + timedelta(seconds=n),
                stream="trade_agreement",
                priority=n % 3,
                created_at=now,
                updated_at=now,
            )
            session.add(case)
            session.flush()
            ids.append(case.id)
    return ids


class TestClaimNext:
    def test_32_reviewers_claiming_10_cases_get_10_distinct_claims(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        ids = _waiting_cases(accounts, 10)
        reviewers = [accounts.make("reviewer") for _ in range(32)]
        results: list[tuple[int, str | None]] = []
        barrier = threading.Barrier(32)

        def claim_one(headers: dict[str, str]) -> None:
            barrier.wait()
            response = client.post("/api/v1/queue/claim", json={}, headers=headers)
            results.append(
                (
                    response.status_code,
                    response.json()["id"] if response.status_code == 200 else None,
                )
            )

        threads = [threading.Thread(target=claim_one, args=(h,)) for h in reviewers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        claimed = [rid for status, rid in results if status == 200]
        assert sorted(claimed) == sorted(ids)
        assert [s for s, _ in results].count(204) == 22
        with get_sessionmaker()() as session:
            holders = {session.get(OpinionRequest, i).claimed_by_id for i in ids}  # type: ignore[union-attr]
        assert len(holders) == 10

    def test_takes_the_highest_priority_first_and_filters_by_stream(
        self, client: TestClient, accounts: Accounts, reviewer: dict[str, str]
    ) -> None:
        ids = _waiting_cases(accounts, 3)
        none = client.post(
            "/api/v1/queue/claim", json={"streams": ["reciprocal"]}, headers=reviewer
        )
        assert none.status_code == 204
        first = client.post(
            "/api/v1/queue/claim", json={"streams": ["trade_agreement"]}, headers=reviewer
        )
        assert first.json()["id"] == ids[2]

    def test_queue_lists_by_priority_with_counts_and_filters(
        self, client: TestClient, accounts: Accounts, reviewer: dict[str, str]
    ) -> None:
        ids = _waiting_cases(accounts, 4)
        page = client.get("/api/v1/queue", params={"limit": 2}, headers=reviewer).json()
        assert [i["id"] for i in page["items"]] == [ids[2], ids[1]]
        rest = client.get(
            "/api/v1/queue", params={"limit": 2, "cursor": page["next_cursor"]}, headers=reviewer
        ).json()
        assert [i["id"] for i in rest["items"]] == [ids[0], ids[3]]
        claim(client, reviewer, ids[0])
        mine = client.get("/api/v1/queue", params={"claimed_by": "me"}, headers=reviewer).json()
        assert [i["id"] for i in mine["items"]] == [ids[0]]
        assert mine["items"][0]["findings"] == {"block": 0, "review": 0, "warn": 0}

    def test_representatives_cannot_use_the_queue(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        assert client.get("/api/v1/queue", headers=rep).status_code == 403
        assert client.post("/api/v1/queue/claim", json={}, headers=rep).status_code == 403


class TestClaimOne:
    def test_held_by_someone_else_is_409_naming_the_holder(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        case_id = _waiting_cases(accounts, 1)[0]
        first = accounts.make("reviewer", name="Riley First")
        second = accounts.make("reviewer")
        assert claim(client, first, case_id).status_code == 200
        response = claim(client, second, case_id)
        assert response.status_code == 409
        problem = response.json()
        assert problem["code"] == "already_claimed"
        assert problem["holder"] == {"id": accounts.id_of(first), "name": "Riley First"}

    def test_release_returns_the_case_and_only_the_holder_may(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        case_id = _waiting_cases(accounts, 1)[0]
        holder, other = accounts.make("reviewer"), accounts.make("reviewer")
        claim(client, holder, case_id)
        refused = client.post(f"/api/v1/requests/{case_id}/release", headers=other)
        assert refused.status_code == 403
        assert refused.json()["code"] == "not_claim_holder"
        released = client.post(f"/api/v1/requests/{case_id}/release", headers=holder)
        assert released.json()["status"] == "submitted"
        assert claim(client, other, case_id).status_code == 200

    def test_a_lapsed_claim_returns_to_the_queue(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        case_id = _waiting_cases(accounts, 1)[0]
        holder, other = accounts.make("reviewer"), accounts.make("reviewer")
        claim(client, holder, case_id)
        with get_sessionmaker().begin() as session:
            session.execute(
                update(OpinionRequest)
                .where(OpinionRequest.id == case_id)
                .values(claim_expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )
        lapsed = decide(client, holder, case_id)
        assert lapsed.status_code == 409
        assert lapsed.json()["code"] == "claim_lapsed"
        queue = client.get("/api/v1/queue", headers=other).json()
        assert queue["items"][0]["status"] == "submitted"
        assert client.post("/api/v1/queue/claim", json={}, headers=other).json()["id"] == case_id

    def test_supervisor_reassigns(self, client: TestClient, accounts: Accounts) -> None:
        case_id = _waiting_cases(accounts, 1)[0]
        holder, target = accounts.make("reviewer"), accounts.make("reviewer")
        supervisor = accounts.make(Role.SUPERVISOR.value)
        claim(client, holder, case_id)
        body = {"reviewer_id": accounts.id_of(target)}
        assert (
            client.post(
                f"/api/v1/requests/{case_id}/reassign", json=body, headers=holder
            ).status_code
            == 403
        )
        moved = client.post(f"/api/v1/requests/{case_id}/reassign", json=body, headers=supervisor)
        assert moved.status_code == 200
        assert decide(client, holder, case_id).json()["code"] == "not_claim_holder"


class TestDecision:
    def test_not_holder_stale_and_decided_are_refused(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        case = submitted_case(client, rep, t11_body())
        holder, other = accounts.make("reviewer"), accounts.make("reviewer")
        claimed = claim(client, holder, case["id"]).json()
        assert decide(client, other, case["id"]).status_code == 403
        stale = decide(client, holder, case["id"], version=claimed["version"] - 1)
        assert stale.status_code == 412
        assert stale.json()["code"] == "precondition_failed"
        lmia_on_positive = decide(client, holder, case["id"], suggest_lmia_route=True)
        assert lmia_on_positive.status_code == 422
        assert lmia_on_positive.json()["errors"][0]["pointer"] == "/suggest_lmia_route"
        no_reasons = decide(client, holder, case["id"], outcome="negative")
        assert no_reasons.status_code == 422
        assert no_reasons.json()["errors"][0]["pointer"] == "/reasons"
        assert decide(client, holder, case["id"], version=claimed["version"]).status_code == 201
        again = decide(client, holder, case["id"])
        assert again.status_code == 409
        assert again.json()["code"] == "decision_exists"

    def test_negative_letter_states_the_reasons(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        import io

        from pypdf import PdfReader

        case = submitted_case(client, rep, t11_body())
        holder = accounts.make("reviewer")
        claim(client, holder, case["id"])
        response = decide(
            client,
            holder,
            case["id"],
            outcome="negative",
            reasons=["The employer is not a US government agency."],
        )
        assert response.status_code == 201
        pdf = client.get(f"/api/v1/requests/{case['id']}/letter", headers=rep).content
        assert "not a US government agency" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_stats_for_supervisors(client: TestClient, accounts: Accounts) -> None:
    _waiting_cases(accounts, 3)
    supervisor = accounts.make("supervisor")
    stats = client.get("/api/v1/stats", headers=supervisor).json()
    assert stats["by_status"]["submitted"] == 3
    assert stats["by_stream"]["trade_agreement"] == 3
    assert client.get("/api/v1/stats", headers=accounts.make("reviewer")).status_code == 403
