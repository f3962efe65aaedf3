"""Uploads of 4 MiB PDFs from 8 concurrent clients: the service's endpoint against a bare one.

Both run on one `imwu serve` server (bench/server.py): `POST /api/v1/requests/{id}/documents`
(spool, inspection in a forked child of a helper process, budget reservation, storage, audit, on
the server's database) and `POST /bench/discard` (the same middleware and multipart parsing, then
nothing). Each upload goes to its own draft, created beforehand, whose 4 MiB budget it fills
exactly. Meanwhile the bench samples the RSS and PSS of the server and all its descendants every
few ms and GETs /healthz every 10 ms on a connection of its own.
"""

import json
import time
import warnings
from typing import Any

from bench.harness import (
    MIB,
    Http,
    Prober,
    Server,
    TreeSampler,
    machine_busy_seconds,
    multipart,
    summary_ms,
)
from bench.load import Clients, keep_bodies, upload_clients
from tests.builders import make_pdf, pad_pdf_to

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # fastapi.testclient's deprecation notice, irrelevant here
    from tests.intake.scenarios import t11_body

UPLOAD_BYTES = 4 * MIB
"""The whole per-request budget (IMWU_MAX_REQUEST_BYTES default): the largest accepted file."""
CONCURRENCY = 8
DISTINCT_FILES = 8
TARGET_THROUGHPUT = 0.60
TARGET_MIB_PER_UPLOAD = 24
TARGET_HEALTHZ_P99_MS = 50


def offer_pdfs() -> list[tuple[bytes, str]]:
    """Real two-page job offers padded to the budget, as multipart bodies with `kind`."""
    bodies = []
    for number in range(DISTINCT_FILES):
        lines = [
            f"Offer of employment no. {number}",
            "Position: CBP pre-clearance officer (NOC 43203)",
            "Work location: 1000 Airport Parkway Private, Ottawa, ON",
        ]
        pdf = pad_pdf_to(make_pdf(lines, pages=2), UPLOAD_BYTES)
        bodies.append(
            multipart({"kind": "job_offer"}, f"offer-{number}.pdf", pdf, "application/pdf")
        )
    return bodies


def create_drafts(port: int, token: str, count: int) -> list[str]:
    http = Http(port, token)
    ids = []
    for _ in range(count):
        status, answer, _ = http.post_json("/api/v1/requests", t11_body())
        if status != 201:
            raise RuntimeError(f"creating a draft answered {status}: {answer[:300]!r}")
        ids.append(json.loads(answer)["id"])
    http.close()
    return ids


def _phase(
    server: Server, clients: Clients, token: str, paths: list[str], label: str
) -> dict[str, Any]:
    sampler = TreeSampler(server.pid)
    idle = sampler.idle()
    jobs = [(path, n % DISTINCT_FILES) for n, path in enumerate(paths)]
    cpu_before, machine_before = sampler.cpu(), machine_busy_seconds()
    with sampler, Prober(server.port) as prober:
        done = clients.run(upload_clients, server.port, token, jobs, CONCURRENCY)
    machine_cpu = machine_busy_seconds() - machine_before
    cpu_after = sampler.cpu()
    server_cpu = cpu_after.get(server.pid, 0) - cpu_before.get(server.pid, 0)
    helpers_cpu = sum(
        spent - cpu_before.get(pid, 0) for pid, spent in cpu_after.items() if pid != server.pid
    )
    peak = sampler.peak()
    ok = len(done["latencies"])
    if ok != len(paths):
        raise RuntimeError(f"{label}: {ok} of {len(paths)} uploads succeeded: {done['refusals']}")
    healthz = prober.within(done["start"], done["end"])
    return {
        "uploads": ok,
        "wall_s": done["wall"],
        "uploads_per_s": ok / done["wall"],
        "mib_per_s": ok * UPLOAD_BYTES / MIB / done["wall"],
        "latency_ms": summary_ms(done["latencies"]),
        "cpu_ms_per_upload": {
            "server process": server_cpu * 1000 / ok,
            "inspection helpers and their children": helpers_cpu * 1000 / ok,
            "load generator (client)": done["client_cpu_s"] * 1000 / ok,
            "whole machine": machine_cpu * 1000 / ok,
        },
        "healthz_ms": summary_ms(healthz),
        "idle_rss_mib": idle.rss / MIB,
        "idle_pss_mib": idle.pss / MIB,
        "idle_processes": idle.processes,
        "peak_rss_mib": peak["rss"] / MIB,
        "peak_pss_mib": peak["pss"] / MIB,
        "peak_server_rss_mib": peak["root_rss"] / MIB,
        "idle_server_rss_mib": idle.root_rss / MIB,
        "peak_processes": peak["processes"],
        "rss_above_idle_per_upload_mib": (peak["rss"] - idle.rss) / MIB / CONCURRENCY,
        "pss_above_idle_per_upload_mib": (peak["pss"] - idle.pss) / MIB / CONCURRENCY,
        "server_rss_above_idle_per_upload_mib": (peak["root_rss"] - idle.root_rss)
        / MIB
        / CONCURRENCY,
        "samples": peak["samples"],
        "sample_interval_ms": peak["interval_ms_p50"],
    }


