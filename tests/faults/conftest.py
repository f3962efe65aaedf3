"""Real `imwu serve` processes on their own databases and storage, and a TCP proxy that can cut
the database off: the faults suite breaks the service the way production breaks it."""

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.auth.models import Role
from app.auth.schemas import AccountCreate
from app.auth.service import create_account
from app.db import make_engine
from app.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]
PORTS = range(18100, 18200)
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres connect_timeout=5"
_TAKEN: set[int] = set()
_TAKEN_LOCK = threading.Lock()


def free_port() -> int:
    """A port of 18100-18199 that nobody listens on and that this run has not handed out."""
    candidates = list(PORTS)
    random.shuffle(candidates)
    with _TAKEN_LOCK:
        for port in candidates:
            if port in _TAKEN:
                continue
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _TAKEN.add(port)
            return port
    raise RuntimeError("no free port in 18100-18199")


class PortTaken(Exception):
    pass


@dataclass
class Server:
    """One `imwu serve` process (in its own process group, so SIGKILL takes its helpers too)."""

    database_url: str
    storage_dir: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    """More settings (e.g. an S3 store's IMWU_STORAGE_URL instead of `storage_dir`)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "IMWU_DATABASE_URL": self.database_url,
            "IMWU_STORAGE_URL": self.storage_dir.resolve().as_uri(),
            "IMWU_DATA_DIR": str(self.storage_dir.parent / "data"),
            "IMWU_ENVIRONMENT": "test",
            **self.extra_env,
        }

    def start(self, timeout_s: float = 60) -> "Server":
        """Start and wait for /healthz; on a port taken meanwhile by someone else, take another."""
        for _ in range(3):
            try:
                return self._start(timeout_s)
            except PortTaken:
                self.port = free_port()
        raise RuntimeError(f"imwu serve found no free port:\n{self.log_tail()}")

    def _start(self, timeout_s: float) -> "Server":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "address already in use" in self.log_tail(5).lower():
                    raise PortTaken(self.port)
                raise RuntimeError(f"imwu serve exited early:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(
            f"imwu serve did not answer /healthz in {timeout_s}s:\n{self.log_tail()}"
        )

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hook, no flush, no goodbye."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM, wait_s=15)

    def _signal(self, signum: int, wait_s: float = 10) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)
        try:
            self.process.wait(wait_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `imwu <args>` against this server's database and storage."""
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


ServerFactory = Callable[..., Server]


@contextlib.contextmanager
def server_factory(log_dir: Path) -> Iterator[ServerFactory]:
    """Start `imwu serve` on a database URL and a storage directory; every one is stopped after."""
    servers: list[Server] = []

    def start(database_url: str, storage_dir: Path, env: dict[str, str] | None = None) -> Server:
        server = Server(
            database_url=database_url,
            storage_dir=storage_dir,
            log_path=log_dir / f"serve-{uuid.uuid4().hex[:8]}.log",
            extra_env=env or {},
        )
        servers.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[ServerFactory]:
    with server_factory(tmp_path) as start:
        yield start


def start_together(
    start: ServerFactory,
    database_url: str,
    storage: Path,
    count: int,
    env: dict[str, str] | None = None,
) -> list[Server]:
    """Start `count` servers at once (about 2 s of imports each, paid in parallel)."""
    started: list[Server] = []
    failures: list[Exception] = []

    def boot() -> None:
        try:
            started.append(start(database_url, storage, env))
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=boot) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if failures:
        raise failures[0]
    return started


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(sql)


def pg_url(name: str, port: int = PG_PORT) -> str:
    return f"postgresql+psycopg://postgres@{PG_HOST}:{port}/{name}"


def create_pg_database() -> str:
    """A fresh, empty `imwu_faults_*` database. PostgreSQL being down fails the test: CI has it."""
    name = f"imwu_faults_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        _pg_admin(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as exc:
        pytest.fail(f"the faults suite needs PostgreSQL at {PG_HOST}:{PG_PORT}: {exc}")
    return name


def drop_pg_database(name: str) -> None:
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_database() -> Iterator[Callable[[], str]]:
    """Make fresh PostgreSQL databases for one test; each is dropped after it."""
    names: list[str] = []

    def make() -> str:
        names.append(create_pg_database())
        return names[-1]

    yield make
    for name in names:
        drop_pg_database(name)


class Seed:
    """Direct access to a server's database from the test: migrate it, make accounts, query it."""

    def __init__(self, database_url: str) -> None:
        upgrade(database_url)
        self.engine: Engine = make_engine(database_url)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=False)

    def account(self, role: str, organization: str | None = None) -> tuple[str, dict[str, str]]:
        """A new account's id and its `Authorization` header."""
        with self.sessions.begin() as session:
            account, token = create_account(
                session,
                data=AccountCreate(
                    role=Role(role),
                    name=f"Fault {role}",
                    email=f"{role}-{uuid.uuid4().hex[:10]}@faults.example.com",
                    organization=organization,
                ),
            )
            return account.id, {"Authorization": f"Bearer {token}"}

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def seed() -> Iterator[Callable[[str], Seed]]:
    seeds: list[Seed] = []

    def make(database_url: str) -> Seed:
        seeds.append(Seed(database_url))
        return seeds[-1]

    yield make
    for made in seeds:
        made.close()


class TcpProxy:
    """Forwards a local port to PostgreSQL (or another `target`). `cut()` stops listening and drops every live
    connection (the database is gone); `blackhole()` drops them too but then accepts connections
    and never answers (a network partition); `restore()` forwards on the same port again."""

    def __init__(self, target: tuple[str, int] = (PG_HOST, PG_PORT)) -> None:
        self.target = target
        self.port = free_port()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._forward = True
        self._acceptor: threading.Thread | None = None

    def restore(self) -> None:
        self._listen(forward=True)

    start = restore

    def blackhole(self) -> None:
        self._listen(forward=False)

    def cut(self) -> None:
        self._running.clear()
        if self._acceptor is not None:
            self._acceptor.join()  # it closes the listener: the port is free to listen again
            self._acceptor = None
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    stop = cut

    def _listen(self, *, forward: bool) -> None:
        self.cut()
        self._forward = forward
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.05)
        self._running.set()
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while self._running.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                client.settimeout(None)
                with self._lock:
                    self._sockets.add(client)
                if self._forward:
                    self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._sockets.add(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    tcp = TcpProxy()
    tcp.start()
    yield tcp
    tcp.stop()


def problem(response: httpx.Response) -> dict[str, Any]:
    """The problem+json body of an error answer (asserting that it is one)."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body
