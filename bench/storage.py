"""Uploads on the S3 backend against the file backend: 4 MiB PDFs from 8 concurrent clients.

Two `imwu serve` servers (bench/server.py), each on its own PostgreSQL database, one storing in a
folder (`file://`), the other in moto's S3 server on loopback (`s3://`, the same boto3 code as
production; moto is a Python process, so its share of the 2 cores is part of the S3 figure). The
same uploads go to each in turn; the figure is S3 uploads/s as a ratio to file uploads/s, with
each side's latency and the machine's CPU per upload. A 4 MiB file is under one S3 part
(IMWU_S3_PART_BYTES, 8 MiB), so it is one PutObject streamed from the spool while inspection runs.
"""

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import harness
from bench.load import Clients, keep_bodies, upload_clients
from bench.upload import CONCURRENCY, DISTINCT_FILES, UPLOAD_BYTES, create_drafts, offer_pdfs

BUCKET = "imwu-bench"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}


@contextlib.contextmanager
def moto_s3(work: Path) -> Iterator[str]:
    """moto's S3 server on loopback, with the bench's bucket; yields its endpoint."""
    port = harness.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with (work / "moto.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        import boto3

        client = boto3.session.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
        ).client("s3", endpoint_url=endpoint)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(20)


def _measure(server: harness.Server, uploads: int) -> dict[str, Any]:
    made = harness.run_tool(
        "bench.accounts", ["representative", "1", "Bench Employer"], env=server.env, timeout=120
    )
    token = made[0]["token"]
    drafts = create_drafts(server.port, token, CONCURRENCY + uploads)
    paths = [f"/api/v1/requests/{i}/documents" for i in drafts]
    with Clients() as clients:
        clients.run(keep_bodies, offer_pdfs())
        warm = [(path, n % DISTINCT_FILES) for n, path in enumerate(paths[:CONCURRENCY])]
        clients.run(upload_clients, server.port, token, warm, CONCURRENCY)
        jobs = [(path, n % DISTINCT_FILES) for n, path in enumerate(paths[CONCURRENCY:])]
        busy = harness.machine_busy_seconds()
        done = clients.run(upload_clients, server.port, token, jobs, CONCURRENCY)
        busy = harness.machine_busy_seconds() - busy
    ok = len(done["latencies"])
    if ok != uploads:
        raise RuntimeError(f"{ok} of {uploads} uploads succeeded: {done['refusals']}")
    return {
        "uploads": ok,
        "wall_s": done["wall"],
        "uploads_per_s": ok / done["wall"],
        "mib_per_s": ok * UPLOAD_BYTES / harness.MIB / done["wall"],
        "latency_ms": harness.summary_ms(done["latencies"]),
        "machine_cpu_ms_per_upload": busy * 1000 / ok,
    }


def run(work: Path, *, uploads: int) -> dict[str, Any]:
    results: dict[str, Any] = {"concurrency": CONCURRENCY, "file_bytes": UPLOAD_BYTES}
    with moto_s3(work) as endpoint:
        for backend in ("file", "s3"):
            folder = work / backend
            folder.mkdir(parents=True, exist_ok=True)
            with harness.pg_database(f"storage_{backend}") as url:
                server = harness.Server(url, folder)
                server.env["IMWU_STORAGE_URL"] = (folder / "storage").resolve().as_uri()
                if backend == "s3":
                    server.env.update(
                        CREDENTIALS,
                        IMWU_STORAGE_URL=f"s3://{BUCKET}/{os.getpid()}",
                        IMWU_S3_ENDPOINT_URL=endpoint,
                        IMWU_S3_REGION="us-east-1",
                    )
                with server:
                    results[backend] = _measure(server, uploads)
    results["ratio"] = results["s3"]["uploads_per_s"] / results["file"]["uploads_per_s"]
    return results


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "target": "upload throughput on S3 (moto, loopback) as a ratio to the file store",
            "measured": f"{result['ratio']:.2f} ({result['s3']['mib_per_s']:.1f} against "
            f"{result['file']['mib_per_s']:.1f} MiB/s)",
            "met": None,
        }
    ]


def render(result: dict[str, Any]) -> list[str]:
    header = "| backend | uploads | uploads/s | MiB/s | p50 / p95 ms | machine CPU ms/upload |"
    lines = [header, "|" + "|".join(" --- " for _ in range(6)) + "|"]
    for backend in ("file", "s3"):
        r = result[backend]
        lines.append(
            f"| {backend} | {r['uploads']} in {r['wall_s']:.2f} s | {r['uploads_per_s']:.1f} "
            f"| {r['mib_per_s']:.1f} | {r['latency_ms']['p50']:.0f} / "
            f"{r['latency_ms']['p95']:.0f} | {r['machine_cpu_ms_per_upload']:.0f} |"
        )
    lines += ["", f"S3 / file: **{result['ratio']:.2f}**."]
    return lines
