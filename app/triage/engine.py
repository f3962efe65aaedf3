"""The triage engine: prerequisite and triage findings for one request, its stream, its language
and its place in the reviewers' queue (`Priority`).

Pure and deterministic: the same `TriageContext` always gives the same `TriageResult`.
Sources: `app.eligibility.rules` (prerequisites, `poe_eligibility.md` §3), `app.triage.rules`
(review rules), `app.triage.calendar` (federal business days) and `imm5686_fields.md` (the
intended date of entry is "useful for urgency triage").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

from app.common.findings import Finding, Outcome
from app.common.form import RequestContent
from app.eligibility.reference import category_stream
from app.eligibility.rules import evaluate
from app.triage.calendar import add_business_days, business_days_between
from app.triage.rules import TriageContext, evaluate_triage

__all__ = [
    "URGENT",
    "Priority",
    "TriageResult",
    "compute_priority",
    "entry_date",
    "is_urgent",
    "merge_findings",
    "run_triage",
]

URGENT_POINTS: Final = 100
SOON_POINTS: Final = 20
POINTS_PER_REVIEW: Final = 5
MAX_REVIEW_POINTS: Final = 30
POINTS_PER_WAITING_DAY: Final = 2
MAX_WAITING_POINTS: Final = 40
# The reason every urgent case carries (issue 4 named it "urgent"), before the detailed one.
URGENT: Final = "urgent"


@dataclass(frozen=True)
class Priority:
    """A request's rank in the queue: a higher `score` is more urgent; `reasons` explain it with
    short stable strings ("entry_within_10_business_days", "3_review_findings")."""

    score: int
    urgent: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class TriageResult:
    """Prerequisite findings then triage findings, the priority, the stream of the exemption
    code (`category_stream`, "other" when the code is unknown) and the request's language."""

    findings: tuple[Finding, ...]
    priority: Priority
    stream: str
    language: str


def _entry_points(
    entry: date | None, today: date, urgent_days: int
) -> tuple[int, bool, tuple[str, ...]]:
    """Points, urgency and reason for the intended date of entry."""
    if entry is None:
        return 0, False, ()
    if entry < today:
        return URGENT_POINTS, True, (URGENT, "entry_date_passed")
    if entry >= add_business_days(today, 2 * urgent_days + 1):
        return 0, False, ()  # Far away: no need to count (and cache) every year in between.
    days = business_days_between(today, entry)
    if days <= urgent_days:
        return URGENT_POINTS, True, (URGENT, f"entry_within_{urgent_days}_business_days")
    if days <= 2 * urgent_days:
        return SOON_POINTS, False, (f"entry_within_{2 * urgent_days}_business_days",)
    return 0, False, ()


def compute_priority(
    *,
    intended_entry_date: date | None,
    today: date,
    review_count: int,
    waiting_business_days: int = 0,
    urgent_business_days: int = 10,
) -> Priority:
    """The queue priority of a request. With N = `urgent_business_days`:

    - entry date passed, or at most N business days after `today`: +100 and urgent
      ("urgent", then "entry_date_passed" / "entry_within_N_business_days");
    - entry date at most 2N business days after `today`: +20 ("entry_within_2N_business_days");
    - +5 per review finding, at most +30 ("<count>_review_findings");
    - +2 per business day the request has waited, at most +40 ("waiting_<days>_business_days").

    An unknown entry date adds nothing. Negative counts are a programming error (ValueError).
    """
    if min(review_count, waiting_business_days, urgent_business_days) < 0:
        raise ValueError("counts and day limits must be zero or more")
    score, urgent, reasons = _entry_points(intended_entry_date, today, urgent_business_days)
    if review_count:
        score += min(POINTS_PER_REVIEW * review_count, MAX_REVIEW_POINTS)
        reasons = (*reasons, f"{review_count}_review_findings")
    if waiting_business_days:
        score += min(POINTS_PER_WAITING_DAY * waiting_business_days, MAX_WAITING_POINTS)
        reasons = (*reasons, f"waiting_{waiting_business_days}_business_days")
    return Priority(score=score, urgent=urgent, reasons=reasons)


def merge_findings(*groups: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings of every group in order, keeping only the first per (rule, fields)."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    merged: list[Finding] = []
    for finding in (finding for group in groups for finding in group):
        key = (finding.rule, finding.fields)
        if key not in seen:
            seen.add(key)
            merged.append(finding)
    return tuple(merged)


def is_urgent(reasons: Iterable[str], *, urgent_business_days: int) -> bool:
    """Whether stored priority reasons mark an urgent case (cases triaged before the "urgent"
    reason existed carry only "entry_date_passed" or "entry_within_N_business_days")."""
    legacy = {"entry_date_passed", f"entry_within_{urgent_business_days}_business_days"}
    return any(reason == URGENT or reason in legacy for reason in reasons)


def entry_date(content: RequestContent) -> date | None:
    """When the worker arrives: the intended date of entry, else the start date (the worker
    must enter before the job starts)."""
    return content.work.intended_entry_date or content.work.start_date


def run_triage(ctx: TriageContext, *, urgent_business_days: int = 10) -> TriageResult:
    """Triage one request: the prerequisite findings (`app.eligibility.rules.evaluate`) followed
    by the triage findings (`TRIAGE_RULES`), de-duplicated; the priority from the review findings
    and the intended date of entry, or the start date when no entry date is given (the worker
    must enter before the job starts); the code's stream; the request's language."""
    content = ctx.content
    prerequisites = evaluate(
        content, ctx.reference, present_kinds=ctx.present_kinds, today=ctx.today
    )
    findings = merge_findings(prerequisites, evaluate_triage(ctx))
    priority = compute_priority(
        intended_entry_date=entry_date(content),
        today=ctx.today,
        review_count=sum(1 for finding in findings if finding.outcome is Outcome.REVIEW),
        urgent_business_days=urgent_business_days,
    )
    code = content.exemption.code
    record = ctx.reference.codes.get(code.upper()) if code else None
    stream = category_stream(record) if record is not None else "other"
    return TriageResult(findings, priority, stream, content.language)
