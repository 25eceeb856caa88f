"""Dated schedules built straight from the UK pack's regimens (docs/date-policy.md)."""

from __future__ import annotations

from datetime import date

import pytest

from b12care.domain.calendar import Interval
from b12care.domain.errors import InputError
from b12care.domain.knowledge import Pack, RegimenDef, WeeklyPattern
from b12care.domain.schedule import Schedule, build_schedule, within_range
from b12care.knowledge.loader import load_pack

MONDAY = date(2026, 1, 5)
THREE_WEEKS = Interval(3, "week")


def _pack() -> Pack:
    return load_pack("uk-nice-2024")


def _patterns() -> dict[int, WeeklyPattern]:
    found = (r.value_on(MONDAY) for r in _pack().of_kind(WeeklyPattern))
    return {pattern.times_per_week: pattern for pattern in found}


def _schedule(
    name: str,
    start: date = MONDAY,
    *,
    lifelong: bool = True,
    maintenance_interval: Interval | None = None,
) -> Schedule:
    regimen = _pack().record(f"regimen.uk.{name}", RegimenDef).value_on(start)
    return build_schedule(
        regimen,
        start,
        regimen.routes[0],
        lifelong=lifelong,
        review_every=THREE_WEEKS,
        patterns=_patterns(),
        maintenance_interval=maintenance_interval,
    )


def _dates(schedule: Schedule, index: int) -> list[str]:
    return [dose.date.isoformat() for dose in schedule.phases[index].doses]


# --- within_range ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "inside"),
    [
        (Interval(2, "month"), True),
        (Interval(3, "month"), True),
        (Interval(1, "month"), False),
        (Interval(4, "month"), False),
        (Interval(60, "day"), True),
        (Interval(59, "day"), False),
        (Interval(9, "week"), True),
        (Interval(8, "week"), False),
        (Interval(13, "week"), False),
    ],
)
def test_within_range_counts_a_month_as_thirty_days(choice: Interval, inside: bool) -> None:
    allowed = (Interval(2, "month"), Interval(3, "month"))

    result = within_range(choice, allowed)

    assert result is inside


# --- standard regimen ------------------------------------------------------------------------------


def test_standard_loading_is_six_doses_on_monday_wednesday_friday_for_two_weeks() -> None:
    schedule = _schedule("hydroxocobalamin_im.standard")

    assert _dates(schedule, 0) == [
        "2026-01-05",
        "2026-01-07",
        "2026-01-09",
        "2026-01-12",
        "2026-01-14",
        "2026-01-16",
    ]
    assert schedule.phases[0].end == "fixed"


def test_standard_maintenance_starts_three_months_after_the_last_loading_dose() -> None:
    schedule = _schedule("hydroxocobalamin_im.standard")

    assert _dates(schedule, 1) == ["2026-04-16", "2026-07-16", "2026-10-16", "2027-01-16"]
    assert schedule.maintenance_start == date(2026, 4, 16)
    assert schedule.loading_ends == (date(2026, 1, 16),)
    assert schedule.phases[1].provisional is False


def test_maintenance_is_lifelong_or_open_as_the_caller_says() -> None:
    lifelong = _schedule("hydroxocobalamin_im.standard", lifelong=True)
    reviewed = _schedule("hydroxocobalamin_im.standard", lifelong=False)

    assert (lifelong.phases[1].end, reviewed.phases[1].end) == ("lifelong", "open")


def test_a_chosen_two_month_interval_dates_maintenance_every_two_months() -> None:
    schedule = _schedule("hydroxocobalamin_im.standard", maintenance_interval=Interval(2, "month"))

    assert _dates(schedule, 1) == [
        "2026-03-16",
        "2026-05-16",
        "2026-07-16",
        "2026-09-16",
        "2026-11-16",
        "2027-01-16",
    ]
    assert schedule.phases[1].interval == Interval(2, "month")


def test_a_nine_week_interval_counts_as_inside_two_to_three_months() -> None:
    schedule = _schedule("hydroxocobalamin_im.standard", maintenance_interval=Interval(9, "week"))

    dates = _dates(schedule, 1)
    assert dates[:3] == ["2026-03-20", "2026-05-22", "2026-07-24"]
    assert len(dates) == 6


@pytest.mark.parametrize("months", [1, 4])
def test_a_maintenance_interval_outside_the_range_is_dated_as_the_clinician_chose(months: int) -> None:
    schedule = _schedule("hydroxocobalamin_im.standard", maintenance_interval=Interval(months, "month"))

    maintenance = schedule.phases[1]
    assert maintenance.interval == Interval(months, "month")
    assert maintenance.interval_range == (Interval(2, "month"), Interval(3, "month"))


def test_a_maintenance_interval_for_a_regimen_without_maintenance_is_rejected() -> None:
    with pytest.raises(InputError) as caught:
        _schedule("cyanocobalamin_oral.dietary", maintenance_interval=Interval(2, "month"))

    assert caught.value.field == "maintenance_interval"
    assert "no maintenance phase" in caught.value.message


# --- neurological and ocular: open-ended phases ----------------------------------------------------


