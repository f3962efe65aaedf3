"""The T11, C20 and T36 cases from submit through claim, an information request and its answer,
to a positive decision whose letter reads back with the facts and verifies, then is revoked."""

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.builders import make_pdf
from tests.conftest import Accounts
from tests.intake.scenarios import c20_body, t11_body, t36_body, upload
from tests.queue.helpers import decide, submitted_case

CASES = {"T11": t11_body, "C20": c20_body, "T36": t36_body}


@pytest.mark.parametrize("code", sorted(CASES))
def test_case_goes_from_submit_to_a_verified_then_revoked_letter(
    client: TestClient, accounts: Accounts, rep: dict[str, str], reviewer: dict[str, str], code: str
) -> None:
    body = CASES[code]()
    case = submitted_case(client, rep, body)
    case_id = case["id"]
    triage = client.get(f"/api/v1/requests/{case_id}/triage", headers=reviewer).json()
    assert triage["run"] == 1
    assert triage["due_date"] is not None

    claimed = client.post("/api/v1/queue/claim", json={}, headers=reviewer)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["id"] == case_id
    assert claimed.json()["status"] == "in_review"

    asked = client.post(
        f"/api/v1/requests/{case_id}/info-requests",
        json={
            "message": "Please send the diploma.",
            "items": [{"kind": "diploma"}],
            "due_date": "2099-01-01",
        },
        headers=reviewer,
    )
    assert asked.status_code == 201, asked.text
    info_id = asked.json()["id"]
    seen = client.get(f"/api/v1/requests/{case_id}", headers=rep).json()
    assert seen["status"] == "info_requested"
    assert upload(client, rep, case_id, "diploma", make_pdf(["Diploma"])).status_code == 201
    answered = client.post(
        f"/api/v1/requests/{case_id}/info-requests/{info_id}/respond",
        json={"message": "Attached."},
        headers=rep,
    )
    assert answered.status_code == 200, answered.text
    back = client.get(f"/api/v1/requests/{case_id}", headers=reviewer).json()
    assert back["status"] == "in_review"
    assert client.get(f"/api/v1/requests/{case_id}/triage", headers=reviewer).json()["run"] == 2

    decided = decide(
        client,
        reviewer,
        case_id,
        version=back["version"],
        exemption_code=code,
        conditions=["Work only at the stated location."],
        letter_language=body["language"],
    )
    assert decided.status_code == 201, decided.text
    assert client.get(f"/api/v1/requests/{case_id}", headers=rep).json()["status"] == "decided"

    letter = client.get(f"/api/v1/requests/{case_id}/letter", headers=rep)
    assert letter.status_code == 200
    assert letter.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(letter.content)).pages[0].extract_text()
    worker = body["worker"]
    for fact in (
        case["reference"],
        worker["family_name"],
        worker["passport"]["number"],
        code,
        body["work"]["noc_code"],
        "1984-03-02",
    ):
        assert fact in text, fact
    final_word = "final" if body["language"] == "en" else "finale"
    assert final_word in text

    verification = _verification(client, case_id, reviewer)
    assert verification["status"] == "valid"
    assert verification["reference"] == case["reference"]
    assert verification["worker"] == {
        "family_name": worker["family_name"],
        "date_of_birth": worker["date_of_birth"],
        "passport_last4": worker["passport"]["number"][-4:],
    }
    assert verification["exemption_code"] == code
    assert verification["outcome"] == "positive"

    supervisor = accounts.make("supervisor")
    letter_id = _letter_id(client, case_id, reviewer)
    revoked = client.post(
        f"/api/v1/letters/{letter_id}/revoke",
        json={"reason": "Issued in error"},
        headers=supervisor,
    )
    assert revoked.status_code == 200, revoked.text
    assert _verification(client, case_id, reviewer)["status"] == "revoked"


