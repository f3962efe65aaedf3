"""One interface for the bytes of documents and letters, whichever store keeps them.

An object's key is the id of the row that owns it (a document's or a letter's id), never a name a
user typed. The rule both backends keep: the object is stored before the row that owns it is
committed, and deleted if that transaction rolls back; a crash in between leaves an object without
a row, which `imwu storage sweep` finds and deletes once it is older than a grace period.

An upload arrives as a `Spool`: the bytes are counted, hashed (SHA-256) and written to a local
temporary file as they arrive (the file the inspection child reads), and the budget is enforced on
the way: past `max_bytes` nothing more is written, only counted, so a refusal can say how big the
file was. Each backend adds what it does with the bytes (a rename into place, an S3 upload).
"""

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class StoreUnavailable(Exception):
    """The store cannot be reached or may not be written to (an operator must act): a 503."""


class StoreFull(Exception):
    """The store has no room left: a 507."""


class ObjectMissing(Exception):
    """A row's object is not in the store (lost, or deleted by hand)."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    modified_at: float
    """Seconds since the epoch."""


@dataclass
class Download:
    """An object being read: its size, then its bytes in chunks (never the whole in memory)."""

    size: int
    chunks: Iterator[bytes]


class Spool:
    """An upload on its way into the store; `Store.spool` makes one per file part."""

    def __init__(self, key: str, path: Path, *, max_bytes: int) -> None:
        self.key = key
        self.path = path
        self.max_bytes = max_bytes
        self.size = 0
        """Bytes received, including those past `max_bytes` that were counted but not kept."""
        self.stored = False
        """The object is in the store under `key` (`discard` must then delete it)."""
        self._digest = hashlib.sha256()
        self._file = path.open("wb")

    @property
    def over_limit(self) -> bool:
        return self.size > self.max_bytes

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def write(self, data: bytes | memoryview) -> None:
        """Count, hash and keep `data`; once over `max_bytes`, only count it."""
        kept = min(self.size, self.max_bytes)
        self.size += len(data)
        room = self.max_bytes - kept
        if room <= 0:
            return
        piece = data if len(data) <= room else memoryview(data)[:room]
        self._digest.update(piece)
        self._file.write(piece)
        self._written(kept + len(piece))

    def _written(self, total: int) -> None:
        """Hook: `total` bytes are now in the local file (a backend may ship them on)."""

    def finish(self) -> None:
        """Every byte has arrived: make the local file complete (and durable, if it is the
        stored copy); a backend may start sending the rest."""
        self._file.flush()
        self._file.close()

    def store(self) -> None:
        """Block until the object is stored under `key` (a StoreUnavailable/StoreFull/OSError
        otherwise, with nothing left behind by the caller's `discard`)."""
        raise NotImplementedError

    def discard(self) -> None:
        """Remove whatever this upload left: the local file, a partial or finished object."""
        self.close()

    def close(self) -> None:
        """Remove the local temporary file (the stored object, if any, stays)."""
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


class Store(Protocol):
    """What the service asks of a store. `file.FileStore` and `s3.S3Store` implement it."""

    def describe(self) -> str:
        """The store's URL, without credentials (for operators' output, never for clients)."""
        ...

    def ensure(self) -> None:
        """Prepare what the store needs before the first write (folders); cheap, idempotent."""
        ...

    def spool(self, key: str, *, max_bytes: int) -> Spool: ...

    def put(self, key: str, data: bytes) -> None:
        """Store small bytes known in full (a letter's PDF), replacing any object at `key`."""
        ...

    def open(self, key: str) -> Download:
        """The object's bytes, streamed; ObjectMissing if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object if it exists."""
        ...

    def stored_sha256(self, key: str) -> str | None:
        """The SHA-256 the store knows for `key` without reading it (None: unknown or absent)."""
        ...

    def objects(self) -> Iterator[StoredObject]:
        """Every stored object."""
        ...

    def remove_stale_uploads(self, older_than_s: float) -> int:
        """Remove uploads that never finished (temporary files, incomplete multipart uploads)
        older than `older_than_s`; returns how many."""
        ...

    def wipe(self) -> None:
        """Remove everything (tests)."""
        ...


def sha256_of(download: Download) -> str:
    digest = hashlib.sha256()
    for chunk in download.chunks:
        digest.update(chunk)
    return digest.hexdigest()


def unlink_older_than(folder: Path, cutoff: float) -> int:
    """Delete the files of `folder` last modified before `cutoff` (epoch seconds)."""
    removed = 0
    if not folder.exists():
        return 0
    for file in folder.iterdir():
        try:
            if file.stat().st_mtime < cutoff:
                file.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def new_temporary(folder: Path, key: str) -> Path:
    """A fresh temporary file name in `folder` for the upload of `key`."""
    return folder / f"{key}.{os.urandom(4).hex()}.part"
