"""The S3 endpoint goes away in the middle of an upload (issue 14 §2).

A real `imwu serve` stores in moto's S3 server through a TCP proxy; the test streams a 3 MiB file
that the service sends to S3 in 1 MiB parts as it arrives, and cuts the proxy once S3 has begun
receiving it. The request fails as a 503 problem, nothing is stored (no row, no bytes reserved, no
object: the unfinished multipart upload is invisible and `imwu storage sweep` aborts it), and
the next upload, once the endpoint is back, works.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.builders import make_pdf, pad_pdf_to
from tests.faults.conftest import Seed, Server, ServerFactory, TcpProxy, problem
from tests.intake.scenarios import t11_body
from tests.storage_backends import PART_BYTES, MotoServer, direct_store

BOUNDARY = "s3-outage-boundary"


@dataclass
class Setup:
    server: Server
    proxy: TcpProxy
    api: httpx.Client
    prefix: str


@pytest.fixture
def setup(
    tmp_path: Path, moto_server: MotoServer, start_server: ServerFactory
) -> Iterator[Setup]:
    proxy = TcpProxy(target=("127.0.0.1", moto_server.port))
    proxy.start()
    prefix = f"outage-{uuid.uuid4().hex[:12]}"
    database = f"sqlite:///{tmp_path}/outage.sqlite3"
    seed = Seed(database)
    _, rep = seed.account("representative", organization="Outage Org")
    seed.close()
    env = moto_server.env(prefix, endpoint=f"http://127.0.0.1:{proxy.port}")
    server = start_server(database, tmp_path / "unused", env)
    with httpx.Client(base_url=server.url, headers=rep, timeout=120) as api:
        yield Setup(server, proxy, api, prefix)
    proxy.stop()
    direct_store(moto_server, prefix).wipe()


def _form(pdf: bytes, on_half: Callable[[], None]) -> Iterator[bytes]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\njob_offer\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="offer.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    half = len(pdf) // 2
    yield head
    for start in range(0, half, 64 * 1024):
        yield pdf[start : min(start + 64 * 1024, half)]
    on_half()
    for start in range(half, len(pdf), 64 * 1024):
        yield pdf[start : start + 64 * 1024]
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _wait_for_multipart_upload(moto_server: MotoServer, prefix: str) -> None:
    """S3 has begun receiving the file: its multipart upload exists."""
    store = direct_store(moto_server, prefix)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        uploads = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=prefix)
        if uploads.get("Uploads"):
            return
        time.sleep(0.05)
    pytest.fail("the service never began a multipart upload")


class TestS3GoesAwayMidUpload:
    def test_the_upload_fails_cleanly_leaves_nothing_and_the_next_one_works(
        self, setup: Setup, moto_server: MotoServer
    ) -> None:
        api, bucket = setup.api, direct_store(moto_server, setup.prefix)
        request_id = api.post("/api/v1/requests", json=t11_body()).json()["id"]
        pdf = pad_pdf_to(make_pdf(["Offer of employment"]), 3 * PART_BYTES)

        def cut_once_s3_receives() -> None:
            _wait_for_multipart_upload(moto_server, setup.prefix)
            setup.proxy.cut()

        response = api.post(
            f"/api/v1/requests/{request_id}/documents",
            content=_form(pdf, cut_once_s3_receives),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )

        assert response.status_code == 503, response.text
        body = problem(response)
        assert body["code"] == "service_unavailable"
        assert "nothing was stored" in body["detail"]
        assert int(response.headers["Retry-After"]) > 0
        listing = api.get(f"/api/v1/requests/{request_id}/documents").json()
        assert (listing["items"], listing["documents_bytes_used"]) == ([], 0)
        assert list(bucket.objects()) == []

        setup.proxy.restore()
        retried = api.post(
            f"/api/v1/requests/{request_id}/documents",
            content=_form(pdf, lambda: None),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert retried.status_code == 201, retried.text
        document = retried.json()
        assert [o.key for o in bucket.objects()] == [document["id"]]
        download = api.get(f"/api/v1/requests/{request_id}/documents/{document['id']}")
        assert download.content == pdf

        swept = setup.server.cli("storage", "sweep", "--grace-seconds", "0")
        assert swept.returncode == 0, swept.stderr
        unfinished = bucket.client.list_multipart_uploads(Bucket=bucket.bucket)
        assert unfinished.get("Uploads", []) == []
        assert [o.key for o in bucket.objects()] == [document["id"]]

    def test_a_download_while_s3_is_away_is_a_503_problem(self, setup: Setup) -> None:
        api = setup.api
        request_id = api.post("/api/v1/requests", json=t11_body()).json()["id"]
        pdf = make_pdf(["A small offer"])
        document = api.post(
            f"/api/v1/requests/{request_id}/documents",
            data={"kind": "job_offer"},
            files={"file": ("offer.pdf", pdf, "application/pdf")},
        ).json()

        setup.proxy.cut()
        away = api.get(f"/api/v1/requests/{request_id}/documents/{document['id']}")
        setup.proxy.restore()

        assert away.status_code == 503
        assert problem(away)["code"] == "service_unavailable"
        back = api.get(f"/api/v1/requests/{request_id}/documents/{document['id']}")
        assert back.content == pdf
