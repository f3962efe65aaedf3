"""Claims: 32 concurrent reviewers drain a queue of submitted cases, and none may get a case twice.

On PostgreSQL, on one database and in this order, each from the same vacuumed state:

1. reference: raw `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING id`,
   autocommit, 32 psycopg threads;
2. the service: `POST /api/v1/queue/claim` from 32 HTTP clients on `imwu serve`;
3. the service layer alone: `app.queue.service.claim_next`, 32 threads, a session each (no HTTP),
   to tell what HTTP costs from what the ORM, the audit event and the lease cost;
4. a control that must fail: select the first waiting case, then update it by id.

On SQLite (the embedded default): the service layer with 32 threads, then the same naive control.
Every run counts claims and distinct claimed ids, and the database's own count of claimed rows.
"""

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from bench import seed
from bench.harness import Server, libpq_dsn, pg_database, run_tool, summary_ms
from bench.load import Clients, claim_clients, naive_claims, raw_claims

THREADS = 32
TARGET_RATIO = 0.75
TARGET_SQLITE_PER_S = 2000

RESET = """
UPDATE opinion_request
   SET status = 'submitted', claimed_by_id = NULL, claim_expires_at = NULL, version = 3
 WHERE status = 'in_review'
"""


def _outcome(label: str, done: dict[str, Any], cases: int) -> dict[str, Any]:
    claimed = done["claimed"]
    result = {
        "label": label,
        "claims": len(claimed),
        "distinct": len(set(claimed)),
        "double_claims": len(claimed) - len(set(claimed)),
        "wall_s": done["wall"],
        "claims_per_s": len(claimed) / done["wall"],
        "cases": cases,
    }
    if done.get("latencies"):
        result["latency_ms"] = summary_ms(done["latencies"])
    if done.get("statuses"):
        result["statuses"] = done["statuses"]
    return result


def _claimed_in_db(dsn: str) -> int:
    with psycopg.connect(dsn) as connection:
        row = connection.execute(
            "SELECT count(*) FROM opinion_request WHERE status = 'in_review'"
        ).fetchone()
    return int(row[0]) if row else -1


