from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.common.clock import utcnow
from app.db import Base


class ReferenceVersion(Base):
    """One stored set of reference files. The highest `number` is the active set; the files the
    service ships are version 1 (stored on the first `imwu reference load`, served from the
    package until then). `label` is the set's content version (`ReferenceData.version`), the
    string findings and letters keep."""

    __tablename__ = "reference_version"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(String(40))
    as_of: Mapped[date] = mapped_column(Date)
    files: Mapped[dict[str, str]] = deferred(mapped_column(JSON, nullable=False))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    open_cases: Mapped[int] = mapped_column(Integer, default=0)
    changed_cases: Mapped[int] = mapped_column(Integer, default=0)
