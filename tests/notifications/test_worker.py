"""The worker's rules: the retry schedule, leases, the worker inside `imwu serve`, metrics."""

import itertools
import logging
import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.config import Settings, get_settings
from app.db import get_sessionmaker
from app.notifications import sending
from app.notifications.models import NotificationDelivery
from app.notifications.worker import backoff_seconds, claim, finish
from tests.intake.scenarios import t11_body
from tests.notifications.conftest import Receiver, drain
from tests.notifications.test_end_to_end import register
from tests.notifications.test_webhooks import deliveries, queue_test_delivery
from tests.queue.helpers import submitted_case


class TestBackoff:
    def test_defaults_go_from_30_seconds_to_24_hours_over_12_attempts(self) -> None:
        settings = Settings()
        rand = random.Random(7)
        waits = [backoff_seconds(n, settings, rand) for n in range(1, 12)]
        assert 24 <= waits[0] <= 36
        assert 0.8 * 86400 <= waits[-1] <= 86400
        middles = [backoff_seconds(n, settings, random.Random(0)) for n in range(1, 12)]
        assert all(a < b for a, b in itertools.pairwise(middles))

    def test_jitter_spreads_receivers_that_failed_together(self) -> None:
        settings = Settings()
        waits = {round(backoff_seconds(3, settings), 3) for _ in range(20)}
        assert len(waits) > 1

    def test_zero_base_retries_at_once(self) -> None:
        assert backoff_seconds(5, Settings(notify_backoff_base_seconds=0)) == 0.0


@pytest.mark.usefixtures("notify")
class TestLeases:
    def test_a_leased_delivery_is_not_claimed_again_until_its_lease_runs_out(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver
    ) -> None:
        webhook = register(client, rep, receiver.url, ["request.submitted"])
        queue_test_delivery(client, rep, webhook["id"])
        with get_sessionmaker().begin() as session:
            [first] = claim(session, limit=5, lease_seconds=60)
        with get_sessionmaker().begin() as session:
            assert claim(session, limit=5, lease_seconds=60) == []
            session.execute(
                update(NotificationDelivery).values(lease_until=datetime.now(UTC) - timedelta(1))
            )
        with get_sessionmaker().begin() as session:
            [second] = claim(session, limit=5, lease_seconds=60)
        assert second.delivery_id == first.delivery_id
        assert second.token != first.token

    def test_the_worker_that_lost_its_lease_cannot_overwrite_the_outcome(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver, notify: Settings
    ) -> None:
        webhook = register(client, rep, receiver.url, ["request.submitted"])
        queue_test_delivery(client, rep, webhook["id"])
        with get_sessionmaker().begin() as session:
            [stale] = claim(session, limit=1, lease_seconds=60)
            session.execute(
                update(NotificationDelivery).values(lease_until=datetime.now(UTC) - timedelta(1))
            )
        with get_sessionmaker().begin() as session:
            [fresh] = claim(session, limit=1, lease_seconds=60)
        ok = sending.Result(ok=True, status=200)
        failed = sending.Result(ok=False, status=500, error="answered 500")
        with get_sessionmaker().begin() as session:
            assert finish(session, claim=fresh, result=ok, settings=notify) == "delivered"
        with get_sessionmaker().begin() as session:
            assert finish(session, claim=stale, result=failed, settings=notify) == "lease_lost"
        [shown] = deliveries(client, rep, webhook["id"])
        assert (shown["status"], shown["attempts"]) == ("delivered", 2)  # both claims began one


def test_serve_delivers_by_itself_and_says_email_is_off(
    app: FastAPI,
    rep: dict[str, str],
    receiver: Receiver,
    notify: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(notify, "notify_worker_in_serve", True)
    monkeypatch.setattr(notify, "notify_poll_seconds", 0.05)
    monkeypatch.setattr(notify, "smtp_url", None)
    caplog.set_level(logging.INFO, logger="imwu.notifications")
    with TestClient(app) as client:
        register(client, rep, receiver.url, ["request.submitted"])
        submitted_case(client, rep, t11_body())
        deadline = time.monotonic() + 60
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [r.json()["type"] for r in receiver.received] == ["request.submitted"]
    assert "email notifications are off" in caplog.text


@pytest.mark.usefixtures("notify")
def test_metrics_count_outcomes_and_show_the_queue(
    client: TestClient, rep: dict[str, str], receiver: Receiver, notify: Settings
) -> None:
    webhook = register(client, rep, receiver.url, ["request.submitted"])
    queue_test_delivery(client, rep, webhook["id"])
    waiting = client.get("/metrics").text
    assert 'imwu_notification_queue_depth{channel="webhook",status="pending"} 1.0' in waiting
    age = next(
        line
        for line in waiting.splitlines()
        if line.startswith('imwu_notification_oldest_pending_age_seconds{channel="webhook"}')
    )
    assert float(age.split()[-1]) >= 0
    before = _delivered(client.get("/metrics").text)
    drain(notify)
    after = client.get("/metrics").text
    assert _delivered(after) == before + 1
    assert 'imwu_notification_queue_depth{channel="webhook",status="pending"}' not in after
    assert 'imwu_notification_oldest_pending_age_seconds{channel="webhook"} 0.0' in after
    assert get_settings().notify_max_attempts == 12
    with get_sessionmaker()() as session:
        assert session.scalars(select(NotificationDelivery.status)).all() == ["delivered"]


def _delivered(text: str) -> float:
    for line in text.splitlines():
        if line.startswith('imwu_notification_deliveries_total{outcome="delivered"}'):
            return float(line.split()[-1])
    return 0.0
