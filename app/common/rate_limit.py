"""A small in-process sliding-window rate limiter (per client address).

Per process: several instances behind a proxy each count on their own; the proxy's own limit is
the real guard in production (see the README's deployment notes). Memory is bounded by keeping
at most `max_clients` addresses, least recently seen first out: a flood of new addresses forgets
the oldest one at a time, never every client at once (which would lift everyone's limit)."""

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from app.problems import RateLimited


class RateLimiter:
    def __init__(self, *, per_minute: Callable[[], int], max_clients: int = 10_000) -> None:
        self.per_minute = per_minute
        self.max_clients = max_clients
        self.hits: OrderedDict[str, deque[float]] = OrderedDict()
        self.lock = threading.Lock()

    def hit(self, client: str) -> None:
        now = time.monotonic()
        with self.lock:
            window = self.hits.setdefault(client, deque())
            self.hits.move_to_end(client)
            while len(self.hits) > self.max_clients:
                self.hits.popitem(last=False)
            while window and window[0] < now - 60:
                window.popleft()
            if len(window) >= self.per_minute():
                raise RateLimited("Too many verification requests; try again in a minute")
            window.append(now)

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()
