"""Issue 13, done means: every event of a case's life reaches a real receiver once, signed as
Standard Webhooks says (checked with the `standardwebhooks` library), and the filer gets a
bilingual email for the ones that need a person, through a real SMTP server."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from standardwebhooks import Webhook

from app.common.clock import today
from app.config import Settings
from app.db import get_sessionmaker
from app.queue.models import InfoRequest
from app.triage.calendar import add_business_days
from tests.builders import make_pdf
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body, upload
from tests.notifications.conftest import Receiver, Smtp, drain, scan_now
from tests.queue.helpers import decide, submitted_case

ALL_EVENTS = [
    "request.submitted",
    "request.triaged",
    "info_request.opened",
    "info_request.due_soon",
    "info_request.overdue",
    "request.decided",
    "letter.issued",
    "letter.revoked",
    "letter.reissued",
]
EMAILED = [
    "info_request.opened",
    "info_request.due_soon",
    "info_request.overdue",
    "request.decided",
    "letter.revoked",
]


def register(
    client: TestClient, rep: dict[str, str], url: str, events: list[str]
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhooks",
        json={"url": url, "events": events, "description": "Case system"},
        headers=rep,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _move_due_date(info_id: str, due: Any) -> None:
    """The clock moves on: the info request's due date is now `due` (time passing, not a bug)."""
    with get_sessionmaker().begin() as session:
        session.execute(update(InfoRequest).where(InfoRequest.id == info_id).values(due_date=due))


def live_a_whole_case(
    client: TestClient, accounts: Accounts, rep: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    """Submit, claim, ask for information (falling due, then overdue), answer, decide, correct
    the letter, revoke the correction; the worker scans and delivers as it would in service."""
    reviewer = accounts.make("reviewer")
    supervisor = accounts.make("supervisor")
    case = submitted_case(client, rep, body)
    case_id = case["id"]
    assert client.post("/api/v1/queue/claim", json={}, headers=reviewer).status_code == 200
    far = (today() + timedelta(days=60)).isoformat()
    asked = client.post(
        f"/api/v1/requests/{case_id}/info-requests",
        json={
            "message": "Please send the diploma.",
            "items": [{"kind": "diploma"}],
            "due_date": far,
        },
        headers=reviewer,
    )
    assert asked.status_code == 201, asked.text
    info_id = asked.json()["id"]
    assert scan_now() == 0  # not due soon yet
    _move_due_date(info_id, add_business_days(today(), 2))
    assert scan_now() == 1
    assert scan_now() == 0  # once per info request
    _move_due_date(info_id, today() - timedelta(days=1))
    assert scan_now() == 1
    assert scan_now() == 0
    assert upload(client, rep, case_id, "diploma", make_pdf(["Diploma"])).status_code == 201
    answered = client.post(
        f"/api/v1/requests/{case_id}/info-requests/{info_id}/respond",
        json={"message": "Attached."},
        headers=rep,
    )
    assert answered.status_code == 200, answered.text
    version = client.get(f"/api/v1/requests/{case_id}", headers=reviewer).json()["version"]
    decided = decide(client, reviewer, case_id, version=version, letter_language=body["language"])
    assert decided.status_code == 201, decided.text
    letters = client.get(f"/api/v1/requests/{case_id}/letters", headers=rep).json()
    corrected = client.post(
        f"/api/v1/letters/{letters[0]['id']}/reissue",
        json={"conditions": ["Work only at the stated location."]},
        headers=supervisor,
    )
    assert corrected.status_code in (200, 201), corrected.text
    revoked = client.post(
        f"/api/v1/letters/{corrected.json()['id']}/revoke",
        json={"reason": "Issued in error"},
        headers=supervisor,
    )
    assert revoked.status_code == 200, revoked.text
    return case


def test_every_event_reaches_the_receiver_once_signed_and_without_personal_data(
    client: TestClient,
    accounts: Accounts,
    rep: dict[str, str],
    receiver: Receiver,
    smtp: Smtp,
    notify: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notify, "smtp_url", smtp.url)
    webhook = register(client, rep, receiver.url, ALL_EVENTS)
    assert webhook["secret"].startswith("whsec_")
    body = t11_body()
    case = live_a_whole_case(client, accounts, rep, body)
    drain(notify)

    verifier = Webhook(webhook["secret"])
    types = []
    for received in receiver.received:
        payload = verifier.verify(received.body, received.headers)
        assert payload["data"]["request_id"] == case["id"]
        assert payload["data"]["reference"] == case["reference"]
        assert payload["data"]["links"]["request"].endswith(f"/api/v1/requests/{case['id']}")
        types.append(payload["type"])
        text = received.body.decode()
        for personal in ("Rivera", "Alex Sam", "X1234567", "1984-03-02", "Pat Declarant"):
            assert personal not in text
    assert sorted(types) == sorted([*ALL_EVENTS, "request.triaged"])  # triaged again on answer
    assert len(set(receiver.ids())) == len(receiver.ids())
    decided = receiver.of_type("request.decided")[0].json()["data"]
    assert decided["status"] == "decided"
    assert decided["outcome"] == "positive"
    triaged = receiver.of_type("request.triaged")[0].json()["data"]
    assert triaged["outcome"] == "routed"
    assert triaged["stream"]
    reissued = receiver.of_type("letter.reissued")[0].json()["data"]
    assert (
        reissued["supersedes"] == receiver.of_type("letter.issued")[0].json()["data"]["letter_id"]
    )

    subjects = [m["Subject"] for m in smtp.mailbox.messages]
    assert len(subjects) == len(EMAILED)
    assert all(case["reference"] in s for s in subjects)
    listed = client.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", headers=rep).json()
    assert {d["status"] for d in listed["items"]} == {"delivered"}
    assert all(d["attempts"] == 1 and d["last_response_code"] == 200 for d in listed["items"])

    drain(notify)
    assert len(receiver.received) == len(ALL_EVENTS) + 1  # nothing goes out twice

    shown = client.get(f"/api/v1/requests/{case['id']}/notifications", headers=rep)
    assert shown.status_code == 200
    channels = [(n["event_type"], n["channel"], n["to"], n["status"]) for n in shown.json()]
    assert ("info_request.opened", "email", "representative", "delivered") in channels
    assert ("letter.revoked", "webhook", "Case system", "delivered") in channels


def test_only_the_subscribed_events_of_the_own_organization_are_sent(
    client: TestClient,
    accounts: Accounts,
    rep: dict[str, str],
    receiver: Receiver,
    notify: Settings,
) -> None:
    other = accounts.make("representative", organization="Other Employer Inc")
    register(client, other, receiver.url, ALL_EVENTS)
    register(client, rep, receiver.url, ["request.decided"])
    submitted_case(client, rep, t11_body())
    drain(notify)
    assert receiver.received == []
