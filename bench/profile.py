"""Where a served request's time goes: `python -m bench.profile claims|upload|reads [SECONDS]`.

Not part of `python -m bench` (it needs py-spy: `.venv/bin/pip install py-spy`). Starts the same
server and load as the section named, samples the server process with `py-spy record --format
raw` (collapsed stacks, idle threads excluded) while the load runs, and prints the share of
samples that pass through the functions that matter (inclusive), then the top frames by own time.
The summaries quoted in bench/RESULTS.md come from here.
"""

import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from bench import seed
from bench.harness import Server, pg_database, run_tool, scratch_dir
from bench.load import Clients, claim_clients

MARKERS = {
    "token lookup (app.auth)": "app/auth/",
    "claim statement (app.queue.service)": "claim_next",
    "audit append at commit (app.audit)": "_append_pending",
    "COMMIT": "commit (sqlalchemy",
    "response: RequestOut from the stored form": "to_out",
    "FastAPI dependency solving and validation": "solve_dependencies",
    "serialisation of the answer (pydantic/json)": "serialize_response",
    "request log middleware": "app/observability/middleware.py",
    "psycopg (driver, network wait)": "psycopg/",
    "SQLAlchemy (all)": "sqlalchemy/",
    "uvicorn/h11/httptools protocol": "uvicorn/protocols",
}


def _record(pid: int, seconds: float, out: Path) -> None:
    subprocess.run(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        check=True,
        capture_output=True,
    )


def summarize(raw: Path, top: int = 15) -> dict[str, Any]:
    stacks: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            stacks[stack] += int(count)
    total = sum(stacks.values()) or 1
    shares = {
        label: sum(n for stack, n in stacks.items() if needle in stack) / total
        for label, needle in MARKERS.items()
    }
    own: Counter[str] = Counter()
    for stack, n in stacks.items():
        own[stack.split(";")[-1]] += n
    return {
        "samples": total,
        "inclusive": shares,
        "own": [(frame, n / total) for frame, n in own.most_common(top)],
    }


def profile_claims(seconds: float) -> dict[str, Any]:
    work = scratch_dir("profile")
    try:
        with pg_database("profile") as url, Server(url, work) as server:
            tokens = [
                a["token"]
                for a in run_tool("bench.accounts", ["reviewer", "8"], env=server.env, timeout=120)
            ]
            ids = seed.people(url)
            seed.seed_cases(url, count=1500, start=0, ids=ids, waiting_only=True, findings=False)
            seed.analyze(url)
            raw = work / "claims.txt"
            recorder = threading.Thread(target=_record, args=(server.pid, seconds, raw))
            with Clients() as clients:
                recorder.start()
                clients.run(claim_clients, server.port, tokens, 32)
                recorder.join()
            return summarize(raw)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "claims"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    if what != "claims":
        raise SystemExit("only `claims` is profiled here")
    result = profile_claims(seconds)
    print(f"{result['samples']} samples of the server process")
    for label, share in result["inclusive"].items():
        print(f"  {share:6.1%}  {label}")
    print("own time:")
    for frame, share in result["own"]:
        print(f"  {share:6.1%}  {frame}")


if __name__ == "__main__":
    main()
