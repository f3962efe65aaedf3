"""The strict Content-Security-Policy, enforced by Chromium: every page of the client runs
without a single violation (the `new_page` fixture fails any test that meets one, so the whole
client flow in test_client.py is covered too), and a violation would indeed be caught."""

from typing import Any

from tests.e2e.conftest import Server
from tests.e2e.pages import sign_in


def _settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")


class TestCsp:
    def test_sign_in_and_the_public_verify_page(self, server: Server, new_page: Any) -> None:
        page = new_page("en")
        page.goto(f"{server.base_url}/")
        page.wait_for_selector("#token")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the skip link, now handled by /static/js/boot.js
        assert page.evaluate("document.activeElement.id") == "main"
        page.goto(f"{server.base_url}/verify/ABCD-EFGH-JKLM")
        page.wait_for_selector("main h1")
        _settle(page)

    def test_the_pages_of_each_role(self, server: Server, new_page: Any) -> None:
        rep = server.create_account("representative", "Casey Doe", "casey@acme.example", "Acme")
        reviewer = server.create_account("reviewer", "Drew Poe", "drew@imwu.example")
        page = new_page("fr")
        sign_in(page, server.base_url, rep, "fr")
        page.wait_for_selector("#new-request")
        page.click("#new-request")
        page.wait_for_selector("#code-search")
        _settle(page)
        staff = new_page("en")
        sign_in(staff, server.base_url, reviewer, "en")
        staff.wait_for_selector("#claim-next")
        _settle(staff)

    def test_swagger_ui_runs_under_the_policy(self, server: Server, new_page: Any) -> None:
        page = new_page("en")
        page.goto(f"{server.base_url}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        page.click("#operations-requests-create_request .opblock-summary")
        page.wait_for_selector("#operations-requests-create_request .body-param__example")
        _settle(page)
        assert "create_request" in page.content()

    def test_a_violation_is_caught(self, server: Server, browser: Any) -> None:
        """The detector itself: an inline script injected into a page is refused and reported."""
        from tests.e2e.conftest import watch_csp

        context = browser.new_context()
        violations: list[str] = []
        try:
            watch_csp(context, violations)
            page = context.new_page()
            page.goto(f"{server.base_url}/")
            page.wait_for_selector("#token")
            page.evaluate(
                "() => { const s = document.createElement('script');"
                " s.textContent = 'window.ran = true'; document.head.appendChild(s); }"
            )
            page.wait_for_function("() => true")
            assert page.evaluate("window.ran === true") is False
            page.wait_for_timeout(200)
        finally:
            context.close()
        assert any("script-src" in v for v in violations), violations
