"""Tokens are checked in constant time and a guessed secret gets nowhere; an unknown letter code
tells the caller nothing."""

import ast
import inspect

from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.letters.router import limiter
from app.letters.verification import CODE_ALPHABET
from tests.access.world import World
from tests.conftest import Accounts


class TestTokenComparison:
    def test_authenticate_compares_secrets_with_hmac_compare_digest(self) -> None:
        tree = ast.parse(inspect.getsource(auth_service.authenticate))
        calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        assert "hmac.compare_digest" in calls
        comparisons = [node for node in ast.walk(tree) if isinstance(node, ast.Compare)]
        assert not any(
            "hash" in ast.unparse(node) and isinstance(op, ast.Eq | ast.NotEq)
            for node in comparisons
            for op in node.ops
        ), "a hash compared with == leaks its prefix through timing"

    def test_a_wrong_secret_for_an_existing_token_id_is_refused(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        headers = accounts.make("reviewer")
        token = headers["Authorization"].removeprefix("Bearer ")
        scheme, token_id, secret = token.split("_", 2)
        prefix = f"{scheme}_{token_id}"
        flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
        for wrong in (flipped, secret[::-1], "x" * len(secret), secret[:-4]):
            response = client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {prefix}_{wrong}"}
            )
            assert response.status_code == 401
            assert response.json()["code"] == "unauthorized"
            assert secret not in response.text
        assert client.get("/api/v1/me", headers=headers).status_code == 200


class TestUnknownLetterCode:
    def test_unknown_codes_get_the_same_bare_404(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        limiter.reset()
        world = World.build(client, accounts)
        case = world.decided()
        real = case.verification_code
        assert real is not None
        known = client.get(f"/api/v1/letters/verify/{real}")
        assert known.status_code == 200
        facts = known.json()
        last = real[-1]
        near_miss = real[:-1] + next(c for c in CODE_ALPHABET if c != last)
        unknown = [near_miss, "K7QM-2ZXP-HD4W", "AAAA-AAAA-AAAA", "not-a-code", "0000"]
        bodies = []
        for code in unknown:
            response = client.get(f"/api/v1/letters/verify/{code}")
            assert response.status_code == 404, code
            assert response.headers["content-type"] == "application/problem+json"
            bodies.append(response.json())
            for fact in (
                facts["reference"],
                facts["worker"]["family_name"],
                facts["worker"]["date_of_birth"],
                facts["key_id"],
                case.id,
            ):
                assert fact not in response.text
        assert bodies == [bodies[0]] * len(bodies)
        assert bodies[0] == {
            "type": "https://imwu-intake.example/problems/not_found",
            "title": "Not found",
            "status": 404,
            "detail": "No such letter",
            "code": "not_found",
        }
        limiter.reset()
