"""What an uploaded file really is, decided from its bytes alone, with hostile files contained.

Accepted: PDF (``%PDF-`` at byte 0, not encrypted, 1 to 2,000 pages), JPEG and PNG (at most 40
megapixels, fully decoded). The client's content type and file name are only claims: they never
choose the parser, and a claim that disagrees with the content is refused.

Parsers are where hostile uploads attack, so the server inspects in a child process with address
space and CPU limits (:func:`inspect_file`): a decompression bomb or a pathological PDF ends that
child and costs one 422, never the server. BENCHMARK_CONCLUSION

Linux only (``resource``, ``forkserver``), like the service.
"""

import contextlib
import gc
import io
import json
import logging
import multiprocessing
import multiprocessing.forkserver
import resource
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pypdf
from PIL import Image
from pypdf.errors import LimitReachedError

MAX_PIXELS = 40_000_000
"""40 MP covers a 48 MP phone photo's 12 MP default output and any scan at 600 dpi of a Letter
page (33.7 MP); a full decode takes at most about 160 MB (RGBA)."""
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
    the warnings filter this sets is process-wide (not thread-safe before Python 3.14).
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
    the catch is broad; the chain is dropped so that no parser message, which may quote the file,
    reaches a log.
    """
    try:
        if media_type is MediaType.PDF:
            return _inspect_pdf(data)
        return _inspect_image(data, media_type)
    except InspectionError:
        raise
    except MemoryError:
        raise DocumentUnreadable(Reason.RESOURCE_LIMIT) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise DocumentUnreadable(Reason.PIXEL_LIMIT) from None
    except LimitReachedError:
        raise DocumentUnreadable(Reason.LIMIT_EXCEEDED) from None
    except Exception:
        reason = Reason.CORRUPT if _has_end_marker(data, media_type) else Reason.TRUNCATED
        raise DocumentUnreadable(reason) from None


def _has_end_marker(data: bytes, media_type: MediaType) -> bool:
    """Whether the file still ends the way its format ends: a cut-off upload does not."""
    if media_type is MediaType.PDF:
        return b"%%EOF" in data[-1024:]
    if media_type is MediaType.PNG:
        return b"IEND" in data[-64:]
    # 0xFF 0xD9 cannot occur inside entropy-coded JPEG data (0xFF bytes there are stuffed).
    return b"\xff\xd9" in data[-64:]


def _inspect_pdf(data: bytes) -> Inspection:
    """Open strictly, refuse encryption (even with an empty user password), count pages."""
    if not _has_end_marker(data, MediaType.PDF):
        raise DocumentUnreadable(Reason.TRUNCATED)
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    if reader.is_encrypted:
        # Checked before anything reads the page tree: the intake issue refuses encrypted files,
        # and an empty user password means pypdf has already decrypted it silently.
        raise DocumentUnreadable(Reason.ENCRYPTED_PDF)
    try:
        pages = len(reader.pages)
    except LimitReachedError:
        raise DocumentUnreadable(Reason.TOO_MANY_PAGES) from None
    if pages == 0:
        raise DocumentUnreadable(Reason.NO_PAGES)
    if pages > MAX_PAGES:
        raise DocumentUnreadable(Reason.TOO_MANY_PAGES)
    return Inspection(
        media_type=MediaType.PDF, pages=pages, width=None, height=None, text=_first_text(reader)
    )


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


def warm_up() -> None:
    """Start the fork server now (a fraction of a second) rather than on the first upload.

    Call it from the application's startup, before request threads exist: the fork server is
    then a clean, single-threaded copy holding pypdf and Pillow, and no child ever inherits the
    server's sockets, database connections or locks.
    """
    _context()
    multiprocessing.forkserver.ensure_running()


def inspect_file(
    path: Path,
    *,
    declared_content_type: str | None,
    declared_name: str | None,
    timeout_s: float = 10,
    memory_limit_bytes: int = 512 * MIB,
    cpu_seconds: int = 10,
) -> Inspection:
    """Inspect the file at `path` in a child process limited in memory, CPU time and wall time.

    The signature and the claims are checked here first (8 bytes, no child for a ZIP or an EXE).
    A child that runs out of memory or CPU, dies or overruns `timeout_s` is killed and the file
    refused as DocumentUnreadable (`resource_limit` or `timeout`).
    """
    with path.open("rb") as file:
        detected = detect_media_type(file.read(_HEAD_BYTES))
    check_claim(detected, declared_content_type=declared_content_type, declared_name=declared_name)
    limits = (memory_limit_bytes, cpu_seconds)
    return _decode_reply(_run_child(str(path), detected, limits, timeout_s))


_MAX_REPLY_BYTES = 16 * MAX_TEXT_CHARS + 4096
"""JSON escapes a control character in six bytes; anything longer is not a reply of ours."""


@cache
def _context() -> Any:
    """Children come from a fork server, not from the threaded server process itself.

    Forking a process that runs request threads can copy a lock another thread holds (logging,
    malloc, SQLite) and deadlock the child; "spawn" is safe too but re-imports Python, pypdf and
    Pillow for every file.
    """
    context = multiprocessing.get_context("forkserver")
    # "__main__" first: the fork server imports the program's main module once, so children do
    # not each re-run it (multiprocessing does that for a console-script main such as uvicorn's).
    context.set_forkserver_preload(["__main__", __name__])
    return context


def _run_child(
    path: str, media_type: MediaType, limits: tuple[int, int], timeout_s: float
) -> bytes:
    """Run :func:`_child_main` on `path` and return its raw reply."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main, args=(sender, path, media_type.value, limits), daemon=True
    )
    child.start()
    sender.close()  # the child holds the only write end, so its death reads as EOF here
    try:
        if not receiver.poll(timeout_s):
            child.kill()
            raise DocumentUnreadable(Reason.TIMEOUT)
        try:
            return bytes(receiver.recv_bytes(_MAX_REPLY_BYTES))
        except (EOFError, OSError):
            raise DocumentUnreadable(Reason.RESOURCE_LIMIT) from None
    finally:
        receiver.close()
        child.join(1)
        if child.exitcode is None:
            child.kill()
            child.join()


