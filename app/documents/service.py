"""Uploads inside the per-request budget.

The budget (sum of stored bytes per request) is reserved by one conditional UPDATE, so two uploads
racing on one request can never jointly pass it. Content is inspected in a child process before
anything is reserved; the file is placed before the commit and removed again if the commit fails.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account, Role
from app.config import get_settings
from app.db import after_commit, on_rollback
from app.documents import inspection, sandbox
from app.documents.filenames import display_name_for
from app.documents.models import Document, DocumentKind
from app.documents.storage import FileStore
from app.intake.models import CHANGEABLE_STATUSES, OpinionRequest
from app.problems import (
    DocumentTooLarge,
    DocumentUnreadable,
    DuplicateDocument,
    InvalidState,
    NotFound,
    UnsupportedMediaType,
    storage_problem,
)
from app.revisions.scope import check_kind, check_removable, open_scope


@cache
def file_store() -> FileStore:
    store = FileStore(get_settings().storage_dir)
    store.ensure()
    return store


def present_kinds(session: Session, *, request_id: str) -> frozenset[str]:
    return frozenset(
        session.scalars(select(Document.kind).where(Document.request_id == request_id).distinct())
    )


def list_documents(session: Session, *, request_id: str) -> list[Document]:
    return list(
        session.scalars(
            select(Document)
            .where(Document.request_id == request_id)
            .order_by(Document.created_at, Document.id)
        )
    )


def open_document(
    session: Session, *, account: Account, request_id: str, document_id: str
) -> Document:
    """The document to download; a reviewer or supervisor opening it is recorded."""
    document = get_document(session, request_id=request_id, document_id=document_id)
    if account.role in (Role.REVIEWER, Role.SUPERVISOR):
        record(
            session,
            actor_id=account.id,
            action="document.opened",
            request_id=request_id,
            subject_type="document",
            subject_id=document.id,
            details={"kind": document.kind},
        )
    return document


def get_document(session: Session, *, request_id: str, document_id: str) -> Document:
    document = session.get(Document, document_id) if len(document_id) <= 36 else None
    if document is None or document.request_id != request_id:
        raise NotFound("No such document")
    return document


def _too_large(used: int, limit: int, size: int) -> DocumentTooLarge:
    return DocumentTooLarge(
        f"This file ({size} bytes) does not fit: {max(0, limit - used)} of {limit} bytes remain",
        extra={
            "bytes_used": used,
            "bytes_remaining": max(0, limit - used),
            "file_bytes": size,
            "limit_bytes": limit,
        },
    )


def _require_changeable(request: OpinionRequest) -> None:
    if request.status not in CHANGEABLE_STATUSES:
        raise InvalidState(f"Documents cannot change while the request is '{request.status}'")


def add_document(
    session: Session,
    *,
    account: Account,
    request: OpinionRequest,
    kind: DocumentKind,
    source: BinaryIO,
    filename: str | None,
    content_type: str | None,
) -> Document:
    """Store one file of a request, or refuse it with nothing stored. After submit, only a
    kind an open information request names is accepted."""
    check_kind(open_scope(session, request=request), kind.value)
    limit = get_settings().max_request_bytes
    store = file_store()
    with _storage_faults():
        temporary, size, sha256 = store.spool(source, max_bytes=limit)
    try:
        if size > limit - request.documents_bytes_used:
            raise _too_large(request.documents_bytes_used, limit, size)
        found = _inspect(temporary, content_type=content_type, filename=filename)
        _refuse_duplicate(session, request_id=request.id, sha256=sha256)
        _reserve(session, request=request, size=size, limit=limit)
        document = Document(
            request_id=request.id,
            kind=kind,
            display_name=display_name_for(filename, found.media_type.value),
            media_type=found.media_type.value,
            size_bytes=size,
            sha256=sha256,
            pages=found.pages,
            width=found.width,
            height=found.height,
            text=found.text,
            uploaded_by_id=account.id,
        )
        try:
            with session.begin_nested():
                session.add(document)
        except IntegrityError as exc:
            raise DuplicateDocument("This file is already attached to the request") from exc
        with _storage_faults():
            store.place(temporary, document.id)
        on_rollback(session, lambda: store.delete(document.id))
        record(
            session,
            actor_id=account.id,
            action="document.uploaded",
            request_id=request.id,
            subject_type="document",
            subject_id=document.id,
            details={"kind": kind.value, "size_bytes": size, "media_type": document.media_type},
        )
    finally:
        temporary.unlink(missing_ok=True)
    session.refresh(request)
    return document


@contextmanager
def _storage_faults() -> Iterator[None]:
    """A full or read-only store becomes a 507 or 503 problem; the caller's rollback and the
    spool's own cleanup leave no row, no reserved bytes and no file behind."""
    try:
        yield
    except OSError as exc:
        problem = storage_problem(exc)
        if problem is None:
            raise
        raise problem from exc


