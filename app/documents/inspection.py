"""What an uploaded file really is, decided from its bytes alone, with hostile files contained.

Accepted: PDF (``%PDF-`` at byte 0, not encrypted, 1 to 2,000 pages, no scripts or launch
actions), JPEG and PNG (at most 40 megapixels, fully decoded). The client's content type and file
name are only claims: they never choose the parser, and a claim that disagrees with the content is
refused.

Parsers are where hostile uploads attack, so the server inspects in a child process with address
space and CPU limits (:func:`inspect_file`): a decompression bomb or a pathological PDF ends that
child and costs one 422, never the server. Measured by ``bench/bench_inspection.py``, a process
per file forked from a warm helper costs 1.6x in-process on a 1 MiB PDF (19 ms against 12) and
1.1x on a 3 MB JPEG (78 ms against 73), about 6 ms more than a reusable worker: worth it, as every
file gets a fresh child and a parser subverted by one upload never sees the next. The stdlib
``multiprocessing`` "forkserver" was refused: on Python 3.11 each child re-runs the server's main
module (about 400 ms per file with FastAPI and SQLAlchemy); "fork" from the threaded server can
copy a held lock into the child.

Linux only (``resource``, ``os.fork``), like the service.
"""

import atexit
import contextlib
import gc
import io
import json
import logging
import os
import re
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

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
    job = {
        "path": str(path.resolve()),
        "media_type": detected.value,
        "memory_limit_bytes": memory_limit_bytes,
        "cpu_seconds": cpu_seconds,
        "timeout_s": timeout_s,
    }
    return _decode_reply(_HELPERS.run(job, timeout_s + _HELPER_GRACE_S))


# --- The sandbox: warm helper processes that fork one confined child per file -----------------

_HELPER_GRACE_S = 5.0
"""How much longer than its own child's timeout a helper may take to answer before it is killed."""
_MAX_REPLY_BYTES = 12 * MAX_TEXT_CHARS + 4096
"""A reply holds at most MAX_TEXT_CHARS of text, JSON-escaped in up to 12 bytes per character
(a surrogate pair); anything longer is not a reply of ours."""
_MAX_HELPERS = max(2, os.cpu_count() or 1)
"""Idle helpers hold about 60 MB each; more concurrent uploads than this wait for one."""


def warm_up() -> None:
    """Start a helper now (about 0.15 s) rather than on the first upload; for app startup."""
    _HELPERS.warm_up()


def shutdown() -> None:
    """Stop the idle helpers; also run at exit (they would stop anyway when stdin closes)."""
    _HELPERS.close_idle()


class _HelperPool:
    """Up to `size` helpers, each serving one upload at a time; a broken helper is replaced.

    A helper is a fresh interpreter (``subprocess``, so no fork of this threaded server) that
    imports pypdf and Pillow once and then forks a confined child per file. A fork from a small,
    single-threaded, warm process costs a few milliseconds, and every file gets a clean child, so
    a parser exploited by one upload never sees the next one.
    """

    def __init__(self, size: int) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Helper] = []
        self._lock = threading.Lock()

    def run(self, job: dict[str, Any], timeout_s: float) -> bytes:
        with self._slots:
            helper = self._take()
            try:
                reply = helper.ask(job, timeout_s)
            except BaseException:
                helper.kill()
                raise
            with self._lock:
                self._idle.append(helper)
            return reply

    def warm_up(self) -> None:
        with self._slots:
            helper = self._take()
            with self._lock:
                self._idle.append(helper)

    def close_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for helper in idle:
            helper.kill()

    def _take(self) -> "_Helper":
        with self._lock:
            while self._idle:
                helper = self._idle.pop()
                if helper.alive():
                    return helper
                helper.kill()
        return _Helper()


