"""`imwu worker` as real processes on the test database: SIGKILL in the middle of a delivery
loses nothing and sends nothing again once acknowledged, and two workers never send one delivery
at the same time (FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional UPDATE on SQLite)."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import get_sessionmaker
from app.notifications.models import NotificationDelivery
from tests.conftest import DATABASE_URL
from tests.notifications.conftest import Receiver
from tests.notifications.test_end_to_end import register
from tests.notifications.test_webhooks import queue_test_delivery

REPO = Path(__file__).resolve().parents[2]
PATIENCE_S = 120.0  # a loaded machine is slow; this only bounds a hung test


class Worker:
    def __init__(self, log: Path, *, lease_seconds: float) -> None:
        env = {
            **os.environ,
            "IMWU_DATABASE_URL": DATABASE_URL,
            "IMWU_ENVIRONMENT": "test",
            "IMWU_WEBHOOK_ALLOW_PRIVATE": "true",
            "IMWU_NOTIFY_POLL_SECONDS": "0.05",
            "IMWU_NOTIFY_LEASE_SECONDS": str(lease_seconds),
            "IMWU_NOTIFY_BACKOFF_BASE_SECONDS": "0",
        }
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, signum: int = signal.SIGKILL) -> int:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)
        return self.process.wait(30)


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def statuses() -> Counter[str]:
    with get_sessionmaker()() as session:
        rows = session.execute(
            select(NotificationDelivery.status, func.count()).group_by(NotificationDelivery.status)
        ).all()
    return Counter({str(status): int(count) for status, count in rows})


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}: {statuses()}")


@pytest.mark.usefixtures("notify")
def test_sigkill_mid_delivery_loses_nothing_and_sends_nothing_twice_once_acknowledged(
    client: TestClient,
    rep: dict[str, str],
    receiver: Receiver,
    workers: list[Worker],
    tmp_path: Path,
) -> None:
    webhook = register(client, rep, receiver.url, ["request.submitted"])
    queued = [queue_test_delivery(client, rep, webhook["id"]) for _ in range(5)]
    receiver.hold = threading.Event()
    workers.append(Worker(tmp_path / "a.log", lease_seconds=2))
    assert receiver.arrived.wait(PATIENCE_S), workers[0].log.read_text()
    in_flight = receiver.ids()[0]
    assert workers[0].kill() == -signal.SIGKILL
    receiver.hold.set()
    assert statuses() == Counter({"pending": 4, "delivering": 1})  # nothing lost

    workers.append(Worker(tmp_path / "b.log", lease_seconds=2))
    wait_until(lambda: statuses() == Counter({"delivered": 5}), "all five delivered")
    counts = Counter(receiver.ids())
    assert counts[in_flight] == 2  # the killed attempt was never acknowledged
    assert sorted(counts) == sorted(d["event_id"] for d in queued)
    assert all(n == 1 for event_id, n in counts.items() if event_id != in_flight)
    with get_sessionmaker()() as session:
        rows = session.execute(select(NotificationDelivery.event_id, NotificationDelivery.attempts))
        attempts = dict(rows.all())
    assert attempts[in_flight] == 2  # the cut-short attempt counts
    assert all(n == 1 for event_id, n in attempts.items() if event_id != in_flight)

    marker = queue_test_delivery(client, rep, webhook["id"])
    wait_until(lambda: statuses() == Counter({"delivered": 6}), "the marker delivered")
    after = Counter(receiver.ids())
    assert after[marker["event_id"]] == 1
    assert after - Counter({marker["event_id"]: 1}) == counts  # acknowledged ones never again
    assert workers[1].kill(signal.SIGTERM) == 0


@pytest.mark.usefixtures("notify")
def test_two_workers_never_send_one_delivery_at_the_same_time(
    client: TestClient,
    rep: dict[str, str],
    receiver: Receiver,
    workers: list[Worker],
    tmp_path: Path,
) -> None:
    webhook = register(client, rep, receiver.url, ["request.submitted"])
    queued = [queue_test_delivery(client, rep, webhook["id"]) for _ in range(30)]
    receiver.delay = 0.02
    workers.append(Worker(tmp_path / "a.log", lease_seconds=60))
    workers.append(Worker(tmp_path / "b.log", lease_seconds=60))
    wait_until(lambda: statuses() == Counter({"delivered": 30}), "thirty delivered")
    assert receiver.overlaps == []
    assert sorted(receiver.ids()) == sorted(d["event_id"] for d in queued)
