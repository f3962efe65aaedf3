"""Retention: documents are kept only as long as a case needs them.

`imwu purge` deletes the documents (rows and stored objects) of cases decided or withdrawn more than
`IMWU_RETENTION_DAYS` ago and of drafts idle for `IMWU_DRAFT_IDLE_DAYS`; letters, decisions,
triage findings and the audit trail stay. Each purged case gets a `documents.purged` event.
Running it twice deletes nothing the second time.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.common.clock import utcnow
from app.config import get_settings
from app.documents.models import Document
from app.intake.models import OpinionRequest, RequestStatus
from app.storage import get_store


@dataclass(frozen=True)
class PurgeReport:
    cases: int
    documents: int
    bytes: int
    keys: tuple[str, ...]


def purge(session: Session) -> PurgeReport:
    """Delete expired documents; the caller commits, then removes the objects (`keys`)."""
    settings = get_settings()
    now = utcnow()
    closed_before = now - timedelta(days=settings.retention_days)
    idle_before = now - timedelta(days=settings.draft_idle_days)
    expired = select(OpinionRequest.id).where(
        or_(
            and_(
                OpinionRequest.status == RequestStatus.DECIDED,
                OpinionRequest.decided_at < closed_before,
            ),
            and_(
                OpinionRequest.status == RequestStatus.WITHDRAWN,
                OpinionRequest.updated_at < closed_before,
            ),
            and_(
                OpinionRequest.status == RequestStatus.DRAFT,
                OpinionRequest.updated_at < idle_before,
            ),
        )
    )
    rows = session.execute(
        select(Document.id, Document.request_id, Document.size_bytes).where(
            Document.request_id.in_(expired)
        )
    ).all()
    by_case: dict[str, list[tuple[str, int]]] = {}
    for document_id, request_id, size in rows:
        by_case.setdefault(request_id, []).append((document_id, size))
    for request_id, documents in by_case.items():
        freed = sum(size for _, size in documents)
        session.execute(delete(Document).where(Document.id.in_([d for d, _ in documents])))
        session.execute(
            update(OpinionRequest)
            .where(OpinionRequest.id == request_id)
            .values(documents_bytes_used=OpinionRequest.documents_bytes_used - freed)
        )
        record(
            session,
            actor_id=None,
            action="documents.purged",
            request_id=request_id,
            details={"documents": len(documents), "bytes": freed},
        )
    session.flush()
    return PurgeReport(
        cases=len(by_case),
        documents=len(rows),
        bytes=sum(size for _, _, size in rows),
        keys=tuple(document_id for document_id, _, _ in rows),
    )


def remove_objects(keys: tuple[str, ...]) -> None:
    """After the commit: an object whose deletion fails here is an orphan `sweep` removes."""
    store = get_store()
    for key in keys:
        store.delete(key)
