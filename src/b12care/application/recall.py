"""Use case: the recall list of a day - the patients to call, most urgent first - read from the stored
forecasts' timelines (never recomputed here: every write keeps them current)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from b12care.application.ports import Deps
from b12care.application.records import RecallEntry

__all__ = ["recall_list"]


def recall_list(
    deps: Deps,
    clinic_ids: Collection[str] | None,
    statuses: Collection[str] | None,
    as_of: dt.date,
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[RecallEntry]:
    """The recall list on ``as_of``: most urgent first, each line with its patient; ``clinic_ids`` and
    ``statuses`` filter when given."""
    with deps.uow(read_only=True) as uow:
        return uow.forecasts.recall(clinic_ids, statuses, as_of, limit, offset)
