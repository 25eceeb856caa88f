"""Records refuse what the store must never hold (checked before any SQL runs)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from db_builders import NOW, TODAY, dose, forecast, lab, symptom_check

from b12care.application.records import EnteredInError, SymptomCheckRecord


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"drug": None}, "completed dose needs drug"),
        ({"status": "not_done"}, "needs not_done_reason"),
        ({"source": "pharmacy"}, "source: 'pharmacy'"),
        ({"dose": Decimal("NaN")}, "not a finite number"),
        ({"dose_unit": None, "status": "not_done", "not_done_reason": "declined"}, "go together"),
        ({"recorded_at": dt.datetime(2026, 1, 5, 9, 30)}, "timezone-aware"),  # noqa: DTZ001
    ],
)
def test_a_dose_record_refuses_inconsistent_fields(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dose("p", **changes)


def test_a_symptom_check_refuses_unknown_symptoms_and_scores_outside_0_to_3() -> None:
    good = symptom_check("p")
    with pytest.raises(ValueError, match="unknown symptom 'headache'"):
        dataclasses.replace(good, scores={"headache": 1})
    with pytest.raises(ValueError, match=r"scores.fatigue: 4"):
        dataclasses.replace(good, scores={"fatigue": 4})
    with pytest.raises(ValueError, match="overall"):
        SymptomCheckRecord("id", "p", TODAY, "fine", "n", NOW)  # type: ignore[arg-type]


def test_a_stored_forecast_refuses_a_status_the_engine_does_not_know() -> None:
    with pytest.raises(ValueError, match="status: 'late'"):
        forecast("p", "c", status="late")  # type: ignore[arg-type]


def test_entered_in_error_needs_who_and_why() -> None:
    with pytest.raises(ValueError, match="who"):
        EnteredInError(NOW, " ", "typo")
    with pytest.raises(ValueError, match="why"):
        EnteredInError(NOW, "dr.smith", "")


def test_a_lab_value_must_be_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        lab("p", value="Infinity")