def run(server: Server, token: str, *, uploads: int) -> dict[str, Any]:
    """Warm both endpoints with one round of 8 concurrent uploads, then measure each in turn."""
    bodies = offer_pdfs()
    cold = TreeSampler(server.pid).idle()
    drafts = create_drafts(server.port, token, CONCURRENCY + uploads)
    real_paths = [f"/api/v1/requests/{i}/documents" for i in drafts]
    discard_paths = ["/bench/discard"] * uploads
    results: dict[str, Any] = {"concurrency": CONCURRENCY, "file_bytes": UPLOAD_BYTES}
    with Clients() as clients:
        clients.run(keep_bodies, bodies)
        jobs = [(path, n) for n, path in enumerate(real_paths[:CONCURRENCY])]
        clients.run(upload_clients, server.port, token, jobs, CONCURRENCY)
        clients.run(upload_clients, server.port, token, jobs, CONCURRENCY)  # 413s: budget full
        warm = [("/bench/discard", n) for n in range(CONCURRENCY)]
        clients.run(upload_clients, server.port, token, warm, CONCURRENCY)
        prober_idle = Prober(server.port)
        with prober_idle:
            time.sleep(2)
        results["healthz_idle_ms"] = summary_ms([s for _, s in prober_idle.timed])
        results["discard"] = _phase(server, clients, token, discard_paths, "discard")
        results["service"] = _phase(server, clients, token, real_paths[CONCURRENCY:], "service")
    results["cold_idle_rss_mib"] = cold.rss / MIB
    results["cold_idle_processes"] = cold.processes
    service, discard = results["service"], results["discard"]
    results["throughput_ratio"] = service["uploads_per_s"] / discard["uploads_per_s"]
    return results


def targets(results: dict[str, Any], server: str) -> list[dict[str, Any]]:
    service, discard = results["service"], results["discard"]
    ratio = results["throughput_ratio"]
    per_upload = service["rss_above_idle_per_upload_mib"]
    p99 = service["healthz_ms"]["p99"]
    return [
        {
            "target": f"{server}: upload throughput >= 60% of the bare endpoint",
            "measured": f"{ratio:.0%} ({service['mib_per_s']:.1f} against "
            f"{discard['mib_per_s']:.1f} MiB/s)",
            "met": ratio >= TARGET_THROUGHPUT,
        },
        {
            "target": f"{server}: peak memory above idle <= 24 MiB per concurrent upload (RSS)",
            "measured": f"{per_upload:.1f} MiB (PSS {service['pss_above_idle_per_upload_mib']:.1f}"
            f", server process alone {service['server_rss_above_idle_per_upload_mib']:.1f})",
            "met": per_upload <= TARGET_MIB_PER_UPLOAD,
        },
        {
            "target": f"{server}: /healthz p99 < 50 ms during uploads",
            "measured": f"{p99:.1f} ms (p50 {service['healthz_ms']['p50']:.1f}, "
            f"n={service['healthz_ms']['n']})",
            "met": p99 < TARGET_HEALTHZ_P99_MS,
        },
    ]
