"""The service exactly as `imwu serve` runs it, plus two bare endpoints (uploads, claims).

`python -m bench.server --port P` goes through `app.cli.main(["serve", ...])` (migrate, first
admin, the same uvicorn settings); only the app factory handed to uvicorn is swapped for
`create_bench_app`, which is `create_app()` with two bare endpoints added: `POST /bench/discard`
(the same middleware, the same multipart parsing into an `UploadFile`, and then nothing: no
inspection, no storage, no database) and `POST /bench/claim-raw` (the same token lookup and
session, then the raw SKIP LOCKED claim statement only). Calls to both, on one server, compare
what the service does with what any FastAPI endpoint must do to receive the bytes or to run the
one statement a claim needs.
"""

import sys
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, File, Form, Response, UploadFile
from sqlalchemy import text

from app import cli
from app.auth.deps import Staff
from app.db import SessionDep
from app.main import create_app

DISCARD_PATH = "/bench/discard"
CLAIM_RAW_PATH = "/bench/claim-raw"
RAW_CLAIM = text(
    """
UPDATE opinion_request
   SET status = 'in_review', claimed_by_id = :reviewer,
       claim_expires_at = now() + interval '8 hours', version = version + 1, updated_at = now()
 WHERE id = (SELECT id FROM opinion_request
              WHERE status = 'submitted'
              ORDER BY priority DESC, submitted_at, id
              LIMIT 1
              FOR UPDATE SKIP LOCKED)
RETURNING id
"""
)
"""The raw claim statement of bench/load.py (PostgreSQL), run by the bare claim endpoint."""
CHUNK = 1024 * 1024


def create_bench_app() -> FastAPI:
    app = create_app()

    @app.post(DISCARD_PATH, status_code=204, include_in_schema=False)
    def discard(kind: Annotated[str, Form()], file: Annotated[UploadFile, File()]) -> None:
        """Read the file part to its end and keep nothing."""
        del kind
        while file.file.read(CHUNK):
            pass

    @app.post(CLAIM_RAW_PATH, include_in_schema=False)
    def claim_raw(session: SessionDep, account: Staff) -> Response:
        """The same HTTP stack, token lookup and session as POST /api/v1/queue/claim, running
        only the raw `FOR UPDATE SKIP LOCKED` statement: no ORM, no audit event, no lease
        rules, and only the id in the answer."""
        claimed = session.execute(RAW_CLAIM, {"reviewer": account.id}).scalar()
        if claimed is None:
            return Response(status_code=204)
        return Response(f'{{"id": "{claimed}"}}', media_type="application/json")

    return app


def main() -> int:
    real_run = uvicorn.run

    def run(app: Any, **settings: Any) -> None:
        if app != "app.main:create_app" or not settings.get("factory"):
            raise RuntimeError(f"`imwu serve` no longer serves app.main:create_app ({app!r})")
        real_run("bench.server:create_bench_app", **settings)

    uvicorn.run = run
    return cli.main(["serve", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
