"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.audit.checkpoints import CheckpointWriter
from app.audit.router import public_router as audit_public_router
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.common.body_limit import BodyLimitMiddleware
from app.common.openapi import describe_contract, operation_id
from app.common.path_guard import ControlCharacterPathGuard
from app.common.receive_timeout import ReceiveTimeoutMiddleware
from app.common.security_headers import SecurityHeadersMiddleware
from app.config import get_settings
from app.db import get_engine, get_sessionmaker
from app.documents import sandbox
from app.documents.router import router as documents_router
from app.eligibility.reference import load_reference
from app.eligibility.router import router as reference_router
from app.intake.router import router as intake_router
from app.letters.router import router as letters_router
from app.notifications.router import router as notifications_router
from app.notifications.worker import embedded as notifications_worker
from app.observability.logs import quiet_libraries
from app.observability.middleware import RequestLogMiddleware
from app.observability.router import router as metrics_router
from app.problems import ServiceUnavailable, install_problem_handlers
from app.queue.router import router as queue_router
from app.revisions.router import router as revisions_router
from app.signing.service import current_signer
from app.triage.router import router as triage_router
from app.web.router import docs_assets, static_files
from app.web.router import router as web_router

API_DESCRIPTION = """Intake and triage of IMWU opinion requests (IMM 5686).

Authenticate with `Authorization: Bearer <token>`. Every error is `application/problem+json`
(RFC 9457) with a stable `code`.
"""


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    load_reference()
    current_signer()  # no signing key: stop here, with the message, not at the first letter
    sandbox.warm_up()
    checkpoints = _checkpoint_writer()
    try:
        with notifications_worker():
            yield
    finally:
        if checkpoints is not None:
            checkpoints.stop()
        sandbox.shutdown()


def _checkpoint_writer() -> CheckpointWriter | None:
    """Every served process seals the audit chains periodically (app/audit/checkpoints.py)."""
    interval = get_settings().audit_checkpoint_seconds
    if interval <= 0:
        return None
    writer = CheckpointWriter(get_sessionmaker(), interval)
    writer.start()
    return writer


def create_app() -> FastAPI:
    settings = get_settings()
    quiet_libraries()
    app = FastAPI(
        title="imwu-intake",
        version="0.1.0",
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        separate_input_output_schemas=False,
        generate_unique_id_function=operation_id,
    )
    install_problem_handlers(app)
    describe_contract(app)
    routers = (
        metrics_router,
        auth_router,
        reference_router,
        intake_router,
        documents_router,
        triage_router,
        queue_router,
        revisions_router,
        letters_router,
        audit_router,
        notifications_router,
        audit_public_router,
    )
    for router in routers:
        app.include_router(router)
    app.include_router(web_router)
    app.mount("/static", static_files, name="static")
    app.mount("/docs/assets", docs_assets, name="docs-assets")

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is alive (async: it answers on the event loop, not behind busy workers)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"description": "Database down"}})
    def readyz() -> dict[str, str]:
        """The database answers."""
        try:
            with get_engine().connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise ServiceUnavailable("The database is unreachable") from exc
        return {"status": "ready"}

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
            expose_headers=["ETag", "Location", "Idempotent-Replayed", "Retry-After"],
        )
    app.add_middleware(
        BodyLimitMiddleware,
        multipart_limit=lambda: settings.max_request_bytes + settings.multipart_allowance_bytes,
        other_limit=lambda: settings.max_json_bytes,
    )
    app.add_middleware(ReceiveTimeoutMiddleware, timeout=lambda: settings.receive_timeout_seconds)
    app.add_middleware(ControlCharacterPathGuard)
    app.add_middleware(RequestLogMiddleware)
    # The client address (the verify rate limit's key) comes from X-Forwarded-For only when the
    # peer is a trusted proxy; `imwu serve` leaves this to the app (proxy_headers=False).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
