"""Where a service claim's time goes: `python -m bench.diagnose_claims [CASES]` (not part of
`python -m bench`; about 2 minutes).

`app.queue.service.claim_next` drains CASES submitted cases with 1 and with 32 threads, on
PostgreSQL and on SQLite, as the service is and with `record` (the audit chain append) replaced by
a no-op in *this process only*. Not a proposal (every claim must be audited): it shows what the
chain's locked head and its statements cost per claim, and whether 32 threads queue on it.
"""

import json
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import seed
from bench.harness import app_env, pg_database, run_tool, scratch_dir

VARIANTS = ("as is", "no audit")


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rows = []
    for database in ("postgresql", "sqlite"):
        for variant in VARIANTS:
            for threads in (1, 32):
                work = scratch_dir("diagnose")
                try:
                    if database == "postgresql":
                        with pg_database("diagnose") as url:
                            got = _one(url, work, variant, threads, cases)
                    else:
                        sqlite = f"sqlite:///{work}/claims.sqlite3"
                        got = _one(sqlite, work, variant, threads, cases)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
                rows.append((database, variant, threads, got))
                print(f"{database:10} {variant:17} {threads:>2} threads: {got:7.0f} claims/s")


def _one(url: str, work: Path, variant: str, threads: int, cases: int) -> float:
    args = ["run", variant, str(threads), str(cases)]
    result = run_tool("bench.diagnose_claims", args, env=app_env(url, work), timeout=900)
    return float(result["claims_per_s"])


def worker(variant: str, threads: int, cases: int) -> None:
    import app.queue.service as service
    from app.auth.models import Account
    from app.config import get_settings
    from app.db import get_engine, get_sessionmaker
    from app.migrate import upgrade

    url = get_settings().database_url
    upgrade()
    ids = seed.people(url)
    seed.seed_cases(url, count=cases, start=0, ids=ids, waiting_only=True, findings=False)
    if "no audit" in variant:
        service.record = lambda *_a, **_k: None  # type: ignore[assignment,return-value]
    seed.analyze(url)
    sessions = get_sessionmaker()
    with sessions() as session:
        reviewer = session.get(Account, ids["reviewer"])
        session.expunge(reviewer)
    claimed: list[str] = []

    def drain() -> None:
        while True:
            with sessions() as session:
                case = service.claim_next(session, reviewer=reviewer, streams=[], languages=[])  # type: ignore[arg-type]
                session.commit()
            if case is None:
                return
            claimed.append(case.id)

    pool = [threading.Thread(target=drain) for _ in range(threads)]
    start = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - start
    if len(set(claimed)) != len(claimed) or len(claimed) != cases:
        raise RuntimeError(f"{len(claimed)} claims for {len(set(claimed))} of {cases} cases")
    get_engine().dispose()
    out: dict[str, Any] = {"claims_per_s": len(claimed) / wall}
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "run":
        worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
