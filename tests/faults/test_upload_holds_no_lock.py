"""An upload holds no database lock while its body arrives (issue 10 §2 and §4): on SQLite, where
one writer at a time may hold the write lock, another client's writes go through while an upload
is half received, and the upload then completes.

The upload's body stops half-way until another representative has created and changed a draft;
if the upload held the write lock (or the writer gate) while receiving, those writes would wait
for it and it for them, until the body deadline turned the upload into a 408.
"""

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.builders import make_pdf, pad_pdf_to
from tests.faults.conftest import Seed, ServerFactory
from tests.intake.scenarios import t11_body

BOUNDARY = "no-lock-boundary"


def _stalling_form(pdf: bytes, half_sent: threading.Event, go_on: threading.Event) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\njob_offer\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="offer.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    half = len(pdf) // 2
    yield pdf[:half]
    half_sent.set()
    assert go_on.wait(120), "the other client's writes never finished"
    yield pdf[half:]
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_writes_go_through_while_an_upload_is_half_received(
    tmp_path: Path, start_server: ServerFactory
) -> None:
    database = f"sqlite:///{tmp_path}/locks.sqlite3"
    seed = Seed(database)
    _, uploader = seed.account("representative", organization="Uploader Org")
    _, other = seed.account("representative", organization="Other Org")
    seed.close()
    server = start_server(database, tmp_path / "storage", {"IMWU_RECEIVE_TIMEOUT_SECONDS": "20"})
    pdf = pad_pdf_to(make_pdf(["Offer of employment"]), 2_000_000)
    half_sent, writes_done = threading.Event(), threading.Event()
    answers: dict[str, int] = {}

    def other_client_writes() -> None:
        assert half_sent.wait(60)
        with httpx.Client(base_url=server.url, headers=other, timeout=60) as api:
            created = api.post("/api/v1/requests", json=t11_body())
            answers["create"] = created.status_code
            changed = api.patch(
                f"/api/v1/requests/{created.json()['id']}",
                json={"work": {"noc_code": "43203"}},
                headers={"If-Match": created.headers["ETag"]},
            )
            answers["patch"] = changed.status_code
        writes_done.set()

    writer = threading.Thread(target=other_client_writes)
    writer.start()
    with httpx.Client(base_url=server.url, headers=uploader, timeout=120) as api:
        request_id = api.post("/api/v1/requests", json=t11_body()).json()["id"]
        uploaded = api.post(
            f"/api/v1/requests/{request_id}/documents",
            content=_stalling_form(pdf, half_sent, writes_done),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
    writer.join(120)

    assert answers == {"create": 201, "patch": 200}
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["size_bytes"] == len(pdf)
