"""What every benchmark needs: the machine, scratch databases, a served app, memory samples.

Nothing here imports the service's settings: the app runs in subprocesses that each read their own
`IMWU_*` environment, so one bench run can drive several databases.
"""

import contextlib
import hashlib
import http.client
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_SERVER = os.environ.get("IMWU_BENCH_PG", "postgres@127.0.0.1:5432")
"""user@host:port of the PostgreSQL server; the bench creates and drops its own databases."""
LIBRARIES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "python-multipart",
    "sqlalchemy",
    "psycopg",
    "pypdf",
    "pillow",
    "reportlab",
    "fpdf2",
)
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


# --- Statistics ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile, linearly interpolated (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else float("nan"),
        "mean": statistics.fmean(ms) if ms else float("nan"),
    }


# --- The machine --------------------------------------------------------------------------------


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def _cpu_times() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]), idle


def busy_fraction(seconds: float = 1.0) -> float:
    """How busy the whole machine is, 0..1, over `seconds` while this bench runs nothing."""
    total0, idle0 = _cpu_times()
    time.sleep(seconds)
    total1, idle1 = _cpu_times()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


@dataclass
class Quiet:
    """What the machine was doing (without us) just before a measurement."""

    load: tuple[float, float, float]
    busy: float
    waited_s: float

    def text(self) -> str:
        load = "/".join(f"{v:.2f}" for v in self.load)
        waited = f", waited {self.waited_s:.0f} s for it" if self.waited_s else ""
        return f"load average {load}, machine {self.busy:.0%} busy without the bench{waited}"


def wait_for_quiet(
    max_busy: float = 0.25, max_wait_s: float = float(os.environ.get("IMWU_BENCH_MAX_WAIT", 120))
) -> Quiet:
    """Wait until other processes (other agents' tests) leave the CPUs mostly idle.

    The load average lags a minute behind and counts our own previous section, so the check is
    the machine's busy fraction over one second while the bench itself is idle."""
    start = time.monotonic()
    busy = busy_fraction()
    while busy > max_busy and time.monotonic() - start < max_wait_s:
        print(f"  machine {busy:.0%} busy without the bench: waiting", flush=True)
        time.sleep(4)
        busy = busy_fraction()
    waited = time.monotonic() - start - 1.0
    return Quiet(load=load_average(), busy=busy, waited_s=max(0.0, waited) if waited > 2 else 0.0)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def code_version() -> str:
    """The commit measured, and whether app code had uncommitted changes (others edit it too)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("log", "-1", "--format=%h %s")
    dirty = git("status", "--porcelain", "--", "app", "migrations")
    if not dirty:
        return head
    changes = hashlib.sha256((dirty + git("diff", "--", "app", "migrations")).encode())
    return f"{head} + uncommitted changes in app/ or migrations/ ({changes.hexdigest()[:8]})"


def machine() -> dict[str, Any]:
    with psycopg.connect(admin_dsn("postgres")) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code": code_version(),
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "cpu": _cpu_model(),
        "memory_gib": round(_mem_total_gib(), 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": postgres[0] if postgres else "?",
        "sqlite": sqlite3.sqlite_version,
        "libraries": {name: _version(name) for name in LIBRARIES},
        "load_at_start": load_average(),
    }


# --- Scratch databases --------------------------------------------------------------------------


def admin_dsn(database: str) -> str:
    return f"postgresql://{PG_SERVER}/{database}"


def libpq_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def pg_database(label: str) -> Iterator[str]:
    """A new, empty database `<prefix>_<label>_<pid>`, dropped afterwards; yields its URL (the
    prefix is IMWU_BENCH_DB_PREFIX, default `imwu_bench`)."""
    name = f"{os.environ.get('IMWU_BENCH_DB_PREFIX', 'imwu_bench')}_{label}_{os.getpid()}"
    with psycopg.connect(admin_dsn("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(admin_dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url: str, storage_dir: Path) -> dict[str, str]:
    """The environment of a process of the app: its own database and store, defaults otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMWU_")}
    env.update(
        IMWU_DATABASE_URL=database_url,
        IMWU_STORAGE_DIR=str(storage_dir),
        PYTHONPATH=str(ROOT),
    )
    return env


def run_tool(module: str, args: Sequence[str], *, env: dict[str, str], timeout: float) -> Any:
    """Run `python -m module args` in the app's environment; its last stdout line is JSON."""
    done = subprocess.run(
        [PYTHON, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- A served app -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """`imwu serve` in a subprocess (bench/server.py: its code path, plus a discard endpoint)."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 1) -> None:
        self.workdir = workdir
        self.workers = workers
        self.env = app_env(database_url, workdir / "storage")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> "Server":
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / f"server-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [
                PYTHON,
                *("-m", "bench.server", "--port", str(self.port)),
                *("--workers", str(self.workers)),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see its log in {self.workdir}")
            with contextlib.suppress(OSError):
                if Http(self.port).get("/healthz")[0] == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError("the server did not answer /healthz within 90 s")

    def __exit__(self, *_exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Http:
    """One keep-alive HTTP/1.1 connection (stdlib: the lightest client for a 2-core machine)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, float]:
        """Status, body and seconds from sending to the last byte of the answer."""
        for attempt in (1, 2):
            start = time.perf_counter()
            try:
                self.connection.request(method, path, body, {**self.headers, **(headers or {})})
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # the server closed an idle keep-alive connection
                if attempt == 2:
                    raise
                continue
            return response.status, data, time.perf_counter() - start
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, bytes, float]:
        return self.request("GET", path)

    def post_json(self, path: str, payload: Any) -> tuple[int, bytes, float]:
        body = json.dumps(payload).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json"})

    def close(self) -> None:
        self.connection.close()