def test_neurological_loading_is_alternate_days_strictly_before_the_three_week_checkpoint() -> None:
    schedule = _schedule("hydroxocobalamin_im.neurological")

    loading = schedule.phases[0]
    assert loading.end == "on_no_further_improvement"
    assert loading.review_checkpoint == date(2026, 1, 26)
    assert _dates(schedule, 0) == [
        "2026-01-05",
        "2026-01-07",
        "2026-01-09",
        "2026-01-11",
        "2026-01-13",
        "2026-01-15",
        "2026-01-17",
        "2026-01-19",
        "2026-01-21",
        "2026-01-23",
        "2026-01-25",
    ]


def test_neurological_maintenance_is_provisional_and_two_monthly_from_the_last_listed_dose() -> None:
    schedule = _schedule("hydroxocobalamin_im.neurological")

    maintenance = schedule.phases[1]
    assert maintenance.provisional is True
    assert maintenance.interval == Interval(2, "month")
    assert _dates(schedule, 1) == [
        "2026-03-25",
        "2026-05-25",
        "2026-07-25",
        "2026-09-25",
        "2026-11-25",
        "2027-01-25",
    ]


def test_ocular_loading_is_fourteen_daily_doses_then_twice_weekly_from_the_next_day() -> None:
    schedule = _schedule("hydroxocobalamin_im.ocular")

    daily = _dates(schedule, 0)
    assert daily == [f"2026-01-{day:02d}" for day in range(5, 19)]
    assert _dates(schedule, 1) == [
        "2026-01-19",
        "2026-01-22",
        "2026-01-26",
        "2026-01-29",
        "2026-02-02",
        "2026-02-05",
    ]
    assert schedule.phases[1].times_per_week == 2
    assert schedule.phases[1].review_checkpoint == date(2026, 2, 9)


def test_ocular_maintenance_is_provisional_three_monthly_by_default() -> None:
    schedule = _schedule("hydroxocobalamin_im.ocular")

    maintenance = schedule.phases[2]
    assert maintenance.provisional is True
    assert maintenance.interval_range == (Interval(1, "month"), Interval(3, "month"))
    assert _dates(schedule, 2) == ["2026-05-05", "2026-08-05", "2026-11-05", "2027-02-05"]


def test_the_smpc_alternative_starts_weekly_doses_one_week_after_the_last_alternate_day_dose() -> None:
    schedule = _schedule("hydroxocobalamin_im.smpc_alternative")

    assert _dates(schedule, 0) == [
        "2026-01-05",
        "2026-01-07",
        "2026-01-09",
        "2026-01-11",
        "2026-01-13",
        "2026-01-15",
        "2026-01-17",
    ]
    assert _dates(schedule, 1) == ["2026-01-24", "2026-01-31", "2026-02-07"]
    assert schedule.phases[1].review_checkpoint == date(2026, 2, 14)
    assert str(schedule.phases[1].doses[0].dose) == "250 microgram"
    assert _dates(schedule, 2)[0] == "2026-05-07"
    assert schedule.phases[2].provisional is True


# --- no loading, oral -------------------------------------------------------------------------------


def test_prophylaxis_has_no_loading_and_maintenance_starts_on_the_start_date() -> None:
    schedule = _schedule("hydroxocobalamin_im.prophylaxis")

    assert [p.kind for p in schedule.phases] == ["maintenance"]
    assert _dates(schedule, 0) == ["2026-01-05", "2026-04-05", "2026-07-05", "2026-10-05"]
    assert schedule.loading_ends == ()
    assert schedule.maintenance_start == MONDAY


def test_an_oral_daily_phase_lists_only_its_first_dose() -> None:
    schedule = _schedule("cyanocobalamin_oral.dietary", lifelong=False)

    oral = schedule.phases[0]
    assert (oral.kind, oral.end, oral.interval) == ("oral", "open", Interval(1, "day"))
    assert _dates(schedule, 0) == ["2026-01-05"]
    assert schedule.maintenance_start is None


# --- month ends and leap years ----------------------------------------------------------------------


def test_maintenance_from_the_thirty_first_clamps_each_dose_without_drifting() -> None:
    schedule = _schedule("hydroxocobalamin_im.prophylaxis", date(2026, 1, 31))

    assert _dates(schedule, 0) == ["2026-01-31", "2026-04-30", "2026-07-31", "2026-10-31"]


def test_maintenance_from_the_end_of_november_lands_on_the_leap_day() -> None:
    schedule = _schedule("hydroxocobalamin_im.prophylaxis", date(2027, 11, 30))

    assert _dates(schedule, 0) == ["2027-11-30", "2028-02-29", "2028-05-30", "2028-08-30"]


def test_maintenance_from_a_leap_day_keeps_the_twenty_ninth_and_stops_before_28_february() -> None:
    schedule = _schedule(
        "hydroxocobalamin_im.prophylaxis", date(2028, 2, 29), maintenance_interval=Interval(2, "month")
    )

    assert _dates(schedule, 0) == [
        "2028-02-29",
        "2028-04-29",
        "2028-06-29",
        "2028-08-29",
        "2028-10-29",
        "2028-12-29",
    ]
