"""Fixtures of the hostile-input corpus: a fresh draft request to attack, and a real server
process for what only raw sockets can send (bodies shorter or longer than their Content-Length)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.intake.scenarios import create, t11_body

ROOT = Path(__file__).resolve().parents[2]
RECEIVE_TIMEOUT_S = 1.0
"""The live server's body deadline: short, so a client that stops sending costs the tests 1 s."""


@pytest.fixture(scope="package")
def client(app: FastAPI) -> Iterator[TestClient]:
    """One client, so one lifespan and one warm pool of inspection helpers, for the whole corpus,
    as a running server has (starting them per test is most of a test's time). Tables and
    storage are still emptied after each test."""
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def request_id(client: TestClient, rep: dict[str, str]) -> str:
    """A complete T11 draft with no documents: the full 4 MB budget is free."""
    return str(create(client, rep, t11_body())["id"])


@dataclass(frozen=True)
class LiveServer:
    port: int
    storage_dir: Path
    rep: dict[str, str]
    request_id: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        # Only once our process says it listens: another server may hold the port meanwhile.
        listening = f"listening on {base_url}" in log.read_text()
        try:
            if listening and httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not become healthy in 60 s")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`imwu serve` on a free port, with its own SQLite file and storage; stopped at the end."""
    root = tmp_path_factory.mktemp("live-server")
    port = _free_port()
    env = {
        **os.environ,
        "IMWU_DATABASE_URL": f"sqlite:///{root}/live.sqlite3",
        "IMWU_STORAGE_URL": (root / "storage").resolve().as_uri(),
        "IMWU_DATA_DIR": str(root / "data"),
        "IMWU_ENVIRONMENT": "test",
        "IMWU_RECEIVE_TIMEOUT_SECONDS": str(RECEIVE_TIMEOUT_S),
    }
    log = root / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, process, log)
        token = (root / "data" / "bootstrap-admin-token").read_text().strip()
        assert token not in log.read_text(), "the admin token is never printed"
        admin = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, timeout=10) as http:
            made = http.post(
                "/api/v1/accounts",
                headers=admin,
                json={
                    "role": "representative",
                    "name": "Robin Lee",
                    "email": "robin@acme.example",
                    "organization": "Acme Inc",
                },
            )
            assert made.status_code == 201, made.text
            rep = {"Authorization": f"Bearer {made.json()['token']}"}
            created = http.post("/api/v1/requests", headers=rep, json=t11_body())
            assert created.status_code == 201, created.text
        yield LiveServer(
            port=port,
            storage_dir=root / "storage",
            rep=rep,
            request_id=created.json()["id"],
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
