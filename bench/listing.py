"""The reviewers' queue page (`app.queue.listing.queue_page`, limit 50) at 1,000 and 100,000 cases.

The cases are inserted in bulk (bench/seed.py: mostly submitted, some claimed, a tenth of the
claimed ones lapsed, realistic priorities, three findings each). At each size, in the app's
environment (`python -m bench.listing`), each call on a fresh session or connection, as a request
has:

- `queue_page`: the one query of the shown columns (findings counts and the overdue flag folded
  in) and the `QueueItem`s built from it; it writes nothing (GET /api/v1/queue runs only this);
- the reference: the bare index scan `SELECT id ... WHERE <open> ORDER BY priority DESC,
  submitted_at, id LIMIT 51` through the same driver (`exec_driver_sql` on the same engine);

and the plan of the page query: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite. Ratios: the page against the bare scan at 100,000 cases, and 100,000 against 1,000.
"""

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import seed
from bench.harness import app_env, pg_database, run_tool, summary_ms

SIZES = (1_000, 100_000)
TARGET_BARE_RATIO = 3.0
TARGET_GROWTH = 1.2
BARE_SCAN = (
    "SELECT id FROM opinion_request WHERE status IN ('submitted', 'in_review', 'info_requested') "
    "ORDER BY priority DESC, submitted_at, id LIMIT 51"
)


def run(workdir: Path, *, database: str, rounds: int) -> dict[str, Any]:
    sizes = [str(s) for s in SIZES]
    if database == "postgresql":
        with pg_database("listing") as url:
            env = app_env(url, workdir / "storage")
            result: dict[str, Any] = run_tool(
                "bench.listing", [str(rounds), *sizes], env=env, timeout=900
            )
            return result
    url = f"sqlite:///{workdir}/listing.sqlite3"
    result = run_tool(
        "bench.listing", [str(rounds), *sizes], env=app_env(url, workdir), timeout=900
    )
    return result


# --- The worker: runs in the app's environment -------------------------------------------------


def _statement(session: Any, call: Any, start: str, contains: str) -> tuple[str, Any]:
    """The first statement `call` sends that starts with `start` and contains `contains`."""
    from sqlalchemy import event

    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith(start) and contains in statement:
            captured.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    call(session)
    event.remove(engine, "before_cursor_execute", capture)
    return captured[0]


def _explain(session: Any, statement: str, parameters: Any, postgres: bool) -> str:
    prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN "
    rows = session.connection().exec_driver_sql(prefix + statement, parameters).fetchall()
    return "\n".join(str(r[0]) if postgres else str(r[-1]) for r in rows)


MAX_SECONDS = 10.0
"""Each measurement stops after this long once it has 30 samples (a full scan at 100,000 cases
on SQLite takes a few hundred ms a call)."""


def _time(calls: int, action: Any) -> list[float]:
    times: list[float] = []
    deadline = time.perf_counter() + MAX_SECONDS
    for _ in range(calls):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
        if len(times) >= 30 and start > deadline:
            break
    return times


def worker_main(argv: list[str]) -> None:
    from app.auth.models import Account
    from app.config import get_settings
    from app.db import get_engine, get_sessionmaker
    from app.migrate import upgrade
    from app.queue.listing import queue_page

    rounds, sizes = int(argv[0]), [int(s) for s in argv[1:]]
    url = get_settings().database_url
    postgres = url.startswith("postgresql")
    upgrade()
    ids = seed.people(url)
    sessions, engine = get_sessionmaker(), get_engine()
    with sessions() as session:
        reviewer = session.get(Account, ids["reviewer"])
        assert reviewer is not None
        session.expunge(reviewer)

    def page(session: Any) -> Any:
        return queue_page(
            session,
            account=reviewer,
            stream=None,
            language=None,
            status=None,
            mine=False,
            cursor=None,
            limit=50,
        )

    def page_alone() -> None:
        with sessions() as session:
            if len(page(session).items) != 50:
                raise RuntimeError("a queue page should hold 50 cases")

    def bare_scan() -> None:
        with engine.connect() as connection:
            if len(connection.exec_driver_sql(BARE_SCAN).fetchall()) != 51:
                raise RuntimeError("the bare scan should return 51 rows")

    out: dict[str, Any] = {"database": "postgresql" if postgres else "sqlite", "sizes": {}}
    present = 0
    for size in sizes:
        start = time.perf_counter()
        seed.seed_cases(
            url, count=size - present, start=present, ids=ids, waiting_only=False, findings=True
        )
        seeded_s = time.perf_counter() - start
        present = size
        _time(30, page_alone)
        _time(30, bare_scan)
        alone, bare = [], []
        for _ in range(4):  # interleaved, so both see the same machine
            alone += _time(rounds // 4, page_alone)
            bare += _time(rounds // 4, bare_scan)
        with sessions() as session:
            statement, parameters = _statement(session, page, "SELECT", "ORDER BY")
            plan = _explain(session, statement, parameters, postgres)
            session.rollback()
        out["sizes"][str(size)] = {
            "seed_s": seeded_s,
            "queue_page_ms": summary_ms(alone),
            "bare_scan_ms": summary_ms(bare),
            "plan": plan,
        }
    out["statement"] = statement
    print(json.dumps(out))


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    small, large = (results["sizes"][str(s)] for s in SIZES)
    p95_large, p95_small = large["queue_page_ms"]["p95"], small["queue_page_ms"]["p95"]
    bare = large["bare_scan_ms"]["p95"]
    database = "PostgreSQL" if results["database"] == "postgresql" else "SQLite"
    uses_index = "ix_opinion_request_open_queue" in large["plan"]
    return [
        {
            "target": f"{database}: queue page p95 at 100,000 cases <= 3x the bare index scan",
            "measured": f"{p95_large / bare:.2f}x ({p95_large:.2f} against {bare:.2f} ms; "
            f"page p50 {large['queue_page_ms']['p50']:.2f} ms); index scan: "
            f"{'yes' if uses_index else 'NO'}",
            "met": p95_large / bare <= TARGET_BARE_RATIO and uses_index,
        },
        {
            "target": f"{database}: queue page p95 at 100,000 <= 1.2x at 1,000 cases",
            "measured": f"{p95_large / p95_small:.2f}x ({p95_small:.2f} ms at 1,000)",
            "met": p95_large / p95_small <= TARGET_GROWTH,
        },
    ]


if __name__ == "__main__":
    worker_main(sys.argv[1:])
