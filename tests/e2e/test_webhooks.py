"""A representative adds a webhook in the browser, copies its secret, sends a test event that a
real receiver gets (signature checked with `standardwebhooks`), retries it, rotates the secret;
the request page lists the notifications sent. In English and in French, checked with axe-core."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.e2e.conftest import Server
from tests.e2e.pages import check_accessibility, set_language, sign_in
from tests.intake.scenarios import t11_body
from tests.notifications.conftest import Receiver, start_receiver
from tests.queue.helpers import submitted_case

HEADINGS = {"en": "Add a webhook", "fr": "Ajouter un webhook"}
DELIVERED = {"en": "delivered", "fr": "remis"}
SUBMITTED = {"en": "Request submitted", "fr": "Demande soumise"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found, stop = start_receiver()
    yield found
    stop()


def until_shown(page: Any, selector: str, attempts: int = 60) -> None:
    """The worker sends in the background: reload until the page shows what it sent."""
    for _ in range(attempts):
        if page.locator(selector).count():
            return
        page.wait_for_timeout(250)
        page.reload()
        page.wait_for_selector("h1")
    raise AssertionError(f"{selector} never appeared")


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"))  # a temporary folder, never docs/


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_representative_manages_a_webhook_and_sees_notifications(
    server: Server, new_page: Any, receiver: Receiver, tmp_path: Path, lang: str
) -> None:
    token = server.create_account(
        "representative", "Kim Hooks", f"kim-{lang}@hooks.example", f"Hooks Inc {lang}"
    )
    page = new_page(lang)
    sign_in(page, server.base_url, token, lang)
    page.click("a[href='#/webhooks']")
    page.wait_for_selector("#add-webhook")
    assert HEADINGS[lang] in page.inner_text("main")
    check_accessibility(page, f"webhooks-{lang}")
    shot(page, tmp_path, f"webhooks-{lang}")

    page.fill("#webhook-url", receiver.url)
    page.fill("#webhook-description", "HR system")
    page.uncheck("#event-request\\.triaged")
    page.click("#add-webhook")
    page.wait_for_url(re.compile(r"#/webhooks/[0-9a-f-]+$"))
    secret = page.inner_text("#webhook-secret")
    assert secret.startswith("whsec_")
    check_accessibility(page, f"webhook-{lang}")

    page.click("#send-test")
    until_shown(page, "#deliveries-table .delivery-delivered")
    assert DELIVERED[lang] in page.inner_text("#deliveries-table")
    assert page.locator("#webhook-secret").count() == 0  # shown once
    [received] = receiver.received
    assert Webhook(secret).verify(received.body, received.headers)["type"] == "webhook.test"
    shot(page, tmp_path, f"webhook-deliveries-{lang}")

    page.click("#deliveries-table button")
    until_shown(page, "#deliveries-table td.num:text-is('2')")  # the second attempt
    assert len(receiver.received) == 2
    assert receiver.received[1].webhook_id == received.webhook_id

    page.click("#rotate-secret")
    page.wait_for_selector("#webhook-secret")
    rotated = page.inner_text("#webhook-secret")
    assert rotated.startswith("whsec_")
    assert rotated != secret

    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as api:
        body = t11_body()
        body["language"] = lang
        case = submitted_case(api, {}, body)  # type: ignore[arg-type]
    page.goto(f"{server.base_url}/#/requests/{case['id']}")
    page.wait_for_selector("#notifications-title")
    until_shown(page, "#notifications .delivery-delivered")
    text = page.inner_text("#notifications")
    assert SUBMITTED[lang] in text
    assert "HR system" in text
    check_accessibility(page, f"request-notifications-{lang}")
    set_language(page, "fr" if lang == "en" else "en")
    page.wait_for_selector(
        f"#notifications:has-text('{SUBMITTED['fr' if lang == 'en' else 'en']}')"
    )
