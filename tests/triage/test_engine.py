"""The triage engine: merged findings, stream, language and priority; deterministic."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.common.findings import Finding, Message, Outcome
from app.common.form import RequestContent
from app.eligibility.reference import load_reference
from app.eligibility.rules import RULE_IDS
from app.triage.calendar import add_business_days
from app.triage.engine import Priority, compute_priority, merge_findings, run_triage
from app.triage.rules import TRIAGE_RULE_IDS, TriageContext
from tests.eligibility.factories import (
    T11_PRESENT_KINDS,
    TODAY,
    complete_t11_content,
    complete_t11_data,
    set_pointer,
)

OFFER_TEXT = "Offer of employment, NOC 43203, 1000 Airport Parkway, Ottawa, ON."
CLEAN: Mapping[str, object] = {"/work/wage/amount": "40.00"}
MONDAY = date(2027, 6, 28)  # Canada Day falls on the Thursday of that week.


def context(
    changes: Mapping[str, object] | None = None,
    *,
    offer_text: str | None = OFFER_TEXT,
    present: Iterable[str] = T11_PRESENT_KINDS,
    today: date = TODAY,
) -> TriageContext:
    content = complete_t11_content({**CLEAN, **(changes or {})})
    return TriageContext(content, load_reference(), frozenset(present), offer_text, today)


def finding(rule: str, *fields: str, en: str = "en") -> Finding:
    return Finding(rule, Outcome.REVIEW, Message(en, "fr"), fields)


class TestRunTriage:
    def test_complete_request_has_only_the_t11_note_and_no_priority(self) -> None:
        result = run_triage(context())
        assert [(f.rule, f.outcome) for f in result.findings] == [
            ("t11_regulation_note", Outcome.WARN)
        ]
        assert result.priority == Priority(score=0, urgent=False, reasons=())
        assert result.language == "en"

    def test_t11_is_not_a_trade_agreement(self) -> None:
        """Seed 000: T11 rests on non-trade international agreements (R204(a))."""
        assert run_triage(context()).stream == "international_agreement"
        assert run_triage(context({"/exemption/code": "T36"})).stream == "trade_agreement"

    def test_prerequisite_findings_come_before_triage_findings(self) -> None:
        changes = {"/worker/charged_or_convicted": True, "/work/wage/amount": None}
        result = run_triage(context(changes, offer_text="Ottawa, ON"))
        assert [f.rule for f in result.findings] == [
            "criminal_history_declared",
            "noc_not_in_offer",
            "wage_missing_or_negative",
            "t11_regulation_note",
        ]
        assert result.priority.reasons == ("3_review_findings",)
        assert result.priority.score == 15

    def test_blocks_and_warnings_are_kept_but_not_counted(self) -> None:
        changes = {"/exemption/code": "A77", "/worker/currently_in_canada": True}
        result = run_triage(context(changes))
        assert [(f.rule, f.outcome) for f in result.findings] == [
            ("worker_in_canada", Outcome.BLOCK),
            ("code_out_of_scope", Outcome.REVIEW),
            ("poe_advance_application_encouraged", Outcome.WARN),
        ]  # A77 is no agreement code: no T11 note either
        assert result.priority == Priority(5, False, ("1_review_findings",))
        assert result.stream == "other"  # A77 is a PR-pathway code

    @pytest.mark.parametrize(
        ("code", "stream"),
        [("C20", "reciprocal"), ("C11", "significant_benefit"), ("Z99", "other"), (None, "other")],
    )
    def test_stream_of_the_code(self, code: str | None, stream: str) -> None:
        assert run_triage(context({"/exemption/code": code})).stream == stream

    def test_language_of_the_request(self) -> None:
        assert run_triage(context({"/language": "fr"})).language == "fr"

    def test_intended_entry_date_drives_urgency(self) -> None:
        soon = add_business_days(TODAY, 3).isoformat()
        result = run_triage(context({"/work/intended_entry_date": soon}))
        assert result.priority == Priority(100, True, ("urgent", "entry_within_10_business_days"))

    def test_start_date_stands_in_for_a_missing_entry_date(self) -> None:
        changes = {
            "/work/start_date": add_business_days(TODAY, 12).isoformat(),
            "/work/end_date": add_business_days(TODAY, 40).isoformat(),
        }
        result = run_triage(context(changes))
        assert result.priority == Priority(20, False, ("entry_within_20_business_days",))

    def test_urgent_business_days_is_passed_on(self) -> None:
        soon = add_business_days(TODAY, 3).isoformat()
        ctx = context({"/work/intended_entry_date": soon})
        result = run_triage(ctx, urgent_business_days=2)
        assert result.priority == Priority(20, False, ("entry_within_4_business_days",))


class TestMergeFindings:
    def test_keeps_the_first_of_the_same_rule_and_fields(self) -> None:
        first, again = finding("r", "/a", en="first"), finding("r", "/a", en="again")
        assert merge_findings([first], [again]) == (first,)

    def test_keeps_same_rule_with_other_fields_and_other_rules(self) -> None:
        items = [finding("r", "/a"), finding("r", "/b"), finding("s", "/a"), finding("r")]
        assert merge_findings(items, items) == tuple(items)


class TestComputePriority:
    def _priority(self, entry: date | None, **more: int) -> Priority:
        return compute_priority(intended_entry_date=entry, today=MONDAY, review_count=0, **more)

    def test_no_entry_date_no_points(self) -> None:
        assert self._priority(None) == Priority(0, False, ())

    def test_entry_today_is_urgent(self) -> None:
        assert self._priority(MONDAY) == Priority(
            100, True, ("urgent", "entry_within_10_business_days")
        )

    def test_entry_date_passed_is_urgent(self) -> None:
        assert self._priority(date(2027, 6, 25)) == Priority(
            100, True, ("urgent", "entry_date_passed")
        )

    def test_tenth_business_day_is_urgent_across_a_holiday(self) -> None:
        # Canada Day is skipped: the 10th business day after Monday June 28 is July 13.
        assert add_business_days(MONDAY, 10) == date(2027, 7, 13)
        assert self._priority(date(2027, 7, 13)).urgent is True
        assert self._priority(date(2027, 7, 14)) == Priority(
            20, False, ("entry_within_20_business_days",)
        )

    def test_a_weekend_after_the_tenth_business_day_is_still_urgent(self) -> None:
        assert add_business_days(MONDAY, 10) == date(2027, 7, 13)
        saturday = date(2027, 7, 10)  # after the 9th business day (Friday July 9)
        assert self._priority(saturday).urgent is True

    def test_beyond_twice_the_limit_no_points(self) -> None:
        entry = add_business_days(MONDAY, 21)
        assert self._priority(entry) == Priority(0, False, ())
        assert self._priority(date(9999, 12, 31)) == Priority(0, False, ())

    def test_review_findings_count_five_each_up_to_thirty(self) -> None:
        assert compute_priority(intended_entry_date=None, today=MONDAY, review_count=3) == (
            Priority(15, False, ("3_review_findings",))
        )
        assert compute_priority(intended_entry_date=None, today=MONDAY, review_count=9) == (
            Priority(30, False, ("9_review_findings",))
        )

    def test_waiting_counts_two_a_day_up_to_forty(self) -> None:
        assert self._priority(None, waiting_business_days=5) == Priority(
            10, False, ("waiting_5_business_days",)
        )
        assert self._priority(None, waiting_business_days=30).score == 40

    def test_everything_adds_up_in_a_fixed_order(self) -> None:
        priority = compute_priority(
            intended_entry_date=MONDAY,
            today=MONDAY,
            review_count=2,
            waiting_business_days=3,
            urgent_business_days=5,
        )
        assert priority == Priority(
            116,
            True,
            (
                "urgent",
                "entry_within_5_business_days",
                "2_review_findings",
                "waiting_3_business_days",
            ),
        )

    @pytest.mark.parametrize(
        "more",
        [{"review_count": -1}, {"waiting_business_days": -1}, {"urgent_business_days": -1}],
    )
    def test_negative_numbers_are_refused(self, more: dict[str, int]) -> None:
        arguments: dict[str, Any] = {"intended_entry_date": None, "today": MONDAY}
        arguments["review_count"] = 0
        with pytest.raises(ValueError, match="zero or more"):
            compute_priority(**{**arguments, **more})


COUNTRIES = st.sampled_from([None, "US", "FR", "GB", "MX", "IL", "CA"])
DATES = st.none() | st.dates(date(2025, 1, 1), date(2028, 12, 31)).map(date.isoformat)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "/language": st.sampled_from(["en", "fr"]),
    "/exemption/code": st.sampled_from([None, "T11", "C20", "A77", "C11", "T23", "C21", "Z99"]),
    "/worker/citizenship": COUNTRIES,
    "/worker/travel_passport_country": COUNTRIES,
    "/worker/other_citizenships": st.lists(st.sampled_from(["US", "FR", "GB"]), max_size=2),
    "/worker/charged_or_convicted": st.sampled_from([None, True, False]),
    "/work/noc_code": st.none() | st.from_regex(r"\A[0-9]{4,5}\Z"),
    "/work/location/city": st.sampled_from([None, "Ottawa", "Montréal", "Saint-Jérôme"]),
    "/work/location/province": st.sampled_from([None, "ON", "QC", "NU"]),
    "/work/wage/amount": st.none() | st.decimals(-100, 10_000, places=2).map(str),
    "/work/intended_entry_date": DATES,
}
OFFER_TEXTS = st.none() | st.text(max_size=80) | st.sampled_from([OFFER_TEXT, "Montreal, QC"])


@st.composite
def contexts(draw: st.DrawFn) -> TriageContext:
    data: dict[str, Any] = complete_t11_data()
    for pointer in draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=6)):
        set_pointer(data, pointer, draw(FIELDS[pointer]))
    start = draw(DATES)
    set_pointer(data, "/work/start_date", start)
    if start is not None and start > data["work"]["end_date"]:
        set_pointer(data, "/work/end_date", start)
    kinds = draw(st.frozensets(st.sampled_from(sorted(T11_PRESENT_KINDS))))
    content = RequestContent.model_validate(data)
    return TriageContext(content, load_reference(), kinds, draw(OFFER_TEXTS), TODAY)


class TestProperties:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ctx=contexts(), urgent=st.integers(0, 15))
    def test_deterministic_and_never_raises(self, ctx: TriageContext, urgent: int) -> None:
        result = run_triage(ctx, urgent_business_days=urgent)
        assert run_triage(ctx, urgent_business_days=urgent) == result
        keys = [(f.rule, f.fields) for f in result.findings]
        assert len(keys) == len(set(keys))
        assert {f.rule for f in result.findings} <= {*RULE_IDS, *TRIAGE_RULE_IDS}
        assert result.priority.score >= 0
        assert result.language == ctx.content.language
