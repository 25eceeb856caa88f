"""Query parameters several routers share: a day, a clinic, and pagination."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query

__all__ = ["AsOf", "ClinicFilter", "Limit", "Offset"]

AsOf = Annotated[dt.date | None, Query(description="The day (YYYY-MM-DD); default today.")]
ClinicFilter = Annotated[str | None, Query(max_length=100, description="Only this clinic.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Skip this many items.")]
