"""What an uploaded file really is, decided from its bytes alone, with hostile files contained.

Accepted: PDF (``%PDF-`` at byte 0, not encrypted, 1 to 2,000 pages, no scripts or launch
actions), JPEG and PNG (at most 40 megapixels, fully decoded). The client's content type and file
name are only claims: they never choose the parser, and a claim that disagrees with the content is
refused.

Parsers are where hostile uploads attack, so the server inspects in a child process with
address space and CPU limits (:func:`app.documents.sandbox.inspect_file`): a decompression
bomb or a pathological PDF ends that child and costs one 422, never the server. Measured by
``bench/bench_inspection.py``, a process per file forked from a warm helper costs 1.6x
in-process on a 1 MiB PDF (19 ms against 12) and 1.1x on a 3 MB JPEG (78 ms against 73), about
6 ms more than a reusable worker: worth it, as every file gets a fresh child and a parser
subverted by one upload never sees the next. The stdlib ``multiprocessing`` "forkserver" was
refused: on Python 3.11 each child re-runs the server's main module (about 400 ms per file with
FastAPI and SQLAlchemy); "fork" from the threaded server can copy a held lock into the child.

Linux only (``resource``, ``os.fork``), like the service.
"""

import contextlib
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pypdf
from PIL import Image
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

MAX_PIXELS = 40_000_000
"""Above phones' default 12 and 24 MP and a 600 dpi scan of a Letter page (33.7 MP); a full
decode then takes at most 160 MB (RGBA). Full-resolution 48 MP photos are refused."""
MAX_PAGES = 2_000
TEXT_PAGES = 5
"""Triage reads a job offer's city, province and NOC code, which sit on its first pages."""
MAX_TEXT_CHARS = 200_000
MIB = 1024 * 1024

_PDF_CONFIGURATION = pypdf.Configuration(
    # pypdf 7 reads its limits from a Configuration (its module constants are deprecated).
    # Its defaults (75 MB per stream, 300 MB of decoding work) let a nested FlateDecode stream
    # inflate to about 180 MB; content streams of real offers and forms are well under 1 MB.
    zlib_maximum_output_length=16 * MIB,
    lzw_maximum_output_length=16 * MIB,
    run_length_maximum_output_length=16 * MIB,
    brotli_maximum_output_length=16 * MIB,
    jbig2_maximum_output_length=16 * MIB,
    array_based_stream_maximum_output_length=16 * MIB,
    image_maximum_buffer_size=16 * MIB,
    stream_decoding_work_maximum_length=48 * MIB,
    xfa_decoding_work_maximum_length=16 * MIB,
    # A declared /Length counts compressed bytes; uploads are far smaller than this.
    maximum_declared_stream_length=64 * MIB,
    # Intermediate /Pages nodes count as entries too; a flat tree of MAX_PAGES is well inside.
    page_tree_maximum_entries=4 * MAX_PAGES,
    jbig2dec_binary=None,  # never run an external decoder on an upload
)

_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
_HEAD_BYTES = 8
_CLAIMED_BY_CONTENT_TYPE = {
    "application/pdf": "application/pdf",
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/png": "image/png",
}
_CLAIMED_BY_EXTENSION = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


class MediaType(StrEnum):
    """The three types the service accepts, as the content types it serves them with."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"


class Reason(StrEnum):
    """Stable codes for why a file was refused; safe for logs and error bodies (never content)."""

    NOT_PDF_JPEG_PNG = "not_pdf_jpeg_png"
    TYPE_MISMATCH = "type_mismatch"
    EMPTY = "empty"
    TRUNCATED = "truncated"
    CORRUPT = "corrupt"
    ENCRYPTED_PDF = "encrypted_pdf"
    NO_PAGES = "no_pages"
    TOO_MANY_PAGES = "too_many_pages"
    PIXEL_LIMIT = "pixel_limit"
    LIMIT_EXCEEDED = "limit_exceeded"
    RESOURCE_LIMIT = "resource_limit"
    TIMEOUT = "timeout"
    ACTIVE_CONTENT = "active_content"


@dataclass(frozen=True)
class Inspection:
    """What inspection learned. `pages` and `text` are for PDFs, `width`/`height` for images.

    `text` is the first pages' extracted text (at most MAX_TEXT_CHARS); ``""`` for a scan without
    a text layer, ``None`` when extraction failed, which alone is not a reason to refuse a file.
    """

    media_type: MediaType
    pages: int | None
    width: int | None
    height: int | None
    text: str | None


class InspectionError(Exception):
    """A refused file. `reason` is a stable code; the message is the code and nothing else."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class UnsupportedMediaType(InspectionError):
    """The content is not a PDF, JPEG or PNG, or not the type the client claimed (HTTP 415)."""