def _reset(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(RESET)
        connection.execute("VACUUM ANALYZE opinion_request")
        connection.execute("VACUUM ANALYZE audit_event")


def _explain_late_claim(dsn: str, statement: str, parameters: dict[str, Any]) -> str:
    """EXPLAIN ANALYZE the service's claim once all but the 10 last cases are claimed: the
    partial queue index also holds claimed (`in_review`) cases, which the claim walks past."""
    with psycopg.connect(dsn) as connection:
        connection.execute(
            "UPDATE opinion_request SET status = 'submitted', claimed_by_id = NULL, "
            "claim_expires_at = NULL WHERE id IN (SELECT id FROM opinion_request "
            "ORDER BY priority, submitted_at DESC, id DESC LIMIT 10)"
        )
        connection.commit()
        connection.execute("ANALYZE opinion_request")
        rows = connection.execute(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters
        ).fetchall()
        connection.rollback()
    return "\n".join(r[0] for r in rows)


def run_postgres(workdir: Path, *, cases: int) -> dict[str, Any]:
    with pg_database("claims") as url, Server(url, workdir) as server:
        dsn = libpq_dsn(url)
        tokens = [
            a["token"]
            for a in run_tool("bench.accounts", ["reviewer", "8"], env=server.env, timeout=120)
        ]
        ids = seed.people(url)
        seed.seed_cases(url, count=cases, start=0, ids=ids, waiting_only=True, findings=False)
        seed.analyze(url)
        results: dict[str, Any] = {"cases": cases, "threads": THREADS}
        with Clients() as clients:
            results["raw"] = _outcome(
                "raw SQL", clients.run(raw_claims, dsn, ids["reviewer"], THREADS), cases
            )
            results["raw"]["in_db"] = _claimed_in_db(dsn)
            _reset(dsn)
            done = clients.run(claim_clients, server.port, tokens, THREADS)
            results["api"] = _outcome("POST /api/v1/queue/claim", done, cases)
            results["api"]["in_db"] = _claimed_in_db(dsn)
            _reset(dsn)
            service = run_tool(
                "bench.claims", ["service", str(cases), "--no-seed"], env=server.env, timeout=600
            )
            results["service"] = service["service"]
            results["service"]["in_db"] = _claimed_in_db(dsn)
            results["explain_late_claim"] = _explain_late_claim(
                dsn, service["statement"], service["parameters"]
            )
            _reset(dsn)
            results["naive"] = _outcome(
                "naive select-then-update",
                clients.run(naive_claims, dsn, ids["reviewer"], THREADS),
                cases,
            )
            _reset(dsn)
    results["ratio"] = results["api"]["claims_per_s"] / results["raw"]["claims_per_s"]
    results["service_ratio"] = results["service"]["claims_per_s"] / results["raw"]["claims_per_s"]
    return results


def run_sqlite(workdir: Path, *, cases: int) -> dict[str, Any]:
    from bench.harness import app_env

    url = f"sqlite:///{workdir}/claims.sqlite3"
    env = app_env(url, workdir / "storage")
    result: dict[str, Any] = run_tool(
        "bench.claims", ["service", str(cases), "--naive"], env=env, timeout=600
    )
    return result


# --- The worker: runs in the app's environment (python -m bench.claims service ...) --------------


def _service_claims(reviewer: Any, cases: int) -> dict[str, Any]:
    from app.db import get_sessionmaker
    from app.queue.service import claim_next

    sessions = get_sessionmaker()
    claimed: list[str] = []
    latencies: list[float] = []
    barrier = threading.Barrier(THREADS + 1)

    def worker() -> None:
        barrier.wait()
        while True:
            start = time.perf_counter()
            with sessions() as session:
                case = claim_next(session, reviewer=reviewer, streams=[], languages=[])
                session.commit()
            if case is None:
                return
            latencies.append(time.perf_counter() - start)
            claimed.append(case.id)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    done = {"wall": time.perf_counter() - start, "claimed": claimed, "latencies": latencies}
    return _outcome("app.queue.service.claim_next", done, cases)


def _naive_claims(reviewer_id: str, cases: int) -> dict[str, Any]:
    """Select the first waiting case, commit, then update it by id: the race the service avoids."""
    from sqlalchemy import select, update

    from app.db import get_sessionmaker
    from app.intake.models import OpinionRequest, RequestStatus

    sessions = get_sessionmaker()
    claimed: list[str] = []
    barrier = threading.Barrier(THREADS + 1)
    first = (
        select(OpinionRequest.id)
        .where(OpinionRequest.status == RequestStatus.SUBMITTED)
        .order_by(OpinionRequest.priority.desc(), OpinionRequest.submitted_at, OpinionRequest.id)
        .limit(1)
    )

    def worker() -> None:
        barrier.wait()
        while True:
            with sessions() as session:
                case_id = session.scalar(first)
                session.commit()
                if case_id is None:
                    return
                session.execute(
                    update(OpinionRequest)
                    .where(OpinionRequest.id == case_id)
                    .values(status=RequestStatus.IN_REVIEW, claimed_by_id=reviewer_id)
                )
                session.commit()
            claimed.append(case_id)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    done = {"wall": time.perf_counter() - start, "claimed": claimed}
    return _outcome("naive select-then-update", done, cases)


def _claim_statement(reviewer: Any) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of the service's claim, captured as the driver receives them."""
    from sqlalchemy import event

    from app.db import get_engine, get_sessionmaker
    from app.queue.service import claim_next

    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        upper = statement.lstrip().upper()
        if upper.startswith("UPDATE OPINION_REQUEST") and "LIMIT" in upper:  # the pick
            captured.append((statement, parameters))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", capture)
    with get_sessionmaker()() as session:
        claim_next(session, reviewer=reviewer, streams=[], languages=[])
        session.rollback()
    event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    return statement, {
        k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in parameters.items()
    }


def _count_claimed() -> int:
    from sqlalchemy import func, select

    from app.db import get_sessionmaker
    from app.intake.models import OpinionRequest, RequestStatus

    with get_sessionmaker()() as session:
        return int(
            session.scalar(
                select(func.count()).where(OpinionRequest.status == RequestStatus.IN_REVIEW)
            )
            or 0
        )


def _reset_here() -> None:
    from sqlalchemy import text

    from app.db import get_engine

    with get_engine().begin() as connection:
        connection.execute(text(RESET))


def worker_main(argv: list[str]) -> None:
    from app.auth.models import Account, Role
    from app.config import get_settings
    from app.db import get_sessionmaker
    from app.migrate import upgrade

    cases = int(argv[1])
    url = get_settings().database_url
    out: dict[str, Any] = {"cases": cases, "threads": THREADS}
    if "--no-seed" not in argv:
        upgrade()
        ids = seed.people(url)
        seed.seed_cases(url, count=cases, start=0, ids=ids, waiting_only=True, findings=False)
    with get_sessionmaker()() as session:
        from sqlalchemy import select

        reviewer = session.scalars(select(Account).where(Account.role == Role.REVIEWER)).first()
        assert reviewer is not None
        session.expunge(reviewer)
    if url.startswith("postgresql"):
        out["statement"], out["parameters"] = _claim_statement(reviewer)
    out["service"] = _service_claims(reviewer, cases)
    out["service"]["in_db"] = _count_claimed()
    if "--naive" in argv:
        _reset_here()
        out["naive"] = _naive_claims(reviewer.id, cases)
        _reset_here()
    print(json.dumps(out))


def targets(pg: dict[str, Any] | None, lite: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    if pg:
        raw, api, naive = pg["raw"], pg["api"], pg["naive"]
        rows.append(
            {
                "target": "PostgreSQL: claims/s through the API >= 75% of raw SKIP LOCKED SQL",
                "measured": f"{pg['ratio']:.0%} ({api['claims_per_s']:.0f} against "
                f"{raw['claims_per_s']:.0f} claims/s; service layer without HTTP "
                f"{pg['service']['claims_per_s']:.0f}/s = {pg['service_ratio']:.0%})",
                "met": pg["ratio"] >= TARGET_RATIO,
            }
        )
        doubles = api["double_claims"] + raw["double_claims"] + pg["service"]["double_claims"]
        complete = api["distinct"] == api["cases"] == api["in_db"]
        rows.append(
            {
                "target": "PostgreSQL: zero double claims (200s = distinct ids = claimed rows)",
                "measured": f"API {api['claims']} 200s, {api['distinct']} distinct, "
                f"{api['in_db']} claimed rows of {api['cases']}; control: naive "
                f"select-then-update {naive['claims']} wins for {naive['distinct']} cases "
                f"({naive['double_claims']} double claims)",
                "met": doubles == 0 and complete and naive["double_claims"] > 0,
            }
        )
    if lite:
        service, naive = lite["service"], lite["naive"]
        rows.append(
            {
                "target": "SQLite: >= 2,000 claims/s in the service layer (32 threads)",
                "measured": f"{service['claims_per_s']:.0f} claims/s",
                "met": service["claims_per_s"] >= TARGET_SQLITE_PER_S,
            }
        )
        rows.append(
            {
                "target": "SQLite: zero double claims; the naive control shows some",
                "measured": f"service {service['claims']} claims, {service['distinct']} distinct, "
                f"{service['in_db']} claimed rows; naive {naive['claims']} wins for "
                f"{naive['distinct']} cases ({naive['double_claims']} double claims)",
                "met": service["double_claims"] == 0
                and service["in_db"] == service["cases"]
                and naive["double_claims"] > 0,
            }
        )
    return rows


if __name__ == "__main__":
    worker_main(sys.argv[1:])
