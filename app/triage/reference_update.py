"""A reference update under a running service (issue 11): validate a new set, show what it would
change for every open case, then store it and re-triage the open cases in one transaction.

IRCC changes codes (C12 retired, the 2022-12-15 FTA split, C20 in 2026); a new set must never
half-apply. The caller owns the transaction: a dry run is rolled back, a load is committed whole.
Every case whose findings change gets an audit event naming the rules (ids, fields and outcomes,
never values); the load itself is one more event.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.common.findings import Finding
from app.eligibility.reference import ReferenceData, build_reference
from app.eligibility.versions import active_version, store_version
from app.intake.models import OpinionRequest, RequestStatus
from app.revisions.service import rejudged
from app.triage.models import TriageFinding
from app.triage.service import findings_of_run, run_and_store, triage

__all__ = ["CaseChange", "FindingChange", "UpdateReport", "diff_findings", "update_reference"]

OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.INFO_REQUESTED)


@dataclass(frozen=True)
class FindingChange:
    """One finding added, removed, or whose outcome changed (`before` -> `after`)."""

    rule: str
    fields: tuple[str, ...]
    before: str | None
    after: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "fields": list(self.fields),
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class CaseChange:
    """What the new set changes in one open case's findings."""

    request_id: str
    reference: str
    added: tuple[FindingChange, ...]
    removed: tuple[FindingChange, ...]
    outcome_changed: tuple[FindingChange, ...]

    def details(self) -> dict[str, list[dict[str, object]]]:
        return {
            "added": [c.as_dict() for c in self.added],
            "removed": [c.as_dict() for c in self.removed],
            "outcome_changed": [c.as_dict() for c in self.outcome_changed],
        }


@dataclass(frozen=True)
class UpdateReport:
    """The outcome of an update: the new set, the stored version number (None on a dry run or
    when the set was already active), the open cases and those whose findings change."""

    reference: ReferenceData
    number: int | None
    open_cases: int
    changes: list[CaseChange] = field(default_factory=list)


def diff_findings(
    stored: Iterable[tuple[str, Sequence[str], str]], new: Iterable[Finding]
) -> tuple[tuple[FindingChange, ...], tuple[FindingChange, ...], tuple[FindingChange, ...]]:
    """(added, removed, outcome changed) between stored (rule, fields, outcome) findings and new
    ones; a finding is known by its rule and fields, as `merge_findings` does."""
    before = {(rule, tuple(fields)): outcome for rule, fields, outcome in stored}
    after = {(f.rule, f.fields): f.outcome.value for f in new}
    added = tuple(
        FindingChange(r, fs, None, o) for (r, fs), o in after.items() if (r, fs) not in before
    )
    removed = tuple(
        FindingChange(r, fs, o, None) for (r, fs), o in before.items() if (r, fs) not in after
    )
    changed = tuple(
        FindingChange(r, fs, before[(r, fs)], o)
        for (r, fs), o in after.items()
        if (r, fs) in before and before[(r, fs)] != o
    )
    return added, removed, changed


def _open_cases(session: Session) -> list[OpinionRequest]:
    return list(
        session.scalars(
            select(OpinionRequest)
            .where(OpinionRequest.status.in_(OPEN_STATUSES))
            .order_by(OpinionRequest.submitted_at, OpinionRequest.id)
        )
    )


def _change(
    session: Session, request: OpinionRequest, reference: ReferenceData, today: date
) -> CaseChange | None:
    stored: list[TriageFinding] = findings_of_run(
        session, request_id=request.id, run=request.triage_run
    )
    result = triage(session, request=request, reference=reference, today=today)
    added, removed, changed = diff_findings(
        ((f.rule, f.fields, f.outcome) for f in stored), result.findings
    )
    if not (added or removed or changed):
        return None
    return CaseChange(request.id, request.reference, added, removed, changed)


def _needs_run(session: Session, request: OpinionRequest, label: str) -> bool:
    """Whether the case's latest findings were made with another version than `label`."""
    return any(
        f.reference_version != label
        for f in findings_of_run(session, request_id=request.id, run=request.triage_run)
    )


def update_reference(
    session: Session,
    *,
    files: Mapping[str, bytes],
    dry_run: bool,
    today: date,
    actor_id: str | None = None,
) -> UpdateReport:
    """Validate `files` (`ReferenceDataError` if they are not a usable set) and compare every
    open case's latest findings with the findings the new set gives. Unless `dry_run`: store
    the set as the next version and re-triage every open case with it (each change audited).

    Loading the set that is already active stores nothing and re-triages only the open cases
    still judged on another version (a case submitted by another process while the previous
    load was committing)."""
    data = build_reference(files)
    active = active_version(session)
    cases = _open_cases(session)
    if data.version == active.label:
        cases = [case for case in cases if _needs_run(session, case, data.version)]
    changes = [c for case in cases if (c := _change(session, case, data, today)) is not None]
    report = UpdateReport(data, None, len(cases), changes)
    if dry_run:
        return report
    if data.version != active.label:
        row = store_version(session, data=data, files=files, open_cases=len(cases))
        row.changed_cases = len(changes)
        report = UpdateReport(data, row.number, len(cases), changes)
    by_id = {change.request_id: change for change in changes}
    for case in cases:
        change = by_id.get(case.id)
        if change is not None:
            record(
                session,
                actor_id=actor_id,
                action="request.reference_changed",
                request_id=case.id,
                details={"from": active.label, "to": data.version, **change.details()},
            )
        run_and_store(session, request=case, actor_id=actor_id, today=today, reference=data)
        rejudged(session, request=case, reference_version=data.version)
    record(
        session,
        actor_id=actor_id,
        action="reference.loaded",
        subject_type="reference_version",
        subject_id=str(report.number or active.number),
        details={
            "version": data.version,
            "open_cases": len(cases),
            "changed_cases": len(changes),
        },
    )
    session.flush()
    return report


def _line(sign: str, change: FindingChange) -> str:
    outcome = (
        f"{change.before} -> {change.after}"
        if change.before and change.after
        else change.after or change.before
    )
    return f"  {sign} {change.rule} ({outcome}) {' '.join(change.fields)}".rstrip()


def report_lines(report: UpdateReport, *, dry_run: bool) -> list[str]:
    """What `imwu reference load` prints: the set, then every open case whose findings change
    (its IMWU reference and the rules: + added, - removed, ~ outcome changed)."""
    data = report.reference
    lines = [
        f"reference {data.version} is valid (as of {data.as_of.isoformat()}; "
        f"{len(data.codes)} codes, {len(data.countries)} countries)",
        f"open cases: {report.open_cases}; findings change in {len(report.changes)}",
    ]
    for change in report.changes:
        lines.append(change.reference)
        lines += [_line("+", c) for c in change.added]
        lines += [_line("-", c) for c in change.removed]
        lines += [_line("~", c) for c in change.outcome_changed]
    if dry_run:
        lines.append("dry run: nothing stored")
    elif report.number is None:
        lines.append(f"already the active version; re-triaged {report.open_cases} open cases")
    else:
        lines.append(
            f"stored as version {report.number}; re-triaged {report.open_cases} open cases"
        )
    return lines
