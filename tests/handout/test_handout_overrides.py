"""The handout in plain words for the new flags and warnings (issue 11): book the first check-up, take
folic acid only with or after B12, and a stop of lifelong treatment that is not confirmed yet is never
told to the patient as the end of treatment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from handout_views import CASE, TODAY, patient_view

from b12care.adapters.handout.text import handout_as_text
from b12care.application.forecasting import forecast_case
from b12care.application.handout import Handout, build_handout
from b12care.application.treatment import PatientView
from b12care.domain.history import Review

STOP_DAY = dt.date(2026, 2, 20)


def _with_reviews(*reviews: Review) -> tuple[PatientView, Handout]:
    """The example patient (loading given) with ``reviews`` recorded, and their handout made today."""
    view, history, pack = patient_view()
    history = dataclasses.replace(history, reviews=reviews)
    forecast = forecast_case(view.forecast.plan.case, history, as_of=TODAY, pack_id=pack.id)
    view = dataclasses.replace(view, forecast=forecast)
    return view, build_handout(view, today=TODAY, calendar_url=None, pack=pack)


def test_a_missed_first_check_up_asks_the_patient_to_book_it_now() -> None:
    late = dt.date(2026, 4, 20)  # the 3-month review (5 April) passed with no check recorded
    view, _, pack = patient_view(as_of=late)

    handout = build_handout(view, today=late, calendar_url=None, pack=pack)

    assert "FIRST_REVIEW_OVERDUE" in [f.code for f in view.forecast.flags]
    assert (
        "Your first check-up with your clinician is overdue. Book it with your clinic now."
        in handout.watch_for
    )


def test_a_coming_first_check_up_is_given_with_its_date_to_book() -> None:
    view, _, pack = patient_view()

    handout = build_handout(view, today=TODAY, calendar_url=None, pack=pack)

    assert "Your first check-up with your clinician is due on 2026-04-05. Book it with your clinic." in (
        handout.watch_for
    )
    assert not any("overdue" in line for line in handout.watch_for)


def test_without_the_pack_or_the_flag_no_first_check_up_line_is_invented() -> None:
    view, _, _ = patient_view()

    handout = build_handout(view, today=TODAY, calendar_url=None)

    assert not any("first check-up" in line for line in handout.watch_for)


def test_a_low_folate_tells_the_patient_to_take_folic_acid_only_with_or_after_b12() -> None:
    case = json.loads(CASE.read_text(encoding="utf-8"))
    case["labs"].append({"test": "folate", "value": 2, "unit": "ug/L", "date": "2026-01-02"})
    view, _, pack = patient_view(case=case)

    handout = build_handout(view, today=TODAY, calendar_url=None, pack=pack)

    assert "FOLATE_LOW" in [w.code for w in view.forecast.plan.warnings]
    assert (
        "Take folic acid only with or after your B12 injections, as your clinician says." in handout.watch_for
    )


def test_an_unconfirmed_stop_of_lifelong_treatment_is_not_told_as_the_end_of_treatment() -> None:
    view, handout = _with_reviews(Review(STOP_DAY, "stop_cause_resolved", reason="feels well"))

    assert "LIFELONG_STOP_UNCONFIRMED" in [f.code for f in view.forecast.flags]
    assert "has not ended" in handout.next_text
    assert "have stopped" not in handout.next_text
    assert handout.next_dates  # the dates to keep are still there
    assert "have stopped" not in handout_as_text(handout)


def test_a_confirmed_stop_tells_the_patient_the_injections_have_stopped() -> None:
    view, handout = _with_reviews(
        Review(STOP_DAY, "stop_cause_resolved", reason="diagnosis revised"),
        Review(STOP_DAY, "confirm_stop", reason="haematology agrees"),
    )

    assert view.forecast.status == "stopped"
    assert handout.next_text.startswith("Your injections have stopped.")
    assert handout.next_dates == ()
