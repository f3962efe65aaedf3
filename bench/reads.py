"""Reads do not wait for writes, on SQLite: the p99 of an authenticated GET while 8 clients upload
4 MiB PDFs and 8 clients claim cases, against its p99 on the idle server (`imwu serve`, 1 worker,
the embedded SQLite default).

The GET is `GET /api/v1/requests/{id}` with a representative's token (a token lookup and a case
read: what a page of the client does), sent every 10 ms on a connection of its own from the bench
process. Each upload goes to its own draft and each claim takes the next waiting case (both
inserted in bulk beforehand); the load runs for a fixed time.
"""

import threading
import time
from pathlib import Path
from typing import Any

from bench import seed
from bench.harness import Http, Prober, Server, run_tool, summary_ms
from bench.load import BODIES, Clients, keep_bodies
from bench.upload import offer_pdfs

UPLOADERS = CLAIMERS = 8
TARGET_RATIO = 3.0


def run(workdir: Path, *, quick: bool) -> dict[str, Any]:
    seconds = 5.0 if quick else 10.0
    url = f"sqlite:///{workdir}/reads.sqlite3"
    with Server(url, workdir / "server") as server:
        rep = run_tool(
            "bench.accounts", ["representative", "1", "Bench Employer"], env=server.env, timeout=120
        )[0]["token"]
        reviewers = [
            a["token"]
            for a in run_tool("bench.accounts", ["reviewer", "8"], env=server.env, timeout=120)
        ]
        rep_id, organization = seed.account_ids(url, "representative")
        reviewer_id, _ = seed.account_ids(url, "reviewer")
        ids = {"organization": str(organization), "creator": rep_id, "reviewer": reviewer_id}
        rows = seed.case_rows(6000, start=0, ids=ids, waiting_only=True)
        drafts = seed.as_drafts(rows[:1000])
        from app.intake.models import OpinionRequest

        seed.insert_rows(url, OpinionRequest.__table__, drafts + rows[1000:])  # type: ignore[arg-type]
        seed.analyze(url)
        probed = f"/api/v1/requests/{drafts[0]['id']}"
        with Clients() as clients:
            clients.run(keep_bodies, offer_pdfs())
            idle = Prober(server.port, probed, token=rep)
            with idle:
                time.sleep(seconds / 2)
            with Prober(server.port, probed, token=rep) as loaded:
                done = clients.run(
                    load_clients,
                    server.port,
                    rep,
                    reviewers,
                    [d["id"] for d in drafts[1:]],
                    seconds,
                )
            during = loaded.within(done["start"], done["end"])
    results = {
        "seconds": seconds,
        "idle_ms": summary_ms([s for _, s in idle.timed]),
        "loaded_ms": summary_ms(during),
        "uploads": done["uploads"],
        "claims": done["claims"],
        "upload_statuses": done["upload_statuses"],
        "claim_statuses": done["claim_statuses"],
    }
    results["ratio"] = results["loaded_ms"]["p99"] / results["idle_ms"]["p99"]
    return results


def load_clients(
    port: int, rep_token: str, reviewer_tokens: list[str], drafts: list[str], seconds: float
) -> dict[str, Any]:
    """8 uploaders (each 4 MiB PDF to its own draft) and 8 claimers, until `seconds` have passed."""
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    counts = {"uploads": 0, "claims": 0}
    upload_statuses: dict[int, int] = {}
    claim_statuses: dict[int, int] = {}
    barrier = threading.Barrier(UPLOADERS + CLAIMERS + 1)

    def uploader(index: int) -> None:
        http = Http(port, rep_token)
        barrier.wait()
        n = 0
        while time.perf_counter() < deadline:
            with lock:
                if not drafts:
                    break
                draft = drafts.pop()
            body, content_type = BODIES[(index + n) % len(BODIES)]
            status, _, _ = http.request(
                "POST", f"/api/v1/requests/{draft}/documents", body, {"Content-Type": content_type}
            )
            with lock:
                upload_statuses[status] = upload_statuses.get(status, 0) + 1
                counts["uploads"] += status == 201
            n += 1
        http.close()

    def claimer(index: int) -> None:
        http = Http(port, reviewer_tokens[index % len(reviewer_tokens)])
        barrier.wait()
        while time.perf_counter() < deadline:
            status, _, _ = http.request(
                "POST", "/api/v1/queue/claim", b"{}", {"Content-Type": "application/json"}
            )
            with lock:
                claim_statuses[status] = claim_statuses.get(status, 0) + 1
                counts["claims"] += status == 200
        http.close()

    threads = [threading.Thread(target=uploader, args=(i,)) for i in range(UPLOADERS)]
    threads += [threading.Thread(target=claimer, args=(i,)) for i in range(CLAIMERS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return {
        "start": start,
        "end": time.perf_counter(),
        **counts,
        "upload_statuses": upload_statuses,
        "claim_statuses": claim_statuses,
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    idle, loaded = results["idle_ms"], results["loaded_ms"]
    return [
        {
            "target": "SQLite: p99 of an authenticated GET while 8 uploads and 8 claims run "
            "<= 3x its idle p99",
            "measured": f"{results['ratio']:.1f}x ({loaded['p99']:.1f} against "
            f"{idle['p99']:.1f} ms; p50 {loaded['p50']:.1f} against {idle['p50']:.1f}; "
            f"{results['uploads']} uploads and {results['claims']} claims in "
            f"{results['seconds']:.0f} s)",
            "met": results["ratio"] <= TARGET_RATIO,
        }
    ]


def markdown(results: dict[str, Any]) -> list[str]:
    idle, loaded = results["idle_ms"], results["loaded_ms"]
    return [
        f"GET /api/v1/requests/{{id}} every 10 ms: idle n={idle['n']}, p50 {idle['p50']:.1f}, "
        f"p99 {idle['p99']:.1f} ms; under load n={loaded['n']}, p50 {loaded['p50']:.1f}, "
        f"p99 {loaded['p99']:.1f} ms (**{results['ratio']:.1f}x**). Load: "
        f"{results['uploads']} uploads of 4 MiB (statuses {results['upload_statuses']}) and "
        f"{results['claims']} claims (statuses {results['claim_statuses']}) in "
        f"{results['seconds']:.0f} s.",
    ]
