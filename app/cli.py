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
    from app.audit.service import verify_chain

    with get_sessionmaker().begin() as session:
        broken = verify_chain(session)
    if broken is None:
        print("audit chain intact")
        return 0
    print(f"audit chain broken at event {broken.seq}: {broken.reason}", file=sys.stderr)
    return 1


def _purge(_args: argparse.Namespace) -> int:
    from app.retention.service import purge, remove_files

    with get_sessionmaker().begin() as session:
        report = purge(session)
    remove_files(report.keys)
    print(json.dumps({"cases": report.cases, "documents": report.documents, "bytes": report.bytes}))
    return 0


def _reference_load(args: argparse.Namespace) -> int:
    """Validate a reference directory, show what changes for open cases, store it unless
    --dry-run (app.triage.reference_update)."""
    from pathlib import Path

    from app.common.clock import today
    from app.eligibility.reference import ReferenceDataError, read_reference_files
    from app.eligibility.versions import remember_active
    from app.triage.reference_update import report_lines, update_reference

    try:
        files = read_reference_files(Path(args.directory))
        sessions = get_sessionmaker()
        # A dry run closes its session without committing: nothing it touched is kept.
        with sessions() if args.dry_run else sessions.begin() as session:
            report = update_reference(session, files=files, dry_run=args.dry_run, today=today())
    except ReferenceDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if report.number is not None:
        remember_active(report.number, report.reference)
    print("\n".join(report_lines(report, dry_run=args.dry_run)))
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

    reference = commands.add_parser("reference").add_subparsers(dest="action", required=True)
    load_cmd = reference.add_parser(
        "load", help="validate a reference directory, store it and re-triage open cases"
    )
    load_cmd.add_argument("directory")
    load_cmd.add_argument(
        "--dry-run", action="store_true", help="only show which findings would change"
    )
    load_cmd.set_defaults(handler=_reference_load)

    audit = commands.add_parser("audit").add_subparsers(dest="action", required=True)
    audit.add_parser("verify", help="walk the audit chain").set_defaults(handler=_audit_verify)
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
