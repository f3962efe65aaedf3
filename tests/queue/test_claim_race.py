"""32 threads claim at the same instant, each in its own session and transaction (SQLite and
PostgreSQL). The check counts claims per case; it is shown able to fail by a naive claimer."""

import threading
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.auth.models import Account
from app.db import get_sessionmaker
from app.intake.models import OpinionRequest, RequestStatus
from app.queue.service import claim_next
from tests.conftest import Accounts
from tests.queue.test_claims import _waiting_cases

CLAIMERS = 32
CASES = 10
Claimer = Callable[[Session, Account, threading.Barrier], str | None]


def service_claimer(session: Session, reviewer: Account, barrier: threading.Barrier) -> str | None:
    barrier.wait(timeout=120)
    claimed = claim_next(session, reviewer=reviewer, streams=[], languages=[])
    return claimed.id if claimed is not None else None


def naive_claimer(session: Session, reviewer: Account, barrier: threading.Barrier) -> str | None:
    """Select the first waiting case, then update it by id: the guard (the UPDATE's own
    `WHERE status = 'submitted'` on the locked candidate) removed."""
    case_id = session.scalar(
        select(OpinionRequest.id)
        .where(OpinionRequest.status == RequestStatus.SUBMITTED)
        .order_by(OpinionRequest.priority.desc(), OpinionRequest.submitted_at)
        .limit(1)
    )
    session.commit()  # gives the connection back: 32 threads wait below on fewer connections
    barrier.wait(timeout=120)  # everyone has read before anyone writes: the window, made wide
    if case_id is None:
        return None
    session.execute(
        update(OpinionRequest)
        .where(OpinionRequest.id == case_id)
        .values(status=RequestStatus.IN_REVIEW, claimed_by_id=reviewer.id)
    )
    return case_id


def race(accounts: Accounts, claimer: Claimer) -> tuple[list[str | None], int]:
    """Every claimer's answer, and the number of cases the database shows as claimed."""
    _waiting_cases(accounts, CASES)
    ids = [accounts.id_of(accounts.make("reviewer")) for _ in range(CLAIMERS)]
    with get_sessionmaker()() as session:
        reviewers = [session.get(Account, i) for i in ids]
        session.expunge_all()
    barrier = threading.Barrier(CLAIMERS)
    answers: list[str | None] = []
    failures: list[BaseException] = []

    def run(reviewer: Account) -> None:
        try:
            with get_sessionmaker()() as session:
                answer = claimer(session, reviewer, barrier)
                session.commit()
            answers.append(answer)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with get_sessionmaker()() as session:
        claimed_rows = session.scalar(
            select(func.count()).where(OpinionRequest.status == RequestStatus.IN_REVIEW)
        )
    return answers, int(claimed_rows or 0)


def double_claims(answers: list[str | None]) -> int:
    return sum(n - 1 for n in Counter(a for a in answers if a is not None).values())


class TestThirtyTwoClaimers:
    def test_the_service_claims_each_case_once(self, accounts: Accounts) -> None:
        answers, claimed_rows = race(accounts, service_claimer)
        assert double_claims(answers) == 0
        assert len([a for a in answers if a is not None]) == CASES == claimed_rows
        assert answers.count(None) == CLAIMERS - CASES

    def test_the_check_catches_a_claimer_without_the_guard(self, accounts: Accounts) -> None:
        answers, _ = race(accounts, naive_claimer)
        assert double_claims(answers) > 0