def _events(client: TestClient, case_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = client.get(
        f"/api/v1/requests/{case_id}/events", headers=headers
    ).json()
    return events


def _letter_id(client: TestClient, case_id: str, headers: dict[str, str]) -> str:
    issued = [e for e in _events(client, case_id, headers) if e["action"] == "letter.issued"]
    return str(issued[-1]["subject_id"])


def _verification(client: TestClient, case_id: str, headers: dict[str, str]) -> dict[str, Any]:
    from app.db import get_sessionmaker
    from app.letters.models import Letter

    with get_sessionmaker()() as session:
        code = session.get(Letter, _letter_id(client, case_id, headers)).verification_code  # type: ignore[union-attr]
    response = client.get(f"/api/v1/letters/verify/{code.lower().replace('-', '')}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_c20_offer_naming_another_city_is_routed_to_review(
    client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
) -> None:
    body = c20_body()
    from tests.intake.scenarios import attach_required, create, submit

    created = create(client, rep, body)
    offer = make_pdf(
        [
            "Offer of employment",
            f"NOC {body['work']['noc_code']}",
            "Work location: 100 Queen St W, Toronto, Ontario",
        ]
    )
    assert upload(client, rep, created["id"], "job_offer", offer).status_code == 201
    attach_required(client, rep, created["id"], body)
    assert submit(client, rep, created["id"]).status_code == 200
    findings = client.get(f"/api/v1/requests/{created['id']}/triage", headers=reviewer).json()[
        "findings"
    ]
    location = [f for f in findings if f["rule"] == "c20_location_check"]
    assert location, findings
    assert location[0]["outcome"] == "review"
    assert location[0]["reference_version"].startswith("2026-02-11+")


def test_timeline_records_each_step_without_personal_data(
    client: TestClient, rep: dict[str, str], reviewer: dict[str, str]
) -> None:
    body = t11_body()
    case = submitted_case(client, rep, body)
    client.post(f"/api/v1/requests/{case['id']}/claim", headers=reviewer)
    events = _events(client, case["id"], rep)
    actions = [e["action"] for e in events]
    assert actions[0] == "request.created"
    assert {"document.uploaded", "request.submitted", "request.triaged", "case.claimed"} <= set(
        actions
    )
    dump = str(events)
    for personal in (
        body["worker"]["family_name"],
        body["worker"]["passport"]["number"],
        "1984-03-02",
    ):
        assert personal not in dump


def test_a_letter_checks_offline_and_public_verification_shows_only_what_an_officer_needs(
    client: TestClient, accounts: Accounts, rep: dict[str, str]
) -> None:
    from app.letters.verification import load_public_key_pem, pdf_sha256, verify_signature

    body = t11_body()
    case = submitted_case(client, rep, body)
    reviewer = accounts.make("reviewer")
    version = client.post(f"/api/v1/requests/{case['id']}/claim", headers=reviewer).json()[
        "version"
    ]
    assert decide(client, reviewer, case["id"], version=version).status_code == 201
    [letter] = client.get(f"/api/v1/requests/{case['id']}/letters", headers=rep).json()
    pdf = client.get(f"/api/v1/requests/{case['id']}/letter", headers=rep).content
    key = load_public_key_pem(client.get("/api/v1/letters/public-key").json()["public_key_pem"])
    assert pdf_sha256(pdf) == letter["pdf_sha256"]
    assert verify_signature(key, letter["facts"], letter["pdf_sha256"], letter["signature"])
    forged = {**letter["facts"], "exemption_code": "C20"}
    assert not verify_signature(key, forged, letter["pdf_sha256"], letter["signature"])
    public = client.get(f"/api/v1/letters/verify/{letter['verification_code']}")
    assert public.json()["worker"]["passport_last4"] == body["worker"]["passport"]["number"][-4:]
    assert body["worker"]["passport"]["number"] not in public.text
    assert body["worker"]["given_names"] not in public.text


def test_the_holder_previews_the_letter_before_deciding_and_nothing_is_issued(
    client: TestClient, accounts: Accounts, rep: dict[str, str]
) -> None:
    body = t11_body()
    case = submitted_case(client, rep, body)
    reviewer = accounts.make("reviewer")
    claimed = client.post(f"/api/v1/requests/{case['id']}/claim", headers=reviewer).json()
    payload = {
        "outcome": "positive",
        "exemption_code": "T11",
        "conditions": ["Only at Ottawa."],
        "letter_language": "fr",
    }
    preview = client.post(
        f"/api/v1/requests/{case['id']}/decision/preview", json=payload, headers=reviewer
    )
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(preview.content)).pages[0].extract_text()
    assert case["reference"] in text
    assert "Only at Ottawa." in text
    assert "PREVIEW" in text
    after = client.get(f"/api/v1/requests/{case['id']}", headers=reviewer).json()
    assert after["status"] == "in_review"
    assert after["version"] == claimed["version"]
    assert client.get(f"/api/v1/requests/{case['id']}/letters", headers=reviewer).json() == []
    other = accounts.make("reviewer")
    refused = client.post(
        f"/api/v1/requests/{case['id']}/decision/preview", json=payload, headers=other
    )
    assert refused.status_code == 403
