"""Date arithmetic for schedules: days, weeks and calendar months that clamp to month end.

Policy (docs/date-policy.md): a month step keeps the day of month and clamps to the last day of a
shorter month (31 Jan + 1 month = 28 or 29 Feb; 31 Jan + 3 months = 30 Apr). Repeated steps are
counted from one anchor, never chained, so a schedule does not drift (31 Jan + 2 months = 31 Mar).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from b12care.domain.errors import InputError

__all__ = [
    "EARLIEST_DAY",
    "LATEST_DAY",
    "Interval",
    "IntervalUnit",
    "add_interval",
    "add_months",
    "check_day",
    "parse_interval",
]

IntervalUnit = Literal["day", "week", "month"]

_UNIT_WORDS: dict[str, IntervalUnit] = {"d": "day", "w": "week", "m": "month"}
_INTERVAL_TEXT = re.compile(r"^\s*(\d{1,3})\s*([dwm])\s*$")
_APPROX_DAYS: dict[IntervalUnit, int] = {"day": 1, "week": 7, "month": 30}
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
"""The days a case or record entry may carry. Schedules, forecasts, recall spans and the timeline chart
reach years before and after their dates, and Python's and the chart's dates end at years 1 and 9999;
an earlier or later day is a typing error (bounds of the arithmetic, not clinical ones)."""


def check_day(day: date, field: str) -> date:
    """``day``, or InputError naming ``field`` when it is outside :data:`EARLIEST_DAY`-:data:`LATEST_DAY`."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InputError(
            field, f"{day.isoformat()} is not between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"
        )
    return day


@dataclass(frozen=True, slots=True, order=False)
class Interval:
    """A whole number of days, weeks or calendar months."""

    value: int
    unit: IntervalUnit

    def times(self, factor: int) -> Interval:
        """This interval repeated ``factor`` times (``2 months x 3 = 6 months``)."""
        return Interval(self.value * factor, self.unit)

    def sort_key(self) -> tuple[int, int]:
        """Order intervals of any unit by their approximate length, then exact value."""
        return (self.value * _APPROX_DAYS[self.unit], self.value)

    def __str__(self) -> str:
        word = self.unit if self.value == 1 else f"{self.unit}s"
        return f"{self.value} {word}"


def add_interval(start: date, interval: Interval) -> date:
    """Return ``start`` moved forward by ``interval``; months clamp to the end of the target month."""
    if interval.unit == "day":
        return start + timedelta(days=interval.value)
    if interval.unit == "week":
        return start + timedelta(weeks=interval.value)
    return add_months(start, interval.value)


def add_months(start: date, months: int) -> date:
    """``start`` moved forward by ``months`` calendar months, clamped to the end of the target month."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = start.day
    if day > 28:  # every month has 28 days: only a later day may need clamping
        day = min(day, _days_in_month(year, month))
    return date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:  # February
        return 29 if calendar.isleap(year) else 28
    return _MONTH_DAYS[month - 1]


def parse_interval(text: str, field: str = "interval") -> Interval:
    """Parse ``N{d,w,m}`` (``21d``, ``3w``, ``2m``) into an Interval; raise InputError naming ``field``."""
    match = _INTERVAL_TEXT.match(text)
    if match is None or int(match.group(1)) == 0:
        raise InputError(field, f"{text!r} is not an interval; use a whole number and d, w or m, e.g. 2m")
    return Interval(int(match.group(1)), _UNIT_WORDS[match.group(2)])
