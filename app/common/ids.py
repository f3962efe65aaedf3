"""Identifiers: random, opaque, the same type on SQLite and PostgreSQL."""

import uuid


def new_id() -> str:
    return str(uuid.uuid4())
