"""Objects as files under one folder: `objects/<2 first characters>/<key>`, uploads in `tmp/`.

An upload is written once, to its temporary file in the store (the file inspection reads), fsynced
once, then renamed into place: a rename within one file system is atomic, so an object is either
whole or absent.
"""

import contextlib
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from app.storage.base import (
    Download,
    ObjectMissing,
    Spool,
    StoredObject,
    new_temporary,
    unlink_older_than,
)

CHUNK = 256 * 1024


class FileSpool(Spool):
    def __init__(self, store: "FileStore", key: str, *, max_bytes: int) -> None:
        super().__init__(key, new_temporary(store.tmp, key), max_bytes=max_bytes)
        self._store = store

    def finish(self) -> None:
        """The one fsync: the temporary file is the copy that will be kept."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def store(self) -> None:
        final = self._store.path(self.key)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, final)
        self.stored = True

    def discard(self) -> None:
        self.close()
        if self.stored:
            self._store.delete(self.key)


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects_dir = root / "objects"
        self.tmp = root / "tmp"

    def describe(self) -> str:
        return self.root.resolve().as_uri()

    def ensure(self) -> None:
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.objects_dir / key[:2] / key

    def spool(self, key: str, *, max_bytes: int) -> Spool:
        self.ensure()
        return FileSpool(self, key, max_bytes=max_bytes)

    def put(self, key: str, data: bytes) -> None:
        spool = self.spool(key, max_bytes=len(data))
        try:
            spool.write(data)
            spool.finish()
            spool.store()
        finally:
            spool.close()

    def open(self, key: str) -> Download:
        try:
            file = self.path(key).open("rb")
        except FileNotFoundError as exc:
            raise ObjectMissing(key) from exc
        return Download(size=os.fstat(file.fileno()).st_size, chunks=_chunks(file))

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def stored_sha256(self, key: str) -> str | None:
        """A local file is cheap to hash: the answer is always the file's true digest."""
        try:
            download = self.open(key)
        except ObjectMissing:
            return None
        digest = hashlib.sha256()
        for chunk in download.chunks:
            digest.update(chunk)
        return digest.hexdigest()

    def objects(self) -> Iterator[StoredObject]:
        if not self.objects_dir.exists():
            return
        for folder in self.objects_dir.iterdir():
            if folder.is_dir():
                for file in folder.iterdir():
                    with contextlib.suppress(FileNotFoundError):
                        yield StoredObject(file.name, file.stat().st_mtime)

    def remove_stale_uploads(self, older_than_s: float) -> int:
        return unlink_older_than(self.tmp, time.time() - older_than_s)

    def wipe(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    with file:
        while chunk := file.read(CHUNK):
            yield chunk