class DocumentUnreadable(InspectionError):
    """The content is of an accepted type but unusable: damaged, encrypted or hostile (422)."""


def detect_media_type(head: bytes) -> MediaType:
    """The accepted type whose signature starts `head`, from the first bytes of a file.

    Only byte 0 counts: a PDF after an HTML page or inside a ZIP archive (which lenient parsers,
    pypdf's included, still find) is refused, as its first bytes decide how browsers treat it.
    """
    if not head:
        raise DocumentUnreadable(Reason.EMPTY)
    for signature, media_type in _MAGIC:
        if head.startswith(signature):
            return MediaType(media_type)
    raise UnsupportedMediaType(Reason.NOT_PDF_JPEG_PNG)


def check_claim(
    detected: MediaType, *, declared_content_type: str | None, declared_name: str | None
) -> None:
    """Refuse a file whose declared content type or file extension names another accepted type.

    Claims outside the three types (``application/octet-stream``, ``text/plain``, ``.bin``) say
    nothing and are ignored; browsers send them for many legitimate files.
    """
    claims = set()
    if declared_content_type:
        mime = declared_content_type.split(";", 1)[0].strip().lower()
        claims.add(_CLAIMED_BY_CONTENT_TYPE.get(mime))
    if declared_name:
        last = declared_name.replace("\\", "/").rsplit("/", 1)[-1].rstrip(" .").lower()
        extension = last[last.rfind(".") :] if "." in last else ""
        claims.add(_CLAIMED_BY_EXTENSION.get(extension))
    claims.discard(None)
    if claims - {detected.value}:
        raise UnsupportedMediaType(Reason.TYPE_MISMATCH)


def inspect_bytes(
    data: bytes, *, declared_content_type: str | None = None, declared_name: str | None = None
) -> Inspection:
    """Inspect `data` in this process: for tests, tools and code already inside a sandbox.

    The server calls :func:`inspect_file` instead: here a bomb costs this process's memory, and
    the warnings filter it sets is process-wide (``catch_warnings`` is not thread-safe).
    """
    detected = detect_media_type(data[:_HEAD_BYTES])
    check_claim(detected, declared_content_type=declared_content_type, declared_name=declared_name)
    with _parser_limits():
        return _inspect_content(data, detected)


@contextlib.contextmanager
def _parser_limits() -> Iterator[None]:
    """pypdf's lowered decompression limits, and Pillow's bomb warning raised as an error."""
    with warnings.catch_warnings(), pypdf.apply_configuration(_PDF_CONFIGURATION):
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _inspect_content(data: bytes, media_type: MediaType) -> Inspection:
    """Parse `data` as `media_type`; any parser failure becomes a DocumentUnreadable.

    Parsers raise almost anything on hostile input (KeyError, RecursionError, zlib.error...), so
    the catch is broad. The refusal is raised outside the ``except`` block, with no cause or
    context: a parser's message may quote the file, and error reporters print the whole chain.
    """
    try:
        if media_type is MediaType.PDF:
            return _inspect_pdf(data)
        return _inspect_image(data, media_type)
    except Exception as error:
        refusal = _refusal_for(error, data, media_type)
    raise refusal


def _refusal_for(error: Exception, data: bytes, media_type: MediaType) -> InspectionError:
    if isinstance(error, InspectionError):
        return type(error)(error.reason)  # a fresh instance: no chain
    if isinstance(error, MemoryError):
        return DocumentUnreadable(Reason.RESOURCE_LIMIT)
    if isinstance(error, Image.DecompressionBombWarning | Image.DecompressionBombError):
        return DocumentUnreadable(Reason.PIXEL_LIMIT)
    if isinstance(error, LimitReachedError):
        return DocumentUnreadable(Reason.LIMIT_EXCEEDED)
    return DocumentUnreadable(
        Reason.CORRUPT if _has_end_marker(data, media_type) else Reason.TRUNCATED
    )


def _has_end_marker(data: bytes, media_type: MediaType) -> bool:
    """Whether the file still ends the way its format ends: a cut-off upload does not."""
    if media_type is MediaType.PDF:
        return b"%%EOF" in data[-1024:]
    if media_type is MediaType.PNG:
        return b"IEND" in data[-64:]
    # 0xFF 0xD9 cannot occur inside entropy-coded JPEG data (0xFF bytes there are stuffed).
    return b"\xff\xd9" in data[-64:]


