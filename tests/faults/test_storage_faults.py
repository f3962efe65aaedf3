"""The document store cannot be written (disk full, read-only, permission denied): the upload is
refused as a problem and nothing is half-written (issue 5 §4).

Tests run as root, where a read-only `chmod` does not stop writes, so the faults are injected
into the store's system calls: `os.fsync` while the temporary is written, `os.replace` when it is
placed, `mkdir` when the store is prepared.
"""

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import get_sessionmaker
from app.storage import file as storage
from app.storage import get_store
from tests.builders import make_jpeg, make_pdf
from tests.intake.scenarios import create, t11_body, upload

OFFER = make_pdf(["Offer of employment", "Position: CBP pre-clearance officer (NOC 43203)"])


class _FaultyOs:
    """The `os` module as the store sees it, with one call failing while `armed`."""

    def __init__(self, name: str, error: OSError) -> None:
        self.name, self.error, self.armed = name, error, True

    def __getattr__(self, attribute: str) -> Any:
        real = getattr(os, attribute)
        if attribute != self.name:
            return real

        def failing(*args: Any, **kwargs: Any) -> Any:
            if self.armed:
                raise self.error
            return real(*args, **kwargs)

        return failing


@pytest.fixture
def inject(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, int], _FaultyOs]:
    def arm(call: str, code: int) -> _FaultyOs:
        fault = _FaultyOs(call, OSError(code, os.strerror(code)))
        monkeypatch.setattr(storage, "os", fault)
        return fault

    return arm


def _files() -> tuple[list[Path], list[Path]]:
    store = _file_store()
    objects = [p for p in store.objects_dir.glob("*/*") if p.is_file()]
    return objects, list(store.tmp.iterdir()) if store.tmp.exists() else []


def _uploaded_events(request_id: str) -> int:
    with get_sessionmaker()() as session:
        return len(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.request_id == request_id, AuditEvent.action == "document.uploaded"
                )
            ).all()
        )


def _file_store() -> storage.FileStore:
    store = get_store()
    assert isinstance(store, storage.FileStore)
    return store


class _Case:
    """A draft with one passport page stored, so 'budget unchanged' means a non-zero budget."""

    def __init__(self, client: TestClient, rep: dict[str, str]) -> None:
        self.client, self.rep = client, rep
        self.id = create(client, rep, t11_body())["id"]
        first = upload(
            client,
            rep,
            self.id,
            "passport_bio_page",
            make_jpeg(64, 48),
            filename="p.jpg",
            content_type="image/jpeg",
        )
        assert first.status_code == 201, first.text
        self.first = first.json()

    def listing(self) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/requests/{self.id}/documents", headers=self.rep)
        assert response.status_code == 200
        result: dict[str, Any] = response.json()
        return result

    def assert_nothing_half_written(self) -> None:
        listing = self.listing()
        assert [d["id"] for d in listing["items"]] == [self.first["id"]]
        assert listing["documents_bytes_used"] == self.first["size_bytes"]
        objects, temporaries = _files()
        assert [p.name for p in objects] == [self.first["id"]]
        assert temporaries == []
        assert _uploaded_events(self.id) == 1

    def upload_offer(self, client: TestClient | None = None) -> Any:
        return upload(client or self.client, self.rep, self.id, "job_offer", OFFER)


FAULTS = [
    # (system call, errno, status, code): where the store fails and what the client is told.
    pytest.param("fsync", errno.ENOSPC, 507, "insufficient_storage", id="disk-full-writing"),
    pytest.param("replace", errno.ENOSPC, 507, "insufficient_storage", id="disk-full-placing"),
    pytest.param("fsync", errno.EDQUOT, 507, "insufficient_storage", id="quota-exceeded"),
    pytest.param("replace", errno.EROFS, 503, "service_unavailable", id="read-only-placing"),
    pytest.param("replace", errno.EACCES, 503, "service_unavailable", id="permission-denied"),
]


class TestStorageWriteFailure:
    @pytest.mark.parametrize(("call", "code", "status", "problem_code"), FAULTS)
    def test_upload_is_refused_with_nothing_half_written_and_succeeds_once_fixed(
        self,
        client: TestClient,
        rep: dict[str, str],
        inject: Callable[[str, int], _FaultyOs],
        call: str,
        code: int,
        status: int,
        problem_code: str,
    ) -> None:
        case = _Case(client, rep)
        fault = inject(call, code)

        response = case.upload_offer()

        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == problem_code
        assert body["status"] == status
        assert "nothing was stored" in body["detail"]
        assert int(response.headers["Retry-After"]) > 0
        assert str(_file_store().root) not in response.text
        case.assert_nothing_half_written()

        fault.armed = False
        retried = case.upload_offer()
        assert retried.status_code == 201, retried.text
        used = case.first["size_bytes"] + retried.json()["size_bytes"]
        assert case.listing()["documents_bytes_used"] == used

    def test_a_store_that_cannot_be_created_is_503_with_nothing_stored(
        self, client: TestClient, rep: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        case = _Case(client, rep)

        def denied(_self: storage.FileStore) -> None:
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(storage.FileStore, "ensure", denied)
        response = case.upload_offer()
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "service_unavailable"
        assert "Retry-After" in response.headers
        case.assert_nothing_half_written()

    def test_an_unknown_io_error_is_a_500_with_nothing_half_written(
        self, app: Any, rep: dict[str, str], inject: Callable[[str, int], _FaultyOs]
    ) -> None:
        with TestClient(app, raise_server_exceptions=False) as lenient:
            case = _Case(lenient, rep)
            inject("replace", errno.EIO)
            response = case.upload_offer()
            assert response.status_code == 500
            assert response.json()["code"] == "internal_error"
            case.assert_nothing_half_written()
