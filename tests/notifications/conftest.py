"""Real peers for notification tests: an HTTP receiver on 127.0.0.1 that records every request
(and can be told to fail, redirect, hold or stall), an aiosmtpd SMTP server in the test process,
and the delivery worker driven round by round."""

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.config import Settings, get_settings
from app.db import get_sessionmaker
from app.notifications.worker import run_once, scan


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A receiver on 127.0.0.1: answers `script` in turn (then 200), records what arrives, and
    notes any webhook-id that arrives while the same id is still being answered."""

    url: str
    received: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    in_flight: set[str] = field(default_factory=set)
    overlaps: list[str] = field(default_factory=list)
    delay: float = 0.0
    extra_headers: dict[str, str] = field(default_factory=dict)
    answer_body: bytes = b"ok"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.received]

    def of_type(self, event_type: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.json()["type"] == event_type]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            webhook_id = headers.get("webhook-id", "")
            with receiver.lock:
                if webhook_id in receiver.in_flight:
                    receiver.overlaps.append(webhook_id)
                receiver.in_flight.add(webhook_id)
                receiver.received.append(Received(headers, body, self.path))
                status = receiver.script.pop(0) if receiver.script else 200
            receiver.arrived.set()
            try:
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(receiver.answer_body)))
                self.end_headers()
                self.wfile.write(receiver.answer_body)
            finally:
                with receiver.lock:
                    receiver.in_flight.discard(webhook_id)

        def log_message(self, *_args: object) -> None:
            return

    return Handler


def start_receiver() -> tuple[Receiver, Callable[[], None]]:
    receiver = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()

    return receiver, stop


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found, stop = start_receiver()
    yield found
    stop()


class Mailbox:
    """aiosmtpd handler: keeps every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Smtp:
    port: int
    mailbox: Mailbox
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self, hostname: str = "127.0.0.1", **kwargs: Any) -> None:
        self.controller = Controller(self.mailbox, hostname=hostname, port=self.port, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp(port=free_port(), mailbox=Mailbox())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def notify(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for fast, local deliveries: loopback receivers allowed, no waiting between
    retries (the schedule itself is tested on its own), email off until a test turns it on."""
    settings = get_settings()
    monkeypatch.setattr(settings, "webhook_allow_private", True)
    monkeypatch.setattr(settings, "notify_backoff_base_seconds", 0.0)
    monkeypatch.setattr(settings, "smtp_url", None)
    monkeypatch.setattr(settings, "mail_from", "imwu-intake@notify.example")
    return settings


def drain(settings: Settings, *, rounds: int = 50) -> int:
    """Run the worker until a round finds nothing to send; the number of attempts made."""
    total = 0
    for _ in range(rounds):
        sent = run_once(get_sessionmaker(), settings)
        if sent == 0:
            return total
        total += sent
    raise AssertionError("the worker never ran out of deliveries")


def scan_now() -> int:
    return scan(get_sessionmaker())
