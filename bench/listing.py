"""The reviewers' queue page (`app.queue.listing.queue_page`, limit 50) at 1,000 and 100,000 cases.

The cases are inserted in bulk (bench/seed.py: mostly submitted, realistic priorities, three
findings each). At each size, in the app's environment (`python -m bench.listing`), a fresh
session per call as a request has:

- `queue_page` alone: the page query, the findings counts, the overdue information requests;
- what `GET /api/v1/queue` runs before it: `release_lapsed` (an UPDATE of lapsed leases), then
  the page, then the commit;

and the plan of the page query: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite. The reference is the same call at 1,000 cases.
"""

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import seed
from bench.harness import app_env, pg_database, run_tool, summary_ms

SIZES = (1_000, 100_000)
TARGET_P95_MS = 5.0
TARGET_GROWTH = 1.5


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
    from app.db import get_sessionmaker
    from app.migrate import upgrade
    from app.queue.listing import queue_page
    from app.queue.service import release_lapsed

    rounds, sizes = int(argv[0]), [int(s) for s in argv[1:]]
    url = get_settings().database_url
    postgres = url.startswith("postgresql")
    upgrade()
    ids = seed.people(url)
    sessions = get_sessionmaker()
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

    def endpoint_work() -> None:
        with sessions() as session:
            release_lapsed(session)
            page(session)
            session.commit()

    out: dict[str, Any] = {"database": "postgresql" if postgres else "sqlite", "sizes": {}}
    present = 0
    for size in sizes:
        start = time.perf_counter()
        seed.seed_cases(
            url, count=size - present, start=present, ids=ids, waiting_only=False, findings=True
        )
        seeded_s = time.perf_counter() - start
        present = size
        endpoint_work()  # releases the seeded lapsed leases once, as the first GET would
        _time(30, page_alone)
        alone = _time(rounds, page_alone)
        endpoint = _time(rounds, endpoint_work)
        with sessions() as session:
            statement, parameters = _statement(session, page, "SELECT", "ORDER BY")
            plan = _explain(session, statement, parameters, postgres)
            session.rollback()
        with sessions() as session:
            lapsed, lapsed_parameters = _statement(session, release_lapsed, "UPDATE", "")
            lapsed_plan = _explain(session, lapsed, lapsed_parameters, postgres)
            session.rollback()
        out["sizes"][str(size)] = {
            "seed_s": seeded_s,
            "queue_page_ms": summary_ms(alone),
            "endpoint_work_ms": summary_ms(endpoint),
            "plan": plan,
            "release_lapsed_plan": lapsed_plan,
        }
    out["statement"] = statement
    print(json.dumps(out))


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    small, large = (results["sizes"][str(s)] for s in SIZES)
    p95_large, p95_small = large["queue_page_ms"]["p95"], small["queue_page_ms"]["p95"]
    growth = p95_large / p95_small
    uses_index = "ix_opinion_request_open_queue" in large["plan"]
    database = "PostgreSQL" if results["database"] == "postgresql" else "SQLite"
    rows = [
        {
            "target": f"{database}: queue page p95 <= 5 ms at 100,000 cases",
            "measured": f"{p95_large:.2f} ms (p50 {large['queue_page_ms']['p50']:.2f}); with the "
            f"endpoint's release_lapsed: p95 {large['endpoint_work_ms']['p95']:.2f} ms",
            "met": p95_large <= TARGET_P95_MS,
        },
        {
            "target": f"{database}: p95 at 100,000 <= 1.5x p95 at 1,000 cases",
            "measured": f"{growth:.2f}x ({p95_small:.2f} ms at 1,000); endpoint work "
            f"{large['endpoint_work_ms']['p95'] / small['endpoint_work_ms']['p95']:.2f}x",
            "met": growth <= TARGET_GROWTH,
        },
    ]
    if results["database"] == "postgresql":
        rows.append(
            {
                "target": "PostgreSQL: EXPLAIN shows an index scan on "
                "ix_opinion_request_open_queue",
                "measured": "yes" if uses_index else "no: " + large["plan"].splitlines()[0],
                "met": uses_index,
            }
        )
    return rows


if __name__ == "__main__":
    worker_main(sys.argv[1:])
