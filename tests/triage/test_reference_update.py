"""Reference data that changes under a running service (issue 11): `imwu reference load DIR
[--dry-run]`, `GET /api/v1/reference/versions`, findings and letters keeping their version."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.eligibility.reference import DATA_FILES, load_reference, packaged_files
from tests.conftest import Accounts
from tests.intake.scenarios import t11_body
from tests.queue.helpers import claim, decide, submitted_case


def new_reference(directory: Path, **t11_changes: object) -> Path:
    """The shipped files with the T11 record changed (a new version of the set)."""
    directory.mkdir()
    for name, raw in packaged_files().items():
        (directory / name).write_bytes(raw)
    codes = json.loads((directory / "exemption_codes.json").read_text("utf-8"))
    for record in codes["records"]:
        if record["code"] == "T11":
            record.update(t11_changes)
    (directory / "exemption_codes.json").write_text(json.dumps(codes), "utf-8")
    return directory


def load(directory: Path, capsys: pytest.CaptureFixture[str], *more: str) -> tuple[int, str, str]:
    code = main(["reference", "load", str(directory), *more])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def versions(client: TestClient, headers: dict[str, str]) -> Any:
    response = client.get("/api/v1/reference/versions", headers=headers)
    assert response.status_code == 200
    return response.json()


def triage_of(client: TestClient, headers: dict[str, str], request_id: str) -> Any:
    return client.get(f"/api/v1/requests/{request_id}/triage", headers=headers).json()


class TestVersions:
    def test_the_shipped_files_are_version_1(self, client: TestClient, rep: dict[str, str]) -> None:
        body = versions(client, rep)
        assert body["active"] == 1
        assert body["items"] == [
            {
                "number": 1,
                "version": load_reference().version,
                "as_of": "2026-02-11",
                "active": True,
                "stored": False,
                "loaded_at": None,
                "open_cases": None,
                "changed_cases": None,
            }
        ]

    def test_needs_an_account(self, client: TestClient) -> None:
        assert client.get("/api/v1/reference/versions").status_code == 401


class TestLoad:
    def test_dry_run_lists_the_changes_and_stores_nothing(
        self,
        client: TestClient,
        rep: dict[str, str],
        reviewer: dict[str, str],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        case = submitted_case(client, rep, t11_body())
        before = triage_of(client, reviewer, case["id"])
        directory = new_reference(tmp_path / "v2", poe_application="not_allowed")
        code, out, _ = load(directory, capsys, "--dry-run")
        assert code == 0
        assert "open cases: 1; findings change in 1" in out
        assert case["reference"] in out
        assert "  + code_not_allowed_at_poe (block) /exemption/code" in out
        assert out.rstrip().endswith("dry run: nothing stored")
        assert versions(client, rep)["items"][0]["stored"] is False
        assert triage_of(client, reviewer, case["id"]) == before

    def test_load_stores_the_version_and_retriages_open_cases(
        self,
        client: TestClient,
        rep: dict[str, str],
        reviewer: dict[str, str],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        case = submitted_case(client, rep, t11_body())
        old = load_reference().version
        directory = new_reference(tmp_path / "v2", poe_application="not_allowed")
        code, out, _ = load(directory, capsys)
        assert code == 0
        assert "stored as version 2; re-triaged 1 open cases" in out
        listed = versions(client, rep)
        assert listed["active"] == 2
        assert [(v["number"], v["active"], v["stored"]) for v in listed["items"]] == [
            (2, True, True),
            (1, False, True),
        ]
        assert listed["items"][1]["version"] == old
        assert listed["items"][0]["changed_cases"] == 1
        new = listed["items"][0]["version"]
        triage = triage_of(client, reviewer, case["id"])
        assert triage["run"] == 2
        assert {f["reference_version"] for f in triage["findings"]} == {new}
        assert "code_not_allowed_at_poe" in [f["rule"] for f in triage["findings"]]
        events = client.get(f"/api/v1/requests/{case['id']}/events", headers=reviewer).json()
        changed = [e for e in events if e["action"] == "request.reference_changed"]
        assert len(changed) == 1
        assert changed[0]["details"]["from"] == old
        assert changed[0]["details"]["to"] == new
        assert changed[0]["details"]["added"] == [
            {
                "rule": "code_not_allowed_at_poe",
                "fields": ["/exemption/code"],
                "before": None,
                "after": "block",
            }
        ]
        # The new set answers the reference API at once, and loading it again stores nothing.
        detail = client.get("/api/v1/reference/exemption-codes/T11", headers=rep).json()
        assert detail["version"] == new
        assert detail["record"]["poe_application"] == "not_allowed"
        code, out, _ = load(directory, capsys)
        assert code == 0
        assert "already the active version" in out
        assert len(versions(client, rep)["items"]) == 2

    def test_the_holders_resolutions_stay_and_the_etag_moves_on(
        self,
        client: TestClient,
        rep: dict[str, str],
        reviewer: dict[str, str],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A reference update judges the same revision again: a review finding the holder
        resolved and that stays the same keeps its resolution, and the case's ETag changes."""
        body = t11_body()
        body["worker"]["charged_or_convicted"] = True
        case = submitted_case(client, rep, body)
        assert claim(client, reviewer, case["id"]).status_code == 200
        [finding] = [
            f for f in triage_of(client, reviewer, case["id"])["findings"] if f["outcome"] == "review"
        ]
        resolved = client.post(
            f"/api/v1/requests/{case['id']}/findings/{finding['id']}/resolution",
            json={"resolution": "accepted"},
            headers=reviewer,
        )
        assert resolved.status_code == 200, resolved.text
        etag = client.get(f"/api/v1/requests/{case['id']}", headers=reviewer).headers["ETag"]
        code, _, _ = load(new_reference(tmp_path / "v2", title="Renamed"), capsys)
        assert code == 0
        [again] = [
            f for f in triage_of(client, reviewer, case["id"])["findings"] if f["outcome"] == "review"
        ]
        assert again["id"] != finding["id"]
        assert again["resolution"]["resolution"] == "accepted"
        assert client.get(f"/api/v1/requests/{case['id']}", headers=reviewer).headers["ETag"] != etag
        readiness = client.get(
            f"/api/v1/requests/{case['id']}/decision/readiness", headers=reviewer
        ).json()
        assert [r for r in readiness["reasons"] if "positive" in r["outcomes"]] == []

    def test_an_invalid_set_is_refused_and_nothing_changes(
        self,
        client: TestClient,
        rep: dict[str, str],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        directory = new_reference(tmp_path / "bad", poe_application="sometimes")
        code, out, err = load(directory, capsys)
        assert code == 1
        assert out == ""
        assert err.startswith("error: exemption_codes.json: records.")
        (directory / DATA_FILES[0]).unlink()
        assert load(directory, capsys)[0] == 1
        assert versions(client, rep)["items"][0]["stored"] is False


class TestLettersKeepTheirVersion:
    def test_a_letter_keeps_the_version_it_was_written_with(
        self,
        client: TestClient,
        rep: dict[str, str],
        accounts: Accounts,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        holder = accounts.make("reviewer")
        case = submitted_case(client, rep, t11_body())
        claimed = claim(client, holder, case["id"]).json()
        assert decide(client, holder, case["id"], version=claimed["version"]).status_code == 201
        old = load_reference().version
        directory = new_reference(tmp_path / "v2", title="US government personnel (renamed)")
        assert load(directory, capsys)[0] == 0
        letters = client.get(f"/api/v1/requests/{case['id']}/letters", headers=rep).json()
        assert [letter["reference_version"] for letter in letters] == [old]
        assert letters[0]["facts"]["exemption_title"] != "US government personnel (renamed)"
        # A corrected letter is written with the first letter's version, not the active one.
        supervisor = accounts.make("supervisor")
        reissued = client.post(
            f"/api/v1/letters/{letters[0]['id']}/reissue", json={}, headers=supervisor
        )
        assert reissued.status_code == 201, reissued.text
        assert reissued.json()["reference_version"] == old
        assert reissued.json()["facts"]["exemption_title"] == letters[0]["facts"]["exemption_title"]
