"""Opaque keyset cursors: base64 of the sort key of the last item on the page."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, or_

from app.common.text import has_control_character
from app.problems import FieldError, ValidationFailed


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(values, list) or len(values) != arity:
        raise _bad_cursor()
    if any(isinstance(v, str) and has_control_character(v) for v in values):
        raise _bad_cursor()  # a NUL would reach the database in the keyset comparison
    return values


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not valid", errors=[FieldError(pointer="/query/cursor", message="invalid")]
    )


def older_than(
    cursor: str, created_at: SQLColumnExpression[datetime], row_id: SQLColumnExpression[str]
) -> ColumnElement[bool]:
    """The rows after `cursor` (made by `encode_cursor(created_at, id)` of a page's last row)
    in a newest-first order by (created_at, id)."""
    stamp, last_id = decode_cursor(cursor, 2)
    try:
        after = datetime.fromisoformat(str(stamp))
    except ValueError as exc:
        raise _bad_cursor() from exc
    return or_(created_at < after, and_(created_at == after, row_id < str(last_id)))
