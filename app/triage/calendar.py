"""Business days for IMWU service times: weekdays that are not Canadian federal holidays.

Source of the holidays: the `holidays` library, `holidays.Canada(subdiv=None,
categories="government")` (called through `holidays.country_holidays("CA", ...)`, the same class,
because the package exposes its country classes to type checkers only indirectly). Which category,
and why:

- The library's default category (`public`) with no province gives only the five holidays every
  province shares (New Year's Day, Good Friday, Canada Day, Labour Day, Christmas Day). That is
  not the federal calendar: it lacks Victoria Day, Thanksgiving, Remembrance Day and others.
- The `government` category is the library's "holidays for federally regulated workplaces": the
  ten general holidays of the Canada Labour Code (s. 166) - New Year's Day, Good Friday, Victoria
  Day, Canada Day, Labour Day, National Day for Truth and Reconciliation (from 2021), Thanksgiving,
  Remembrance Day, Christmas Day and Boxing Day - each with its observed day (the next Monday, or
  Monday/Tuesday at Christmas) when it falls on a weekend. IMWU is a federal unit, so we use it.
- Not included: Easter Monday and the August civic holiday, which federal public servants get
  through collective agreements rather than the Code, and provincial holidays (IMWU serves the
  whole country from one calendar).
"""

import functools
from datetime import date, timedelta

import holidays
from holidays.constants import GOVERNMENT

__all__ = [
    "add_business_days",
    "business_days_between",
    "due_date",
    "federal_holidays",
    "is_business_day",
]

_ONE_DAY = timedelta(days=1)


@functools.cache
def federal_holidays(year: int) -> frozenset[date]:
    """The federal holidays (and their observed days) of `year`, computed once per year."""
    calendar = holidays.country_holidays("CA", subdiv=None, years=year, categories=GOVERNMENT)
    return frozenset(day for day in calendar if day.year == year)


def is_business_day(d: date) -> bool:
    """Monday to Friday and not a federal holiday or observed holiday."""
    return d.weekday() < 5 and d not in federal_holidays(d.year)


def add_business_days(start: date, days: int) -> date:
    """The date `days` business days after `start` (`start` itself is not counted).

    `days == 0` gives `start` unchanged, even on a weekend or a holiday.
    """
    if days < 0:
        raise ValueError("days must be zero or more")
    current, remaining = start, days
    while remaining:
        current += _ONE_DAY
        if is_business_day(current):
            remaining -= 1
    return current


def _weekdays_up_to(d: date) -> int:
    """Monday-to-Friday days from 0001-01-01 (a Monday) up to and including `d`."""
    weeks, rest = divmod(d.toordinal(), 7)  # date(1, 1, 1), ordinal 1, is a Monday.
    return weeks * 5 + min(rest, 5)


def _weekday_holidays(start: date, end: date) -> int:
    """Federal holidays that fall on a weekday in (start, end]."""
    return sum(
        1
        for year in range(start.year, end.year + 1)
        for day in federal_holidays(year)
        if start < day <= end and day.weekday() < 5
    )


def business_days_between(start: date, end: date) -> int:
    """The number of business days in (start, end]: 0 when `end` is on or before `start`."""
    if end <= start:
        return 0
    return _weekdays_up_to(end) - _weekdays_up_to(start) - _weekday_holidays(start, end)


def due_date(submitted_on: date, service_days: int, entry: date | None) -> date:
    """When a case is due: `service_days` business days after submission, but no later than the
    last business day before the worker's entry (an opinion after arrival is useless; issue 11),
    and never before the submission day itself."""
    due = add_business_days(submitted_on, service_days)
    if entry is None:
        return due
    latest = entry - _ONE_DAY
    while latest > submitted_on and not is_business_day(latest):
        latest -= _ONE_DAY
    return max(submitted_on, min(due, latest))
