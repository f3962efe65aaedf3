"""Where a claim's CPU goes: `python -m bench.profile [CASES]` (not part of `python -m bench`).

Needs py-spy (`.venv/bin/pip install py-spy`). Starts `imwu serve` (bench/server.py, 1 worker) on a
scratch PostgreSQL database, drains CASES submitted cases with 32 clients through
`POST /api/v1/queue/claim`, then again through the bare `POST /bench/claim-raw`, while
`py-spy record --gil` samples the server (only the thread holding the GIL: Python's CPU). Prints,
for each endpoint, the CPU milliseconds per claim spent under the frames that matter (inclusive):
samples under a frame / sampling rate / claims. The tables in bench/RESULTS.md come from here.
"""

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import seed
from bench.harness import Server, libpq_dsn, pg_database, run_tool, scratch_dir
from bench.load import Clients, claim_clients

RATE = 250
FRAMES = {
    "whole request (GIL held)": "",
    "token lookup": "authenticate (app/auth/service.py",
    "handler: claim_next (service)": "claim_next (app/queue/service.py",
    "handler: bare statement": "claim_raw (bench/server.py",
    "response: RequestOut from the form": "to_out (app/intake/service.py",
    "audit append at commit": "_append_pending (app/audit/service.py",
    "COMMIT": "Session.commit (sqlalchemy/orm/session.py",
    "FastAPI dependency solving": "solve_dependencies (fastapi/dependencies/utils.py",
    "response serialisation": "serialize_response (fastapi/routing.py",
    "request log middleware": "RequestLogMiddleware.__call__ (app/observability/middleware.py",
    "uvicorn protocol": "uvicorn/protocols/http",
    "logging": "(logging/__init__.py",
}


def _recorder(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling `pid` until interrupted (it writes its output on SIGINT)."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            *("record", "--pid", str(pid), "--gil", "--rate", str(RATE)),
            *("--duration", "3600", "--format", "raw", "--output", str(out)),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def per_claim(raw: Path, claims: int) -> dict[str, float]:
    stacks: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            stacks[stack] += int(count)
    return {
        label: sum(n for stack, n in stacks.items() if needle in stack) / RATE * 1000 / claims
        for label, needle in FRAMES.items()
    }


def _reset(dsn: str) -> None:
    from bench.claims import _reset as reset

    reset(dsn)


def profile(cases: int) -> dict[str, dict[str, float]]:
    work = scratch_dir("profile")
    out: dict[str, dict[str, float]] = {}
    try:
        with pg_database("profile") as url, Server(url, work) as server:
            made = run_tool("bench.accounts", ["reviewer", "8"], env=server.env, timeout=120)
            tokens = [a["token"] for a in made]
            ids = seed.people(url)
            seed.seed_cases(url, count=cases, start=0, ids=ids, waiting_only=True, findings=False)
            seed.analyze(url)
            with Clients() as clients:
                for path in ("/api/v1/queue/claim", "/bench/claim-raw"):
                    raw = work / "spy.txt"
                    spy = _recorder(server.pid, raw)
                    time.sleep(1)  # py-spy attached
                    done = clients.run(claim_clients, server.port, tokens, 32, path)
                    spy.send_signal(signal.SIGINT)
                    spy.wait(60)
                    out[path] = per_claim(raw, claims=len(done["claimed"]))
                    _reset(libpq_dsn(url))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def markdown(result: dict[str, dict[str, float]]) -> list[str]:
    api, bare = result["/api/v1/queue/claim"], result["/bench/claim-raw"]
    lines = [
        "| frame (inclusive) | API ms of CPU a claim | bare ms of CPU a claim |",
        "| --- | --- | --- |",
    ]
    for label in FRAMES:
        lines.append(f"| {label} | {api[label]:.2f} | {bare[label]:.2f} |")
    return lines


def main(argv: list[str]) -> Any:
    cases = int(argv[0]) if argv else 1500
    print("\n".join(markdown(profile(cases))))


if __name__ == "__main__":
    main(sys.argv[1:])
