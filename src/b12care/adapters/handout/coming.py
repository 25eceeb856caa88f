"""The handout's coming dates taken from the calendar projection, so the handout and the ``.ics`` agree."""

from __future__ import annotations

from b12care.application.handout import ComingDates
from b12care.domain.forecast import Forecast
from b12care.domain.history import History
from b12care.domain.knowledge import Pack
from b12care.domain.projection import project

__all__ = ["coming_dates"]


def coming_dates(forecast: Forecast, history: History, pack: Pack) -> ComingDates:
    """The next 12 months' injections and milestones, dated as the calendar feed dates them.

    ``history`` and ``pack`` must be the ones ``forecast`` was computed from (as for ``project``).

    Reference: b12care-local-policy (docs/date-policy.md).
    """
    projection = project(forecast, history, pack)
    return ComingDates(
        tuple(dose.date for dose in projection.doses),
        tuple((item.date, item.milestone) for item in projection.milestones),
    )
