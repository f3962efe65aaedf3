"""Files on disk under generated ids: written to a temporary file, fsynced, then renamed into place.

A row's file is in place before its transaction commits, so a committed row always has its file;
a crash between the rename and the commit leaves an orphan file that `sweep` finds.
"""

import contextlib
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.tmp = root / "tmp"

    def ensure(self) -> None:
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.objects / key[:2] / key

    def spool(self, source: BinaryIO, *, max_bytes: int) -> tuple[Path, int, str]:
        """Copy `source` to a temporary file in the store, at most `max_bytes + 1` bytes.

        Returns the path, the size and the SHA-256. The caller removes or places the file."""
        self.ensure()
        target = self.tmp / f"{uuid.uuid4()}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with target.open("wb") as out:
                while size <= max_bytes:
                    chunk = source.read(min(CHUNK, max_bytes + 1 - size))
                    if not chunk:
                        break
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target, size, digest.hexdigest()

    def place(self, temporary: Path, key: str) -> Path:
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
        return final

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def stored_keys(self) -> Iterator[tuple[str, float]]:
        """Every stored key with its modification time."""
        if not self.objects.exists():
            return
        for folder in self.objects.iterdir():
            if folder.is_dir():
                for file in folder.iterdir():
                    with contextlib.suppress(FileNotFoundError):
                        yield file.name, file.stat().st_mtime

    def stale_temporaries(self, older_than_s: float) -> Iterator[Path]:
        if not self.tmp.exists():
            return
        cutoff = time.time() - older_than_s
        for file in self.tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if file.stat().st_mtime < cutoff:
                    yield file

    def wipe(self) -> None:
        """Remove everything (tests)."""
        shutil.rmtree(self.root, ignore_errors=True)
