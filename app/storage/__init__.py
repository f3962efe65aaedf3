"""Where documents' and letters' bytes live: `IMWU_STORAGE_URL` picks the backend (base.py)."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from app.config import Settings, get_settings
from app.problems import AppError, InsufficientStorage, ServiceUnavailable, storage_problem
from app.storage.base import Store, StoreFull, StoreUnavailable
from app.storage.file import FileStore


def store_for(url: str, settings: Settings) -> Store:
    """The store a URL names: `file:///path` or `s3://bucket/prefix` (with the IMWU_S3_*
    settings)."""
    scheme = urlsplit(url).scheme
    if scheme == "file":
        return FileStore(Path(url2pathname(urlsplit(url).path)))
    if scheme == "s3":
        from app.storage.s3 import S3Store, make_client

        client = make_client(endpoint_url=settings.s3_endpoint_url, region=settings.s3_region)
        return S3Store(
            url,
            client,
            part_bytes=settings.s3_part_bytes,
            sse=settings.s3_sse,
            kms_key_id=settings.s3_sse_kms_key_id,
        )
    raise ValueError("IMWU_STORAGE_URL must be file:///path or s3://bucket/prefix")


@cache
def get_store() -> Store:
    settings = get_settings()
    return store_for(settings.resolved_storage_url, settings)


@contextmanager
def store_faults() -> Iterator[None]:
    """A store that is full (507), unreachable or not writable (503) becomes a problem that says
    nothing was stored (the caller's cleanup makes it true); other errors stay 500s."""
    try:
        yield
    except StoreFull as exc:
        raise InsufficientStorage("The document store is full; nothing was stored") from exc
    except StoreUnavailable as exc:
        raise ServiceUnavailable(
            "The document store cannot be reached; nothing was stored"
        ) from exc
    except OSError as exc:
        problem: AppError | None = storage_problem(exc)
        if problem is None:
            raise
        raise problem from exc
