"""The service exactly as `imwu serve` runs it, plus one bare endpoint that discards uploads.

`python -m bench.server --port P` goes through `app.cli.main(["serve", ...])` (migrate, first
admin, the same uvicorn settings); only the app factory handed to uvicorn is swapped for
`create_bench_app`, which is `create_app()` with `POST /bench/discard` added: the same middleware,
the same multipart parsing into an `UploadFile`, and then nothing (no inspection, no storage, no
database). Uploads to both, on one server, compare what the service does with what any FastAPI
endpoint must do to receive the bytes.
"""

import sys
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, File, Form, UploadFile

from app import cli
from app.main import create_app

DISCARD_PATH = "/bench/discard"
CHUNK = 1024 * 1024


def create_bench_app() -> FastAPI:
    app = create_app()

    @app.post(DISCARD_PATH, status_code=204, include_in_schema=False)
    def discard(kind: Annotated[str, Form()], file: Annotated[UploadFile, File()]) -> None:
        """Read the file part to its end and keep nothing."""
        del kind
        while file.file.read(CHUNK):
            pass

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