def multipart(
    fields: dict[str, str], filename: str, data: bytes, content_type: str
) -> tuple[bytes, str]:
    """A multipart/form-data body built once (so clients spend no CPU encoding it per request)."""
    boundary = "imwu-bench-" + os.urandom(8).hex()
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        f"\r\nContent-Type: {content_type}\r\n\r\n"
    ).encode()
    body = b"".join(parts) + head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Prober:
    """GETs a path again and again on its own connection while a load runs; keeps latencies."""

    def __init__(
        self, port: int, path: str = "/healthz", pause_s: float = 0.01, token: str | None = None
    ) -> None:
        self.port, self.path, self.pause_s, self.token = port, path, pause_s, token
        self.timed: list[tuple[float, float]] = []  # (when sent, seconds)
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        client = Http(self.port, self.token)
        while not self._stop.is_set():
            sent = time.perf_counter()
            try:
                status, _, seconds = client.get(self.path)
            except OSError:
                self.failures += 1
                continue
            if status == 200:
                self.timed.append((sent, seconds))
            else:
                self.failures += 1
            self._stop.wait(self.pause_s)
        client.close()

    def within(self, start: float, end: float) -> list[float]:
        """Latencies of the probes sent between `start` and `end` (perf_counter, any process)."""
        return [seconds for sent, seconds in self.timed if start <= sent <= end]

    def __enter__(self) -> "Prober":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- Memory of a process tree -------------------------------------------------------------------


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return int(stat[stat.rindex(b")") + 2 :].split()[1])


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_bytes().split()[1]) * PAGE
    except (OSError, IndexError):
        return 0


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_bytes().splitlines():
            if line.startswith(b"Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children that it has reaped (user + system)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(b")") + 2 :].split()
    return sum(int(v) for v in fields[11:15]) / CLOCK_TICK


def machine_busy_seconds() -> float:
    """CPU-seconds spent by the whole machine (every core) since boot, idle excluded."""
    total, idle = _cpu_times()
    return (total - idle) / CLOCK_TICK


@dataclass
class MemorySample:
    at: float
    rss: int
    root_rss: int
    pss: int
    processes: int


@dataclass
class TreeSampler:
    """Samples the RSS (and PSS) of a process and all its descendants every `interval_s`.

    Descendants are found through /proc (each new pid's parent is read once): the document
    inspection helpers are the server's children and each file is inspected in a grandchild that
    lives for tens of milliseconds, so the tree is refreshed on every sample. RSS counts pages
    shared by a helper and its forked child twice; PSS splits them, so it is reported beside it.
    """

    root: int
    interval_s: float = 0.003
    pss_every: int = 4
    samples: list[MemorySample] = field(default_factory=list)
    _parents: dict[int, int | None] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def tree(self) -> list[int]:
        alive = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        for gone in self._parents.keys() - alive:
            del self._parents[gone]
        for pid in alive - self._parents.keys():
            self._parents[pid] = _ppid(pid)
        children: dict[int, list[int]] = {}
        for pid, parent in self._parents.items():
            if parent is not None:
                children.setdefault(parent, []).append(pid)
        members, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            members.append(pid)
            todo.extend(children.get(pid, ()))
        return members

    def sample(self, with_pss: bool) -> MemorySample:
        members = self.tree()
        sizes = [_rss(pid) for pid in members]
        pss = sum(_pss(pid) for pid in members) if with_pss else 0
        return MemorySample(time.perf_counter(), sum(sizes), sizes[0], pss, len(members))

    def _run(self) -> None:
        tick = 0
        while not self._stop.is_set():
            self.samples.append(self.sample(with_pss=tick % self.pss_every == 0))
            tick += 1
            self._stop.wait(self.interval_s)

    def cpu(self) -> dict[int, float]:
        """CPU seconds of each process of the tree now (a helper's include its reaped children)."""
        return {pid: cpu_seconds(pid) for pid in self.tree()}

    def idle(self, seconds: float = 0.5) -> MemorySample:
        """The median RSS over `seconds` of rest (PSS of the last sample)."""
        taken = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            taken.append(self.sample(with_pss=False))
            time.sleep(0.01)
        last = self.sample(with_pss=True)
        return MemorySample(
            last.at,
            int(statistics.median(s.rss for s in taken)),
            int(statistics.median(s.root_rss for s in taken)),
            last.pss,
            last.processes,
        )

    def __enter__(self) -> "TreeSampler":
        self.samples = []
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def peak(self) -> dict[str, float]:
        with_pss = [s for s in self.samples if s.pss]
        gaps = [b.at - a.at for a, b in zip(self.samples, self.samples[1:], strict=False)]
        return {
            "rss": max(s.rss for s in self.samples),
            "root_rss": max(s.root_rss for s in self.samples),
            "pss": max(s.pss for s in with_pss) if with_pss else 0,
            "processes": max(s.processes for s in self.samples),
            "samples": len(self.samples),
            "interval_ms_p50": percentile(gaps, 50) * 1000 if gaps else float("nan"),
        }


# --- Running work in another process ------------------------------------------------------------


def scratch_dir(label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"imwu-bench-{label}-"))
