"""`python -m bench [--quick] [--only SECTION,...] [--output PATH | --no-write]`

Runs every benchmark in turn, each against a reference measured in the same run, prints each
section's figures and a line per target (met / MISSED), and writes them with the machine into
bench/RESULTS.md between its `generated` markers (the analysis around them is kept). A quick run
prints only, unless --output is given.

Sections: letters, listing, claims, mixed, reads, upload, submit, storage. Needs PostgreSQL
(IMWU_BENCH_PG, default postgres@127.0.0.1:5432, trust auth): it creates and drops its own
`imwu_bench_*` databases.
"""

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import claims, harness, letters, listing, mixed, reads, storage, submit, upload

SECTIONS = ("letters", "listing", "claims", "mixed", "reads", "upload", "submit", "storage")
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
START, END = "<!-- generated:start -->", "<!-- generated:end -->"


def _sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {"letters": 30, "listing_rounds": 60, "claims": 800, "uploads": 32, "submits": 30}
    return {"letters": 200, "listing_rounds": 300, "claims": 2000, "uploads": 160, "submits": 150}


def _section_letters(sizes: dict[str, int], work: Path) -> tuple[dict[str, Any], list[Any]]:
    result = letters.run(work, rounds=sizes["letters"])
    return result, letters.targets(result)


def _section_listing(sizes: dict[str, int], work: Path) -> tuple[dict[str, Any], list[Any]]:
    result = {
        "postgresql": listing.run(work, database="postgresql", rounds=sizes["listing_rounds"]),
        "sqlite": listing.run(work, database="sqlite", rounds=sizes["listing_rounds"]),
    }
    return result, listing.targets(result["postgresql"]) + listing.targets(result["sqlite"])


def _section_claims(sizes: dict[str, int], work: Path) -> tuple[dict[str, Any], list[Any]]:
    pg = claims.run_postgres(
        work, cases=sizes["claims"] // 2, rounds=2 if sizes["claims"] < 2000 else 3
    )
    lite = claims.run_sqlite(work, cases=sizes["claims"])
    return {"postgresql": pg, "sqlite": lite}, claims.targets(pg, lite)


def _section_mixed(sizes: dict[str, int], work: Path) -> tuple[dict[str, Any], list[Any]]:
    result = mixed.run(work, quick=sizes["claims"] < 2000)
    return result, mixed.targets(result)


def _section_reads(sizes: dict[str, int], work: Path) -> tuple[dict[str, Any], list[Any]]:
    result = reads.run(work, quick=sizes["claims"] < 2000)
    return result, reads.targets(result)


def _served(
    work: Path, action: Callable[[harness.Server, str], dict[str, Any]], workers: int = 1
) -> dict[str, Any]:
    with (
        harness.pg_database("served") as url,
        harness.Server(url, work, workers=workers) as server,
    ):
        made = harness.run_tool(
            "bench.accounts", ["representative", "1", "Bench Employer"], env=server.env, timeout=120
        )
        return action(server, made[0]["token"])


def _section_upload(sizes: dict[str, int], work: Path) -> tuple[dict[str, Any], list[Any]]:
    result = {
        f"w{workers}": _served(
            work / f"w{workers}",
            lambda server, token: upload.run(server, token, uploads=sizes["uploads"]),
            workers=workers,
        )
        for workers in (1, 2)
    }
    rows = upload.targets(result["w1"], "1 worker")
    rows += upload.targets(result["w2"], "--workers 2")
    return result, rows


def _section_submit(sizes: dict[str, int], work: Path) -> tuple[dict[str, Any], list[Any]]:
    result = _served(work, lambda server, token: submit.run(server, token, count=sizes["submits"]))
    return result, submit.targets(result)


def _section_storage(sizes: dict[str, int], work: Path) -> tuple[dict[str, Any], list[Any]]:
    result = storage.run(work, uploads=sizes["uploads"])
    return result, storage.targets(result)


RUNNERS = {
    "letters": _section_letters,
    "listing": _section_listing,
    "claims": _section_claims,
    "mixed": _section_mixed,
    "reads": _section_reads,
    "upload": _section_upload,
    "submit": _section_submit,
    "storage": _section_storage,
}


def _verdict(met: bool | None) -> str:
    return "reported" if met is None else ("met" if met else "MISSED")


def _render(machine: dict[str, Any], run: dict[str, Any], quick: bool) -> str:
    from bench.report import render

    return render(machine, run, quick)


def _write(path: Path, block: str) -> None:
    old = path.read_text() if path.exists() else f"# Benchmark results\n\n{START}\n{END}\n"
    if START in old and END in old:
        head, rest = old.split(START, 1)
        tail = rest.split(END, 1)[1]
    else:
        head, tail = old + "\n", "\n"
    path.write_text(f"{head}{START}\n{block}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run the benchmarks; see bench/RESULTS.md."
    )
    parser.add_argument("--quick", action="store_true", help="smaller runs (about 3 minutes)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--output", type=Path, help=f"write the results here (default {RESULTS})")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--json", type=Path, help="also dump every figure as JSON here")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    sizes = _sizes(args.quick)
    machine = harness.machine()
    print(
        f"{machine['date']}: {machine['nproc']} CPUs ({machine['cpu']}), "
        f"{machine['memory_gib']} GiB, Python {machine['python']}, PostgreSQL "
        f"{machine['postgresql']}; load average {machine['load_at_start']}",
        flush=True,
    )
    run: dict[str, Any] = {}
    failed = False
    for name in chosen:
        quiet = harness.wait_for_quiet()
        print(f"\n== {name} ({quiet.text()})", flush=True)
        work = harness.scratch_dir(name)
        started = time.monotonic()
        try:
            result, rows = RUNNERS[name](sizes, work)
        except Exception as exc:  # one broken section must not hide the others
            failed = True
            print(f"   FAILED: {type(exc).__name__}: {exc}", flush=True)
            run[name] = {"quiet": quiet, "error": f"{type(exc).__name__}: {exc}", "rows": []}
            continue
        finally:
            shutil.rmtree(work, ignore_errors=True)
        elapsed = time.monotonic() - started
        run[name] = {"quiet": quiet, "result": result, "rows": rows, "seconds": elapsed}
        for row in rows:
            print(f"   [{_verdict(row['met'])}] {row['target']}: {row['measured']}", flush=True)
        print(f"   ({elapsed:.0f} s)", flush=True)
    if harness.code_version() != machine["code"]:
        machine["code"] += " (app code changed during the run: " + harness.code_version() + ")"
        print("\nwarning: the app code changed during the run; rerun for consistent figures")
    block = _render(machine, run, args.quick)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "run": run}, default=vars, indent=1))
    if not args.no_write and (args.output or not args.quick):
        target = args.output or RESULTS
        _write(target, block)
        print(f"\nwritten to {target}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
