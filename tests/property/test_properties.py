"""Properties of the pure core: conversions, banding, calendar arithmetic and dated schedules."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from b12care.domain.calendar import Interval, add_interval
from b12care.domain.case import Case, Patient
from b12care.domain.knowledge import AnalyteUnits, Bands, Pack, RegimenDef, WeeklyPattern
from b12care.domain.labs import band_value
from b12care.domain.plan import build_plan
from b12care.domain.schedule import build_schedule
from b12care.domain.units import convert
from b12care.knowledge.loader import load_pack

SETTINGS = settings(max_examples=200, deadline=None, database=None)
PACK: Pack = load_pack("uk-nice-2024")
REGIMEN_IDS = tuple(record.id for record in PACK.of_kind(RegimenDef))
ANALYTES = tuple(record.id.split(".", 1)[1] for record in PACK.of_kind(AnalyteUnits))
LOW_RANK = {"deficient": 0, "indeterminate": 1, "unlikely": 2}
HIGH_RANK = {"unlikely": 0, "indeterminate": 1, "deficient": 2}
MAINTENANCE_HORIZON = Interval(12, "month")

start_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
lab_values = st.decimals(
    min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3, allow_nan=False, allow_infinity=False
)
any_values = st.decimals(
    min_value=Decimal("-1000"), max_value=Decimal("100000"), places=3, allow_nan=False, allow_infinity=False
)


def _same_group_pairs() -> list[tuple[str, str, str]]:
    pairs: list[tuple[str, str, str]] = []
    for analyte in ANALYTES:
        units = PACK.record(f"units.{analyte}", AnalyteUnits).values[0][1]
        for group in units.groups:
            pairs.extend((analyte, a, b) for a in group.factors for b in group.factors)
    return pairs


# --- unit conversion ---------------------------------------------------------------------------------


@SETTINGS
@given(pair=st.sampled_from(_same_group_pairs()), value=lab_values)
def test_converting_to_another_unit_and_back_returns_the_input(
    pair: tuple[str, str, str], value: Decimal
) -> None:
    analyte, unit, other = pair
    units = PACK.record(f"units.{analyte}", AnalyteUnits).values[0][1]

    there = convert(value, unit, other, units)
    back = convert(there, other, unit, units)

    assert abs(back - value) <= value * Decimal("1e-20")


@SETTINGS
@given(value=lab_values)
def test_total_b12_in_pmol_per_litre_is_never_more_than_its_ng_per_litre_value(value: Decimal) -> None:
    units = PACK.record("units.total_b12", AnalyteUnits).values[0][1]

    pmol = convert(value, "ng/L", "pmol/L", units)

    assert pmol < value
    assert pmol.quantize(Decimal("0.001")) == (value * 1000 / Decimal("1355.37")).quantize(Decimal("0.001"))


# --- banding -----------------------------------------------------------------------------------------


@st.composite
def bands(draw: st.DrawFn) -> Bands:
    lower = draw(any_values)
    upper = draw(any_values.filter(lambda v: v >= lower))
    direction = draw(st.sampled_from(["low", "high"]))
    return Bands("x", "u", direction, lower, upper)


@SETTINGS
@given(cut_offs=bands(), a=any_values, b=any_values)
def test_banding_is_monotone_in_the_value_for_either_direction(
    cut_offs: Bands, a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    rank = LOW_RANK if cut_offs.direction == "low" else HIGH_RANK

    band_low = band_value(low, cut_offs)
    band_high = band_value(high, cut_offs)

    assert rank[band_low] <= rank[band_high]


@SETTINGS
@given(cut_offs=bands(), value=any_values)
def test_a_value_inside_two_distinct_cut_offs_is_indeterminate_and_outside_is_not(
    cut_offs: Bands, value: Decimal
) -> None:
    band = band_value(value, cut_offs)

    inside = cut_offs.lower <= value <= cut_offs.upper
    assert (band == "indeterminate") is (inside and cut_offs.lower < cut_offs.upper)


@SETTINGS
@given(limit=any_values, value=any_values, direction=st.sampled_from(["low", "high"]))
def test_a_single_limit_counts_a_value_on_the_limit_as_normal(
    limit: Decimal, value: Decimal, direction: str
) -> None:
    cut_offs = Bands("x", "u", direction, limit, limit)  # type: ignore[arg-type]

    band = band_value(value, cut_offs)

    beyond = value < limit if direction == "low" else value > limit
    assert band == ("deficient" if beyond else "unlikely")


@SETTINGS
@given(
    rule_id=st.sampled_from(["labs.total_b12.bands", "labs.active_b12.bands", "labs.mma.bands"]),
    a=any_values,
    b=any_values,
)
def test_uk_banding_is_monotone_in_the_value(rule_id: str, a: Decimal, b: Decimal) -> None:
    cut_offs = PACK.record(rule_id, Bands).values[0][1]
    low, high = sorted((a, b))
    rank = LOW_RANK if cut_offs.direction == "low" else HIGH_RANK

    assert rank[band_value(low, cut_offs)] <= rank[band_value(high, cut_offs)]


# --- calendar ------------------------------------------------------------------------------------------


@SETTINGS
@given(start=start_dates, months=st.integers(min_value=0, max_value=600))
def test_a_month_step_lands_in_the_target_month_on_the_same_or_a_clamped_day(
    start: date, months: int
) -> None:
    result = add_interval(start, Interval(months, "month"))

    index = start.year * 12 + start.month - 1 + months
    assert (result.year, result.month) == (index // 12, index % 12 + 1)
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(start.day, last_day)
    assert result.day <= last_day


@SETTINGS
@given(
    start=start_dates, a=st.integers(min_value=0, max_value=600), b=st.integers(min_value=0, max_value=600)
)
def test_month_steps_are_strictly_monotone_in_the_count(start: date, a: int, b: int) -> None:
    first = add_interval(start, Interval(a, "month"))
    second = add_interval(start, Interval(b, "month"))

    assert (first < second) == (a < b)
    assert (first == second) == (a == b)


@SETTINGS
@given(
    start=start_dates,
    count=st.integers(min_value=0, max_value=2000),
    unit=st.sampled_from(["day", "week"]),
)
def test_day_and_week_steps_are_exact(start: date, count: int, unit: str) -> None:
    result = add_interval(start, Interval(count, unit))  # type: ignore[arg-type]

    days = count if unit == "day" else 7 * count
    assert result - start == timedelta(days=days)


# --- schedules -----------------------------------------------------------------------------------------


def _patterns(day: date) -> dict[int, WeeklyPattern]:
    found = (r.value_on(day) for r in PACK.of_kind(WeeklyPattern))
    return {pattern.times_per_week: pattern for pattern in found}


@SETTINGS
@given(
    start=start_dates,
    regimen_id=st.sampled_from(REGIMEN_IDS),
    lifelong=st.booleans(),
    weeks=st.integers(min_value=1, max_value=8),
)
def test_schedules_are_strictly_increasing_and_every_dose_lies_within_its_phase(
    start: date, regimen_id: str, lifelong: bool, weeks: int
) -> None:
    regimen = PACK.record(regimen_id, RegimenDef).value_on(start)
    review_every = Interval(weeks, "week")

    schedule = build_schedule(
        regimen,
        start,
        regimen.routes[0],
        lifelong=lifelong,
        review_every=review_every,
        patterns=_patterns(start),
    )

    dates = [dose.date for phase in schedule.phases for dose in phase.doses]
    assert dates, regimen_id
    assert dates[0] == start
    assert all(a < b for a, b in pairwise(dates))
    open_seen = False
    for phase, definition in zip(schedule.phases, regimen.phases, strict=True):
        assert phase.doses, (regimen_id, phase.kind)
        first = phase.doses[0].date
        assert all(dose.date >= start for dose in phase.doses)
        assert phase.provisional is open_seen
        if phase.end == "on_no_further_improvement":
            assert phase.review_checkpoint == add_interval(first, review_every)
            assert all(dose.date < phase.review_checkpoint for dose in phase.doses)
            open_seen = True
        if phase.kind == "maintenance":
            horizon = add_interval(first, MAINTENANCE_HORIZON)
            assert all(dose.date < horizon for dose in phase.doses)
        if definition.duration is not None:
            end = add_interval(first, definition.duration)
            assert all(dose.date < end for dose in phase.doses)
        if definition.count is not None:
            assert len(phase.doses) == definition.count
        if phase.kind == "oral":
            assert [dose.date for dose in phase.doses] == [first]


@SETTINGS
@given(start=start_dates, regimen_id=st.sampled_from(REGIMEN_IDS))
def test_every_uk_regimen_plans_increasing_dates_from_any_start_date(start: date, regimen_id: str) -> None:
    case = Case(
        start_date=start,
        patient=Patient(birth_date=date(1950, 1, 1), sex="female"),
        cause="autoimmune_gastritis",
        regimen=regimen_id,
    )

    plan = build_plan(case, PACK)

    dates = [dose.date for phase in plan.phases for dose in phase.doses]
    assert dates[0] == start
    assert all(a < b for a, b in pairwise(dates))
    assert all(m.date >= start for m in plan.milestones)
    assert [m.date for m in plan.milestones] == sorted(m.date for m in plan.milestones)
