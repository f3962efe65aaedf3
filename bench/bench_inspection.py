"""How much does containing a parser in a child process cost per upload?

Compares, on a 1 MiB text PDF (20 pages, padded like one with embedded fonts) and a ~3 MB
photo-like 12-megapixel JPEG:

- in-process: ``inspect_bytes`` in the server process (no containment, the baseline);
- a reusable pool: one warm forkserver worker of ``ProcessPoolExecutor``, data by path;
- a process per file from the fork server (what ``inspect_file`` does);
- a process per file with "spawn" (a fresh interpreter importing pypdf and Pillow);
- a process per file with "fork" (for reference: unsafe in a threaded server).

Run: ``.venv/bin/python bench/bench_inspection.py [rounds]``; prints medians and ratios.
"""

import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from unittest import mock

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.documents import inspection
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


def pool_task(path: str) -> str:
    """What a pool worker would run: read the file, inspect it, return the type."""
    return inspection.inspect_bytes(Path(path).read_bytes()).media_type.value


def _median_ms(action: Callable[[], Any], rounds: int) -> float:
    action()  # warm: starts servers and pools, fills caches
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _per_file(path: Path, method: str) -> Callable[[], Any]:
    def run() -> Any:
        with mock.patch.object(inspection, "_context", lambda: context):
            return inspection.inspect_file(path, declared_content_type=None, declared_name=None)

    context = multiprocessing.get_context(method)
    return run


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    workdir = Path(tempfile.mkdtemp())
    files = {"1 MiB PDF": _offer_pdf(), "3 MB JPEG": _photo_jpeg()}
    inspection.warm_up()
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))
    print(f"{'file':<12}{'variant':<30}{'median ms':>10}{'x in-proc':>11}")
    for label, data in files.items():
        path = workdir / label.replace(" ", "_")
        path.write_bytes(data)
        variants: dict[str, Callable[[], Any]] = {
            "in-process": lambda data=data: inspection.inspect_bytes(data),
            "pool (1 warm worker)": lambda path=path: pool.submit(pool_task, str(path)).result(),
            "per file, forkserver (chosen)": lambda path=path: inspection.inspect_file(
                path, declared_content_type=None, declared_name=None
            ),
            "per file, spawn": _per_file(path, "spawn"),
            "per file, fork (unsafe)": _per_file(path, "fork"),
        }
        baseline = None
        for name, action in variants.items():
            ms = _median_ms(action, rounds)
            baseline = baseline or ms
            print(f"{label:<12}{name:<30}{ms:>10.1f}{ms / baseline:>11.2f}")
    pool.shutdown()


if __name__ == "__main__":
    main()
