"""What the organization may still change once a request is submitted: nothing, except what an
open information request names (form fields, document kinds), and never the worker's identity.

Intake (PATCH) and documents (upload, delete) ask here before they change anything, so a refusal
leaves the request as it was.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.intake.models import OpinionRequest, RequestStatus
from app.problems import FieldError, InvalidState, ValidationFailed
from app.queue.models import InfoRequest
from app.revisions.models import RequestRevision
from app.revisions.paths import covers, touches_identity

NOT_ASKED = "not asked for by the open information request"
IDENTITY = "the worker's identity cannot change after submit"


@dataclass(frozen=True)
class Scope:
    """The fields (JSON pointers) and document kinds an open information request names."""

    fields: tuple[str, ...]
    kinds: frozenset[str]


def open_scope(session: Session, *, request: OpinionRequest) -> Scope | None:
    """What may change now: None for a draft (everything), a `Scope` while an information
    request is open; any other state changes nothing (409 `invalid_state`)."""
    if request.status == RequestStatus.DRAFT:
        return None
    if request.status != RequestStatus.INFO_REQUESTED:
        raise InvalidState(
            f"A request in status '{request.status}' cannot be changed: it is frozen"
        )
    info = session.scalar(
        select(InfoRequest)
        .where(InfoRequest.request_id == request.id, InfoRequest.responded_at.is_(None))
        .order_by(InfoRequest.created_at.desc())
        .limit(1)
    )
    if info is None:
        return Scope(fields=(), kinds=frozenset())
    kinds = frozenset(str(item["kind"]) for item in info.items if item.get("kind"))
    return Scope(fields=tuple(info.fields or ()), kinds=kinds)


def check_fields(scope: Scope | None, changed: Iterable[str]) -> None:
    """Refuse (422, naming each field) a change outside the fields asked for, and any change to
    the worker's identity after submit."""
    if scope is None:
        return
    errors = [
        FieldError(pointer=pointer, message=IDENTITY)
        if touches_identity(pointer)
        else FieldError(pointer=pointer, message=NOT_ASKED)
        for pointer in changed
        if touches_identity(pointer) or not any(covers(asked, pointer) for asked in scope.fields)
    ]
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) cannot change now", errors=errors)


def check_kind(scope: Scope | None, kind: str) -> None:
    """Refuse (422 on `/kind`) a document of a kind the open information request did not ask."""
    if scope is not None and kind not in scope.kinds:
        raise ValidationFailed(
            "This kind of document was not asked for",
            errors=[FieldError(pointer="/kind", message=NOT_ASKED)],
        )


def check_removable(session: Session, *, request: OpinionRequest, document_id: str) -> None:
    """A document may be removed from a draft, or while an information request is open if it
    was added in answer to it; a document of any revision stays (409)."""
    if open_scope(session, request=request) is None:
        return
    frozen = session.scalar(
        select(RequestRevision.documents).where(
            RequestRevision.request_id == request.id,
            RequestRevision.number == request.revision,
        )
    )
    if any(d["id"] == document_id for d in frozen or ()):
        raise InvalidState("A document of a submitted revision cannot be removed")
