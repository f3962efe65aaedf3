"""Opinion requests: create, read, edit, withdraw, validate and submit.

Services flush but never commit; the session dependency commits before the response.
"""

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Account, Role
from app.common.clock import today, utcnow
from app.common.findings import Finding, Outcome
from app.common.form import FORM_EDITION, RequestContent
from app.common.pagination import encode_cursor, older_than
from app.config import get_settings
from app.documents.service import present_kinds
from app.eligibility import rules
from app.eligibility.versions import active_reference
from app.intake.models import (
    MAX_CODE_LENGTH,
    WITHDRAWABLE_STATUSES,
    OpinionRequest,
    ReferenceCounter,
    RequestStatus,
)
from app.intake.schemas import ChecklistItemOut, FindingOut, RequestOut, ValidationReport
from app.notifications.outbox import emit
from app.problems import (
    AppError,
    IdempotencyConflict,
    InvalidState,
    NotFound,
    PreconditionFailed,
    RequestNotSubmittable,
    validation_failed,
)
from app.revisions.paths import changed_pointers
from app.revisions.scope import check_fields, open_scope
from app.revisions.service import freeze, judge
from app.triage.calendar import due_date
from app.triage.engine import entry_date


def next_reference(session: Session, *, year: int) -> str:
    """`IMWU-<year>-<number>`, numbered per year by one conditional UPDATE (safe under races)."""
    for _ in range(5):
        number = session.scalar(
            update(ReferenceCounter)
            .where(ReferenceCounter.year == year)
            .values(last_number=ReferenceCounter.last_number + 1)
            .returning(ReferenceCounter.last_number)
        )
        if number is not None:
            return f"IMWU-{year}-{number:06d}"
        try:
            with session.begin_nested():
                session.execute(insert(ReferenceCounter).values(year=year, last_number=0))
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a request reference")


def code_column(content: RequestContent) -> str | None:
    """The code kept in its own column (queue listings): a draft that names several codes
    ("T37, T38", refused at submit by `several_codes`) keeps them only in its content."""
    code = content.exemption.code
    return code if code is not None and len(code) <= MAX_CODE_LENGTH else None


