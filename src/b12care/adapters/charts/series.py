"""The data a patient's timeline chart draws: doses, lab series with the pack's bands, symptom scores.

Pure and independent of the drawing library, so tests can check exactly what is drawn (the cut-offs are
the pack's ``labs.<test>.bands`` records, converted by the pack's units; none is invented here).

Reference: nice-ng239 (UK cut-offs), fda-cyanocobalamin-inj / lab-labcorp / lab-mayo (US), nhg-2014 (NL),
through the pack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from b12care.application.records import SYMPTOMS, DoseRecord, LabRecord, OverallChange, SymptomCheckRecord
from b12care.application.treatment import PatientView
from b12care.domain.errors import InputError
from b12care.domain.knowledge import AnalyteUnits, Bands, Pack
from b12care.domain.units import convert
from b12care.domain.vocabulary import Test

__all__ = [
    "CHARTED_TESTS",
    "BandSpan",
    "LabSeries",
    "TimelineData",
    "band_spans",
    "timeline_data",
]

CHARTED_TESTS: tuple[Test, ...] = ("total_b12", "active_b12", "mma", "haemoglobin")
BandName = Literal["deficient", "indeterminate", "unlikely"]


@dataclass(frozen=True, slots=True)
class BandSpan:
    """One band of a test's cut-offs, ``low`` to ``high`` in the pack's unit (None: open-ended)."""

    band: BandName
    low: Decimal | None
    high: Decimal | None


@dataclass(frozen=True, slots=True)
class LabSeries:
    """One lab test's results in one unit, oldest first, with the pack's bands (None when it has none)."""

    test: Test
    unit: str
    points: tuple[tuple[dt.date, Decimal], ...]
    bands: Bands | None
    rule_id: str | None
    unconverted: int = 0

    @property
    def spans(self) -> tuple[BandSpan, ...]:
        """The bands to shade, empty when the pack has no cut-off for this test."""
        return band_spans(self.bands) if self.bands is not None else ()


@dataclass(frozen=True, slots=True)
class TimelineData:
    """Everything the chart shows, entries marked entered-in-error left out (and counted)."""

    given: tuple[dt.date, ...]
    not_done: tuple[dt.date, ...]
    doses_in_error: int
    next_due: dt.date | None
    labs: tuple[LabSeries, ...]
    symptoms: tuple[tuple[str, tuple[tuple[dt.date, int], ...]], ...]
    overall: tuple[tuple[dt.date, OverallChange], ...]
    as_of: dt.date
    pack_label: str

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """Every date on the chart (for the shared date axis)."""
        found = [*self.given, *self.not_done, *(d for d, _ in self.overall), self.as_of]
        found += [d for series in self.labs for d, _ in series.points]
        if self.next_due is not None:
            found.append(self.next_due)
        return tuple(found)


def band_spans(bands: Bands) -> tuple[BandSpan, ...]:
    """The bands of ``bands`` from the lowest values up, exactly at the pack's cut-offs.

    ``low`` direction: below ``lower`` deficient, above ``upper`` unlikely. ``high`` direction (MMA):
    above ``upper`` deficient, below ``lower`` unlikely. A single limit (lower == upper) has no
    indeterminate band.
    """
    low_side: BandName = "deficient" if bands.direction == "low" else "unlikely"
    high_side: BandName = "unlikely" if bands.direction == "low" else "deficient"
    if bands.lower == bands.upper:
        return (BandSpan(low_side, None, bands.lower), BandSpan(high_side, bands.upper, None))
    return (
        BandSpan(low_side, None, bands.lower),
        BandSpan("indeterminate", bands.lower, bands.upper),
        BandSpan(high_side, bands.upper, None),
    )


def _lab_series(test: Test, labs: Sequence[LabRecord], pack: Pack, day: dt.date) -> LabSeries:
    record = pack.find(f"labs.{test}.bands", Bands)
    bands = record.value_on(day) if record is not None else None
    units_record = pack.find(f"units.{test}", AnalyteUnits)
    units = units_record.value_on(day) if units_record is not None else None
    ordered = sorted(labs, key=lambda lab: lab.date)
    if bands is not None:
        unit = bands.unit
    elif units is not None:
        unit = next((g.canonical for g in units.groups if ordered[0].unit in g.factors), ordered[0].unit)
    else:
        unit = ordered[0].unit
    points: list[tuple[dt.date, Decimal]] = []
    unconverted = 0
    for lab in ordered:
        if lab.unit == unit:
            points.append((lab.date, lab.value))
            continue
        try:
            if units is None:
                raise InputError("unit", f"the pack has no units for {test}")
            points.append((lab.date, convert(lab.value, lab.unit, unit, units)))
        except InputError:
            unconverted += 1  # a stored unit the pack cannot convert: left off and counted, never guessed
    return LabSeries(test, unit, tuple(points), bands, record.id if record else None, unconverted)


def timeline_data(
    view: PatientView,
    doses: Sequence[DoseRecord],
    labs: Sequence[LabRecord],
    checks: Sequence[SymptomCheckRecord],
    pack: Pack,
) -> TimelineData:
    """Sort and convert the patient's record into what the timeline chart draws."""
    day = view.forecast.as_of
    live_doses = [d for d in doses if d.entered_in_error is None]
    given = tuple(sorted(d.date for d in live_doses if d.status == "completed"))
    not_done = tuple(sorted(d.date for d in live_doses if d.status == "not_done"))
    series: list[LabSeries] = []
    for test in CHARTED_TESTS:
        results = [x for x in labs if x.test == test and x.entered_in_error is None]
        if results:
            series.append(_lab_series(test, results, pack, day))
    live_checks = sorted((c for c in checks if c.entered_in_error is None), key=lambda c: c.date)
    symptoms = tuple(
        (symptom, tuple((c.date, c.scores[symptom]) for c in live_checks if symptom in c.scores))
        for symptom in SYMPTOMS
        if any(symptom in c.scores for c in live_checks)
    )
    nxt = view.forecast.next_dose
    return TimelineData(
        given=given,
        not_done=not_done,
        doses_in_error=len(doses) - len(live_doses),
        next_due=nxt.due if nxt is not None else None,
        labs=tuple(series),
        symptoms=symptoms,
        overall=tuple((c.date, c.overall) for c in live_checks),
        as_of=day,
        pack_label=pack.label,
    )
