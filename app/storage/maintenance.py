"""`imwu storage sweep` and `imwu storage migrate`: the store checked against the rows that own it.

The rows are the truth: a document's or a letter's id is its object's key, and the row keeps the
object's SHA-256 (`document.sha256`, `letter.pdf_sha256`).
"""

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.models import Document
from app.letters.models import Letter
from app.storage import get_store
from app.storage.base import ObjectMissing, Store, sha256_of

BATCH = 500


def _batches(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), BATCH):
        yield keys[start : start + BATCH]


def sweep(session: Session, *, grace_seconds: float = 3600) -> list[str]:
    """Delete stored objects that no document or letter owns and that are older than the grace
    period (an upload in flight has no row yet), and unfinished uploads. Returns the keys."""
    store = get_store()
    cutoff = time.time() - grace_seconds
    candidates = [stored.key for stored in store.objects() if stored.modified_at < cutoff]
    owned: set[str] = set()
    for batch in _batches(candidates):
        owned.update(session.scalars(select(Document.id).where(Document.id.in_(batch))))
        owned.update(session.scalars(select(Letter.id).where(Letter.id.in_(batch))))
    orphans = [key for key in candidates if key not in owned]
    for key in orphans:
        store.delete(key)
    store.remove_stale_uploads(grace_seconds)
    return orphans


def owned_objects(session: Session) -> Iterator[tuple[str, str]]:
    """Every (key, SHA-256) a row owns: documents, then letters."""
    for key, digest in session.execute(select(Document.id, Document.sha256).order_by(Document.id)):
        yield key, digest
    for key, digest in session.execute(select(Letter.id, Letter.pdf_sha256).order_by(Letter.id)):
        yield key, digest


@dataclass
class MigrationReport:
    copied: int = 0
    already_there: int = 0
    failed: list[str] = field(default_factory=list)
    """Keys not copied: missing in the source, or whose bytes do not match the row's SHA-256."""

    @property
    def complete(self) -> bool:
        return not self.failed


def migrate(
    owned: Iterable[tuple[str, str]], *, source: Store, target: Store
) -> MigrationReport:
    """Copy every object a row owns (`owned_objects`) from `source` to `target`, each checked
    against the row's SHA-256 on both sides. Switches nothing: the service keeps using `source`
    until the operator changes IMWU_STORAGE_URL. An object the target already holds with the
    right digest is not copied again, so an interrupted run resumes and a second run copies
    nothing."""
    report = MigrationReport()
    for key, expected in owned:
        if target.stored_sha256(key) == expected:
            report.already_there += 1
            continue
        if _copy(source, target, key, expected):
            report.copied += 1
        else:
            report.failed.append(key)
    return report


def _copy(source: Store, target: Store, key: str, expected: str) -> bool:
    """One object, streamed; False if the source lacks it or holds other bytes than the row
    says (nothing is then left in the target), or the target does not read back the same."""
    try:
        download = source.open(key)
    except ObjectMissing:
        return False
    spool = target.spool(key, max_bytes=download.size)
    try:
        for chunk in download.chunks:
            spool.write(chunk)
        if spool.sha256 != expected:
            spool.discard()
            return False
        spool.finish()
        spool.store()
    except BaseException:
        spool.discard()
        raise
    finally:
        spool.close()
    try:
        return sha256_of(target.open(key)) == expected
    except ObjectMissing:
        return False
