"""Documents and letters in the store, on the file store and on S3 (moto's HTTP server): what is
stored under which key, downloads, the sweep of orphans and unfinished uploads, and uploads
that S3 receives in parts while the body is still arriving."""

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import cli
from app.db import get_sessionmaker
from app.documents.models import Document
from app.letters.models import Letter
from app.storage import get_store
from app.storage.base import ObjectMissing
from app.storage.s3 import S3Store
from tests.builders import make_pdf, pad_pdf_to
from tests.conftest import Accounts
from tests.intake.scenarios import create, t11_body, upload
from tests.queue.helpers import claim, decide, submitted_case
from tests.storage_backends import PART_BYTES, stored_keys

pytestmark = pytest.mark.usefixtures("backend")


def _read(key: str) -> bytes:
    return b"".join(get_store().open(key).chunks)


def _decided_case(client: TestClient, accounts: Accounts, rep: dict[str, str]) -> dict[str, Any]:
    case = submitted_case(client, rep, t11_body())
    reviewer = accounts.make("reviewer")
    version = claim(client, reviewer, case["id"]).json()["version"]
    decided = decide(client, reviewer, case["id"], version=version)
    assert decided.status_code == 201, decided.text
    return case


def _sweep(grace_seconds: float, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert cli.main(["storage", "sweep", "--grace-seconds", str(grace_seconds)]) == 0
    answer: dict[str, Any] = json.loads(capsys.readouterr().out)
    return answer


class TestDocumentObjects:
    def test_the_object_key_is_the_document_id_and_holds_the_bytes(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        request_id = create(client, rep, t11_body())["id"]
        pdf = make_pdf(["Offer of employment"])
        document = upload(client, rep, request_id, "job_offer", pdf, filename="Jane Doe.pdf").json()

        assert stored_keys() == [document["id"]]
        assert _read(document["id"]) == pdf
        assert document["sha256"] == hashlib.sha256(pdf).hexdigest()

    def test_a_download_is_streamed_with_its_length(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        request_id = create(client, rep, t11_body())["id"]
        pdf = pad_pdf_to(make_pdf(["Offer"]), 3 * PART_BYTES + 12_345)
        document = upload(client, rep, request_id, "job_offer", pdf).json()

        with client.stream(
            "GET", f"/api/v1/requests/{request_id}/documents/{document['id']}", headers=rep
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-length"] == str(len(pdf))
            assert b"".join(response.iter_bytes()) == pdf

    def test_a_refused_file_leaves_no_object_and_no_unfinished_upload(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        """Large enough to be sent to S3 in parts while it arrives; inspection then refuses it
        (a truncated PDF), and the multipart upload is aborted."""
        request_id = create(client, rep, t11_body())["id"]
        broken = pad_pdf_to(make_pdf(["Offer"]), 2 * PART_BYTES + 5)[:-2000]
        response = upload(client, rep, request_id, "job_offer", broken)

        assert response.status_code == 422, response.text
        assert response.json()["code"] == "document_unreadable"
        assert stored_keys() == []
        assert get_store().remove_stale_uploads(-1) == 0

    def test_a_large_upload_reaches_s3_as_a_multipart_upload(
        self, client: TestClient, rep: dict[str, str], backend: str
    ) -> None:
        if backend != "s3":
            pytest.skip("S3 only: the file store renames its one temporary file")
        request_id = create(client, rep, t11_body())["id"]
        pdf = pad_pdf_to(make_pdf(["Offer"]), 3 * PART_BYTES + 1)
        document = upload(client, rep, request_id, "job_offer", pdf).json()
        store = get_store()
        assert isinstance(store, S3Store)
        head = store.client.head_object(Bucket=store.bucket, Key=store.name(document["id"]))
        assert head["ETag"].strip('"').endswith("-4")  # four parts: 1, 1, 1 MiB and 1 byte
        assert _read(document["id"]) == pdf


class TestLetterObjects:
    def test_a_letter_pdf_is_stored_under_the_letter_id_and_downloads_whole(
        self, client: TestClient, accounts: Accounts, rep: dict[str, str]
    ) -> None:
        case = _decided_case(client, accounts, rep)
        with get_sessionmaker()() as session:
            letter = session.scalars(select(Letter).where(Letter.request_id == case["id"])).one()

        download = client.get(f"/api/v1/requests/{case['id']}/letter", headers=rep)

        assert download.status_code == 200
        assert download.headers["content-type"] == "application/pdf"
        assert download.content.startswith(b"%PDF-")
        assert hashlib.sha256(download.content).hexdigest() == letter.pdf_sha256
        assert _read(letter.id) == download.content
        assert get_store().stored_sha256(letter.id) == letter.pdf_sha256

    def test_a_decision_whose_transaction_fails_leaves_no_letter_object(
        self, app: Any, accounts: Accounts, rep: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.letters import service as letters_service

        with TestClient(app, raise_server_exceptions=False) as lenient:
            case = submitted_case(lenient, rep, t11_body())
            reviewer = accounts.make("reviewer")
            version = claim(lenient, reviewer, case["id"]).json()["version"]
            documents = set(stored_keys())

            def fail(*_args: Any, **_kwargs: Any) -> None:
                raise RuntimeError("the audit append fails after the letter is stored")

            monkeypatch.setattr(letters_service, "record", fail)
            response = decide(lenient, reviewer, case["id"], version=version)

        assert response.status_code == 500
        assert set(stored_keys()) == documents
        with get_sessionmaker()() as session:
            assert session.scalars(select(Letter)).all() == []


class TestSweep:
    def test_removes_old_orphans_keeps_owned_objects_and_young_orphans(
        self,
        client: TestClient,
        accounts: Accounts,
        rep: dict[str, str],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        case = _decided_case(client, accounts, rep)
        owned = set(stored_keys())
        get_store().put("orphan-of-a-crash", b"bytes whose row never committed")

        young = _sweep(3600, capsys)
        assert young == {"removed": 0, "keys": []}
        assert "orphan-of-a-crash" in stored_keys()

        swept = _sweep(-1, capsys)  # every object counts as old
        assert swept == {"removed": 1, "keys": ["orphan-of-a-crash"]}
        assert set(stored_keys()) == owned
        with get_sessionmaker()() as session:
            documents = set(session.scalars(select(Document.id)))
            letters = set(session.scalars(select(Letter.id)))
        assert owned == documents | letters
        assert client.get(f"/api/v1/requests/{case['id']}/letter", headers=rep).status_code == 200

    def test_removes_unfinished_uploads(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An upload cut off by a crash: a temporary file, or an S3 multipart upload that was
        never completed nor aborted."""
        spool = get_store().spool("cut-off", max_bytes=3 * PART_BYTES)
        spool.write(b"x" * (PART_BYTES + 10))  # S3: the first part is on its way
        store = get_store()
        if isinstance(store, S3Store):
            spool._parts[0].result()  # the part has arrived; the upload stays unfinished

        _sweep(-1, capsys)
        spool.close()  # what a crash would have done to the open file

        assert store.remove_stale_uploads(-1) == 0
        assert stored_keys() == []
        with pytest.raises(ObjectMissing):
            store.open("cut-off")
