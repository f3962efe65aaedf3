from typing import Any

from fastapi.testclient import TestClient

from tests.intake.scenarios import attach_required, create, submit


def submitted_case(client: TestClient, rep: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    created = create(client, rep, body)
    attach_required(client, rep, created["id"], body)
    response = submit(client, rep, created["id"])
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def claim(client: TestClient, reviewer: dict[str, str], request_id: str) -> Any:
    return client.post(f"/api/v1/requests/{request_id}/claim", headers=reviewer)


def decide(
    client: TestClient,
    reviewer: dict[str, str],
    request_id: str,
    *,
    version: int | None = None,
    **body: Any,
) -> Any:
    payload = {
        "outcome": "positive",
        "exemption_code": "T11",
        "reasons": [],
        "conditions": [],
        "letter_language": "en",
        **body,
    }
    headers = dict(reviewer)
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return client.post(f"/api/v1/requests/{request_id}/decision", json=payload, headers=headers)


def ask(
    client: TestClient,
    reviewer: dict[str, str],
    request_id: str,
    *,
    kinds: tuple[str, ...] = (),
    fields: tuple[str, ...] = (),
) -> Any:
    body: dict[str, Any] = {"message": "Please send what is asked.", "due_date": "2099-01-01"}
    if kinds:
        body["items"] = [{"kind": kind} for kind in kinds]
    if fields:
        body["fields"] = list(fields)
    return client.post(f"/api/v1/requests/{request_id}/info-requests", json=body, headers=reviewer)


def asked_case(
    client: TestClient,
    rep: dict[str, str],
    reviewer: dict[str, str],
    body: dict[str, Any],
    *,
    kinds: tuple[str, ...] = (),
    fields: tuple[str, ...] = (),
) -> tuple[str, str]:
    """A submitted case the reviewer claimed and asked for `kinds` and `fields`: (id, info id)."""
    case_id = submitted_case(client, rep, body)["id"]
    assert claim(client, reviewer, case_id).status_code == 200
    asked = ask(client, reviewer, case_id, kinds=kinds, fields=fields)
    assert asked.status_code == 201, asked.text
    return case_id, asked.json()["id"]


def respond(client: TestClient, rep: dict[str, str], request_id: str, info_id: str) -> Any:
    return client.post(
        f"/api/v1/requests/{request_id}/info-requests/{info_id}/respond",
        json={"message": "Done."},
        headers=rep,
    )
