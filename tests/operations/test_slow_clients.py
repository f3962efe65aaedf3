"""Slow clients cannot starve others: 50 connections trickling a body one byte a second while a
normal request is answered; the trickling requests are cut off at the body deadline (408)."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "IMWU_DATABASE_URL": f"sqlite:///{tmp_path}/slow.sqlite3",
           "IMWU_STORAGE_URL": (tmp_path / "storage").resolve().as_uri(),
           "IMWU_DATA_DIR": str(tmp_path / "data"), "IMWU_RECEIVE_TIMEOUT_SECONDS": "3"}
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield base
    finally:
        process.kill()
        process.wait()


def _trickle(port: int, answers: list[bytes], stop: threading.Event) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n")
        try:
            while not stop.is_set():
                sock.sendall(b" ")
                stop.wait(1)
                sock.settimeout(0.01)
                try:
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                if data:
                    answers.append(data)
                    return
        except OSError:
            answers.append(b"closed")


def test_trickling_clients_do_not_starve_a_normal_request(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    answers: list[bytes] = []
    stop = threading.Event()
    threads = [threading.Thread(target=_trickle, args=(port, answers, stop)) for _ in range(50)]
    for t in threads:
        t.start()
    try:
        time.sleep(1)
        for _ in range(5):
            response = httpx.get(f"{server}/healthz", timeout=2)
            assert response.status_code == 200
            assert httpx.get(f"{server}/api/v1/me", timeout=2).status_code == 401
        time.sleep(4)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert len(answers) == 50
    assert all(a.startswith(b"HTTP/1.1 408") or a == b"closed" for a in answers), answers[:3]
    assert any(b"request_timeout" in a for a in answers)
