"""Recall urgency ordering."""

from __future__ import annotations

import pytest

from b12care.application.records import FORECAST_STATUSES
from b12care.domain.recall import RECALL_STATUSES, urgencies_of, urgency


def test_a_lapsed_lifelong_patient_comes_before_an_ordinary_overdue_dose() -> None:
    assert urgency("overdue", ["MAINTENANCE_LAPSED"]) < urgency("overdue", [])


def test_unreviewed_high_frequency_dosing_comes_before_an_ordinary_overdue_dose() -> None:
    assert urgency("needs_review", ["REVIEW_OVERDUE"]) < urgency("overdue", [])


def test_recall_statuses_sort_before_patients_who_need_nothing() -> None:
    on_list = max(urgency(status, []) for status in RECALL_STATUSES)
    assert on_list < min(urgency(status, []) for status in ("loading", "on_track", "stopped", "not_started"))


def test_overdue_comes_before_due_before_review_before_due_soon() -> None:
    ranks = [urgency(status, []) for status in ("overdue", "due", "needs_review", "due_soon")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4


@pytest.mark.parametrize("status", sorted(FORECAST_STATUSES))
@pytest.mark.parametrize("flags", [(), ("MAINTENANCE_LAPSED",), ("REVIEW_OVERDUE", "NO_IMPROVEMENT")])
def test_a_status_filter_covers_every_urgency_that_status_can_have(
    status: str, flags: tuple[str, ...]
) -> None:
    assert urgency(status, flags) in urgencies_of([status])  # type: ignore[list-item, arg-type]


def test_a_status_filter_narrows_the_urgencies_to_read() -> None:
    assert urgencies_of(["due"]) == {3}
    assert urgencies_of(["due_soon", "due"]) == {3, 5}
    assert urgencies_of(["overdue"]) == {1, 2}
