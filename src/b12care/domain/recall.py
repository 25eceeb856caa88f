"""Recall urgency: how the clinic's recall list orders patients, most urgent first.

A lapsed lifelong patient, lifelong replacement stopped without a prescriber's confirmation, or
high-frequency dosing past its review comes before an ordinary overdue dose;
then overdue, due, needs review for other reasons, due soon. Patients loading, on track, not started or
stopped are not on the recall list.

Reference: b12care-local-policy (recall ordering); nice-ng239 (lifelong replacement).
"""

from __future__ import annotations

from collections.abc import Iterable

from b12care.domain.forecast import ForecastStatus

__all__ = ["RECALL_STATUSES", "on_recall", "urgencies_of", "urgency"]

RECALL_STATUSES: frozenset[ForecastStatus] = frozenset({"needs_review", "overdue", "due", "due_soon"})
_URGENT_FLAGS = frozenset({"MAINTENANCE_LAPSED", "REVIEW_OVERDUE", "LIFELONG_STOP_UNCONFIRMED"})
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


# A lapse or an unreviewed open phase only ever comes with these statuses (the forecast makes a review
# flag "needs_review" and a lapse is past the overdue date), so every other status has one urgency.
_CAN_BE_URGENT: frozenset[ForecastStatus] = frozenset({"overdue", "needs_review"})


def urgency(status: ForecastStatus, flags: Iterable[str]) -> int:
    """0 is the most urgent; 1-5 are on the recall list; 8-9 are not (lower sorts first)."""
    if status in _CAN_BE_URGENT and _URGENT_FLAGS.intersection(flags):
        return 1
    return _BY_STATUS[status]


def urgencies_of(statuses: Iterable[ForecastStatus]) -> frozenset[int]:
    """Every urgency a forecast with one of ``statuses`` can have: lets a status filter narrow the
    recall index to a few urgency ranges instead of filtering every row."""
    chosen = set(statuses)
    return frozenset({_BY_STATUS[s] for s in chosen} | ({1} if chosen & _CAN_BE_URGENT else set()))


def on_recall(status: ForecastStatus, flags: Iterable[str]) -> bool:
    """Whether a forecast with this status and these flags puts the patient on the recall list."""
    return urgency(status, flags) <= _BY_STATUS["due_soon"]
