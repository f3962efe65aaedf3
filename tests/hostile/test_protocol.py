"""Bodies that lie about their length, sent over a raw socket to a real `imwu serve` process.

The in-process test client always sends the body it declares, so these cases need a real server:
one that waits for bytes that never come would hold a connection for ever (uvicorn has no read
timeout of its own; the app's body deadline, 1 s here, must answer instead).
"""

import json
import re
import socket
import time

import pytest

from tests.hostile.checks import PROBLEM, assert_healthy, assert_nothing_stored
from tests.hostile.conftest import RECEIVE_TIMEOUT_S, LiveServer
from tests.hostile.corpus import CANARY
from tests.intake.scenarios import t11_body

CLIENT_TIMEOUT_S = 10.0
"""Ten times the server's body deadline: a test that waits this long found a hang."""

_STATUS_LINE = re.compile(rb"^HTTP/1\.1 (\d{3}) ", re.MULTILINE)


def _exchange(server: LiveServer, payload: bytes) -> bytes:
    """Send `payload`, then read until the server closes; a silent, open connection fails."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=CLIENT_TIMEOUT_S) as sock:
        sock.sendall(payload)
        received = bytearray()
        while True:
            try:
                chunk = sock.recv(65_536)
            except TimeoutError:
                pytest.fail(f"no answer and no close in {CLIENT_TIMEOUT_S} s: {bytes(received)!r}")
            if not chunk:
                # Closed promptly: at most the body deadline, plus a margin for a busy machine.
                assert time.monotonic() - started < RECEIVE_TIMEOUT_S + 3
                return bytes(received)
            received += chunk


def _request(
    server: LiveServer,
    path: str,
    *,
    content_type: str,
    declared: int | str,
    body: bytes,
    keep_alive: bool = False,
) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {server.rep['Authorization']}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {declared}\r\n"
        + ("" if keep_alive else "Connection: close\r\n")
        + "\r\n"
    )
    return head.encode() + body


def _statuses(raw: bytes) -> list[int]:
    return [int(code) for code in _STATUS_LINE.findall(raw)]


def _problem(raw: bytes) -> dict[str, object]:
    """The JSON body of the first response in `raw`."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert f"content-type: {PROBLEM}".encode() in head.lower()
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    problem: dict[str, object] = json.loads(rest[:length])
    return problem


def _multipart(pdf_text: str) -> tuple[str, bytes]:
    boundary = "hostileboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncv\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{CANARY}.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + pdf_text.encode()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server


class TestDeclaredMoreThanSent:
    """The server answers 408 `request_timeout` after its body deadline and closes; it never
    waits for the missing bytes."""

    def test_json_body_cut_short_gets_408_and_a_close(self, server: LiveServer) -> None:
        body = json.dumps(t11_body()).encode()
        raw = _exchange(
            server,
            _request(
                server,
                "/api/v1/requests",
                content_type="application/json",
                declared=len(body) + 1000,
                body=body,
                keep_alive=True,
            ),
        )
        assert _statuses(raw) == [408]
        assert _problem(raw)["code"] == "request_timeout"
        assert b"Rivera" not in raw
        with server.client() as http:
            assert_healthy(http)
            listing = http.get("/api/v1/requests", headers=server.rep).json()
            assert [item["id"] for item in listing["items"]] == [server.request_id]

    def test_headers_only_gets_408(self, server: LiveServer) -> None:
        raw = _exchange(
            server,
            _request(
                server,
                "/api/v1/requests",
                content_type="application/json",
                declared=1000,
                body=b"",
                keep_alive=True,
            ),
        )
        assert _statuses(raw) == [408]
        assert _problem(raw)["code"] == "request_timeout"
        with server.client() as http:
            assert_healthy(http)

    def test_upload_cut_short_gets_408_and_stores_nothing(self, server: LiveServer) -> None:
        content_type, body = _multipart("%PDF-1.7\n" + "x" * 5000)
        raw = _exchange(
            server,
            _request(
                server,
                f"/api/v1/requests/{server.request_id}/documents",
                content_type=content_type,
                declared=len(body) + 100_000,
                body=body[: len(body) // 2],
                keep_alive=True,
            ),
        )
        assert _statuses(raw) == [408]
        assert _problem(raw)["code"] == "request_timeout"
        assert CANARY.encode() not in raw
        with server.client() as http:
            assert_nothing_stored(
                http, server.rep, server.request_id, storage_dir=server.storage_dir
            )


class TestDeclaredLessThanSent:
    """Only the declared bytes are the body; what follows is a (bad) next request. No 500."""

    def test_json_body_longer_than_declared(self, server: LiveServer) -> None:
        body = json.dumps(t11_body()).encode()
        raw = _exchange(
            server,
            _request(
                server,
                "/api/v1/requests",
                content_type="application/json",
                declared=10,
                body=body,
            ),
        )
        assert _statuses(raw) == [422]
        assert _problem(raw)["code"] == "validation_error"
        assert b"Rivera" not in raw
        with server.client() as http:
            assert_healthy(http)
            listing = http.get("/api/v1/requests", headers=server.rep).json()
            assert [item["id"] for item in listing["items"]] == [server.request_id]

    def test_extra_bytes_on_a_kept_alive_connection_are_a_bad_next_request(
        self, server: LiveServer
    ) -> None:
        """uvicorn parses the surplus as the next request, answers it `400 text/plain` itself
        (outside the app, so not problem+json) and closes; nothing reaches a handler."""
        body = json.dumps(t11_body()).encode()
        raw = _exchange(
            server,
            _request(
                server,
                "/api/v1/requests",
                content_type="application/json",
                declared=10,
                body=body,
                keep_alive=True,
            ),
        )
        statuses = _statuses(raw)
        assert statuses
        assert all(400 <= status < 500 for status in statuses)
        assert b"Rivera" not in raw
        with server.client() as http:
            assert_healthy(http)
            listing = http.get("/api/v1/requests", headers=server.rep).json()
            assert [item["id"] for item in listing["items"]] == [server.request_id]

    def test_upload_longer_than_declared(self, server: LiveServer) -> None:
        content_type, body = _multipart("%PDF-1.7\n" + "x" * 5000)
        raw = _exchange(
            server,
            _request(
                server,
                f"/api/v1/requests/{server.request_id}/documents",
                content_type=content_type,
                declared=len(body) // 2,
                body=body,
            ),
        )
        assert _statuses(raw) == [422]
        assert _problem(raw)["code"] == "validation_error"
        assert CANARY.encode() not in raw
        with server.client() as http:
            assert_nothing_stored(
                http, server.rep, server.request_id, storage_dir=server.storage_dir
            )


class TestMalformedFraming:
    def test_non_numeric_content_length_is_a_4xx(self, server: LiveServer) -> None:
        raw = _exchange(
            server,
            _request(
                server,
                "/api/v1/requests",
                content_type="application/json",
                declared="12abc",
                body=b'{"language":"en"}',
            ),
        )
        statuses = _statuses(raw)
        assert statuses
        assert all(400 <= status < 500 for status in statuses)
        with server.client() as http:
            assert_healthy(http)

    def test_chunked_json_over_the_limit_is_cut_off(self, server: LiveServer) -> None:
        chunk = b"x" * 65_536
        head = (
            "POST /api/v1/requests HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {server.rep['Authorization']}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(8))
        raw = _exchange(server, head + chunks + b"0\r\n\r\n")
        assert _statuses(raw) == [413]
        assert _problem(raw)["code"] == "payload_too_large"
        with server.client() as http:
            assert_healthy(http)
