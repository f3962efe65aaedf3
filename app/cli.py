"""The `imwu` command: serve, migrate, accounts, tokens, storage, keys."""

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from app.auth.models import Role
from app.auth.schemas import AccountCreate
from app.auth.service import create_account, revoke
from app.db import get_sessionmaker
from app.problems import AppError
from app.signing.keys import KeysMissing, KeysSupplied


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings
    from app.migrate import startup_lock, upgrade
    from app.observability.logs import configure_logging
    from app.signing.service import ensure_keys
    from app.storage import get_store

    settings = get_settings()
    configure_logging(settings.log_level)
    with startup_lock():
        ensure_keys()  # first: production without keys stops before touching the database
        upgrade()
        _bootstrap_admin(settings.data_dir)
        _sign_pending_checkpoints()
    get_store().ensure()
    options = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "proxy_headers": False,
        "timeout_keep_alive": 5,
        "limit_concurrency": args.limit_concurrency,
        "workers": args.workers,
        "h11_max_incomplete_event_size": 16 * 1024,
        "log_level": "warning",
        "access_log": False,
        "log_config": None,
        "timeout_graceful_shutdown": 10,
    }
    if args.workers > 1:
        _say_listening(args.host, args.port)
        uvicorn.run("app.main:create_app", **options)
        return 0
    config = uvicorn.Config("app.main:create_app", **options)
    sock = config.bind_socket()  # a port in use is logged by uvicorn and exits 1
    _say_listening(args.host, int(sock.getsockname()[1]))
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _say_listening(host: str, port: int) -> None:
    """The address the service answers on (the real port when `--port 0` let the system pick)."""
    shown = f"[{host}]" if ":" in host else host
    print(f"imwu-intake is listening on http://{shown}:{port} (API docs at /docs)", flush=True)


def _bootstrap_admin(data_dir: Path) -> None:
    """On first start with no accounts, create one admin; say where its token is, never what."""
    from app.auth.bootstrap import bootstrap_admin

    token_file = bootstrap_admin(data_dir)
    if token_file is not None:
        print(
            "No accounts existed: created an admin account. Its token is in\n"
            f"  {token_file}\n"
            "(readable by this user only): keep it somewhere safe, then delete the file.",
            flush=True,
        )


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
    from app.storage.maintenance import sweep

    with get_sessionmaker().begin() as session:
        removed = sweep(session, grace_seconds=args.grace_seconds)
    print(json.dumps({"removed": len(removed), "keys": removed}))
    return 0


def _storage_migrate(args: argparse.Namespace) -> int:
    """Copy every object to another store and verify it; the service's store stays as it is."""
    from app.config import get_settings
    from app.storage import get_store, store_for
    from app.storage.maintenance import migrate, owned_objects

    source, target = get_store(), store_for(args.to, get_settings())
    target.ensure()
    with get_sessionmaker().begin() as session:  # a short read: no lock held while copying
        owned = list(owned_objects(session))
    report = migrate(owned, source=source, target=target)
    print(
        json.dumps(
            {
                "from": source.describe(),
                "to": target.describe(),
                "copied": report.copied,
                "already_there": report.already_there,
                "failed": report.failed,
            }
        )
    )
    if not report.complete:
        print(
            "error: some objects were not copied; IMWU_STORAGE_URL must not change yet",
            file=sys.stderr,
        )
        return 1
    print(f"every object is in {target.describe()}: set IMWU_STORAGE_URL to it", file=sys.stderr)
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


def _purge(args: argparse.Namespace) -> int:
    from app.retention.service import purge, remove_objects

    if args.dry_run:  # the same work, rolled back: the report is exactly what a purge would do
        with get_sessionmaker()() as session:
            report = purge(session)
            session.rollback()
    else:
        with get_sessionmaker().begin() as session:
            report = purge(session)
        remove_objects(report.keys)
    summary = {"cases": report.cases, "documents": report.documents, "bytes": report.bytes}
    print(json.dumps({**summary, "dry_run": args.dry_run}))
    return 0