def _inspect_pdf(data: bytes) -> Inspection:
    """Open strictly, refuse encryption (even with an empty user password), count pages, refuse
    scripts and launch actions."""
    if not _has_end_marker(data, MediaType.PDF):
        raise DocumentUnreadable(Reason.TRUNCATED)
    if _xref_chain_is_circular(data):
        raise DocumentUnreadable(Reason.CORRUPT)
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    if reader.is_encrypted:
        # Checked before anything reads the page tree: the intake issue refuses encrypted files,
        # and an empty user password means pypdf has already decrypted it silently.
        raise DocumentUnreadable(Reason.ENCRYPTED_PDF)
    try:
        pages = len(reader.pages)
    except LimitReachedError:  # the page tree has more entries than MAX_PAGES allows
        pages = MAX_PAGES + 1
    if pages == 0:
        raise DocumentUnreadable(Reason.NO_PAGES)
    if pages > MAX_PAGES:
        raise DocumentUnreadable(Reason.TOO_MANY_PAGES)
    if _has_active_content(reader):
        raise DocumentUnreadable(Reason.ACTIVE_CONTENT)
    return Inspection(
        media_type=MediaType.PDF, pages=pages, width=None, height=None, text=_first_text(reader)
    )


_STARTXREF = re.compile(rb"startxref\s+(\d+)")
_PREV = re.compile(rb"/Prev\s+(\d+)")
_MAX_XREF_SECTIONS = 1_000


def _xref_chain_is_circular(data: bytes) -> bool:
    """Whether the chain of cross-reference sections (each /Prev naming the one before) loops,
    or is longer than any editor writes (_MAX_XREF_SECTIONS incremental saves).

    No writer produces a loop; it is made to hang parsers. pypdf notices it and quietly reads the
    sections it has, so the check is ours. Each section's /Prev is looked for only inside its own
    dictionary: the trailer after an xref table, or the dictionary before an xref stream's data.
    """
    found = list(_STARTXREF.finditer(data, max(0, len(data) - 1024)))
    if not found:
        return False
    offset = int(found[-1].group(1))
    seen: set[int] = set()
    while offset not in seen:
        if len(seen) >= _MAX_XREF_SECTIONS:
            return True
        seen.add(offset)
        if data[offset : offset + 64].lstrip().startswith(b"xref"):
            start = data.find(b"trailer", offset)
            end = data.find(b"startxref", start)
        else:
            start, end = offset, data.find(b"stream", offset)
        match = _PREV.search(data, start, end) if 0 <= start < end else None
        if match is None:
            return False
        offset = int(match.group(1))
    return True


_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch"})


def _has_active_content(reader: pypdf.PdfReader) -> bool:
    """Whether anything reachable from the catalog is a JavaScript or Launch action.

    Scripts and launch actions hide in many places (the open action, /Names, additional actions
    of the document, pages, form fields and annotations, /Next chains, outlines), so every
    dictionary reachable from the catalog is visited once, without recursion, rather than each
    place by name. The documents IMWU needs (letters, scans, offers) never need either.
    """
    stack: list[Any] = [reader.trailer.raw_get("/Root")]
    seen: set[tuple[int, int]] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            action = item.get("/S")
            if isinstance(action, IndirectObject):
                action = action.get_object()
            if "/JS" in item or (isinstance(action, str) and action in _ACTIVE_ACTIONS):
                return True
            stack.extend(value for key, value in item.items() if key != "/Parent")
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return False


def _first_text(reader: pypdf.PdfReader) -> str | None:
    """Text of the first TEXT_PAGES pages, or None if extraction fails.

    A decompression limit still refuses the file: that is a hostile stream, not a font pypdf
    cannot map.
    """
    parts: list[str] = []
    size = 0
    try:
        for page in reader.pages[:TEXT_PAGES]:
            parts.append(page.extract_text())
            size += len(parts[-1])
            if size >= MAX_TEXT_CHARS:
                break
    except (LimitReachedError, MemoryError):
        raise
    except Exception:
        return None
    return "\n".join(parts)[:MAX_TEXT_CHARS]


def _inspect_image(data: bytes, media_type: MediaType) -> Inspection:
    """Check the declared size against MAX_PIXELS before decoding, then decode every pixel.

    `formats` pins Pillow to the detected type: it would otherwise try each of its ~40 parsers.
    """
    pillow_format = "JPEG" if media_type is MediaType.JPEG else "PNG"
    with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise DocumentUnreadable(Reason.PIXEL_LIMIT)
        image.load()
    return Inspection(media_type=media_type, pages=None, width=width, height=height, text=None)
