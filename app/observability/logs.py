"""Structured logs: one JSON object per line, and never personal data.

Only our own loggers speak above WARNING; libraries that could log request contents (SQL
parameters, multipart parts, PDF warnings that quote documents) are held at WARNING.
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

QUIET_LIBRARIES = (
    "sqlalchemy",
    "multipart",
    "python_multipart",
    "PIL",
    "pypdf",
    "httpx",
    "uvicorn.access",
    "alembic",
)
STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Emits `{"time", "level", "logger", "message", ...extra}` as one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in STANDARD_ATTRIBUTES})
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries()


def quiet_libraries() -> None:
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
