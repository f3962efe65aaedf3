"""The contract as an integrator meets it: the app served over real HTTP by uvicorn on a free
loopback port (same database as the other tests), its live description, and a Python client
generated from that description by `openapi-python-client`."""

import importlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn

ROOT = Path(__file__).resolve().parents[2]
GENERATOR_CONFIG = ROOT / "docs" / "openapi-python-client.yaml"
PACKAGE = "imwu_intake_client"


@dataclass(frozen=True)
class LiveApi:
    base_url: str

    def schema(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.base_url}/api/v1/openapi.json", timeout=30)
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()
        return document


@pytest.fixture(scope="session")
def live_api(app: Any) -> Iterator[LiveApi]:
    """uvicorn serving the test app in a thread; port 0 lets the system pick a free port."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start within 60 s"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveApi(base_url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass(frozen=True)
class Generated:
    package: ModuleType
    output: str


@pytest.fixture(scope="session")
def generated_client(
    live_api: LiveApi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generated]:
    """`openapi-python-client generate` on the live description, imported as a package."""
    workdir = tmp_path_factory.mktemp("generated-client")
    schema_path = workdir / "openapi.json"
    schema_path.write_text(httpx.get(f"{live_api.base_url}/api/v1/openapi.json").text)
    bin_dir = str(Path(sys.executable).parent)  # the generator formats its output with ruff
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema_path),
            "--config",
            str(GENERATOR_CONFIG),
            "--meta",
            "none",
            "--output-path",
            str(workdir / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")},
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    sys.path.insert(0, str(workdir))
    try:
        yield Generated(package=importlib.import_module(PACKAGE), output=output)
    finally:
        sys.path.remove(str(workdir))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
