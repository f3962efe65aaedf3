"""Security and caching headers on every page, every API route family and every download.

`header_problems` is also applied to every answer of the access matrix (every route, every kind
of caller); here each family is named once, with the pages and static files the matrix skips."""

import httpx
import pytest
from fastapi.testclient import TestClient

from app.common.security_headers import content_security_policy
from tests.access.world import World
from tests.conftest import Accounts
from tests.queue.helpers import decide

PAGES = ("/", "/verify/ABCD-EFGH-JKLM", "/docs")


def header_problems(response: httpx.Response) -> list[str]:
    """What an answer lacks: nosniff and no-referrer everywhere, the CSP on pages, no-store on
    every authenticated or API answer (the description excepted: it is revalidated)."""
    where = f"{response.request.method} {response.request.url.path}"
    problems = []
    if response.headers.get("x-content-type-options") != "nosniff":
        problems.append(f"{where}: no nosniff")
    if response.headers.get("referrer-policy") != "no-referrer":
        problems.append(f"{where}: no Referrer-Policy")
    html = response.headers.get("content-type", "").startswith("text/html")
    policy = content_security_policy(response.request.url.path)
    if html and response.headers.get("content-security-policy") != policy:
        problems.append(f"{where}: no CSP")
    path = response.request.url.path
    api = path.startswith("/api/") and path != "/api/v1/openapi.json"
    if ("authorization" in response.request.headers or api) and response.headers.get(
        "cache-control"
    ) != "no-store":
        problems.append(f"{where}: not no-store")
    return problems


class TestPages:
    @pytest.mark.parametrize("path", PAGES)
    def test_every_page_has_a_strict_policy(self, client: TestClient, path: str) -> None:
        page = client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert header_problems(page) == []
        policy = page.headers["content-security-policy"]
        for directive in (
            "default-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ):
            assert directive in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert page.headers["x-frame-options"] == "DENY"

    @pytest.mark.parametrize("path", PAGES)
    def test_pages_carry_no_inline_script_or_handler(self, client: TestClient, path: str) -> None:
        html = client.get(path).text
        assert "<script>" not in html
        assert " onclick=" not in html
        assert "style=" not in html
        assert "javascript:" not in html

    def test_an_unknown_page_is_a_problem_with_the_headers(self, client: TestClient) -> None:
        missing = client.get("/no-such-page")
        assert missing.status_code == 404
        assert missing.headers["x-content-type-options"] == "nosniff"


class TestStaticFiles:
    @pytest.mark.parametrize(
        "path",
        ["/static/js/app.js", "/static/css/app.css", "/static/js/boot.js",
         "/docs/assets/swagger-ui-bundle.js"],
    )
    def test_assets_are_revalidated_by_etag(self, client: TestClient, path: str) -> None:
        first = client.get(path)
        assert first.status_code == 200
        assert first.headers["cache-control"] == "no-cache"
        assert first.headers["x-content-type-options"] == "nosniff"
        etag = first.headers["etag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""

    def test_the_description_is_revalidated_not_stored(self, client: TestClient) -> None:
        answer = client.get("/api/v1/openapi.json")
        assert answer.headers["cache-control"] == "no-cache"
        assert header_problems(answer) == []


class TestApiFamilies:
    def test_every_family_is_nosniff_and_no_store(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        world = World.build(client, accounts)
        case = world.decided()
        rep, holder, supervisor = (world.headers[a] for a in ("owner_rep", "holder", "supervisor"))
        calls = [
            ("GET", "/api/v1/me", rep),
            ("GET", "/api/v1/reference/exemption-codes/T11", rep),
            ("GET", "/api/v1/requests", rep),
            ("GET", f"/api/v1/requests/{case.id}", rep),
            ("GET", f"/api/v1/requests/{case.id}/documents", rep),
            ("GET", f"/api/v1/requests/{case.id}/triage", holder),
            ("GET", "/api/v1/queue", holder),
            ("GET", f"/api/v1/requests/{case.id}/info-requests", rep),
            ("GET", f"/api/v1/requests/{case.id}/decision", rep),
            ("GET", f"/api/v1/requests/{case.id}/letters", rep),
            ("GET", f"/api/v1/requests/{case.id}/events", rep),
            ("GET", "/api/v1/stats", supervisor),
            ("GET", f"/api/v1/letters/verify/{case.verification_code}", {}),
            ("GET", "/api/v1/letters/public-key", {}),
            ("GET", "/api/v1/me", {}),  # 401
            ("GET", "/api/v1/requests/none", rep),  # 404
            ("POST", "/api/v1/requests", rep),  # 422: no body
            ("GET", "/healthz", {}),
            ("GET", "/readyz", {}),
            ("GET", "/metrics", {}),
        ]
        answers = [client.request(method, path, headers=headers) for method, path, headers in calls]
        assert [a.status_code for a in answers[-6:]] == [401, 404, 422, 200, 200, 200]
        assert [p for a in answers for p in header_problems(a)] == []
        verify = answers[12]
        assert verify.json()["worker"]["family_name"] == "Rivera"
        assert verify.headers["cache-control"] == "no-store"  # personal facts, no token


class TestDownloads:
    def test_files_and_letters_are_attachments_never_stored(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        world = World.build(client, accounts)
        case = world.in_review()
        holder = world.headers["holder"]
        preview = client.post(
            f"/api/v1/requests/{case.id}/decision/preview",
            json={"outcome": "positive", "exemption_code": "T11", "letter_language": "en"},
            headers=holder,
        )
        assert decide(client, holder, case.id).status_code == 201
        document = client.get(
            f"/api/v1/requests/{case.id}/documents/{case.document_id}", headers=holder
        )
        letter = client.get(f"/api/v1/requests/{case.id}/letter", headers=world.headers["owner_rep"])
        for answer, media_type in (
            (document, "image/jpeg"),  # the passport page comes first
            (letter, "application/pdf"),
            (preview, "application/pdf"),
        ):
            assert answer.status_code == 200
            assert answer.headers["content-type"] == media_type
            assert header_problems(answer) == []
        for answer in (document, letter):
            assert answer.headers["content-disposition"].startswith("attachment")
