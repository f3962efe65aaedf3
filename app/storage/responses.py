"""Downloads streamed from the store, chunk by chunk, with the object's length."""

from collections.abc import Mapping

from starlette.responses import StreamingResponse

from app.storage import get_store, store_faults


def object_response(key: str, *, media_type: str, headers: Mapping[str, str]) -> StreamingResponse:
    """Opened before the response starts, so an unreachable store is a 503 problem rather than
    a cut-off body; the bytes are then read as they are sent (never the whole file in memory)."""
    with store_faults():
        download = get_store().open(key)
    return StreamingResponse(
        download.chunks,
        media_type=media_type,
        headers={**headers, "Content-Length": str(download.size)},
    )
