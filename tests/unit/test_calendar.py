"""Calendar arithmetic: days, weeks and month steps that clamp to month end (docs/date-policy.md)."""

from __future__ import annotations

from datetime import date

import pytest

from b12care.domain.calendar import Interval, add_interval, parse_interval
from b12care.domain.errors import InputError


def test_thirty_first_of_january_plus_one_month_is_the_last_day_of_february() -> None:
    start = date(2026, 1, 31)

    result = add_interval(start, Interval(1, "month"))

    assert result == date(2026, 2, 28)


def test_thirty_first_of_january_plus_one_month_in_a_leap_year_is_the_twenty_ninth_of_february() -> None:
    start = date(2028, 1, 31)

    result = add_interval(start, Interval(1, "month"))

    assert result == date(2028, 2, 29)


def test_thirty_first_of_january_plus_three_months_is_the_thirtieth_of_april() -> None:
    start = date(2026, 1, 31)

    result = add_interval(start, Interval(3, "month"))

    assert result == date(2026, 4, 30)


def test_steps_counted_from_one_anchor_do_not_drift_to_the_clamped_day() -> None:
    anchor = date(2026, 1, 31)
    month = Interval(1, "month")

    dates = [add_interval(anchor, month.times(k)) for k in range(4)]

    assert dates == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_thirty_first_of_january_plus_two_months_is_the_thirty_first_of_march() -> None:
    start = date(2026, 1, 31)

    result = add_interval(start, Interval(2, "month"))

    assert result == date(2026, 3, 31)


def test_twenty_ninth_of_february_plus_twelve_months_clamps_to_the_twenty_eighth() -> None:
    start = date(2028, 2, 29)

    result = add_interval(start, Interval(12, "month"))

    assert result == date(2029, 2, 28)


def test_a_day_step_is_exact_and_crosses_the_month_boundary() -> None:
    start = date(2026, 1, 30)

    result = add_interval(start, Interval(21, "day"))

    assert result == date(2026, 2, 20)


def test_a_week_step_is_seven_days_per_week() -> None:
    start = date(2026, 1, 5)

    result = add_interval(start, Interval(3, "week"))

    assert result == date(2026, 1, 26)


def test_a_day_step_over_the_end_of_february_in_a_leap_year_lands_on_the_twenty_ninth() -> None:
    start = date(2028, 2, 28)

    result = add_interval(start, Interval(1, "day"))

    assert result == date(2028, 2, 29)


def test_a_month_step_from_november_rolls_over_into_the_next_year() -> None:
    start = date(2026, 11, 15)

    result = add_interval(start, Interval(3, "month"))

    assert result == date(2027, 2, 15)


def test_a_month_step_from_december_lands_in_january_of_the_next_year() -> None:
    start = date(2026, 12, 31)

    result = add_interval(start, Interval(1, "month"))

    assert result == date(2027, 1, 31)


def test_a_day_step_from_new_years_eve_lands_in_the_next_year() -> None:
    start = date(2026, 12, 31)

    result = add_interval(start, Interval(1, "day"))

    assert result == date(2027, 1, 1)


def test_twenty_four_months_later_is_the_same_day_two_years_on() -> None:
    start = date(2026, 3, 17)

    result = add_interval(start, Interval(24, "month"))

    assert result == date(2028, 3, 17)


def test_a_zero_interval_returns_the_start_date_for_every_unit() -> None:
    start = date(2026, 1, 31)

    results = {unit: add_interval(start, Interval(0, unit)) for unit in ("day", "week", "month")}

    assert results == {"day": start, "week": start, "month": start}


def test_times_multiplies_the_value_and_keeps_the_unit() -> None:
    interval = Interval(2, "month")

    result = interval.times(3)

    assert result == Interval(6, "month")


def test_interval_text_reads_singular_and_plural() -> None:
    assert (str(Interval(1, "month")), str(Interval(3, "week"))) == ("1 month", "3 weeks")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21d", Interval(21, "day")),
        ("3w", Interval(3, "week")),
        ("2m", Interval(2, "month")),
        (" 12m ", Interval(12, "month")),
        ("1d", Interval(1, "day")),
    ],
)
def test_parse_interval_reads_a_whole_number_and_a_unit_letter(text: str, expected: Interval) -> None:
    result = parse_interval(text)

    assert result == expected


@pytest.mark.parametrize("text", ["0m", "2x", "", "-1d", "1.5m", "m", "2", "2 months", "1000d", "0d"])
def test_parse_interval_rejects_text_that_is_not_a_positive_interval_naming_the_field(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_interval(text, "maintenance_interval")

    assert caught.value.field == "maintenance_interval"
    assert repr(text) in caught.value.message


def test_parse_interval_names_the_default_field_when_none_is_given() -> None:
    with pytest.raises(InputError) as caught:
        parse_interval("2x")

    assert caught.value.field == "interval"
