"""`imwu storage migrate --to s3://...`: a populated file store copied to S3 (moto's server),
every object checked against its row's SHA-256, nothing switched, resumable, idempotent."""

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import cli
from app.config import get_settings
from app.db import get_sessionmaker
from app.documents.models import Document
from app.letters.models import Letter
from app.storage import get_store, store_for
from app.storage.file import FileStore
from app.storage.maintenance import owned_objects
from tests.builders import make_pdf, pad_pdf_to
from tests.conftest import Accounts
from tests.intake.scenarios import create, t11_body, upload
from tests.queue.helpers import claim, decide, submitted_case
from tests.storage_backends import PART_BYTES, MotoServer, use_storage


@pytest.fixture
def target(moto_server: MotoServer) -> Iterator[str]:
    """The S3 settings in the environment, the service still on its file store."""
    prefix = f"migrated-{uuid.uuid4().hex[:12]}"
    env = moto_server.env(prefix)
    url = env.pop("IMWU_STORAGE_URL")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        get_store.cache_clear()
        yield url
        store_for(url, get_settings()).wipe()
    get_settings.cache_clear()
    get_store.cache_clear()


def _populate(client: TestClient, accounts: Accounts, rep: dict[str, str]) -> dict[str, str]:
    """A decided case (its documents and letter) and a draft with a file sent in parts on S3;
    returns every owned key with its SHA-256."""
    case = submitted_case(client, rep, t11_body())
    reviewer = accounts.make("reviewer")
    version = claim(client, reviewer, case["id"]).json()["version"]
    assert decide(client, reviewer, case["id"], version=version).status_code == 201
    draft = create(client, rep, t11_body())["id"]
    big = pad_pdf_to(make_pdf(["Offer"]), 2 * PART_BYTES + 7)
    assert upload(client, rep, draft, "job_offer", big).status_code == 201
    with get_sessionmaker()() as session:
        return dict(owned_objects(session))


def _migrate(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = cli.main(["storage", "migrate", "--to", url])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, report


def _digests(url: str, keys: list[str]) -> dict[str, str]:
    store = store_for(url, get_settings())
    return {
        key: hashlib.sha256(b"".join(store.open(key).chunks)).hexdigest() for key in keys
    }


class TestMigrateToS3:
    def test_copies_and_verifies_everything_switches_nothing_and_a_second_run_copies_nothing(
        self,
        client: TestClient,
        accounts: Accounts,
        rep: dict[str, str],
        target: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        owned = _populate(client, accounts, rep)
        source = get_store()
        assert isinstance(source, FileStore)

        code, first = _migrate(target, capsys)

        assert code == 0
        assert first["copied"] == len(owned) >= 6
        assert (first["already_there"], first["failed"], first["to"]) == (0, [], target)
        assert _digests(target, list(owned)) == owned
        assert get_store() is source  # nothing switched
        assert sorted(o.key for o in source.objects()) == sorted(owned)

        code, second = _migrate(target, capsys)
        assert code == 0
        assert (second["copied"], second["already_there"]) == (0, len(owned))

    def test_an_interrupted_run_resumes_with_what_is_missing(
        self,
        client: TestClient,
        accounts: Accounts,
        rep: dict[str, str],
        target: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        owned = _populate(client, accounts, rep)
        assert _migrate(target, capsys)[0] == 0
        lost = sorted(owned)[:2]
        for key in lost:
            store_for(target, get_settings()).delete(key)

        code, resumed = _migrate(target, capsys)

        assert code == 0
        assert (resumed["copied"], resumed["already_there"]) == (2, len(owned) - 2)
        assert _digests(target, list(owned)) == owned

    def test_a_damaged_source_object_is_not_copied_and_the_run_fails(
        self,
        client: TestClient,
        accounts: Accounts,
        rep: dict[str, str],
        target: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        owned = _populate(client, accounts, rep)
        source = get_store()
        assert isinstance(source, FileStore)
        damaged = sorted(owned)[0]
        path: Path = source.path(damaged)
        path.write_bytes(path.read_bytes()[:-1] + b"!")

        code, report = _migrate(target, capsys)

        assert code == 1
        assert report["failed"] == [damaged]
        assert report["copied"] == len(owned) - 1
        assert store_for(target, get_settings()).stored_sha256(damaged) is None

    def test_after_switching_the_service_serves_every_object_from_s3(
        self,
        client: TestClient,
        accounts: Accounts,
        rep: dict[str, str],
        target: str,
        moto_server: MotoServer,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        owned = _populate(client, accounts, rep)
        with get_sessionmaker()() as session:
            documents = session.execute(select(Document.id, Document.request_id)).all()
            letter_case = session.scalars(select(Letter.request_id)).one()
        assert _migrate(target, capsys)[0] == 0
        get_store().wipe()  # the old store is gone: only S3 can answer now

        prefix = target.split("/", 3)[3]
        with use_storage(moto_server.env(prefix)):
            for document_id, request_id in documents:
                answer = client.get(
                    f"/api/v1/requests/{request_id}/documents/{document_id}", headers=rep
                )
                assert answer.status_code == 200
                assert hashlib.sha256(answer.content).hexdigest() == owned[document_id]
            letter = client.get(f"/api/v1/requests/{letter_case}/letter", headers=rep)
            assert letter.status_code == 200
            assert hashlib.sha256(letter.content).hexdigest() in owned.values()