def _keys_init(_args: argparse.Namespace) -> int:
    from app.signing.service import init_keys

    created, key_id = init_keys()
    print(json.dumps({"created": created, "key_id": key_id}))
    return 0


def _keys_rotate(_args: argparse.Namespace) -> int:
    from app.signing.service import rotate_keys

    retired, key_id = rotate_keys()
    print(json.dumps({"retired": retired, "key_id": key_id}))
    return 0


HELP = argparse.ArgumentDefaultsHelpFormatter  # every option's help shows its default


def _worker(args: argparse.Namespace) -> int:
    """Deliver notifications until SIGTERM/SIGINT; several may run on one database."""
    import signal
    import threading

    from prometheus_client import start_http_server

    from app.config import get_settings
    from app.notifications.outbox import WAKE
    from app.notifications.worker import run, say_email_state
    from app.observability.logs import configure_logging
    from app.observability.metrics import REGISTRY

    settings = get_settings()
    configure_logging(settings.log_level)
    say_email_state(settings)
    if args.metrics_port:
        start_http_server(args.metrics_port, addr=args.metrics_host, registry=REGISTRY)
    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()
        WAKE.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print("delivering notifications; stop with Ctrl-C", flush=True)
    run(stop, get_sessionmaker(), settings)
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
    parser = argparse.ArgumentParser(
        prog="imwu",
        description="IMWU opinion-request intake. Settings come from IMWU_* environment "
        "variables (README, Settings); relative paths are taken from the current directory.",
        formatter_class=HELP,
    )
    parser.add_argument("--version", action="version", version=f"imwu {version('imwu-intake')}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="migrate, create the first admin if none, then serve", formatter_class=HELP
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free)")
    serve.add_argument(
        "--limit-concurrency", type=int, default=200, help="connections served at once per worker"
    )
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.set_defaults(handler=_serve, migrates=True)

    commands.add_parser(
        "migrate", help="upgrade the database to the latest migration", formatter_class=HELP
    ).set_defaults(handler=_migrate, migrates=True)

    accounts = commands.add_parser(
        "accounts", help="manage accounts", formatter_class=HELP
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    create = accounts.add_parser(
        "create", help="create an account and print its id and token", formatter_class=HELP
    )
    create.add_argument("--role", required=True, choices=[r.value for r in Role], help="role")
    create.add_argument("--name", required=True, help="the person's name")
    create.add_argument("--email", required=True, help="unique email address")
    create.add_argument(
        "--organization", help="employer or law firm (representatives only, required for them)"
    )
    create.set_defaults(handler=_accounts_create)

    tokens = commands.add_parser(
        "tokens", help="manage API tokens", formatter_class=HELP
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    revoke_cmd = tokens.add_parser(
        "revoke", help="revoke a token, or every token of an account", formatter_class=HELP
    )
    revoke_cmd.add_argument("id", help="a token id, or an account id (all its tokens)")
    revoke_cmd.set_defaults(handler=_tokens_revoke)

    storage = commands.add_parser(
        "storage", help="maintain the document store", formatter_class=HELP
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    sweep_cmd = storage.add_parser(
        "sweep", help="remove stored objects no document or letter owns", formatter_class=HELP
    )
    sweep_cmd.add_argument(
        "--grace-seconds",
        type=float,
        default=3600,
        help="leave files younger than this (an upload may still be committing)",
    )
    sweep_cmd.set_defaults(handler=_storage_sweep)
    migrate_cmd = storage.add_parser(
        "migrate",
        help="copy every object to another store (s3://... or file:///...), verified by SHA-256; "
        "resumable, switches nothing",
        formatter_class=HELP,
    )
    migrate_cmd.add_argument("--to", required=True, metavar="URL", help="the target store")
    migrate_cmd.set_defaults(handler=_storage_migrate)

    purge_cmd = commands.add_parser(
        "purge",
        help="delete documents past IMWU_RETENTION_DAYS / IMWU_DRAFT_IDLE_DAYS",
        formatter_class=HELP,
    )
    purge_cmd.add_argument(
        "--dry-run", action="store_true", help="report what would be deleted, delete nothing"
    )
    purge_cmd.set_defaults(handler=_purge)

    audit = commands.add_parser(
        "audit", help="check the audit trail", formatter_class=HELP
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    audit.add_parser(
        "verify",
        help="check every case's chain and every signed checkpoint; exit 1 at the first broken "
        "link",
        formatter_class=HELP,
    ).set_defaults(handler=_audit_verify)
    checkpoint = audit.add_parser(
        "checkpoint",
        help="sign pending checkpoints, then seal every chain in a new signed checkpoint",
        formatter_class=HELP,
    )
    checkpoint.add_argument(
        "--force", action="store_true", help="write one even if no chain moved"
    )
    checkpoint.set_defaults(handler=_audit_checkpoint)

    keys = commands.add_parser(
        "keys",
        help="the service CA and the keys that sign letters (IMWU_SIGNING_KEYS_DIR)",
        formatter_class=HELP,
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    keys.add_parser(
        "init",
        help="create the service CA and the first signing key and certificate, unless they exist",
        formatter_class=HELP,
    ).set_defaults(handler=_keys_init, database=False)
    keys.add_parser(
        "rotate",
        help="make a new signing key and certificate; the old one is retired but kept and "
        "still published, so letters it signed keep validating",
        formatter_class=HELP,
    ).set_defaults(handler=_keys_rotate, database=False)

    worker = commands.add_parser(
        "worker", help="deliver webhooks and email (no HTTP server)", formatter_class=HELP
    )
    worker.add_argument(
        "--metrics-port", type=int, default=0, help="serve /metrics on this port (0: none)"
    )
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address for /metrics")
    worker.set_defaults(handler=_worker)

    reference = commands.add_parser(
        "reference", help="versioned reference data", formatter_class=HELP
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    load_cmd = reference.add_parser(
        "load",
        help="validate a reference directory, store it as the next version and re-triage open "
        "cases",
        formatter_class=HELP,
    )
    load_cmd.add_argument("directory", help="a folder with the reference files")
    load_cmd.add_argument(
        "--dry-run", action="store_true", help="only show which findings would change"
    )
    load_cmd.set_defaults(handler=_reference_load)

    queue = commands.add_parser(
        "queue", help="queue maintenance", formatter_class=HELP
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    queue.add_parser(
        "release-lapsed",
        help="put cases whose claim lapsed back to `submitted` (claims and the queue already "
        "treat them as waiting)",
        formatter_class=HELP,
    ).set_defaults(handler=_queue_release_lapsed)
    return parser


class CommandError(Exception):
    """An expected failure: one line on stderr, exit status 2, no traceback."""


def _require_database() -> None:
    """Commands other than serve and migrate need a migrated database: SQLite would silently
    create an empty file where none is (e.g. when run from another directory)."""
    from app.config import get_settings

    settings = get_settings()
    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise CommandError(
            f"no database at {settings.database_label}: "
            "run `imwu migrate` here or set IMWU_DATABASE_URL"
        )


def _database_error(exc: sa_exc.DBAPIError) -> str:
    """Names the database and the kind of failure, never the statement or its parameters."""
    from app.config import get_settings

    label = get_settings().database_label
    cause = str(exc.orig).lower()
    if "no such table" in cause or "does not exist" in cause:
        return f"the database at {label} is not migrated: run `imwu migrate`"
    return f"the database at {label} cannot be used ({type(exc.orig).__name__})"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "database", True) and not getattr(args, "migrates", False):
            _require_database()
        return int(args.handler(args))
    except (AppError, CommandError) as exc:
        print(f"error: {getattr(exc, 'detail', exc)}", file=sys.stderr)
        return 2
    except (KeysMissing, KeysSupplied) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for error in exc.errors(include_input=False):
            where = ".".join(map(str, error["loc"]))
            message = error["msg"].removeprefix("Value error, ")
            print(f"error: {where + ': ' if where else ''}{message}", file=sys.stderr)
        return 2
    except sa_exc.DBAPIError as exc:
        print(f"error: {_database_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
