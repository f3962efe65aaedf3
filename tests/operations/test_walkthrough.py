"""The README's walk-through, run as written: its `sh` blocks in order, with bash and curl, against
a real `imwu serve` started as a newcomer would (defaults, a fresh directory holding the
`docs/examples` files). Then the server's log is scanned: after the whole flow it holds no token,
no passport number, no name, no date of birth."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTION = "## Walk-through with curl"
DOCUMENTED_URL = "http://127.0.0.1:8000"
LISTENING = re.compile(r"listening on (http://\S+)")


def walkthrough_script() -> str:
    """The `sh` blocks of the README's walk-through section, in order."""
    text = README.read_text()
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) >= 2
    return "\n".join(blocks)


@dataclass
class Newcomer:
    home: Path
    base_url: str
    log: Path
    process: subprocess.Popen[bytes]


def _keep_dates_ahead(sample: Path) -> None:
    """The sample's work dates are fixed: once they come near, the copy the walk-through runs
    moves them by whole years so that they stay ahead (a start already passed is refused)."""
    body = json.loads(sample.read_text("utf-8"))
    work = body["work"]
    years = 0
    while date.fromisoformat(work["intended_entry_date"]).replace(
        year=date.fromisoformat(work["intended_entry_date"]).year + years
    ) < datetime.now(UTC).date() + timedelta(days=30):
        years += 1
    if years:
        for name in ("start_date", "end_date", "intended_entry_date"):
            day = date.fromisoformat(work[name])
            work[name] = day.replace(year=day.year + years).isoformat()
        sample.write_text(json.dumps(body, indent=2), "utf-8")


@pytest.fixture
def newcomer(tmp_path: Path) -> Iterator[Newcomer]:
    """`imwu serve --port 0` in a fresh directory with no IMWU_* setting at all."""
    if shutil.which("curl") is None or shutil.which("bash") is None:
        pytest.fail("the walk-through needs bash and curl", pytrace=False)
    home = tmp_path / "newcomer"
    shutil.copytree(ROOT / "docs" / "examples", home / "docs" / "examples")
    _keep_dates_ahead(home / "docs" / "examples" / "request.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMWU_")}
    env["PYTHONPATH"] = str(ROOT)
    env["IMWU_LOG_LEVEL"] = "DEBUG"  # the strictest log to scan
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", "0"],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = _wait_for_address(process, log)
        yield Newcomer(home=home, base_url=base_url, log=log, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_address(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"imwu serve exited: {log.read_text()[-3000:]}")
        found = LISTENING.search(log.read_text())
        if found:
            base_url = found.group(1)
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    return base_url
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    raise RuntimeError("imwu serve did not say where it listens within 90 s")


def test_the_readme_walkthrough_runs_and_the_log_keeps_no_personal_data(
    newcomer: Newcomer,
) -> None:
    script = walkthrough_script()
    assert DOCUMENTED_URL in script
    script = script.replace(DOCUMENTED_URL, newcomer.base_url)
    # The harness's own lines: stop at the first failure, and keep the tokens for the log scan.
    script = "set -euo pipefail\n" + script
    script += '\nprintf "%s\\n" "$ADMIN" "$TOKEN" "$REVIEWER" > tokens.txt\n'
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=newcomer.home,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert '"status":"valid"' in done.stdout.replace(" ", "")
    letter = (newcomer.home / "letter.pdf").read_bytes()
    assert letter.startswith(b"%PDF-")

    newcomer.process.terminate()
    newcomer.process.wait(timeout=20)
    log = newcomer.log.read_text()
    token_file = newcomer.home / "var" / "bootstrap-admin-token"
    assert f"{token_file}" in log, "the first start says where the admin token is"
    tokens = (newcomer.home / "tokens.txt").read_text().split()
    assert len(tokens) == 3
    assert all(t.startswith("imwu_") for t in tokens)
    personal = [
        *tokens,
        *(t.split("_", 2)[2] for t in tokens),  # the secret part alone
        "X1234567",  # passport number
        "1984-03-02",  # date of birth
        "Rivera",
        "Alex Sam",
        "Robin Lee",
        "Riley Park",
        "Jordan Smith",
        "robin@acme.example",
    ]
    assert [p for p in personal if p in log] == []
    assert '"route": "/api/v1/requests/{request_id}/decision"' in log, "the log was written"
