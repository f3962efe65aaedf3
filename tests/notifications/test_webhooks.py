"""Webhook endpoints over the API, and what one delivery does against a real receiver: retries
with the same webhook-id, no redirects, 1 KB of answer kept, refused addresses, secret rotation."""

import threading
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from fastapi.testclient import TestClient
from standardwebhooks import Webhook, WebhookVerificationError

from app.config import Settings, get_settings
from app.db import get_sessionmaker
from app.notifications.models import WebhookEndpoint
from app.notifications.secrets import seal, unseal
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body
from tests.notifications.conftest import Receiver, drain, start_receiver
from tests.notifications.test_end_to_end import register
from tests.queue.helpers import submitted_case


def later(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A failed attempt waits an hour for the next, so one round makes exactly one attempt."""
    monkeypatch.setattr(settings, "notify_backoff_base_seconds", 3600.0)
    return settings


def deliveries(client: TestClient, rep: dict[str, str], webhook_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=rep)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def queue_test_delivery(client: TestClient, rep: dict[str, str], webhook_id: str) -> dict[str, Any]:
    queued = client.post(f"/api/v1/webhooks/{webhook_id}/test", headers=rep)
    assert queued.status_code == 202, queued.text
    body: dict[str, Any] = queued.json()
    return body


@pytest.mark.usefixtures("notify")
class TestEndpoints:
    def test_create_answers_the_secret_once_then_never_again(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver
    ) -> None:
        response = client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "events": ["request.decided", "request.decided"]},
            headers=rep,
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["Location"] == f"/api/v1/webhooks/{created['id']}"
        assert created["secret"].startswith("whsec_")
        assert created["events"] == ["request.decided"]
        assert created["enabled"] is True
        shown = client.get(f"/api/v1/webhooks/{created['id']}", headers=rep).json()
        assert "secret" not in shown
        listed = client.get("/api/v1/webhooks", headers=rep).json()
        assert [w["id"] for w in listed] == [created["id"]]
        with get_sessionmaker()() as session:
            stored = session.get_one(WebhookEndpoint, created["id"])
        assert created["secret"] not in stored.secret  # sealed at rest
        assert unseal(stored.secret) == created["secret"]

    def test_a_control_character_in_the_description_is_refused_naming_the_field(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver
    ) -> None:
        response = client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "events": ["request.decided"], "description": "HR\u0000x"},
            headers=rep,
        )
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert [e["pointer"] for e in problem["errors"]] == ["/description"]
        assert "HR" not in response.text
        assert client.get("/api/v1/webhooks", headers=rep).json() == []

    def test_patch_changes_events_and_pauses_and_delete_removes(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver
    ) -> None:
        created = register(client, rep, receiver.url, ["request.decided"])
        path = f"/api/v1/webhooks/{created['id']}"
        patched = client.patch(
            path,
            json={"events": ["letter.issued", "letter.revoked"], "enabled": False},
            headers=rep,
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["events"] == ["letter.issued", "letter.revoked"]
        assert patched.json()["enabled"] is False
        assert patched.json()["description"] == "Case system"
        assert client.delete(path, headers=rep).status_code == 204
        gone = client.get(path, headers=rep)
        assert gone.status_code == 404
        assert gone.json()["code"] == "not_found"
        assert client.get("/api/v1/webhooks", headers=rep).json() == []

    def test_another_organization_gets_404_everywhere(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str], receiver: Receiver
    ) -> None:
        created = register(client, rep, receiver.url, ["request.decided"])
        other = accounts.make("representative", organization="Other Employer Inc")
        base = f"/api/v1/webhooks/{created['id']}"
        calls = [
            ("GET", base),
            ("PATCH", base),
            ("DELETE", base),
            ("POST", f"{base}/rotate-secret"),
            ("GET", f"{base}/deliveries"),
            ("POST", f"{base}/deliveries/x/retry"),
            ("POST", f"{base}/test"),
        ]
        for method, path in calls:
            kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
            response = client.request(method, path, headers=other, **kwargs)
            assert response.status_code == 404, (method, path)
            assert response.json()["code"] == "not_found"
        assert client.get("/api/v1/webhooks", headers=other).json() == []

    def test_staff_may_not_manage_webhooks(
        self, client: TestClient, reviewer: dict[str, str], receiver: Receiver
    ) -> None:
        response = client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "events": ["letter.issued"]},
            headers=reviewer,
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_unknown_events_are_refused(self, client: TestClient, rep: dict[str, str]) -> None:
        response = client.post(
            "/api/v1/webhooks",
            json={"url": "https://hooks.example.com/x", "events": ["request.exploded"]},
            headers=rep,
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        assert response.json()["errors"][0]["pointer"].startswith("/events")


class TestAddressesRefused:
    @pytest.mark.parametrize(
        ("url", "detail"),
        [
            ("http://hooks.example.com/x", "Only https URLs are allowed"),
            ("ftp://hooks.example.com/x", "absolute https URL"),
            ("https://user:pw@hooks.example.com/x", "credentials"),
            ("https://10.1.2.3/x", "private or reserved"),
            ("https://192.168.0.10/x", "private or reserved"),
            ("https://169.254.169.254/latest/meta-data", "private or reserved"),
            ("https://[::1]/x", "private or reserved"),
            ("https://[::ffff:10.0.0.1]/x", "private or reserved"),
            ("https://100.100.100.200/x", "private or reserved"),
            ("http://127.0.0.1:9/x", "private or reserved"),
            ("https://localhost/x", "private or reserved"),
            ("https://metadata.google.internal/x", "metadata"),
        ],
    )
    def test_at_registration(
        self, client: TestClient, rep: dict[str, str], url: str, detail: str
    ) -> None:
        response = client.post(
            "/api/v1/webhooks", json={"url": url, "events": ["letter.issued"]}, headers=rep
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "webhook_url_refused"
        assert detail in response.json()["detail"]
        assert "pw" not in response.text

    def test_production_allows_only_https(
        self,
        client: TestClient,
        rep: dict[str, str],
        notify: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(notify, "environment", "production")
        response = client.post(
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:9/x", "events": ["letter.issued"]},
            headers=rep,
        )
        assert response.status_code == 422
        assert response.json()["detail"] == "Only https URLs are allowed"

    def test_at_delivery_time_the_address_is_checked_again(
        self,
        client: TestClient,
        rep: dict[str, str],
        receiver: Receiver,
        notify: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        created = register(client, rep, receiver.url, ["request.submitted"])
        monkeypatch.setattr(notify, "webhook_allow_private", False)
        queue_test_delivery(client, rep, created["id"])
        assert drain(later(notify, monkeypatch)) == 1
        assert receiver.received == []
        [shown] = deliveries(client, rep, created["id"])
        assert shown["status"] == "pending"
        assert shown["last_error"] == "The host resolves to a private or reserved address"


@pytest.mark.usefixtures("notify")
class TestDelivery:
    def test_500_three_times_then_the_same_webhook_id_is_delivered(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver, notify: Settings
    ) -> None:
        created = register(client, rep, receiver.url, ["request.submitted"])
        receiver.script = [500, 500, 500]
        submitted_case(client, rep, t11_body())
        assert drain(notify) == 4
        ids = receiver.ids()
        assert len(ids) == 4
        assert len(set(ids)) == 1
        verifier = Webhook(created["secret"])
        for received in receiver.received:
            assert verifier.verify(received.body, received.headers)["type"] == "request.submitted"
        [shown] = deliveries(client, rep, created["id"])
        assert shown["event_id"] == ids[0]
        assert shown["status"] == "delivered"
        assert shown["attempts"] == 4
        assert shown["last_response_code"] == 200
        assert shown["next_attempt_at"] is None

    def test_an_answer_with_control_characters_is_kept_printable_and_delivered_once(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver, notify: Settings
    ) -> None:
        """A NUL in the receiver's answer once left the delivery unrecorded on PostgreSQL, so it
        went out again and again."""
        created = register(client, rep, receiver.url, ["request.submitted"])
        receiver.answer_body = b"ok\x00\x07 thanks\n"
        submitted_case(client, rep, t11_body())
        assert drain(notify) == 1
        assert drain(notify) == 0
        assert len(receiver.ids()) == 1
        [shown] = deliveries(client, rep, created["id"])
        assert (shown["status"], shown["attempts"], shown["last_response_code"]) == (
            "delivered",
            1,
            200,
        )
        assert shown["last_response_body"] == "ok\ufffd\ufffd thanks\n"

    def test_after_the_last_attempt_it_fails_and_a_manual_retry_delivers(
        self,
        client: TestClient,
        rep: dict[str, str],
        receiver: Receiver,
        notify: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(notify, "notify_max_attempts", 3)
        created = register(client, rep, receiver.url, ["request.submitted"])
        receiver.script = [503, 503, 503]
        submitted_case(client, rep, t11_body())
        assert drain(notify) == 3
        [failed] = deliveries(client, rep, created["id"])
        assert (failed["status"], failed["attempts"], failed["last_response_code"]) == (
            "failed",
            3,
            503,
        )
        assert failed["last_error"] == "answered 503"
        retried = client.post(
            f"/api/v1/webhooks/{created['id']}/deliveries/{failed['id']}/retry", headers=rep
        )
        assert retried.status_code == 202, retried.text
        assert retried.json()["status"] == "pending"
        assert drain(notify) == 1
        [done] = deliveries(client, rep, created["id"])
        assert (done["status"], done["attempts"]) == ("delivered", 4)
        assert set(receiver.ids()) == {failed["event_id"]}

    def test_unknown_delivery_is_404(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver
    ) -> None:
        created = register(client, rep, receiver.url, ["request.submitted"])
        response = client.post(
            f"/api/v1/webhooks/{created['id']}/deliveries/nope/retry", headers=rep
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_a_redirect_is_not_followed(
        self,
        client: TestClient,
        rep: dict[str, str],
        receiver: Receiver,
        notify: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        target, stop_target = start_receiver()
        try:
            created = register(client, rep, receiver.url, ["request.submitted"])
            receiver.script = [307]
            receiver.extra_headers = {"location": target.url}
            queue_test_delivery(client, rep, created["id"])
            assert drain(later(notify, monkeypatch)) == 1
            assert target.received == []
            [shown] = deliveries(client, rep, created["id"])
            assert (shown["status"], shown["last_response_code"]) == ("pending", 307)
        finally:
            stop_target()

    def test_only_the_first_kilobyte_of_the_answer_is_kept(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver, notify: Settings
    ) -> None:
        created = register(client, rep, receiver.url, ["request.submitted"])
        receiver.answer_body = b"x" * 50_000
        queue_test_delivery(client, rep, created["id"])
        drain(notify)
        [shown] = deliveries(client, rep, created["id"])
        assert shown["status"] == "delivered"
        assert shown["last_response_body"] == "x" * 1024

    def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
        self,
        client: TestClient,
        rep: dict[str, str],
        receiver: Receiver,
        notify: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(notify, "webhook_timeout_seconds", 0.5)
        receiver.hold = threading.Event()
        created = register(client, rep, receiver.url, ["request.submitted"])
        queue_test_delivery(client, rep, created["id"])
        assert drain(later(notify, monkeypatch)) == 1
        receiver.hold.set()
        [shown] = deliveries(client, rep, created["id"])
        assert (shown["status"], shown["last_error"]) == ("pending", "timed out")

    def test_a_deleted_endpoint_gets_nothing_more(
        self, client: TestClient, rep: dict[str, str], receiver: Receiver, notify: Settings
    ) -> None:
        created = register(client, rep, receiver.url, ["request.submitted"])
        queue_test_delivery(client, rep, created["id"])
        assert client.delete(f"/api/v1/webhooks/{created['id']}", headers=rep).status_code == 204
        assert drain(notify) == 0
        assert receiver.received == []


@pytest.mark.usefixtures("notify")
def test_rotation_signs_with_both_secrets_for_a_day(
    client: TestClient, rep: dict[str, str], receiver: Receiver, notify: Settings
) -> None:
    created = register(client, rep, receiver.url, ["request.submitted"])
    rotated = client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret", headers=rep)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != created["secret"]
    queue_test_delivery(client, rep, created["id"])
    drain(notify)
    [received] = receiver.received
    assert received.headers["webhook-signature"].count("v1,") == 2
    assert Webhook(new_secret).verify(received.body, received.headers)["type"] == "webhook.test"
    assert Webhook(created["secret"]).verify(received.body, received.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(received.body, received.headers)


def test_a_secret_sealed_under_another_key_cannot_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = seal("whsec_abc")
    monkeypatch.setattr(get_settings(), "secret_key", "another-secret-key-of-32-characters!!")
    with pytest.raises(InvalidTag):
        unseal(sealed)
