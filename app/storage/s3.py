"""Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW) through boto3.

`s3://bucket/prefix`: an object's name is `<prefix>/<key>`. boto3 rather than obstore: the upload
needs the multipart calls themselves (create, upload each part as it fills, complete, or abort when
inspection refuses the file), which boto3 exposes one to one; it reads the standard AWS credential
chain and speaks to any endpoint with path-style addressing.

An upload is written to a local temporary file as it arrives (inspection reads that file). Each
time a part's worth (`IMWU_S3_PART_BYTES`) has arrived, a background thread sends it as one part
of a multipart upload, read back from that file, so the parser never waits for S3 and no part is
ever held in memory. A file smaller than one part (S3 refuses parts under 5 MiB unless they are
the last, so every file within the 4 MB budget) goes as one PutObject, streamed from the file while
inspection runs, with its SHA-256 for S3 to check. Refused or failed uploads are aborted or
deleted; an abort that cannot reach S3 leaves an incomplete upload (invisible, no object) that
`sweep` aborts later.
"""

import base64
import contextlib
import hashlib
import io
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.storage.base import (
    Download,
    ObjectMissing,
    Spool,
    StoredObject,
    StoreFull,
    StoreUnavailable,
    new_temporary,
    sha256_of,
    unlink_older_than,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef
else:
    S3Client = Any
    CompletedPartTypeDef = dict

CHUNK = 256 * 1024
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_FULL = frozenset({"XMinioStorageFull", "QuotaExceeded", "StorageFull", "InsufficientStorage"})
T = TypeVar("T")


def _s3_call(call: Callable[[], T]) -> T:
    """Run one S3 call; its failures become the store's three errors."""
    try:
        return call()
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            raise ObjectMissing(code) from exc
        if code in _FULL:
            raise StoreFull(code) from exc
        raise StoreUnavailable(code or "S3 error") from exc
    except BotoCoreError as exc:
        raise StoreUnavailable(type(exc).__name__) from exc


class _Slice(io.RawIOBase):
    """`length` bytes of a file from `offset`, seekable, read in place (a part of an upload)."""

    def __init__(self, path: Path, offset: int, length: int) -> None:
        self._file = path.open("rb")
        self._start, self._length, self._position = offset, length, 0
        self._file.seek(offset)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        self._position = max(0, min(self._length, base + offset))
        self._file.seek(self._start + self._position)
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        left = self._length - self._position
        data = self._file.read(left if size is None or size < 0 else min(size, left))
        self._position += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()


class S3Spool(Spool):
    def __init__(self, store: "S3Store", key: str, *, max_bytes: int) -> None:
        store.tmp.mkdir(parents=True, exist_ok=True)
        super().__init__(key, new_temporary(store.tmp, key), max_bytes=max_bytes)
        self._s3 = store
        self._shipped = 0
        self._upload_id: Future[str] | None = None
        self._parts: list[Future[CompletedPartTypeDef]] = []
        self._put: Future[None] | None = None

    def _written(self, total: int) -> None:
        part = self._s3.part_bytes
        while total - self._shipped >= part:
            self._ship(self._shipped, part)
            self._shipped += part

    def _ship(self, offset: int, length: int) -> None:
        if not self._file.closed:
            self._file.flush()  # the part is read back through another handle
        if self._upload_id is None:
            self._upload_id = self._s3.pool.submit(self._s3.create_upload, self.key)
        number, upload_id = len(self._parts) + 1, self._upload_id
        self._parts.append(
            self._s3.pool.submit(
                lambda: self._s3.upload_part(
                    self.key, upload_id.result(), number, self.path, offset, length
                )
            )
        )

    def finish(self) -> None:
        super().finish()
        kept = min(self.size, self.max_bytes)
        if self._upload_id is None:
            path, digest = self.path, self.sha256
            self._put = self._s3.pool.submit(lambda: self._s3.put_file(self.key, path, digest))
        elif kept > self._shipped:
            self._ship(self._shipped, kept - self._shipped)
            self._shipped = kept

    def store(self) -> None:
        if self._put is not None:
            self._put.result()
        elif self._upload_id is not None:
            parts = [part.result() for part in self._parts]
            self._s3.complete_upload(self.key, self._upload_id.result(), parts)
        else:
            raise RuntimeError("store() before finish()")
        self.stored = True

    def discard(self) -> None:
        """Wait for what is in flight, then abort or delete it; an S3 that cannot be reached
        now leaves an incomplete upload or an orphan for `sweep`."""
        pending: list[Future[Any]] = [
            f for f in (self._put, self._upload_id, *self._parts) if f is not None
        ]
        wait(pending)
        with contextlib.suppress(StoreUnavailable, ObjectMissing, StoreFull):
            if self._upload_id is not None and not self.stored:
                if self._upload_id.exception() is None:
                    self._s3.abort_upload(self.key, self._upload_id.result())
            elif self._put is not None or self.stored:
                self._s3.delete(self.key)
        self.close()


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → (bucket, "some/prefix")."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("an S3 storage URL looks like s3://bucket/prefix")
    return parts.netloc, parts.path.strip("/")


def make_client(*, endpoint_url: str | None, region: str | None) -> S3Client:
    """One client per process (boto3 clients are thread-safe); credentials from the standard
    chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a role)."""
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"mode": "standard", "total_max_attempts": 3},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=32,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    client: S3Client = boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region, config=config
    )
    return client


