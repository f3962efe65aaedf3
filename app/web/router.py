"""The browser client: static files under app/web/static, served at `/` (no build step)."""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(
        STATIC / name, media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


@router.get("/")
def index() -> FileResponse:
    return _page("index.html")


@router.get("/verify/{code}")
def verify_page(code: str) -> FileResponse:
    """The public check of a letter (the QR code's target); the page reads the code itself."""
    del code
    return _page("verify.html")


@router.get("/docs")
def api_docs() -> FileResponse:
    """Swagger UI, served with its assets from the package (no CDN, nothing inline)."""
    return _page("docs.html")


static_files = StaticFiles(directory=STATIC, check_dir=False)
# The Swagger UI bundle and stylesheet shipped by the pinned `fastapi-offline` package.
docs_assets = StaticFiles(directory=Path(fastapi_offline.__file__).resolve().parent / "static")
