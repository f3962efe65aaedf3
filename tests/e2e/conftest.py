"""End-to-end fixtures: a real `imwu serve` process on 127.0.0.1 (temporary SQLite database and
storage), accounts made with `imwu accounts create`, and Debian's headless Chromium driven by
Playwright (never a downloaded browser).

Without Chromium (or Playwright) the suite fails with a clear message when `CI` is set, and is
skipped otherwise. `.ci/install-browser` installs Chromium.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

# Debian's chromium (`.ci/install-browser`); the variable exists to test the missing-browser path.
CHROMIUM = os.environ.get("IMWU_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
# Screenshots go to a temporary folder, so a test run never rewrites tracked files; set
# IMWU_SCREENSHOTS_DIR=docs/screenshots to refresh the committed ones on purpose.
SCREENSHOTS = Path(
    os.environ.get("IMWU_SCREENSHOTS_DIR")
    or Path(tempfile.gettempdir()) / f"imwu-screenshots-{os.getuid()}"
).resolve()
ROOT = Path(__file__).resolve().parents[2]


def _unavailable(reason: str) -> None:
    message = f"end-to-end tests cannot run: {reason}"
    if os.environ.get("CI"):
        pytest.fail(
            f"{message} (run .ci/install-browser and pip install -e '.[test]')", pytrace=False
        )
    pytest.skip(message)


def _free_port() -> int:
    for port in range(18300, 18400):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18300-18399")


@dataclass
class Server:
    base_url: str
    env: dict[str, str]

    @property
    def api(self) -> str:
        return f"{self.base_url}/api/v1"

    def create_account(
        self, role: str, name: str, email: str, organization: str | None = None
    ) -> str:
        """`imwu accounts create`, as an administrator would; returns the token."""
        command = [
            sys.executable,
            "-m",
            "app.cli",
            "accounts",
            "create",
            "--role",
            role,
            "--name",
            name,
            "--email",
            email,
        ]
        if organization:
            command += ["--organization", organization]
        done = subprocess.run(
            command, env=self.env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
        )
        line = next(ln for ln in done.stdout.splitlines() if ln.startswith("{"))
        token: str = json.loads(line)["token"]
        return token

    def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, f"{self.api}/{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def browser_path() -> str:
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing")
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("playwright or axe-playwright-python is not installed (the e2e extra)")
    return CHROMIUM


@pytest.fixture(scope="package")
def server(browser_path: str) -> Iterator[Server]:
    del browser_path
    workdir = Path(tempfile.mkdtemp(prefix="imwu-e2e-"))
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "IMWU_DATABASE_URL": f"sqlite:///{workdir}/e2e.sqlite3",
        "IMWU_STORAGE_URL": (workdir / "storage").resolve().as_uri(),
        "IMWU_SIGNING_KEYS_DIR": str(workdir / "keys"),
        "IMWU_DATA_DIR": str(workdir / "data"),
        "IMWU_ENVIRONMENT": "development",
        "IMWU_PUBLIC_BASE_URL": base_url,
        "IMWU_VERIFY_RATE_PER_MINUTE": "1000",
        # The delivery worker runs inside serve, as by default; test receivers are on loopback.
        "IMWU_NOTIFY_WORKER_IN_SERVE": "true",
        "IMWU_NOTIFY_POLL_SECONDS": "0.2",
        "IMWU_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    log = (workdir / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"imwu serve exited: {(workdir / 'serve.log').read_text()}")
            # Our own process says it listens (another machine user's server may answer the port
            # between the probe and the bind: its healthz alone proves nothing).
            listening = f"listening on {base_url}" in (workdir / "serve.log").read_text()
            try:
                if listening and httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("imwu serve did not start within 60 s")
            time.sleep(0.2)
        yield Server(base_url=base_url, env=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="package")
def browser(browser_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


# Every Content-Security-Policy violation of a page, from the DOM event (through a binding the
# page cannot block) and from Chromium's console message, whichever comes first.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__imwuCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` on ${document.location.pathname}`);
});
"""


def watch_csp(context: Any, violations: list[str]) -> None:
    """Collect the CSP violations of every page of `context` into `violations`."""
    context.expose_binding("__imwuCspViolation", lambda _source, text: violations.append(text))
    context.add_init_script(CSP_REPORTER)


def _console_csp(message: Any, violations: list[str]) -> None:
    if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
        violations.append(message.text)


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Open pages in fresh contexts (each its own tab storage); errors in page scripts and any
    Content-Security-Policy violation (the policy is enforced) fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []
    violations: list[str] = []

    def make(lang: str = "en") -> Any:
        context = browser.new_context(
            viewport=VIEWPORT, locale="fr-CA" if lang == "fr" else "en-CA", accept_downloads=True
        )
        context.set_default_timeout(15_000)
        watch_csp(context, violations)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: _console_csp(message, violations))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
