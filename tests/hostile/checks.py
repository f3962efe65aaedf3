"""What every hostile input must leave behind: a 4xx problem that echoes nothing, a healthy
service, no stored file and an untouched budget."""

from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.hostile.corpus import CANARY
from tests.storage_backends import stored_keys

LIMIT = 4_194_304
PROBLEM = "application/problem+json"


def stored_files(storage_dir: Path | None = None) -> list[str]:
    """Every stored object's key: in this process's store, or in a live server's folder."""
    if storage_dir is None:
        return stored_keys()
    objects = storage_dir / "objects"
    return [p.name for p in objects.rglob("*") if p.is_file()] if objects.exists() else []


def assert_problem(
    response: httpx.Response,
    *,
    status: int,
    code: str,
    reason: str | None = None,
    never: tuple[str, ...] = (CANARY,),
) -> dict[str, Any]:
    """The response is problem+json with `status` and `code` (and `reason`), quoting none of
    `never` (the submitted values the test marked)."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"].endswith("/" + code)
    if reason is not None:
        assert problem["reason"] == reason
    for value in never:
        assert value not in response.text
    return problem


def assert_healthy(client: TestClient | httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def assert_nothing_stored(
    client: TestClient | httpx.Client,
    headers: dict[str, str],
    request_id: str,
    *,
    storage_dir: Path | None = None,
) -> None:
    """No document row, no stored file, and the whole budget still free."""
    assert_healthy(client)
    request = client.get(f"/api/v1/requests/{request_id}", headers=headers).json()
    assert (request["documents_bytes_used"], request["documents_bytes_remaining"]) == (0, LIMIT)
    listing = client.get(f"/api/v1/requests/{request_id}/documents", headers=headers).json()
    assert listing["items"] == []
    assert stored_files(storage_dir) == []
