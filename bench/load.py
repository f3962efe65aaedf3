"""Load generators, run in a process of their own (`Clients`), so that the clients' Python
never competes for the GIL with the memory sampler and the /healthz prober of the bench process.

Each generator starts its threads together behind a barrier and reports the wall time from the
barrier to the last answer, every latency and every status.
"""

import json
import multiprocessing
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

import psycopg

from bench.harness import Http

T = TypeVar("T")


BODIES: list[tuple[bytes, str]] = []
"""Upload bodies, sent once to the load process (`keep_bodies`) rather than with every call."""


def keep_bodies(bodies: list[tuple[bytes, str]]) -> int:
    BODIES[:] = bodies
    return len(BODIES)


class Clients:
    """One load process kept for a whole section: started (and its imports paid) once."""

    def __init__(self) -> None:
        self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self.pool.submit(time.perf_counter).result()

    def run(self, function: Callable[..., T], *args: Any) -> T:
        return self.pool.submit(function, *args).result()

    def __enter__(self) -> "Clients":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.pool.shutdown()


def _run_threads(count: int, work: Callable[[int], None]) -> tuple[float, float]:
    barrier = threading.Barrier(count + 1)
    errors: list[BaseException] = []

    def body(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as exc:  # reported to the caller, not lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()  # CLOCK_MONOTONIC: comparable with the bench process's samples
    for thread in threads:
        thread.join()
    end = time.perf_counter()
    if errors:
        raise errors[0]
    return start, end


def upload_clients(
    port: int,
    token: str,
    jobs: list[tuple[str, int]],
    concurrency: int,
) -> dict[str, Any]:
    """`concurrency` clients POST the kept bodies to the paths of `jobs` until none is left."""
    todo: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
    for job in jobs:
        todo.put(job)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    refusals: list[str] = []

    def client(_index: int) -> None:
        http = Http(port, token)
        while True:
            try:
                path, which = todo.get_nowait()
            except queue.Empty:
                break
            body, content_type = BODIES[which]
            status, answer, seconds = http.request(
                "POST", path, body, {"Content-Type": content_type}
            )
            statuses[status] += 1
            if status in (200, 201, 204):
                latencies.append(seconds)
            elif len(refusals) < 3:
                refusals.append(answer[:300].decode(errors="replace"))
        http.close()

    cpu = time.process_time()
    start, end = _run_threads(concurrency, client)
    return {
        "client_cpu_s": time.process_time() - cpu,
        "start": start,
        "end": end,
        "wall": end - start,
        "latencies": latencies,
        "statuses": dict(statuses),
        "refusals": refusals,
    }


def claim_clients(
    port: int, tokens: list[str], concurrency: int, path: str = "/api/v1/queue/claim"
) -> dict[str, Any]:
    """`concurrency` clients POST to `path` (the claim endpoint, or the bare one) until it
    answers 204."""
    claimed: list[str] = []
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    def client(index: int) -> None:
        http = Http(port, tokens[index % len(tokens)])
        while True:
            status, answer, seconds = http.request(
                "POST", path, b"{}", {"Content-Type": "application/json"}
            )
            statuses[status] += 1
            if status != 200:
                break
            claimed.append(json.loads(answer)["id"])
            latencies.append(seconds)
        http.close()

    start, end = _run_threads(concurrency, client)
    return {
        "wall": end - start,
        "claimed": claimed,
        "latencies": latencies,
        "statuses": dict(statuses),
    }


RAW_CLAIM = """
UPDATE opinion_request
   SET status = 'in_review', claimed_by_id = %(reviewer)s,
       claim_expires_at = now() + interval '8 hours', version = version + 1, updated_at = now()
 WHERE id = (SELECT id FROM opinion_request
              WHERE status = 'submitted'
              ORDER BY priority DESC, submitted_at, id
              LIMIT 1
              FOR UPDATE SKIP LOCKED)
RETURNING id
"""

NAIVE_SELECT = """
SELECT id FROM opinion_request WHERE status = 'submitted'
 ORDER BY priority DESC, submitted_at, id LIMIT 1
"""
NAIVE_UPDATE = """
UPDATE opinion_request
   SET status = 'in_review', claimed_by_id = %(reviewer)s,
       claim_expires_at = now() + interval '8 hours', version = version + 1, updated_at = now()
 WHERE id = %(id)s
"""


def raw_claims(dsn: str, reviewer_id: str, concurrency: int) -> dict[str, Any]:
    """The reference: one autocommit UPDATE ... (SELECT ... FOR UPDATE SKIP LOCKED) per claim."""
    claimed: list[str] = []

    def client(_index: int) -> None:
        with psycopg.connect(dsn, autocommit=True) as connection:
            while True:
                row = connection.execute(RAW_CLAIM, {"reviewer": reviewer_id}).fetchone()
                if row is None:
                    break
                claimed.append(row[0])

    start, end = _run_threads(concurrency, client)
    return {"wall": end - start, "claimed": claimed}


def naive_claims(dsn: str, reviewer_id: str, concurrency: int) -> dict[str, Any]:
    """The control that must fail: select the first waiting case, then update it by id, in one
    READ COMMITTED transaction. Two clients that read the same id both "win" it."""
    claimed: list[str] = []

    def client(_index: int) -> None:
        with psycopg.connect(dsn) as connection:
            while True:
                with connection.transaction():
                    row = connection.execute(NAIVE_SELECT).fetchone()
                    if row is None:
                        break
                    connection.execute(NAIVE_UPDATE, {"reviewer": reviewer_id, "id": row[0]})
                claimed.append(row[0])

    start, end = _run_threads(concurrency, client)
    return {"wall": end - start, "claimed": claimed}
