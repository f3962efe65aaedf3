"""Reference data versions kept in the database, and the active set the rules run on.

The active set is the stored version with the highest number; with none stored, the files the
service ships (version 1). `active_reference()` is called on every request path, so it does not
query each time: a built set is cached by its content label, and which version is active is
re-read at most every `REFRESH_SECONDS` (a write path asks for it exactly, with one indexed
query). The process that loads a version makes it active at once.
"""

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.eligibility.models import ReferenceVersion
from app.eligibility.reference import (
    DATA_FILES,
    ReferenceData,
    ReferenceDataError,
    build_reference,
    load_reference,
    packaged_files,
)

__all__ = [
    "PACKAGED_NUMBER",
    "REFRESH_SECONDS",
    "ActiveVersion",
    "active_reference",
    "active_version",
    "forget_active_reference",
    "reference_files",
    "reference_of",
    "remember_active",
    "store_version",
    "stored_versions",
]

PACKAGED_NUMBER: Final = 1
REFRESH_SECONDS: Final = 5.0


@dataclass(frozen=True)
class ActiveVersion:
    """Which version is active: its number and content label (`ReferenceData.version`)."""

    number: int
    label: str


_lock = threading.Lock()
_by_label: dict[str, ReferenceData] = {}
_active: tuple[float, ActiveVersion] | None = None


def active_version(session: Session) -> ActiveVersion:
    """The active version as stored now (one indexed query); version 1 when none is stored."""
    row = session.execute(
        select(ReferenceVersion.number, ReferenceVersion.label)
        .order_by(ReferenceVersion.number.desc())
        .limit(1)
    ).first()
    if row is None:
        return ActiveVersion(PACKAGED_NUMBER, load_reference().version)
    return ActiveVersion(row.number, row.label)


def _built(session: Session, version: ActiveVersion) -> ReferenceData:
    """The set of `version`, built once per process and label."""
    with _lock:
        cached = _by_label.get(version.label)
    if cached is not None:
        return cached
    packaged = load_reference()
    if version.label == packaged.version:
        data = packaged
    else:
        files = session.scalar(
            select(ReferenceVersion.files).where(ReferenceVersion.number == version.number)
        )
        if files is None:
            raise ReferenceDataError(f"reference version {version.number} is not stored")
        data = build_reference({name: text.encode("utf-8") for name, text in files.items()})
    with _lock:
        _by_label[data.version] = data
    return data


def active_reference(session: Session, *, exact: bool = False) -> ReferenceData:
    """The active reference set. The active version is re-read (one indexed query on `session`)
    when `exact` (write paths: triage, decisions, letters) or when it was last read more than
    `REFRESH_SECONDS` ago; otherwise no query is made. The caller's session is used because a
    second connection inside a request would wait on the request's own SQLite write lock."""
    global _active
    now = time.monotonic()
    with _lock:
        current = _active
    if not exact and current is not None and now - current[0] < REFRESH_SECONDS:
        with _lock:
            cached = _by_label.get(current[1].label)
        if cached is not None:
            return cached
    version = active_version(session)
    data = _built(session, version)
    with _lock:
        _active = (now, version)
    return data


def reference_of(session: Session, label: str) -> ReferenceData:
    """The set a finding or a letter was made with, by its content label (a stored version, or
    the shipped files)."""
    number = session.scalar(select(ReferenceVersion.number).where(ReferenceVersion.label == label))
    if number is None:
        if label == load_reference().version:
            return load_reference()
        raise ReferenceDataError(f"reference version {label} is not stored")
    return _built(session, ActiveVersion(number, label))


def remember_active(number: int, data: ReferenceData) -> None:
    """Make `data` the active set of this process at once (after its load committed)."""
    global _active
    with _lock:
        _by_label[data.version] = data
        _active = (time.monotonic(), ActiveVersion(number, data.version))


def forget_active_reference() -> None:
    """Drop what this process knows of the active version (tests empty the tables)."""
    global _active
    with _lock:
        _active = None


def reference_files(files: Mapping[str, bytes]) -> dict[str, str]:
    """The files of a set as stored: UTF-8 text per name (the reference is JSON and Markdown)."""
    try:
        return {name: files[name].decode("utf-8") for name in DATA_FILES}
    except UnicodeDecodeError as error:
        raise ReferenceDataError(f"a reference file is not UTF-8 text: {error.reason}") from None


def store_version(
    session: Session, *, data: ReferenceData, files: Mapping[str, bytes], open_cases: int
) -> ReferenceVersion:
    """Store `data` as the next version (storing the shipped files as version 1 first when
    nothing is stored yet); the caller counts `changed_cases` and commits."""
    if session.scalar(select(ReferenceVersion.number).limit(1)) is None:
        packaged = load_reference()
        session.add(
            ReferenceVersion(
                number=PACKAGED_NUMBER,
                label=packaged.version,
                as_of=packaged.as_of,
                files=reference_files(packaged_files()),
            )
        )
        session.flush()
    number = active_version(session).number + 1
    row = ReferenceVersion(
        number=number,
        label=data.version,
        as_of=data.as_of,
        files=reference_files(files),
        open_cases=open_cases,
    )
    session.add(row)
    session.flush()
    return row


def stored_versions(session: Session) -> list[ReferenceVersion]:
    """Every stored version, newest first (without their files)."""
    return list(session.scalars(select(ReferenceVersion).order_by(ReferenceVersion.number.desc())))
