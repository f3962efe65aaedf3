"""Mixed writes on different cases, 16 clients against 1, on PostgreSQL (`imwu serve`, 1 worker and
`--workers 2`): with no global lock, 16 clients must get through at least 1.5x the writes of one.

Each client works on cases of its own, round after round: it uploads a small real PDF (inspected
in the sandbox, stored, audited) to a draft, submits a complete draft (validation, triage, due
date, findings, audit), then claims a submitted case and decides it with a signed letter (the
PDF rendered before the transaction writes). The cases are inserted in bulk beforehand
(bench/seed.py): drafts, complete drafts (their document rows: submit reads kinds and the job
offer's text, never files) and submitted cases. Throughput counts HTTP write requests (4 a round).
"""

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import seed
from bench.harness import Http, Server, multipart, pg_database, run_tool, summary_ms
from bench.load import Clients
from tests.builders import make_pdf

CLIENTS = (1, 16)
TARGET_SCALING = 1.5
REQUIRED_KINDS = ("passport_bio_page", "cv", "job_offer", "employer_letter", "other_evidence")
"""What the T11 scenario's checklist requires (app.eligibility.rules.checklist)."""
DECISION = {
    "outcome": "positive",
    "exemption_code": "T11",
    "reasons": [],
    "conditions": [],
    "letter_language": "en",
}
SUBMIT = {"declarant_name": "Pat Declarant", "declaration_accepted": True}


def _rounds(quick: bool) -> dict[int, int]:
    return {1: 10, 16: 3} if quick else {1: 30, 16: 8}


def _seed(url: str, total: int) -> dict[str, list[str]]:
    rep_id, organization = seed.account_ids(url, "representative")
    reviewer_id, _ = seed.account_ids(url, "reviewer")
    ids = {"organization": str(organization), "creator": rep_id, "reviewer": reviewer_id}
    rows = seed.case_rows(3 * total, start=0, ids=ids, waiting_only=True)
    drafts = seed.as_drafts(rows[:total])
    complete = seed.as_drafts(rows[total : 2 * total])
    submitted = rows[2 * total :]
    from app.documents.models import Document
    from app.intake.models import OpinionRequest

    seed.insert_rows(url, OpinionRequest.__table__, drafts + complete + submitted)  # type: ignore[arg-type]
    seed.insert_rows(url, Document.__table__, seed.document_rows(complete, REQUIRED_KINDS))  # type: ignore[arg-type]
    seed.analyze(url)
    return {
        "drafts": [r["id"] for r in drafts],
        "complete": [r["id"] for r in complete],
        "submitted": [r["id"] for r in submitted],
    }


def run(workdir: Path, *, quick: bool) -> dict[str, Any]:
    rounds = _rounds(quick)
    per_run = sum(count * rounds[count] for count in CLIENTS)
    results: dict[str, Any] = {"rounds": rounds}
    with pg_database("mixed") as url:
        for workers in (1, 2):
            with Server(url, workdir / f"w{workers}", workers=workers) as server:
                if workers == 1:
                    rep = run_tool(
                        "bench.accounts",
                        ["representative", "1", "Bench Employer"],
                        env=server.env,
                        timeout=120,
                    )[0]["token"]
                    reviewer = run_tool(
                        "bench.accounts", ["reviewer", "1"], env=server.env, timeout=120
                    )[0]["token"]
                    cases = _seed(url, 2 * per_run)
                with Clients() as clients:
                    for count in CLIENTS:
                        jobs = _take(cases, count, rounds[count])
                        done = clients.run(mixed_clients, server.port, rep, reviewer, jobs)
                        key = f"w{workers}_{count}"
                        results[key] = done
                        print(f"   {key}: {done['requests_per_s']:.1f} writes/s", flush=True)
            one, many = (results[f"w{workers}_{n}"]["requests_per_s"] for n in CLIENTS)
            results[f"scaling_w{workers}"] = many / one
    return results


