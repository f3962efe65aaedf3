"""Free text refuses control characters and unpaired surrogates (422 `validation_error` naming
the field, never echoing the value, nothing stored) and is stored in Unicode NFC."""

import base64
import json
import unicodedata
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.common.text import multi_line, single_line
from tests.intake.scenarios import create, t11_body

REQUESTS = "/api/v1/requests"


def _refused(answer: Any, pointer: str, message: str, secret: str) -> None:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "validation_error"
    assert body["errors"] == [{"pointer": pointer, "message": message}]
    assert secret not in answer.text


class TestPureRules:
    @pytest.mark.parametrize("bad", ["\x00", "a\x07b", "\x1b[31m", "tab\there", "new\nline", "\x7f", "\x85", "\x9f"])
    def test_single_line_refuses_controls(self, bad: str) -> None:
        with pytest.raises(ValueError, match="control character"):
            single_line(bad)

    @pytest.mark.parametrize("bad", ["\x00", "a\x0bb", "\x0c", "\x1b", "\x85"])
    def test_multi_line_refuses_controls_but_layout(self, bad: str) -> None:
        with pytest.raises(ValueError, match="control character"):
            multi_line(bad)

    def test_multi_line_keeps_newlines_and_tabs(self) -> None:
        assert multi_line("1 Main St\r\nUnit\t4\rOttawa") == "1 Main St\nUnit\t4\nOttawa"

    def test_text_is_nfc(self) -> None:
        decomposed = "Rivie\u0300re"
        assert single_line(decomposed) == "Rivière"
        assert unicodedata.is_normalized("NFC", multi_line("Mont-Roy\u0308al"))


class TestRequests:
    @pytest.mark.parametrize("bad", ["Riv\x00era", "Riv\u0085era", "Riv\tera", "Riv\nera"])
    def test_a_control_character_in_a_name_is_refused_and_nothing_stored(
        self, client: TestClient, rep: dict[str, str], bad: str
    ) -> None:
        body = t11_body()
        body["worker"]["family_name"] = bad
        answer = client.post(REQUESTS, json=body, headers=rep)
        _refused(answer, "/worker/family_name", "contains a control character", bad)
        assert client.get(REQUESTS, headers=rep).json()["items"] == []

    def test_an_unpaired_surrogate_is_refused(self, client: TestClient, rep: dict[str, str]) -> None:
        body = json.dumps(t11_body()).replace('"Rivera"', '"Riv\\ud800era"')
        answer = client.post(
            REQUESTS, content=body, headers={**rep, "Content-Type": "application/json"}
        )
        _refused(answer, "/worker/family_name", "contains an unpaired surrogate", "Riv")
        assert client.get(REQUESTS, headers=rep).json()["items"] == []

    def test_addresses_keep_newlines_and_tabs(self, client: TestClient, rep: dict[str, str]) -> None:
        body = t11_body()
        body["employer"]["address"] = "1 Airport Rd\r\nOttawa\tON"
        created = create(client, rep, body)
        assert created["employer"]["address"] == "1 Airport Rd\nOttawa\tON"

    def test_names_and_addresses_are_stored_nfc(self, client: TestClient, rep: dict[str, str]) -> None:
        body = t11_body()
        body["worker"]["family_name"] = "Rivie\u0300re"
        body["work"]["location"]["city"] = "Montre\u0301al"
        body["employer"]["address"] = "845 rue Sherbrooke O, Montre\u0301al"
        created = create(client, rep, body)
        read = client.get(f"{REQUESTS}/{created['id']}", headers=rep).json()
        assert read["worker"]["family_name"] == "Rivière"
        assert read["work"]["location"]["city"] == "Montréal"
        assert read["employer"]["address"] == "845 rue Sherbrooke O, Montréal"

    def test_a_patch_with_a_nul_changes_nothing(self, client: TestClient, rep: dict[str, str]) -> None:
        created = create(client, rep, t11_body())
        answer = client.patch(
            f"{REQUESTS}/{created['id']}", json={"employer": {"name": "Acme\x00Inc"}}, headers=rep
        )
        _refused(answer, "/employer/name", "contains a control character", "Acme")
        read = client.get(f"{REQUESTS}/{created['id']}", headers=rep).json()
        assert (read["version"], read["employer"]["name"]) == (created["version"], created["employer"]["name"])

    def test_the_declarant_name_is_checked(self, client: TestClient, rep: dict[str, str]) -> None:
        created = create(client, rep, t11_body())
        answer = client.post(
            f"{REQUESTS}/{created['id']}/submit",
            json={"declarant_name": "Robin\x00Lee", "declaration_accepted": True},
            headers=rep,
        )
        _refused(answer, "/declarant_name", "contains a control character", "Robin")


class TestOtherBodies:
    def test_account_names(self, client: TestClient, admin: dict[str, str]) -> None:
        answer = client.post(
            "/api/v1/accounts",
            json={"role": "reviewer", "name": "Riley\x1bPark", "email": "riley@imwu.example"},
            headers=admin,
        )
        _refused(answer, "/name", "contains a control character", "Riley")

    def test_query_text(self, client: TestClient, rep: dict[str, str]) -> None:
        answer = client.get("/api/v1/reference/exemption-codes?q=T1%001", headers=rep)
        _refused(answer, "/query/q", "contains a control character", "T1")

    def test_a_cursor_smuggling_a_nul(self, client: TestClient, rep: dict[str, str]) -> None:
        cursor = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00", "a\x00"]).encode())
        answer = client.get(f"{REQUESTS}?cursor={cursor.decode().rstrip('=')}", headers=rep)
        assert answer.status_code == 422
        assert answer.json()["errors"] == [{"pointer": "/query/cursor", "message": "invalid"}]


class TestPaths:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/requests/%00",
            "/api/v1/requests/a%00b/documents",
            "/api/v1/requests/a%1Bb/documents/c",
            "/api/v1/letters/verify/AB%00C",
            "/verify/%C2%85",
        ],
    )
    def test_a_control_character_in_a_path_is_not_found(
        self, client: TestClient, rep: dict[str, str], path: str
    ) -> None:
        """On PostgreSQL a NUL id reached the query and failed as a 500."""
        answer = client.get(path, headers=rep)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "not_found"
