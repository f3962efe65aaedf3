"""One clock for the whole service, so tests can reason about time and every `_at` is aware."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()
