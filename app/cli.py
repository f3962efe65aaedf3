"""The `imwu` command: serve, migrate, accounts, tokens, storage."""

import argparse
import json
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from app.auth.models import Role
from app.auth.schemas import AccountCreate
from app.auth.service import account_count, create_account, revoke
from app.db import get_sessionmaker
from app.problems import AppError


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings
    from app.documents.service import file_store
    from app.migrate import startup_lock, upgrade
    from app.observability.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    with startup_lock():
        upgrade()
        _bootstrap_admin()
        _sign_pending_checkpoints()
    file_store().ensure()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        proxy_headers=True,
        timeout_keep_alive=5,
        limit_concurrency=args.limit_concurrency,
        workers=args.workers,
        h11_max_incomplete_event_size=16 * 1024,
        log_level="warning",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )
    del settings
    return 0


def _bootstrap_admin() -> None:
    """On first start with no accounts, create one admin and print its token once."""
    with get_sessionmaker().begin() as session:
        if account_count(session) > 0:
            return
        data = AccountCreate(
            role=Role.ADMIN, name="Administrator", email="admin@imwu-intake.example.com"
        )
        account, token = create_account(session, data=data)
    print(
        "No accounts existed: created an admin account. Its token is shown only now:\n"
        f"  IMWU_TOKEN={token}\n",
        flush=True,
    )
    del account


def _sign_pending_checkpoints() -> None:
    """The migration to per-case chains writes checkpoint 1 unsigned: the first start checks it
    against the events and signs it (app/audit/checkpoints.py). A tampered trail is reported,
    not signed, and the service still starts."""
    from app.audit.checkpoints import AuditTampered, sign_pending

    try:
        with get_sessionmaker().begin() as session:
            sign_pending(session)
    except AuditTampered as exc:
        print(f"audit: pending checkpoint not signed: {exc}", file=sys.stderr, flush=True)


def _migrate(_args: argparse.Namespace) -> int:
    from app.migrate import startup_lock, upgrade

    with startup_lock():
        upgrade()
    print("database is at the latest migration")
    return 0


def _accounts_create(args: argparse.Namespace) -> int:
    data = AccountCreate(
        role=Role(args.role), name=args.name, email=args.email, organization=args.organization
    )
    with get_sessionmaker().begin() as session:
        account, token = create_account(session, data=data)
        account_id = account.id
    print(json.dumps({"id": account_id, "token": token}))
    return 0


def _tokens_revoke(args: argparse.Namespace) -> int:
    with get_sessionmaker().begin() as session:
        count = revoke(session, token_or_account_id=args.id)
    print(json.dumps({"revoked": count}))
    return 0


def _storage_sweep(args: argparse.Namespace) -> int:
    from app.documents.service import sweep

    with get_sessionmaker().begin() as session:
        removed = sweep(session, grace_seconds=args.grace_seconds)
    print(json.dumps({"removed": len(removed), "keys": removed}))
    return 0


def _audit_verify(_args: argparse.Namespace) -> int:
    from app.audit.checkpoints import verify_checkpoints
    from app.audit.service import verify_chains

    with get_sessionmaker()() as session:
        broken = verify_chains(session)
        checked = verify_checkpoints(session)
    broken = broken or checked.broken
    if broken is None:
        print(f"audit chains intact; {checked.checked} checkpoint(s) verified")
        return 0
    print(f"audit trail broken at {broken}", file=sys.stderr)
    return 1


def _audit_checkpoint(args: argparse.Namespace) -> int:
    from app.audit.checkpoints import AuditTampered, checkpoint_now

    try:
        number = checkpoint_now(get_sessionmaker(), force=args.force)
    except AuditTampered as exc:
        print(f"audit checkpoint refused: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"checkpoint": number}))
    return 0


def _queue_release_lapsed(_args: argparse.Namespace) -> int:
    from app.queue.service import release_lapsed

    with get_sessionmaker().begin() as session:
        count = release_lapsed(session)
    print(json.dumps({"released": count}))
    return 0


def _purge(_args: argparse.Namespace) -> int:
    from app.retention.service import purge, remove_files

    with get_sessionmaker().begin() as session:
        report = purge(session)
    remove_files(report.keys)
    print(json.dumps({"cases": report.cases, "documents": report.documents, "bytes": report.bytes}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imwu", description="IMWU opinion-request intake")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--limit-concurrency", type=int, default=200)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)

    commands.add_parser("migrate", help="upgrade the database").set_defaults(handler=_migrate)

    accounts = commands.add_parser("accounts").add_subparsers(dest="action", required=True)
    create = accounts.add_parser("create", help="create an account and print its token")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--organization")
    create.set_defaults(handler=_accounts_create)

    tokens = commands.add_parser("tokens").add_subparsers(dest="action", required=True)
    revoke_cmd = tokens.add_parser("revoke", help="revoke a token, or every token of an account")
    revoke_cmd.add_argument("id")
    revoke_cmd.set_defaults(handler=_tokens_revoke)

    storage = commands.add_parser("storage").add_subparsers(dest="action", required=True)
    sweep_cmd = storage.add_parser("sweep", help="remove files no document owns")
    sweep_cmd.add_argument("--grace-seconds", type=float, default=3600)
    sweep_cmd.set_defaults(handler=_storage_sweep)

    commands.add_parser("purge", help="delete documents past retention").set_defaults(
        handler=_purge
    )

    audit = commands.add_parser("audit").add_subparsers(dest="action", required=True)
    audit.add_parser("verify", help="check every chain and checkpoint").set_defaults(
        handler=_audit_verify
    )
    checkpoint = audit.add_parser("checkpoint", help="sign pending, then seal every chain")
    checkpoint.add_argument("--force", action="store_true", help="even if no chain moved")
    checkpoint.set_defaults(handler=_audit_checkpoint)

    queue = commands.add_parser("queue").add_subparsers(dest="action", required=True)
    queue.add_parser(
        "release-lapsed", help="put cases whose claim lapsed back to `submitted`"
    ).set_defaults(handler=_queue_release_lapsed)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for error in exc.errors(include_input=False):
            print(f"error: {'.'.join(map(str, error['loc']))}: {error['msg']}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
