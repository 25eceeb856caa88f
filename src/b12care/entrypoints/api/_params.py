"""Query parameters several routers share: a day, and pagination."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query

__all__ = ["AsOf", "Limit", "Offset"]

AsOf = Annotated[dt.date | None, Query(description="The day (YYYY-MM-DD); default today.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Skip this many items.")]
