"""The clinic dashboard: how many patients need something today, and the list behind each count.

Categories of the recall list of a day (each a subset; a patient may be in two, e.g. lapsed and overdue):

- ``due_today``: a dose is due (on or after its due date, before its overdue date);
- ``due_this_week``: a dose becomes due within the week (due soon, due date at most 6 days ahead);
- ``overdue``: past the overdue date;
- ``lapsed``: lifelong maintenance has lapsed (flag MAINTENANCE_LAPSED);
- ``needs_review``: a clinician must review the plan.

Reference: b12care-local-policy (recall ordering).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from b12care.application.ports import UnitOfWorkFactory
from b12care.application.records import RecallEntry
from b12care.domain.forecast import ForecastStatus

__all__ = [
    "CATEGORIES",
    "WEEK",
    "Category",
    "DashboardCounts",
    "count_dashboard",
    "list_category",
]

Category = Literal["due_today", "due_this_week", "overdue", "lapsed", "needs_review"]
CATEGORIES: tuple[Category, ...] = ("overdue", "lapsed", "due_today", "due_this_week", "needs_review")
WEEK = dt.timedelta(days=6)  # today and the six days after it
LAPSED = "MAINTENANCE_LAPSED"
_STATUSES: dict[Category, tuple[ForecastStatus, ...]] = {
    "due_today": ("due",),
    "due_this_week": ("due_soon",),
    "overdue": ("overdue",),
    "lapsed": ("overdue", "needs_review"),
    "needs_review": ("needs_review",),
}
_PAGE = 500


@dataclass(frozen=True, slots=True)
class DashboardCounts:
    """The dashboard's counts for one day (``total``: everyone on the recall list)."""

    as_of: dt.date
    due_today: int
    due_this_week: int
    overdue: int
    lapsed: int
    needs_review: int
    total: int

    def of(self, category: Category) -> int:
        """The count of one category."""
        found: int = getattr(self, category)
        return found


def count_dashboard(
    uow_factory: UnitOfWorkFactory, clinic_ids: Collection[str] | None, as_of: dt.date
) -> DashboardCounts:
    """The dashboard counts of ``as_of`` for these clinics (all when None), from the recall timelines."""
    with uow_factory() as uow:
        counts = uow.forecasts.count_recall(clinic_ids, as_of, as_of + WEEK)
    return DashboardCounts(
        as_of=as_of,
        due_today=counts.get("due", 0),
        due_this_week=counts.get("due_soon_by", 0),
        overdue=counts.get("overdue", 0),
        lapsed=counts.get("lapsed", 0),
        needs_review=counts.get("needs_review", 0),
        total=sum(counts.get(s, 0) for s in ("overdue", "due", "due_soon", "needs_review")),
    )


def _belongs(category: Category, entry: RecallEntry, as_of: dt.date) -> bool:
    if category == "lapsed":
        return LAPSED in entry.flags
    if category == "due_this_week":
        return entry.due is not None and entry.due <= as_of + WEEK
    return True


def list_category(
    uow_factory: UnitOfWorkFactory,
    category: Category,
    *,
    clinic_ids: Collection[str] | None,
    as_of: dt.date,
    limit: int = 100,
    offset: int = 0,
) -> list[RecallEntry]:
    """The recall lines of one category, in recall order (most urgent, then earliest due).

    The recall list is ordered by urgency and due date, so a category that narrows a status (lapsed:
    urgency 1 comes first; due this week: due dates ascend) stops reading at its first line outside.
    """
    wanted = offset + limit
    found: list[RecallEntry] = []
    start = 0
    with uow_factory() as uow:
        while len(found) < wanted:
            page = uow.forecasts.recall(clinic_ids, _STATUSES[category], as_of, _PAGE, start)
            for entry in page:
                if _belongs(category, entry, as_of):
                    found.append(entry)
                elif category in ("lapsed", "due_this_week") and (
                    category == "due_this_week" or entry.urgency > 1
                ):
                    return found[offset:wanted]
            if len(page) < _PAGE:
                break
            start += _PAGE
    return found[offset:wanted]