class S3Store:
    def __init__(
        self,
        url: str,
        client: S3Client,
        *,
        part_bytes: int,
        sse: str | None = None,
        kms_key_id: str | None = None,
        tmp: Path | None = None,
    ) -> None:
        self.url = url
        self.bucket, self.prefix = parse_s3_url(url)
        self.client = client
        self.part_bytes = part_bytes
        self.tmp = tmp or Path(tempfile.gettempdir()) / "imwu-spool"
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="imwu-s3")
        self._encryption: dict[str, str] = {}
        if sse:
            self._encryption["ServerSideEncryption"] = sse
        if kms_key_id:
            self._encryption["SSEKMSKeyId"] = kms_key_id

    def name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def describe(self) -> str:
        return self.url

    def ensure(self) -> None:
        """The bucket is the operator's (created with its versioning and lifecycle rules)."""

    def spool(self, key: str, *, max_bytes: int) -> Spool:
        return S3Spool(self, key, max_bytes=max_bytes)

    def put(self, key: str, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        _s3_call(
            lambda: self.client.put_object(
                Bucket=self.bucket,
                Key=self.name(key),
                Body=data,
                ChecksumSHA256=base64.b64encode(bytes.fromhex(digest)).decode(),
                Metadata={"sha256": digest},
                **self._encryption,  # type: ignore[arg-type]
            )
        )

    def put_file(self, key: str, path: Path, sha256: str) -> None:
        with path.open("rb") as body:
            _s3_call(
                lambda: self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.name(key),
                    Body=body,
                    ContentLength=path.stat().st_size,
                    ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode(),
                    Metadata={"sha256": sha256},
                    **self._encryption,  # type: ignore[arg-type]
                )
            )

    def create_upload(self, key: str) -> str:
        answer = _s3_call(
            lambda: self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=self.name(key),
                **self._encryption,  # type: ignore[arg-type]
            )
        )
        return answer["UploadId"]

    def upload_part(
        self, key: str, upload_id: str, number: int, path: Path, offset: int, length: int
    ) -> CompletedPartTypeDef:
        with _Slice(path, offset, length) as body:
            answer = _s3_call(
                lambda: self.client.upload_part(
                    Bucket=self.bucket,
                    Key=self.name(key),
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=cast(IO[bytes], body),
                    ContentLength=length,
                )
            )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def complete_upload(self, key: str, upload_id: str, parts: list[CompletedPartTypeDef]) -> None:
        _s3_call(
            lambda: self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.name(key),
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        )

    def abort_upload(self, key: str, upload_id: str) -> None:
        _s3_call(
            lambda: self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.name(key), UploadId=upload_id
            )
        )

    def open(self, key: str) -> Download:
        answer = _s3_call(lambda: self.client.get_object(Bucket=self.bucket, Key=self.name(key)))
        body = answer["Body"]

        def chunks() -> Iterator[bytes]:
            with contextlib.closing(body):
                yield from body.iter_chunks(CHUNK)

        return Download(size=answer["ContentLength"], chunks=chunks())

    def delete(self, key: str) -> None:
        _s3_call(lambda: self.client.delete_object(Bucket=self.bucket, Key=self.name(key)))

    def stored_sha256(self, key: str) -> str | None:
        """From the object's `sha256` metadata (set by every single PutObject); an object sent in
        parts has none, and is read and hashed instead."""
        try:
            head = _s3_call(lambda: self.client.head_object(Bucket=self.bucket, Key=self.name(key)))
            known = head.get("Metadata", {}).get("sha256")
            return known if known else sha256_of(self.open(key))
        except ObjectMissing:
            return None

    def objects(self) -> Iterator[StoredObject]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        for page in _s3_call(lambda: list(pages)):
            for item in page.get("Contents", []):
                key = item["Key"][len(start) :]
                if key and "/" not in key:
                    yield StoredObject(key, item["LastModified"].timestamp())

    def remove_stale_uploads(self, older_than_s: float) -> int:
        cutoff = time.time() - older_than_s
        removed = unlink_older_than(self.tmp, cutoff)
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=start
        )
        for page in _s3_call(lambda: list(pages)):
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() < cutoff:
                    self._abort_named(upload["Key"], upload["UploadId"])
                    removed += 1
        return removed

    def _abort_named(self, name: str, upload_id: str) -> None:
        with contextlib.suppress(ObjectMissing):
            _s3_call(
                lambda: self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=name, UploadId=upload_id
                )
            )

    def wipe(self) -> None:
        for stored in list(self.objects()):
            self.delete(stored.key)
        self.remove_stale_uploads(-3600)