def _take(cases: dict[str, list[str]], clients: int, rounds: int) -> list[list[list[str]]]:
    """For each client, its rounds of (draft, complete draft, submitted case), taken off."""
    jobs = []
    for _ in range(clients):
        mine = []
        for _ in range(rounds):
            mine.append([cases[kind].pop() for kind in ("drafts", "complete", "submitted")])
        jobs.append(mine)
    return jobs


def mixed_clients(
    port: int, rep_token: str, reviewer_token: str, jobs: list[list[list[str]]]
) -> dict[str, Any]:
    """Each client runs its rounds; the wall time is from the common start to the last answer."""
    body, content_type = multipart(
        {"kind": "job_offer"},
        "offer.pdf",
        make_pdf(["Offer of employment"] * 40, pages=2),
        "application/pdf",
    )
    latencies: dict[str, list[float]] = {"upload": [], "submit": [], "claim": [], "decide": []}
    statuses: Counter[str] = Counter()
    barrier = threading.Barrier(len(jobs) + 1)

    def client(rounds: list[list[str]]) -> None:
        rep, reviewer = Http(port, rep_token), Http(port, reviewer_token)
        barrier.wait()
        for draft, complete, submitted in rounds:
            calls = (
                ("upload", rep, f"/api/v1/requests/{draft}/documents", body, content_type),
                ("submit", rep, f"/api/v1/requests/{complete}/submit", SUBMIT, None),
                ("claim", reviewer, f"/api/v1/requests/{submitted}/claim", None, None),
                ("decide", reviewer, f"/api/v1/requests/{submitted}/decision", DECISION, None),
            )
            for name, http, path, payload, kind in calls:
                if kind is not None:
                    status, _, seconds = http.request("POST", path, payload, {"Content-Type": kind})
                elif payload is None:
                    status, _, seconds = http.request("POST", path)
                else:
                    status, _, seconds = http.post_json(path, payload)
                statuses[f"{name} {status}"] += 1
                latencies[name].append(seconds)
        rep.close()
        reviewer.close()

    threads = [threading.Thread(target=client, args=(rounds,)) for rounds in jobs]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    requests = sum(len(v) for v in latencies.values())
    failed = {k: v for k, v in statuses.items() if k.split()[1] not in ("200", "201")}
    if failed:
        raise RuntimeError(f"mixed writes failed: {dict(failed)}")
    return {
        "clients": len(jobs),
        "requests": requests,
        "wall_s": wall,
        "requests_per_s": requests / wall,
        "latency_ms": {name: summary_ms(values) for name, values in latencies.items()},
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for workers, label in ((1, "1 worker"), (2, "--workers 2")):
        one, many = results[f"w{workers}_1"], results[f"w{workers}_16"]
        rows.append(
            {
                "target": f"PostgreSQL, {label}: mixed writes on different cases (upload, "
                "submit, claim + decide with letter) with 16 clients >= 1.5x 1 client",
                "measured": f"{results[f'scaling_w{workers}']:.2f}x "
                f"({many['requests_per_s']:.1f} against {one['requests_per_s']:.1f} writes/s)",
                "met": results[f"scaling_w{workers}"] >= TARGET_SCALING,
            }
        )
    return rows


def markdown(results: dict[str, Any]) -> list[str]:
    lines = [
        "Rounds of 4 writes per client (upload, submit, claim, decide with letter), each client "
        f"on its own cases; rounds per client: {results['rounds']}.",
        "",
        "| server | clients | writes | writes/s | upload p50 / p95 ms | submit p50 / p95 ms "
        "| claim p50 / p95 ms | decide p50 / p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for workers in (1, 2):
        for count in CLIENTS:
            r = results[f"w{workers}_{count}"]
            cells = [
                f"{r['latency_ms'][op]['p50']:.1f} / {r['latency_ms'][op]['p95']:.1f}"
                for op in ("upload", "submit", "claim", "decide")
            ]
            lines.append(
                f"| {workers} worker(s) | {count} | {r['requests']} | "
                f"{r['requests_per_s']:.1f} | " + " | ".join(cells) + " |"
            )
    return lines
