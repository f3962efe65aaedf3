"""Both storage backends for the tests: the file store, and S3 through moto's real HTTP server.

moto runs as its own process (`python -m moto.server`) on 127.0.0.1, so the S3 backend is tested
through the same boto3 client code as production, over HTTP. The S3 backend is configured with
1 MiB parts (moto told to accept parts that small) so that the suite's larger files go as
multipart uploads and its small ones as single PutObjects: both paths run.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest

from app.config import get_settings
from app.storage import get_store

if TYPE_CHECKING:
    from app.storage.s3 import S3Store

BUCKET = "imwu-tests"
PART_BYTES = 1024 * 1024
MOTO_MIN_PART_BYTES = 256 * 1024
S3_ENV = {
    "IMWU_S3_REGION": "us-east-1",
    "IMWU_S3_PART_BYTES": str(PART_BYTES),
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MotoServer:
    """moto's S3 server in a child process; `stop()` and `start()` again keep nothing (moto keeps
    its objects in memory), so outages are made with a proxy in front of it instead."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "MotoServer":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env={**os.environ, "S3_UPLOAD_PART_MIN_SIZE": str(MOTO_MIN_PART_BYTES)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("moto's server exited at start")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{self.endpoint}/moto-api/", timeout=1)
                return self
            time.sleep(0.1)
        raise RuntimeError("moto's server did not answer in 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def env(self, prefix: str, endpoint: str | None = None) -> dict[str, str]:
        """The service's environment for a store at `s3://imwu-tests/<prefix>`."""
        return {
            **S3_ENV,
            "IMWU_STORAGE_URL": f"s3://{BUCKET}/{prefix}",
            "IMWU_S3_ENDPOINT_URL": endpoint or self.endpoint,
        }


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer(_free_port()).start()
    try:
        from app.storage.s3 import make_client

        with pytest.MonkeyPatch.context() as env:
            for name, value in S3_ENV.items():
                env.setenv(name, value)
            make_client(endpoint_url=server.endpoint, region="us-east-1").create_bucket(
                Bucket=BUCKET
            )
        yield server
    finally:
        server.stop()


def use_storage(env: dict[str, str]) -> contextlib.AbstractContextManager[None]:
    """This process's store, settings and environment switched to `env` for a while."""

    @contextlib.contextmanager
    def switched() -> Iterator[None]:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            get_settings.cache_clear()
            get_store.cache_clear()
            try:
                yield
            finally:
                get_store().wipe()
        get_settings.cache_clear()
        get_store.cache_clear()

    return switched()


@pytest.fixture(params=["file", "s3"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test on the file store, then on S3 (moto) under a prefix of its own."""
    if request.param == "file":
        yield "file"
        return
    server: MotoServer = request.getfixturevalue("moto_server")
    with use_storage(server.env(f"t-{uuid.uuid4().hex[:12]}")):
        yield "s3"


def stored_keys() -> list[str]:
    """The keys of every object in the test's store (either backend)."""
    return sorted(stored.key for stored in get_store().objects())


def direct_store(server: MotoServer, prefix: str) -> "S3Store":
    """The bucket as the test sees it, straight to moto (past any proxy the service goes
    through), with its own credentials."""
    import boto3

    from app.storage.s3 import S3Store

    client = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("s3", endpoint_url=server.endpoint)
    return S3Store(f"s3://{BUCKET}/{prefix}", client, part_bytes=PART_BYTES)