def _child_main(sender: Connection, path: str, media_type: str, limits: tuple[int, int]) -> None:
    """Confine this process, inspect the file and send the result as JSON (never a pickle).

    JSON keeps a child whose parser was subverted from handing the server a pickle to execute.
    """
    gc.freeze()
    _confine(*limits)
    logging.disable(logging.CRITICAL)  # parser warnings may quote the file
    reply: dict[str, Any]
    try:
        data = Path(path).read_bytes()
        with _parser_limits():
            reply = {"inspection": asdict(_inspect_content(data, MediaType(media_type)))}
    except InspectionError as error:
        reply = {"refused": type(error).__name__, "reason": error.reason.value}
    except OSError:
        reply = {"io_error": True}
    sender.send_bytes(json.dumps(reply).encode())
    sender.close()


def _confine(memory_limit_bytes: int, cpu_seconds: int) -> None:
    """Cap address space and CPU time (SIGXCPU, then SIGKILL a second later); no core dumps,
    which would write the file's decoded content to disk."""
    for limit, value in (
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_AS, memory_limit_bytes),
        (resource.RLIMIT_CPU, cpu_seconds),
    ):
        _, hard = resource.getrlimit(limit)
        soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
        new_hard = hard if limit != resource.RLIMIT_CPU else soft + 1
        if hard != resource.RLIM_INFINITY:
            new_hard = min(new_hard, hard)
        resource.setrlimit(limit, (soft, new_hard))


_REFUSALS: dict[str, type[InspectionError]] = {
    "UnsupportedMediaType": UnsupportedMediaType,
    "DocumentUnreadable": DocumentUnreadable,
}


def _decode_reply(payload: bytes) -> Inspection:
    """Rebuild the child's verdict, checking every field's type."""
    reply = json.loads(payload)
    if "refused" in reply:
        raise _REFUSALS[reply["refused"]](Reason(reply["reason"]))
    if "io_error" in reply:
        raise OSError("the upload could not be read for inspection")
    fields = reply["inspection"]
    text = fields["text"]
    if text is not None and not isinstance(text, str):
        raise TypeError("malformed inspection reply")
    return Inspection(
        media_type=MediaType(fields["media_type"]),
        pages=_int_or_none(fields["pages"]),
        width=_int_or_none(fields["width"]),
        height=_int_or_none(fields["height"]),
        text=text,
    )


def _int_or_none(value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError("malformed inspection reply")