class _Helper:
    """One helper process, spoken to in JSON lines over its stdin and stdout."""

    def __init__(self) -> None:
        bootstrap = (
            "import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
            f"from {__name__} import _helper_main; _helper_main()"
        )
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-c", bootstrap, json.dumps(sys.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C meant for the server does not reach it mid-job
        )
        if self._read_line(60) != b"ready\n":
            self.kill()
            raise RuntimeError("the document inspection helper did not start")

    def alive(self) -> bool:
        return self._process.poll() is None

    def ask(self, job: dict[str, Any], timeout_s: float) -> bytes:
        """Send one job and wait for its one-line reply; a silent helper is a timed-out file."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(job).encode() + b"\n")
        self._process.stdin.flush()
        line = self._read_line(timeout_s)
        if line is None:
            raise DocumentUnreadable(Reason.TIMEOUT)
        return line

    def _read_line(self, timeout_s: float) -> bytes | None:
        """Read up to a newline; None on timeout. A dead helper or an overlong line is an error."""
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        line = bytearray()
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 65_536)
            if not chunk or len(line) + len(chunk) > _MAX_REPLY_BYTES:
                raise RuntimeError("the document inspection helper stopped answering")
            line += chunk
        return bytes(line)

    def kill(self) -> None:
        self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()


_HELPERS = _HelperPool(_MAX_HELPERS)  # starts no process until the first upload
atexit.register(shutdown)


def _helper_main() -> None:
    """Serve jobs from stdin until it closes (when the server exits): fork, confine, inspect."""
    logging.disable(logging.CRITICAL)  # parser warnings may quote the file
    _inspect_samples()
    gc.freeze()  # children then leave the inherited heap's pages shared instead of copying them
    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        job = json.loads(line)
        out.write(_fork_and_inspect(job) + b"\n")
        out.flush()


def _inspect_samples() -> None:
    """Run each parser once on a tiny sample, so that children inherit warm caches and imports."""
    for image_format in ("JPEG", "PNG"):
        sample = io.BytesIO()
        Image.new("RGB", (8, 8)).save(sample, image_format)
        with _parser_limits():
            _inspect_content(sample.getvalue(), detect_media_type(sample.getvalue()))
    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    pdf = io.BytesIO()
    writer.write(pdf)
    with _parser_limits():
        _inspect_content(pdf.getvalue(), MediaType.PDF)


def _fork_and_inspect(job: dict[str, Any]) -> bytes:
    """Inspect one file in a forked child; the reply is one JSON line whatever the child did."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child_main(write_end, job)  # never returns
    os.close(write_end)
    try:
        raw = _read_until_eof(read_end, job["timeout_s"])
    finally:
        os.close(read_end)
    if raw is None:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return json.dumps(_reply_from(raw)).encode()


def _reply_from(raw: bytes | None) -> Any:
    """The child's verdict; no reply in time is a timeout, none at all or a partial one means a
    limit killed it (SIGXCPU, SIGKILL, or an allocation failing outside Python)."""
    if raw is None:
        return {"refused": "DocumentUnreadable", "reason": Reason.TIMEOUT.value}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return {"refused": "DocumentUnreadable", "reason": Reason.RESOURCE_LIMIT.value}


def _read_until_eof(fd: int, timeout_s: float) -> bytes | None:
    """All the child writes; None if it is not done by the deadline, b"" if it writes too much."""
    deadline = time.monotonic() + timeout_s
    data = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 65_536)
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > _MAX_REPLY_BYTES:
            return b""


def _child_main(write_end: int, job: dict[str, Any]) -> NoReturn:
    """Confine this process, inspect the file and write the verdict as JSON; always _exit.

    JSON, not pickle: a child whose parser was subverted cannot hand the server code to run.
    """
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for std_fd in (0, 1, 2):  # the helper's stdout is the protocol; nothing else writes there
            os.dup2(devnull, std_fd)
        _confine(job["memory_limit_bytes"], job["cpu_seconds"])
        payload = json.dumps(_verdict(job["path"], MediaType(job["media_type"]))).encode()
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)
        code = 0
    finally:
        os._exit(code)


def _verdict(path: str, media_type: MediaType) -> dict[str, Any]:
    """The child's reply: the inspection's fields or the refusal's class and reason."""
    try:
        data = Path(path).read_bytes()
        with _parser_limits():
            return {"inspection": asdict(_inspect_content(data, media_type))}
    except InspectionError as error:
        return {"refused": type(error).__name__, "reason": error.reason.value}
    except OSError:
        return {"io_error": True}


def _confine(memory_limit_bytes: int, cpu_seconds: int) -> None:
    """Cap address space and CPU time (SIGXCPU, then SIGKILL a second later); no core dumps,
    which would write the file's decoded content to disk."""
    for limit, value, hard_value in (
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_AS, memory_limit_bytes, memory_limit_bytes),
        (resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1),
    ):
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value, hard_value = min(value, hard), min(hard_value, hard)
        resource.setrlimit(limit, (value, hard_value))


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