def _inspect(
    path: Path, *, content_type: str | None, filename: str | None
) -> inspection.Inspection:
    settings = get_settings()
    try:
        return sandbox.inspect_file(
            path,
            declared_content_type=content_type,
            declared_name=filename,
            memory_limit_bytes=settings.inspection_memory_bytes,
            cpu_seconds=settings.inspection_cpu_seconds,
        )
    except inspection.UnsupportedMediaType as exc:
        raise UnsupportedMediaType(
            "Only PDF, JPEG and PNG files are accepted, judged by their content",
            extra={"reason": exc.reason},
        ) from exc
    except inspection.DocumentUnreadable as exc:
        raise DocumentUnreadable(
            "The file could not be read safely", extra={"reason": exc.reason}
        ) from exc


def _refuse_duplicate(session: Session, *, request_id: str, sha256: str) -> None:
    exists = session.scalar(
        select(Document.id).where(Document.request_id == request_id, Document.sha256 == sha256)
    )
    if exists is not None:
        raise DuplicateDocument("This file is already attached to the request")


def _reserve(session: Session, *, request: OpinionRequest, size: int, limit: int) -> None:
    result = session.execute(
        update(OpinionRequest)
        .where(
            OpinionRequest.id == request.id,
            OpinionRequest.documents_bytes_used + size <= limit,
            OpinionRequest.status.in_(list(CHANGEABLE_STATUSES)),
        )
        .values(documents_bytes_used=OpinionRequest.documents_bytes_used + size)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    session.refresh(request)
    _require_changeable(request)
    raise _too_large(request.documents_bytes_used, limit, size)


def delete_document(
    session: Session, *, request: OpinionRequest, document: Document, actor_id: str
) -> None:
    """Remove a document and free its bytes; the file goes once the deletion is committed.
    A document of a submitted revision is never removed."""
    check_removable(session, request=request, document_id=document.id)
    # Conditional on the state read: a submit or an answer that froze the document meanwhile wins.
    freed = session.execute(
        update(OpinionRequest)
        .where(OpinionRequest.id == request.id, OpinionRequest.status == request.status)
        .values(documents_bytes_used=OpinionRequest.documents_bytes_used - document.size_bytes)
        .execution_options(synchronize_session=False)
    )
    if freed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState("The request changed meanwhile; read it again")
    record(
        session,
        actor_id=actor_id,
        action="document.deleted",
        request_id=request.id,
        subject_type="document",
        subject_id=document.id,
        details={"kind": document.kind, "size_bytes": document.size_bytes},
    )
    session.delete(document)
    session.flush()
    store, key = file_store(), document.id
    after_commit(session, lambda: store.delete(key))


def sweep(session: Session, *, grace_seconds: float = 3600) -> list[str]:
    """Remove stored files that no document row owns, and stale temporaries. Returns the keys."""
    store = file_store()
    known = set(session.scalars(select(Document.id)))
    cutoff = time.time() - grace_seconds
    orphans = [key for key, mtime in store.stored_keys() if key not in known and mtime < cutoff]
    for key in orphans:
        store.delete(key)
    for temporary in store.stale_temporaries(grace_seconds):
        temporary.unlink(missing_ok=True)
    return orphans
