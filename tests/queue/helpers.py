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
