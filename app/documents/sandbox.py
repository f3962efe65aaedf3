"""Inspection with hostile files contained: warm helper processes fork one confined child per file.

The server never parses an upload itself. :func:`inspect_file` hands the file to a helper (a fresh
interpreter that has imported pypdf and Pillow once); the helper forks a child with address-space
and CPU limits (``resource``) that runs :mod:`app.documents.inspection` on it and answers in JSON.
A decompression bomb or a pathological PDF ends that child and costs one 422, never the server.
Why this design and not a pool or ``forkserver``: see the docstring of
:mod:`app.documents.inspection` and ``bench/bench_inspection.py``.

Linux only (``resource``, ``os.fork``), like the service.
"""

import atexit
import gc
import io
import json
import logging
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import pypdf
from PIL import Image

from app.documents.inspection import (
    _HEAD_BYTES,
    MAX_TEXT_CHARS,
    MIB,
    DocumentUnreadable,
    Inspection,
    InspectionError,
    MediaType,
    Reason,
    UnsupportedMediaType,
    _inspect_content,
    _parser_limits,
    check_claim,
    detect_media_type,
)


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
