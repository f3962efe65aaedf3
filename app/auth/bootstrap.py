"""The first admin, on a first start with no accounts.

Its token is written to a file only the service's user can read (mode 0600) under the data
directory, never printed or logged: container logs are kept, shipped and shared. The file is
written inside the transaction that creates the account, so a failed write leaves no admin
whose token nobody has."""

import os
from pathlib import Path

from app.auth.models import Role
from app.auth.schemas import AccountCreate
from app.auth.service import account_count, create_account
from app.db import get_sessionmaker

TOKEN_FILE_NAME = "bootstrap-admin-token"


def write_secret(path: Path, secret: str) -> Path:
    """Write `secret` to `path` with mode 0600 (created so, never world-readable for a moment),
    replacing any earlier file atomically. Returns the absolute path."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    os.replace(partial, path)
    return path


def bootstrap_admin(data_dir: Path) -> Path | None:
    """Create the first admin when there is no account; returns the token file's path, or None
    when accounts already exist."""
    with get_sessionmaker().begin() as session:
        if account_count(session) > 0:
            return None
        data = AccountCreate(
            role=Role.ADMIN, name="Administrator", email="admin@imwu-intake.example.com"
        )
        _account, token = create_account(session, data=data)
        return write_secret(data_dir / TOKEN_FILE_NAME, token)
