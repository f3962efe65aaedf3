import json
import subprocess
import sys

from fastapi.testclient import TestClient

from tests.conftest import Accounts


class TestTokens:
    def test_missing_token_is_401_with_bearer_challenge(self, client: TestClient) -> None:
        response = client.get("/api/v1/me")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unauthorized"

    def test_bad_tokens_are_401(self, client: TestClient, rep: dict[str, str]) -> None:
        token = rep["Authorization"].removeprefix("Bearer ")
        for bad in (
            "nope",
            token[:-1] + ("A" if token[-1] != "A" else "B"),
            "imwu_x_y",
            token + "x",
        ):
            response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
            assert response.status_code == 401, bad

    def test_me_describes_the_caller(self, client: TestClient, rep: dict[str, str]) -> None:
        body = client.get("/api/v1/me", headers=rep).json()
        assert body["role"] == "representative"
        assert body["organization"]["name"] == "Acme Law LLP"
        assert "token" not in body
        assert "secret_hash" not in json.dumps(body)

    def test_revoked_token_is_refused(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        from app.auth.service import revoke
        from app.db import get_sessionmaker

        with get_sessionmaker().begin() as session:
            assert revoke(session, token_or_account_id=accounts.id_of(rep)) == 1
        assert client.get("/api/v1/me", headers=rep).status_code == 401


class TestAccounts:
    def test_admin_creates_an_account_and_its_token_works(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/accounts",
            json={
                "role": "representative",
                "name": "Rae",
                "email": "Rae@Example.com",
                "organization": "Beta Inc",
            },
            headers=admin,
        )
        assert response.status_code == 201
        created = response.json()
        assert created["email"] == "rae@example.com"
        me = client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"}
        ).json()
        assert me["id"] == created["id"]

    def test_representative_needs_an_organization(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/accounts",
            json={"role": "representative", "name": "R", "email": "r@example.com"},
            headers=admin,
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    def test_only_admins_create_accounts(
        self, client: TestClient, reviewer: dict[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/accounts",
            json={"role": "admin", "name": "X", "email": "x@example.com"},
            headers=reviewer,
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_admin_cannot_read_requests(self, client: TestClient, admin: dict[str, str]) -> None:
        assert client.get("/api/v1/requests", headers=admin).status_code == 403


class TestCli:
    def test_accounts_create_prints_id_and_token_then_revoke(self, client: TestClient) -> None:
        run = [sys.executable, "-m", "app.cli"]
        created = subprocess.run(
            [
                *run,
                "accounts",
                "create",
                "--role",
                "reviewer",
                "--name",
                "Rev",
                "--email",
                "rev@example.com",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        account = json.loads(created.stdout)
        headers = {"Authorization": f"Bearer {account['token']}"}
        assert client.get("/api/v1/me", headers=headers).json()["role"] == "reviewer"
        revoked = subprocess.run(
            [*run, "tokens", "revoke", account["id"]], capture_output=True, text=True, check=True
        )
        assert json.loads(revoked.stdout) == {"revoked": 1}
        assert client.get("/api/v1/me", headers=headers).status_code == 401
