"""Uploads inside the per-request budget.

The budget (sum of stored bytes per request) is reserved by one conditional UPDATE, so two uploads
racing on one request can never jointly pass it. The file is received, stored and inspected (in a
child process) before the write transaction opens, so no database lock is held across them; the
object is deleted again if the file is refused or the transaction rolls back.
"""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account, Role
from app.config import get_settings
from app.db import after_commit, on_rollback
from app.documents import inspection, sandbox
from app.documents.filenames import display_name_for
from app.documents.models import Document
from app.documents.receive import Upload
from app.intake.models import CHANGEABLE_STATUSES, OpinionRequest
from app.problems import (
    DocumentTooLarge,
    DocumentUnreadable,
    DuplicateDocument,
    InvalidState,
    NotFound,
    UnsupportedMediaType,
)
from app.revisions.scope import Scope, check_kind, check_removable, open_scope
from app.storage import get_store, store_faults
from app.storage.base import Spool


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


def upload_scope(session: Session, *, request: OpinionRequest) -> Scope | None:
    """What an upload to this request may be (None: anything, for a draft); 409 in a frozen
    state. Read before the file is received, so no transaction stays open meanwhile."""
    return open_scope(session, request=request)


def _require_changeable(request: OpinionRequest) -> None:
    if request.status not in CHANGEABLE_STATUSES:
        raise InvalidState(f"Documents cannot change while the request is '{request.status}'")


def add_document(
    session: Session,
    *,
    account: Account,
    request: OpinionRequest,
    upload: Upload,
    scope: Scope | None,
) -> Document:
    """Keep one received file of a request, or refuse it with nothing stored. After submit, only
    a kind the open information request names (`scope`, read before the file was received) is
    accepted.

    Called with no transaction open: the object is stored while the file is inspected, and only
    then does the transaction reserve the bytes and add the row."""
    limit = get_settings().max_request_bytes
    found = _store_inspected(upload, used=request.documents_bytes_used, limit=limit, scope=scope)
    spool, store = upload.spool, get_store()
    on_rollback(session, lambda: store.delete(spool.key))
    document = Document(
        id=spool.key,
        request_id=request.id,
        kind=upload.kind,
        display_name=display_name_for(upload.filename, found.media_type.value),
        media_type=found.media_type.value,
        size_bytes=spool.size,
        sha256=spool.sha256,
        pages=found.pages,
        width=found.width,
        height=found.height,
        text=found.text,
        uploaded_by_id=account.id,
    )
    session.add(document)
    try:
        session.flush()  # (request, sha256) is unique: the same file twice is refused here
    except IntegrityError as exc:
        raise DuplicateDocument("This file is already attached to the request") from exc
    _reserve(session, request=request, size=spool.size, limit=limit)
    record(
        session,
        actor_id=account.id,
        action="document.uploaded",
        request_id=request.id,
        subject_type="document",
        subject_id=document.id,
        details={
            "kind": upload.kind.value,
            "size_bytes": spool.size,
            "media_type": document.media_type,
        },
    )
    return document


def _store_inspected(
    upload: Upload, *, used: int, limit: int, scope: Scope | None
) -> inspection.Inspection:
    """Of a kind asked for, within the budget, stored, and judged readable by its content; or
    nothing left."""
    spool = upload.spool
    try:
        check_kind(scope, upload.kind.value)
        if spool.over_limit or spool.size > limit - used:
            raise _too_large(used, limit, spool.size)
        with store_faults():
            spool.finish()  # the file backend's one fsync; S3 starts sending what is left
        found = _inspect(spool, content_type=upload.content_type, filename=upload.filename)
        with store_faults():
            spool.store()
    except BaseException:
        spool.discard()
        raise
    finally:
        spool.close()
    return found


def _inspect(
    spool: Spool, *, content_type: str | None, filename: str | None
) -> inspection.Inspection:
    settings = get_settings()
    try:
        return sandbox.inspect_file(
            spool.path,
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


def _reserve(session: Session, *, request: OpinionRequest, size: int, limit: int) -> None:
    """Take `size` bytes of the budget, if they fit and the request is still in the state whose
    scope the upload was checked against (a draft submitted meanwhile is frozen: 409)."""
    status_read = request.status
    result = session.execute(
        update(OpinionRequest)
        .where(
            OpinionRequest.id == request.id,
            OpinionRequest.documents_bytes_used + size <= limit,
            OpinionRequest.status == status_read,
        )
        .values(documents_bytes_used=OpinionRequest.documents_bytes_used + size)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    session.refresh(request)
    _require_changeable(request)
    if request.status != status_read:
        raise InvalidState("The request changed while the file was sent; read it again")
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
    store, key = get_store(), document.id
    after_commit(session, lambda: store.delete(key))