def _fingerprint(content: RequestContent) -> str:
    canonical = json.dumps(content.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_request(
    session: Session, *, account: Account, content: RequestContent, idempotency_key: str | None
) -> tuple[OpinionRequest, bool]:
    """Create a draft. With an `Idempotency-Key`, the same key and body return the same request
    (second value False: nothing new was created); the same key with another body is refused."""
    fingerprint = _fingerprint(content)
    if idempotency_key is not None:
        existing = _by_idempotency_key(session, account=account, key=idempotency_key)
        if existing is not None:
            return _replay(existing, fingerprint), False
    assert account.organization_id is not None
    now = utcnow()
    request = OpinionRequest(
        reference=next_reference(session, year=now.year),
        organization_id=account.organization_id,
        created_by_id=account.id,
        status=RequestStatus.DRAFT,
        version=1,
        form_edition=FORM_EDITION,
        language=content.language,
        exemption_code=code_column(content),
        content=content.model_dump(mode="json"),
        documents_bytes_used=0,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=fingerprint if idempotency_key else None,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(request)
    except IntegrityError:
        existing = _by_idempotency_key(session, account=account, key=idempotency_key or "")
        if existing is None:
            raise
        return _replay(existing, fingerprint), False
    record(session, actor_id=account.id, action="request.created", request_id=request.id)
    return request, True


def _by_idempotency_key(session: Session, *, account: Account, key: str) -> OpinionRequest | None:
    return session.scalar(
        select(OpinionRequest).where(
            OpinionRequest.created_by_id == account.id, OpinionRequest.idempotency_key == key
        )
    )


def _replay(existing: OpinionRequest, fingerprint: str) -> OpinionRequest:
    if existing.idempotency_fingerprint != fingerprint:
        raise IdempotencyConflict("This Idempotency-Key was used with a different body")
    return existing


def visible_request(session: Session, *, account: Account, request_id: str) -> OpinionRequest:
    """The request if the caller may see it; otherwise 404, so existence is not revealed.

    Representatives see their organization's requests; reviewers and supervisors see every
    request once it has been submitted."""
    request = session.get(OpinionRequest, request_id) if len(request_id) <= 36 else None
    if request is None or not _may_see(account, request):
        raise NotFound("No such request")
    return request


def _may_see(account: Account, request: OpinionRequest) -> bool:
    if account.role == Role.REPRESENTATIVE:
        return request.organization_id == account.organization_id
    if account.role in (Role.REVIEWER, Role.SUPERVISOR):
        return request.status not in (RequestStatus.DRAFT,)
    return False


def list_requests(
    session: Session,
    *,
    account: Account,
    status: RequestStatus | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[OpinionRequest], str | None]:
    """The organization's requests, newest first, by keyset pagination."""
    query = select(OpinionRequest).where(OpinionRequest.organization_id == account.organization_id)
    if status is not None:
        query = query.where(OpinionRequest.status == status)
    if cursor is not None:
        query = query.where(older_than(cursor, OpinionRequest.created_at, OpinionRequest.id))
    rows = list(
        session.scalars(
            query.order_by(OpinionRequest.created_at.desc(), OpinionRequest.id.desc()).limit(
                limit + 1
            )
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    return rows, next_cursor


def merge_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge per object: nested objects merge key by key, anything else replaces; null clears."""
    merged = dict(current)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def check_version(request: OpinionRequest, if_match: str | None) -> None:
    """A sent `If-Match` (strong or weak ETag) must name the version the caller read."""
    if if_match is not None and if_match.strip().strip('"').removeprefix("W/").strip('"') != str(
        request.version
    ):
        raise PreconditionFailed("The request was changed since you read it (stale If-Match)")


def transition(
    session: Session,
    *,
    request: OpinionRequest,
    values: dict[str, Any],
    from_statuses: Sequence[RequestStatus],
    also: Sequence[ColumnElement[bool]] = (),
    conflict: AppError | None = None,
) -> None:
    """Change the request only if nobody changed it since we read it: one conditional UPDATE on
    its version and status (and `also`), with a rowcount check; the version goes up by one.
    Every state change of a request goes through here."""
    result = session.execute(
        update(OpinionRequest)
        .where(
            OpinionRequest.id == request.id,
            OpinionRequest.version == request.version,
            OpinionRequest.status.in_(list(from_statuses)),
            *also,
        )
        .values(version=request.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict or PreconditionFailed("The request was changed by someone else")
    session.refresh(request)


def patch_request(
    session: Session,
    *,
    request: OpinionRequest,
    patch: dict[str, Any],
    if_match: str | None,
    actor_id: str,
) -> OpinionRequest:
    """Edit a draft by merge patch. Once submitted the form is frozen: while an information
    request is open, only the fields it names may change, and never the worker's identity."""
    scope = open_scope(session, request=request)
    check_version(request, if_match)
    try:
        content = RequestContent.model_validate(merge_patch(request.content, patch))
    except ValidationError as exc:
        raise validation_failed(exc) from exc
    stored = content.model_dump(mode="json")
    changed = changed_pointers(request.content, stored)
    check_fields(scope, changed)
    transition(
        session,
        request=request,
        values={
            "content": stored,
            "language": content.language,
            "exemption_code": code_column(content),
        },
        from_statuses=(request.status,),
    )
    record(
        session,
        actor_id=actor_id,
        action="request.edited",
        request_id=request.id,
        details={"sections": sorted(patch), "fields": changed},
    )
    return request


def withdraw(
    session: Session, *, request: OpinionRequest, if_match: str | None, actor_id: str
) -> OpinionRequest:
    """The organization takes the request back; decided and withdrawn requests cannot be."""
    if request.status not in WITHDRAWABLE_STATUSES:
        raise InvalidState(f"A request in status '{request.status}' cannot be withdrawn")
    check_version(request, if_match)
    transition(
        session,
        request=request,
        values={"status": RequestStatus.WITHDRAWN},
        from_statuses=WITHDRAWABLE_STATUSES,
    )
    record(session, actor_id=actor_id, action="request.withdrawn", request_id=request.id)
    return request


def report(session: Session, *, request: OpinionRequest) -> ValidationReport:
    """Every prerequisite finding and the document checklist; changes nothing."""
    content = RequestContent.model_validate(request.content)
    reference = active_reference(session, exact=True)
    kinds = present_kinds(session, request_id=request.id)
    findings = rules.evaluate(content, reference, present_kinds=kinds, today=today())
    items = rules.checklist(content, reference, kinds)
    return ValidationReport(
        submittable=not any(f.outcome is Outcome.BLOCK for f in findings),
        findings=[finding_out(f) for f in findings],
        checklist=[
            ChecklistItemOut(
                kind=i.kind, required=i.required, present=i.present, label=getattr(i, "label", None)
            )
            for i in items
        ],
    )


def finding_out(finding: Finding) -> FindingOut:
    return FindingOut(
        rule=finding.rule,
        outcome=finding.outcome.value,
        message={"en": finding.message.en, "fr": finding.message.fr},
        fields=list(finding.fields),
    )


def submit(
    session: Session,
    *,
    request: OpinionRequest,
    declarant_name: str,
    if_match: str | None,
    actor_id: str,
) -> tuple[OpinionRequest, ValidationReport]:
    """Freeze a complete draft as `submitted` and as revision 1, set its due date and triage it
    in the same transaction; refuse with every blocking reason otherwise."""
    if request.status != RequestStatus.DRAFT:
        raise InvalidState(f"A request in status '{request.status}' cannot be submitted")
    check_version(request, if_match)
    result = report(session, request=request)
    if not result.submittable:
        raise RequestNotSubmittable(
            "The request has blocking findings or missing documents",
            extra={"validation": result.model_dump(mode="json")},
        )
    now = utcnow()
    judged = judge(session, request=request, today=now.date())
    transition(
        session,
        request=request,
        values={
            "status": RequestStatus.SUBMITTED,
            "submitted_at": now,
            "declarant_name": declarant_name,
            "due_date": due_date(
                now.date(),
                get_settings().service_days,
                entry_date(RequestContent.model_validate(request.content)),
            ),
        },
        from_statuses=(RequestStatus.DRAFT,),
    )
    record(session, actor_id=actor_id, action="request.submitted", request_id=request.id)
    emit(session, "request.submitted", request=request)
    freeze(session, request=request, actor_id=actor_id, judged=judged)
    return request, result


def to_out(request: OpinionRequest) -> RequestOut:
    limit = get_settings().max_request_bytes
    return RequestOut.model_validate(
        {
            **request.content,
            "id": request.id,
            "reference": request.reference,
            "status": request.status,
            "version": request.version,
            "form_edition": request.form_edition,
            "created_at": request.created_at,
            "updated_at": request.updated_at,
            "submitted_at": request.submitted_at,
            "declarant_name": request.declarant_name,
            "documents_bytes_used": request.documents_bytes_used,
            "documents_bytes_remaining": max(0, limit - request.documents_bytes_used),
            "stream": request.stream,
            "priority": request.priority,
            "priority_reasons": list(request.priority_reasons or []),
            "due_date": request.due_date,
            "claimed_by_id": request.claimed_by_id,
            "claim_expires_at": request.claim_expires_at,
            "decided_at": request.decided_at,
            "revision": request.revision or None,
        }
    )
