from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentAccount, Representative, require
from app.auth.models import Role
from app.common.ids import new_id
from app.common.openapi import binary_response, form_body
from app.config import get_settings
from app.db import SessionDep, end_reads
from app.documents import service
from app.documents.filenames import content_disposition
from app.documents.models import Document
from app.documents.receive import receive_upload
from app.documents.schemas import DocumentList, DocumentOut
from app.intake.deps import CurrentRequest
from app.problems import problem_responses
from app.storage import get_store, store_faults
from app.storage.responses import object_response

router = APIRouter(
    prefix="/api/v1/requests/{request_id}/documents",
    tags=["documents"],
    responses=problem_responses(401, 403, 404),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)

DocumentId = Annotated[str, Path(max_length=36)]

UPLOAD_FORM = form_body(
    "Body_upload_document",
    {
        "title": "Body_upload_document",
        "type": "object",
        "required": ["kind", "file"],
        "properties": {
            "kind": {"$ref": "#/components/schemas/DocumentKind"},
            "file": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "PDF, JPEG or PNG; judged by content",
            },
        },
    },
)
"""The form `receive_upload` parses (the handler reads the stream itself, so FastAPI cannot
describe it): one `kind`, one file part."""


@router.post(
    "",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 409, 413, 415, 422, 503, 507),
    openapi_extra=UPLOAD_FORM,
)
async def upload_document(
    http_request: Request, request: CurrentRequest, session: SessionDep, account: Representative
) -> Document:
    """Attach a file. Refused with nothing stored if it does not fit the request's budget (413),
    is not a PDF, JPEG or PNG by content (415), or cannot be read safely (422)."""
    scope = await run_in_threadpool(lambda: service.upload_scope(session, request=request))
    remaining = get_settings().max_request_bytes - request.documents_bytes_used
    await run_in_threadpool(end_reads, session)
    with store_faults():
        received = await receive_upload(
            http_request, open_spool=lambda: get_store().spool(new_id(), max_bytes=remaining)
        )
    return await run_in_threadpool(
        lambda: service.add_document(
            session, account=account, request=request, upload=received, scope=scope
        )
    )


@router.get("", response_model=DocumentList)
def list_documents(request: CurrentRequest, session: SessionDep) -> DocumentList:
    """The request's documents and its budget."""
    limit = get_settings().max_request_bytes
    return DocumentList(
        items=[
            DocumentOut.model_validate(d)
            for d in service.list_documents(session, request_id=request.id)
        ],
        documents_bytes_used=request.documents_bytes_used,
        documents_bytes_remaining=max(0, limit - request.documents_bytes_used),
    )


@router.get(
    "/{document_id}",
    response_class=StreamingResponse,
    responses={
        **binary_response(
            "application/pdf",
            "image/jpeg",
            "image/png",
            description="The file as stored, in the type its content was recognised as",
            headers=("Content-Disposition",),
        ),
        **problem_responses(503),
    },
)
def download_document(
    request: CurrentRequest, session: SessionDep, document_id: DocumentId, account: CurrentAccount
) -> StreamingResponse:
    """The file's bytes, as an attachment, streamed from the store. A reviewer opening a
    document is recorded."""
    document = service.open_document(
        session, account=account, request_id=request.id, document_id=document_id
    )
    return object_response(
        document.id,
        media_type=document.media_type,
        headers={
            "Content-Disposition": content_disposition(document.display_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.delete(
    "/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 409),
)
def delete_document(
    request: CurrentRequest, session: SessionDep, document_id: DocumentId, account: Representative
) -> None:
    """Remove a document and free its bytes."""
    document = service.get_document(session, request_id=request.id, document_id=document_id)
    service.delete_document(session, request=request, document=document, actor_id=account.id)
