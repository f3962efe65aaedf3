"""Where webhooks may go: https in production, and never to private, loopback, link-local or
cloud metadata addresses (unless `IMWU_WEBHOOK_ALLOW_PRIVATE=true`).

The address is checked when an endpoint is registered and again on every delivery, at the moment
of connecting: `GuardedBackend` resolves the name, refuses if any address is forbidden and
connects to the address it checked, so a DNS answer that changes between the check and the
connection (rebinding) cannot reach an internal service.
"""

import ipaddress
import socket
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})


class UnsafeDestination(Exception):
    """The URL or the address it resolves to is not allowed; the message names no secret."""


def forbidden_address(address: IPAddress) -> bool:
    """Anything not globally routable: private, loopback, link-local (169.254.169.254, the
    metadata service), shared (100.64/10), multicast, reserved, and IPv4 mapped in IPv6."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden_address(address.ipv4_mapped)
    return not address.is_global or address.is_multicast


def check_url(url: str, *, environment: str, allow_private: bool) -> SplitResult:
    """Refuse a URL the service must not call: not http(s), credentials in it, no host, plain
    http outside development (in tests, plain http only to the loopback)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeDestination("The URL must be an absolute https URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("The URL must not carry credentials")
    if parts.scheme == "http" and not (
        environment == "development" or (environment == "test" and _is_loopback(host))
    ):
        raise UnsafeDestination("Only https URLs are allowed")
    if host in METADATA_HOSTS and not allow_private:
        raise UnsafeDestination("The URL points to a metadata service")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise UnsafeDestination("The URL's port is not valid") from exc
    return parts


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses of `host`, all checked; any forbidden one refuses the whole name (a name
    that also points inside is not trusted with the outside half)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeDestination("The host name does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private and any(forbidden_address(ipaddress.ip_address(a)) for a in addresses):
        raise UnsafeDestination("The host resolves to a private or reserved address")
    if not addresses:
        raise UnsafeDestination("The host name does not resolve")
    return addresses


class _DeadlineStream(httpcore.NetworkStream):
    """Every read and write gets at most what is left of one overall deadline, so a receiver
    that drips bytes cannot hold a worker longer than the timeout."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self.inner, self.deadline = inner, deadline

    def _left(self, timeout: float | None) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the delivery took too long")
        return left if timeout is None else min(left, timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self._left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self._left(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self.inner.start_tls(ssl_context, server_hostname, self._left(timeout))
        return _DeadlineStream(inner, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, connecting only to checked addresses, within one deadline."""

    def __init__(self, *, allow_private: bool, timeout: float) -> None:
        self.allow_private = allow_private
        self.deadline = time.monotonic() + timeout
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port, allow_private=self.allow_private)
        left = max(0.001, self.deadline - time.monotonic())
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self.inner.connect_tcp(
                    address, port, min(left, timeout or left), local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
                continue
            return _DeadlineStream(stream, self.deadline)
        raise error or httpcore.ConnectError("no address answered")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
