from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile, status
from fastapi.responses import FileResponse

from app.auth.deps import CurrentAccount, Representative, require
from app.auth.models import Role
from app.common.openapi import binary_response
from app.config import get_settings
from app.db import SessionDep
from app.documents import service
from app.documents.filenames import content_disposition
from app.documents.models import Document, DocumentKind
from app.documents.schemas import DocumentList, DocumentOut
from app.intake.deps import CurrentRequest
from app.problems import FieldError, ValidationFailed, problem_responses

router = APIRouter(
    prefix="/api/v1/requests/{request_id}/documents",
    tags=["documents"],
    responses=problem_responses(401, 403, 404),
    dependencies=[Depends(require(Role.REPRESENTATIVE, Role.REVIEWER, Role.SUPERVISOR))],
)

DocumentId = Annotated[str, Path(max_length=36)]


async def _each_part_once(http_request: Request) -> None:
    """Refuse a form that repeats `kind` or `file`: FastAPI would silently keep the last one, so
    which file is stored, and as which kind, would hang on the order of the parts."""
    form = await http_request.form()  # already parsed for the route; Starlette caches it
    repeated = [name for name in ("kind", "file") if len(form.getlist(name)) > 1]
    if repeated:
        raise ValidationFailed(
            f"{len(repeated)} field(s) are invalid",
            errors=[
                FieldError(pointer=f"/{name}", message="sent more than once") for name in repeated
            ],
        )


@router.post(
    "",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 409, 413, 415, 422, 503, 507),
)
def upload_document(
    request: CurrentRequest,
    session: SessionDep,
    account: Representative,
    kind: Annotated[DocumentKind, Form()],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG; judged by content")],
    _once: Annotated[None, Depends(_each_part_once)],
) -> Document:
    """Attach a file. Refused with nothing stored if it does not fit the request's budget (413),
    is not a PDF, JPEG or PNG by content (415), or cannot be read safely (422)."""
    return service.add_document(
        session,
        account=account,
        request=request,
        kind=kind,
        source=file.file,
        filename=file.filename,
        content_type=file.content_type,
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
    response_class=FileResponse,
    responses=binary_response(
        "application/pdf",
        "image/jpeg",
        "image/png",
        description="The file as stored, in the type its content was recognised as",
        headers=("Content-Disposition", "ETag"),
    ),
)
def download_document(
    request: CurrentRequest, session: SessionDep, document_id: DocumentId, account: CurrentAccount
) -> FileResponse:
    """The file's bytes, as an attachment. A reviewer opening a document is recorded."""
    document = service.open_document(
        session, account=account, request_id=request.id, document_id=document_id
    )
    return FileResponse(
        service.file_store().path(document.id),
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
