"""One hash chain per case: events appended at commit, each case's chain on its own head."""

import threading

from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from app.audit.models import AuditChain, AuditEvent
from app.audit.service import record, verify_chains
from app.db import get_sessionmaker
from tests.audit.helpers import edited_cases, imwu
from tests.conftest import Accounts


class TestChainPerCase:
    def test_each_case_numbers_its_own_events_from_one(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        first, second = edited_cases(client, rep, 2)
        for case_id in (first, second):
            events = client.get(f"/api/v1/requests/{case_id}/events", headers=rep).json()
            assert [(e["chain_id"], e["seq"], e["action"]) for e in events] == [
                (case_id, 1, "request.created"),
                (case_id, 2, "request.edited"),
                (case_id, 3, "request.edited"),
            ]
        with get_sessionmaker()() as session:
            heads = dict(session.execute(select(AuditChain.chain_id, AuditChain.seq)).all())
        assert heads[first] == heads[second] == 3

    def test_an_account_event_chains_under_the_account_not_a_global_head(
        self, client: TestClient, admin: dict[str, str], accounts: Accounts
    ) -> None:
        created = client.post(
            "/api/v1/accounts",
            json={"role": "reviewer", "name": "Robin Reviewer", "email": "robin@imwu.example"},
            headers=admin,
        )
        assert created.status_code == 201
        chain_id = f"account:{created.json()['id']}"
        with get_sessionmaker()() as session:
            event = session.scalars(select(AuditEvent).where(AuditEvent.chain_id == chain_id)).one()
        assert (event.seq, event.action, event.actor_id) == (
            1,
            "account.created",
            accounts.id_of(admin),
        )
        assert event.details == {"role": "reviewer"}
        assert "Robin" not in str(event.details)

    def test_a_rolled_back_transaction_leaves_no_event(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        (case_id,) = edited_cases(client, rep, 1)
        with get_sessionmaker()() as session:
            record(session, actor_id=None, action="request.edited", request_id=case_id)
            session.rollback()
            session.commit()
        with get_sessionmaker()() as session:
            assert session.scalar(select(AuditChain.seq).where(AuditChain.chain_id == case_id)) == 3

    def test_sixteen_writers_on_one_case_extend_one_unbroken_chain(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        (case_id,) = edited_cases(client, rep, 1)
        barrier = threading.Barrier(16)
        failures: list[BaseException] = []

        def append(n: int) -> None:
            try:
                with get_sessionmaker().begin() as session:
                    barrier.wait()
                    record(
                        session,
                        actor_id=None,
                        action="request.edited",
                        request_id=case_id,
                        details={"n": n},
                    )
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=append, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        with get_sessionmaker()() as session:
            seqs = list(
                session.scalars(
                    select(AuditEvent.seq)
                    .where(AuditEvent.chain_id == case_id)
                    .order_by(AuditEvent.seq)
                )
            )
            assert verify_chains(session) is None
        assert seqs == list(range(1, 20))


class TestTamperingIsNamed:
    """`imwu audit verify` exits 1 and names the first broken link."""

    def test_an_intact_trail_verifies(self, client: TestClient, rep: dict[str, str]) -> None:
        edited_cases(client, rep, 2)
        verified = imwu("audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert "intact" in verified.stdout

    def test_editing_an_event_row(self, client: TestClient, rep: dict[str, str]) -> None:
        _, case_id = sorted(edited_cases(client, rep, 2))
        with get_sessionmaker().begin() as session:
            session.execute(
                update(AuditEvent)
                .where(AuditEvent.chain_id == case_id, AuditEvent.seq == 2)
                .values(action="request.withdrawn")
            )
        broken = imwu("audit", "verify")
        assert broken.returncode == 1
        assert (
            f"chain {case_id} event 2: the event's content does not match its hash" in broken.stderr
        )

    def test_deleting_an_event_row(self, client: TestClient, rep: dict[str, str]) -> None:
        (case_id,) = edited_cases(client, rep, 1)
        with get_sessionmaker().begin() as session:
            session.execute(
                delete(AuditEvent).where(AuditEvent.chain_id == case_id, AuditEvent.seq == 2)
            )
        broken = imwu("audit", "verify")
        assert broken.returncode == 1
        assert f"chain {case_id} event 2: the event is missing" in broken.stderr

    def test_deleting_the_last_event_row(self, client: TestClient, rep: dict[str, str]) -> None:
        (case_id,) = edited_cases(client, rep, 1)
        with get_sessionmaker().begin() as session:
            session.execute(
                delete(AuditEvent).where(AuditEvent.chain_id == case_id, AuditEvent.seq == 3)
            )
        broken = imwu("audit", "verify")
        assert broken.returncode == 1
        assert f"chain {case_id} event 3: the head does not match" in broken.stderr

    def test_editing_a_case_head(self, client: TestClient, rep: dict[str, str]) -> None:
        (case_id,) = edited_cases(client, rep, 1)
        with get_sessionmaker().begin() as session:
            session.execute(
                update(AuditChain).where(AuditChain.chain_id == case_id).values(hash="f" * 64)
            )
        broken = imwu("audit", "verify")
        assert broken.returncode == 1
        assert f"chain {case_id} event 3: the head does not match" in broken.stderr
