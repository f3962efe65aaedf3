"""A letter's PDF in the object store, under the letter's id (like a document's file)."""

from sqlalchemy.orm import Session
from starlette.responses import StreamingResponse

from app.db import on_rollback
from app.storage import get_store, store_faults
from app.storage.responses import object_response


def persist_pdf(session: Session, *, letter_id: str, pdf: bytes) -> None:
    """The one place a letter's bytes are written: stored before the letter's row is committed
    (a row exists only for a stored object), removed again if the transaction rolls back."""
    store = get_store()
    with store_faults():
        store.put(letter_id, pdf)
    on_rollback(session, lambda: store.delete(letter_id))


def pdf_response(letter_id: str, *, headers: dict[str, str]) -> StreamingResponse:
    return object_response(letter_id, media_type="application/pdf", headers=headers)
