"""The coming dates, from the plan and forecast only (no database)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from calendar_helpers import EXAMPLE_CASE

from b12care.application.case_file import parse_case_json
from b12care.application.forecasting import forecast_case
from b12care.domain.history import AdministeredDose, History, Review
from b12care.domain.projection import Projection, project
from b12care.knowledge.loader import load_pack


def _project(history: History, as_of: dt.date, **changes: Any) -> Projection:
    data = json.loads(EXAMPLE_CASE.read_text(encoding="utf-8"))
    data.update(changes)
    forecast = forecast_case(parse_case_json(json.dumps(data)), history, as_of=as_of, pack_id="uk-nice-2024")
    return project(forecast, history, load_pack("uk-nice-2024"))


def _given(*days: dt.date) -> History:
    return History(tuple(AdministeredDose(day) for day in days))


def test_maintenance_counts_from_the_last_dose_as_one_anchor_so_month_ends_do_not_drift() -> None:
    loading = _given(*(dt.date(2026, 1, d) for d in (21, 23, 25, 27, 29, 31)))

    projection = _project(loading, dt.date(2026, 2, 1), start_date="2026-01-21")

    assert [d.date for d in projection.doses] == [
        dt.date(2026, 4, 30),
        dt.date(2026, 7, 31),
        dt.date(2026, 10, 31),
        dt.date(2027, 1, 31),
    ]
    assert [d.number for d in projection.doses] == [7, 8, 9, 10]
    assert projection.given == 6


def test_an_overdue_first_injection_is_shown_today_and_the_rest_of_loading_moves_with_it() -> None:
    projection = _project(History(), dt.date(2026, 1, 10))

    first, second = projection.doses[:2]
    assert (first.date, first.overdue_since) == (dt.date(2026, 1, 10), dt.date(2026, 1, 5))
    assert (second.date, second.overdue_since) == (dt.date(2026, 1, 12), None)  # planned 7 Jan + 5 days


def test_nothing_is_dated_after_an_open_ended_phase_but_its_review_checkpoint_is() -> None:
    projection = _project(History(), dt.date(2026, 1, 1), neurological_symptoms=True)

    assert {d.phase for d in projection.doses} == {"loading"}
    assert projection.doses[-1].date < dt.date(2026, 1, 26)
    checkpoints = [m.date for m in projection.milestones if m.milestone.anchor == "checkpoint"]
    assert checkpoints == [dt.date(2026, 1, 26)]


def test_an_oral_regimen_has_no_injections_but_keeps_its_review() -> None:
    projection = _project(History(), dt.date(2026, 1, 1), cause="dietary")

    assert projection.doses == ()
    assert [m.date for m in projection.milestones] == [dt.date(2026, 4, 5)]


def test_a_stopped_plan_has_no_dates() -> None:
    history = History(
        doses=_given(dt.date(2026, 1, 5)).doses,
        reviews=(
            Review(dt.date(2026, 1, 6), "stop_cause_resolved", reason="diagnosis revised"),
            Review(dt.date(2026, 1, 6), "confirm_stop", reason="haematology agrees"),
        ),
    )

    projection = _project(history, dt.date(2026, 1, 7))

    assert (projection.doses, projection.milestones) == ((), ())


def test_an_unconfirmed_stop_of_lifelong_replacement_keeps_the_patients_dates() -> None:
    history = History(
        doses=_given(dt.date(2026, 1, 5)).doses,
        reviews=(Review(dt.date(2026, 1, 6), "stop_cause_resolved", reason="feels well"),),
    )

    projection = _project(history, dt.date(2026, 1, 7))

    assert projection.doses[0].date == dt.date(2026, 1, 7)


def test_a_late_first_dose_moves_the_milestones_with_the_treatment_start() -> None:
    projection = _project(_given(dt.date(2026, 1, 8)), dt.date(2026, 1, 9))

    three_months = [m for m in projection.milestones if m.key == "monitoring.symptom_review.month_3-1"]
    assert [m.date for m in three_months] == [dt.date(2026, 4, 8)]
