"""How much does containing a parser in a child process cost per upload?

Compares, on a 1 MiB text PDF (20 pages, padded as by embedded fonts) and a ~3 MB photo-like
12-megapixel JPEG:

- in-process: ``inspect_bytes`` in the server process (no containment: the baseline);
- per file, forked by a warm helper: what ``inspect_file`` does;
- a reusable worker: one warm pool process inspecting every file itself (no fork per file);
- per file, stdlib ``multiprocessing`` with "forkserver" or "fork";
- per file, a fresh interpreter.

This script imports FastAPI and SQLAlchemy at the top, as the server's main module does: on
Python 3.11 "forkserver" (and "spawn") children re-run the main module, whatever the preload.

Run: ``.venv/bin/python bench/bench_inspection.py [rounds]``; prints medians and ratios.
"""

import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import fastapi  # noqa: F401  (weight of a server's main module)
import sqlalchemy.orm  # noqa: F401
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.documents import inspection, sandbox
from tests.builders import make_pdf, pad_pdf_to


def _offer_pdf() -> bytes:
    lines = [f"Line {n}: duties, wages and conditions of the offered position." for n in range(40)]
    return pad_pdf_to(make_pdf(lines, pages=20), 1024 * 1024)


def _photo_jpeg() -> bytes:
    """12 MP with noise: compresses like a phone photo (about 3 MB at quality 85)."""
    size = (4000, 3000)
    noise = Image.effect_noise(size, 22)
    gradient = Image.linear_gradient("L").resize(size)
    picture = Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5)))
    path = Path(tempfile.mkdtemp()) / "photo.jpg"
    picture.save(path, "JPEG", quality=85)
    return path.read_bytes()


def inspect_path(path: str) -> str:
    """What a reusable worker runs per file: read, inspect, return the type."""
    return inspection.inspect_bytes(Path(path).read_bytes()).media_type.value


def _send_inspection(sender: Connection, path: str) -> None:
    sender.send_bytes(inspect_path(path).encode())


def _in_pool(pool: ProcessPoolExecutor, path: Path) -> str:
    return pool.submit(inspect_path, str(path)).result()


def _median_ms(action: Callable[[], Any], rounds: int) -> float:
    action()  # warm: starts helpers and pools, fills caches
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _multiprocessing_per_file(path: Path, method: str) -> Callable[[], Any]:
    context: Any = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([inspection.__name__])

    def run() -> bytes:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_send_inspection, args=(sender, str(path)))
        child.start()
        sender.close()
        reply: bytes = receiver.recv_bytes()
        child.join()
        return reply

    return run


def _fresh_interpreter(path: Path) -> Callable[[], Any]:
    def run() -> bytes:
        helper = sandbox._Helper()
        job = {
            "path": str(path),
            "media_type": inspection.detect_media_type(path.read_bytes()[:8]).value,
            "memory_limit_bytes": 512 * inspection.MIB,
            "cpu_seconds": 10,
            "timeout_s": 10,
        }
        try:
            return helper.ask(job, 15)
        finally:
            helper.kill()

    return run


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    workdir = Path(tempfile.mkdtemp())
    files = {"1 MiB PDF": _offer_pdf(), "3 MB JPEG": _photo_jpeg()}
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))
    print(f"{'file':<11}{'variant':<42}{'median ms':>10}{'x in-proc':>10}")
    for label, data in files.items():
        path = workdir / label.replace(" ", "_")
        path.write_bytes(data)
        variants: dict[str, Callable[[], Any]] = {
            "in-process": partial(inspection.inspect_bytes, data),
            "per file, forked by warm helper (chosen)": partial(
                sandbox.inspect_file, path, declared_content_type=None, declared_name=None
            ),
            "reusable worker (no fork per file)": partial(_in_pool, pool, path),
            "per file, multiprocessing forkserver": _multiprocessing_per_file(path, "forkserver"),
            "per file, multiprocessing fork (unsafe)": _multiprocessing_per_file(path, "fork"),
            "per file, fresh interpreter": _fresh_interpreter(path),
        }
        baseline = None
        for name, action in variants.items():
            ms = _median_ms(action, rounds)
            baseline = baseline or ms
            print(f"{label:<11}{name:<42}{ms:>10.1f}{ms / baseline:>10.2f}")
    pool.shutdown()
    sandbox.shutdown()


if __name__ == "__main__":
    main()
