"""Freezing a request as a revision and reading revisions back.

A revision is written at submit (1) and at each answer to an information request (n + 1), in the
same transaction as the state change, with triage run on exactly what it froze. Nothing here
edits a revision; after a decision no state can freeze one (only a draft is submitted and only an
open information request is answered).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.documents.service import list_documents
from app.eligibility.versions import active_reference
from app.intake.models import OpinionRequest, RequestStatus
from app.notifications.outbox import emit
from app.problems import NotFound
from app.revisions.models import RequestRevision
from app.revisions.paths import changed_pointers
from app.revisions.schemas import (
    DocumentRef,
    RevisionChanges,
    RevisionDocument,
    RevisionOut,
    RevisionSummary,
)
from app.triage.engine import TriageResult
from app.triage.service import keep_resolutions, store, stored_findings, triage


@dataclass(frozen=True)
class Judged:
    """Triage of a request as it stands, on the reference version named, not yet stored."""

    result: TriageResult
    reference_version: str


def judge(session: Session, *, request: OpinionRequest, today: date) -> Judged:
    """Triage the request on the active reference data, storing nothing: submit and answer run
    it before their first write, so no lock is held while the rules run."""
    reference = active_reference(session, exact=True)
    result = triage(session, request=request, reference=reference, today=today)
    return Judged(result, reference.version)


def freeze(
    session: Session,
    *,
    request: OpinionRequest,
    actor_id: str,
    judged: Judged,
    info_request_id: str | None = None,
) -> RequestRevision:
    """Freeze the request as it stands as its next revision: the form, every document with its
    SHA-256, the reference-data version and the triage run `judged` (made on them before the
    transaction wrote). The audit records what changed since the revision before (paths and
    document ids, no values)."""
    documents = [
        {
            "id": d.id,
            "kind": str(d.kind),
            "sha256": d.sha256,
            "size_bytes": d.size_bytes,
            "media_type": d.media_type,
        }
        for d in list_documents(session, request_id=request.id)
    ]
    store(
        session,
        request=request,
        result=judged.result,
        reference_version=judged.reference_version,
        actor_id=actor_id,
    )
    emit(session, "request.triaged", request=request, subject=judged.result)
    revision = RequestRevision(
        request_id=request.id,
        number=request.revision + 1,
        content=dict(request.content),
        documents=documents,
        reference_version=judged.reference_version,
        triage_run=request.triage_run,
        info_request_id=info_request_id,
        created_by_id=actor_id,
    )
    session.add(revision)
    request.revision = revision.number
    session.flush()
    previous = _by_number(session, request_id=request.id, number=revision.number - 1)
    found = changes(previous, revision) if previous else None
    details: dict[str, object] = {"revision": revision.number, "documents": len(documents)}
    if found is not None:
        details["fields"] = found.fields
        details["documents_added"] = [d.id for d in found.documents_added]
    record(
        session,
        actor_id=actor_id,
        action="request.revised",
        request_id=request.id,
        subject_type="revision",
        subject_id=revision.id,
        details=details,
    )
    return revision


def rejudged(session: Session, *, request: OpinionRequest, reference_version: str) -> None:
    """After a reference-data update re-triaged a case under review (`imwu reference load`), its
    current revision is judged by that new run: the form and documents it froze are unchanged,
    the findings (each keeping the version it was made with) are the new ones, the holder's
    resolutions of findings that stayed the same are kept, and the case's version moves on (its
    ETag changes). A case waiting on an information request is left alone: its answer freezes
    the next revision, triaged on the active version then."""
    revision = current_revision(session, request=request)
    if revision is None or request.status == RequestStatus.INFO_REQUESTED:
        return
    kept = keep_resolutions(
        session, request_id=request.id, from_run=revision.triage_run, to_run=request.triage_run
    )
    revision.triage_run = request.triage_run
    revision.reference_version = reference_version
    request.version = OpinionRequest.version + 1
    session.flush()
    session.refresh(request)
    record(
        session,
        actor_id=None,
        action="revision.rejudged",
        request_id=request.id,
        subject_type="revision",
        subject_id=revision.id,
        details={
            "revision": revision.number,
            "run": revision.triage_run,
            "reference_version": reference_version,
            "resolutions_kept": kept,
        },
    )


def changes(previous: RequestRevision, revision: RequestRevision) -> RevisionChanges:
    """The fields and documents that differ from `previous` to `revision`."""
    before = {d["id"] for d in previous.documents}
    return RevisionChanges(
        since=previous.number,
        fields=changed_pointers(previous.content, revision.content),
        documents_added=[
            DocumentRef(id=d["id"], kind=d["kind"])
            for d in revision.documents
            if d["id"] not in before
        ],
    )


def _by_number(session: Session, *, request_id: str, number: int) -> RequestRevision | None:
    if number < 1:
        return None
    return session.scalar(
        select(RequestRevision).where(
            RequestRevision.request_id == request_id, RequestRevision.number == number
        )
    )


def current_revision(session: Session, *, request: OpinionRequest) -> RequestRevision | None:
    """The latest revision (what a decision would be made on), None for a draft."""
    return _by_number(session, request_id=request.id, number=request.revision)


def revision_of_decision(session: Session, *, request_id: str, number: int) -> RequestRevision:
    found = _by_number(session, request_id=request_id, number=number)
    if found is None:
        raise NotFound("The decision's revision is missing")
    return found


def summaries(session: Session, *, request_id: str) -> list[RevisionSummary]:
    """Every revision of the request, oldest first, each with what changed since the one before."""
    rows = list(
        session.scalars(
            select(RequestRevision)
            .where(RequestRevision.request_id == request_id)
            .order_by(RequestRevision.number)
        )
    )
    return [_summary(row, rows[i - 1] if i else None) for i, row in enumerate(rows)]


def _summary(revision: RequestRevision, previous: RequestRevision | None) -> RevisionSummary:
    return RevisionSummary(
        number=revision.number,
        created_at=revision.created_at,
        created_by_id=revision.created_by_id,
        info_request_id=revision.info_request_id,
        reference_version=revision.reference_version,
        triage_run=revision.triage_run,
        documents=len(revision.documents),
        changes=changes(previous, revision) if previous else None,
    )


def revision_out(session: Session, *, request_id: str, number: int) -> RevisionOut:
    """One revision in full: the frozen form, documents and findings (with resolutions)."""
    revision = _by_number(session, request_id=request_id, number=number)
    if revision is None:
        raise NotFound("No such revision")
    previous = _by_number(session, request_id=request_id, number=number - 1)
    return RevisionOut(
        **_summary(revision, previous).model_dump(),
        content=revision.content,
        document_list=[RevisionDocument.model_validate(d) for d in revision.documents],
        findings=stored_findings(session, request_id=request_id, run=revision.triage_run),
    )
