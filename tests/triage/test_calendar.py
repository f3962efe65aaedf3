"""Business days: weekdays that are not Canadian federal holidays (Canada Labour Code, observed)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.triage.calendar import (
    add_business_days,
    business_days_between,
    federal_holidays,
    is_business_day,
)

DATES = st.dates(date(2020, 1, 1), date(2035, 12, 31))


class TestFederalHolidays:
    def test_2027_is_the_canada_labour_code_list_with_observed_days(self) -> None:
        assert sorted(federal_holidays(2027)) == [
            date(2027, 1, 1),  # New Year's Day
            date(2027, 3, 26),  # Good Friday
            date(2027, 5, 24),  # Victoria Day
            date(2027, 7, 1),  # Canada Day
            date(2027, 9, 6),  # Labour Day
            date(2027, 9, 30),  # National Day for Truth and Reconciliation
            date(2027, 10, 11),  # Thanksgiving
            date(2027, 11, 11),  # Remembrance Day
            date(2027, 12, 25),  # Christmas Day (Saturday)
            date(2027, 12, 26),  # Boxing Day (Sunday)
            date(2027, 12, 27),  # Christmas Day observed
            date(2027, 12, 28),  # Boxing Day observed
        ]

    def test_provincial_and_collective_agreement_days_are_not_included(self) -> None:
        holidays_2027 = federal_holidays(2027)
        assert date(2027, 3, 29) not in holidays_2027  # Easter Monday
        assert date(2027, 8, 2) not in holidays_2027  # Civic Holiday
        assert date(2027, 6, 24) not in holidays_2027  # Fête nationale du Québec
        assert date(2027, 2, 15) not in holidays_2027  # Family Day (some provinces)

    def test_is_cached_per_year(self) -> None:
        assert federal_holidays(2027) is federal_holidays(2027)


class TestIsBusinessDay:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2027, 7, 1), False),  # Canada Day, a Thursday
            (date(2027, 6, 30), True),  # an ordinary Wednesday
            (date(2027, 7, 3), False),  # Saturday
            (date(2027, 7, 4), False),  # Sunday
            (date(2026, 12, 25), False),  # Christmas Day, a Friday
            (date(2027, 12, 27), False),  # Christmas Day observed (Monday)
            (date(2027, 12, 28), False),  # Boxing Day observed (Tuesday)
            (date(2027, 12, 29), True),
            (date(2027, 5, 24), False),  # Victoria Day: federal, not in the nationwide list
            (date(2028, 7, 3), False),  # Canada Day 2028 is a Saturday: observed Monday
        ],
    )
    def test_weekdays_that_are_not_holidays(self, day: date, expected: bool) -> None:
        assert is_business_day(day) is expected


class TestAddBusinessDays:
    def test_skips_a_holiday(self) -> None:
        assert add_business_days(date(2027, 6, 30), 1) == date(2027, 7, 2)

    def test_skips_the_weekend(self) -> None:
        assert add_business_days(date(2027, 7, 2), 1) == date(2027, 7, 5)

    def test_skips_christmas_and_boxing_day_observed(self) -> None:
        assert add_business_days(date(2027, 12, 24), 1) == date(2027, 12, 29)

    def test_crosses_the_year(self) -> None:
        assert add_business_days(date(2027, 12, 24), 4) == date(2028, 1, 4)

    def test_zero_days_is_the_start_even_on_a_holiday(self) -> None:
        assert add_business_days(date(2027, 7, 1), 0) == date(2027, 7, 1)

    def test_negative_days_are_refused(self) -> None:
        with pytest.raises(ValueError, match="zero or more"):
            add_business_days(date(2027, 7, 1), -1)


class TestBusinessDaysBetween:
    def test_counts_the_end_not_the_start(self) -> None:
        assert business_days_between(date(2027, 6, 29), date(2027, 6, 30)) == 1

    def test_skips_the_holiday_and_the_weekend(self) -> None:
        assert business_days_between(date(2027, 6, 30), date(2027, 7, 5)) == 2

    def test_across_the_new_year(self) -> None:
        # Dec 29-31 2027, then Jan 4 2028 (Jan 3 is New Year's Day observed).
        assert business_days_between(date(2027, 12, 24), date(2028, 1, 4)) == 4

    @pytest.mark.parametrize("end", [date(2027, 7, 1), date(2027, 6, 1)])
    def test_zero_when_the_end_is_not_after_the_start(self, end: date) -> None:
        assert business_days_between(date(2027, 7, 1), end) == 0

    @given(start=DATES, span=st.integers(0, 120))
    def test_equals_counting_day_by_day(self, start: date, span: int) -> None:
        days = (start + timedelta(days=offset) for offset in range(1, span + 1))
        expected = sum(1 for day in days if is_business_day(day))
        assert business_days_between(start, start + timedelta(days=span)) == expected


class TestProperties:
    @given(start=DATES, days=st.integers(0, 300))
    def test_add_then_count_gives_the_same_number(self, start: date, days: int) -> None:
        result = add_business_days(start, days)
        assert business_days_between(start, result) == days
        assert days == 0 or is_business_day(result)
