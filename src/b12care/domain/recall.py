"""Recall urgency: how the clinic's recall list orders patients, most urgent first.

A lapsed lifelong patient or high-frequency dosing past its review comes before an ordinary overdue dose;
then overdue, due, needs review for other reasons, due soon. Patients loading, on track, not started or
stopped are not on the recall list.

Reference: b12care-local-policy (recall ordering); nice-ng239 (lifelong replacement).
"""

from __future__ import annotations

from collections.abc import Iterable

from b12care.domain.forecast import ForecastStatus

__all__ = ["RECALL_STATUSES", "on_recall", "urgency"]

RECALL_STATUSES: frozenset[ForecastStatus] = frozenset({"needs_review", "overdue", "due", "due_soon"})
_URGENT_FLAGS = frozenset({"MAINTENANCE_LAPSED", "REVIEW_OVERDUE"})
_BY_STATUS: dict[ForecastStatus, int] = {
    "overdue": 2,
    "due": 3,
    "needs_review": 4,
    "due_soon": 5,
    "loading": 8,
    "not_started": 8,
    "on_track": 9,
    "stopped": 9,
}


def urgency(status: ForecastStatus, flags: Iterable[str]) -> int:
    """0 is the most urgent; 1-5 are on the recall list; 8-9 are not (lower sorts first)."""
    if _URGENT_FLAGS.intersection(flags):
        return 1
    return _BY_STATUS[status]


def on_recall(status: ForecastStatus, flags: Iterable[str]) -> bool:
    """Whether a forecast with this status and these flags puts the patient on the recall list."""
    return urgency(status, flags) <= _BY_STATUS["due_soon"]
