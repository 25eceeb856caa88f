"""The recall list: patients due, overdue or needing review in the user's clinics, most urgent first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from b12care.application.accounts import Identity
from b12care.domain.forecast import ForecastStatus
from b12care.domain.recall import RECALL_STATUSES
from b12care.entrypoints.api._params import AsOf, ClinicFilter, Limit, Offset
from b12care.entrypoints.api.deps import ServicesDep, Somewhere, clinics_listed
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses import RecallOut
from b12care.entrypoints.api.views import recall_json

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/recall", tags=["recall"], responses=problem_responses(401, 404, 422))


@router.get("", response_model=RecallOut)
def recall(
    *,
    user: Annotated[Identity, Somewhere("read_patient")],
    services: ServicesDep,
    as_of: AsOf = None,
    status: Annotated[list[ForecastStatus] | None, Query(description="Only these statuses.")] = None,
    clinic: ClinicFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """``b12care recall --format json``, limited to the user's clinics."""
    clinics = clinics_listed(user, clinic)
    day = as_of or services.today()
    statuses = sorted(set(status)) if status else sorted(RECALL_STATUSES)
    rows = services.recall(clinics, statuses, day, limit, offset) if clinics else []
    return {
        "as_of": day.isoformat(),
        "items": [recall_json(r) for r in rows],
        "limit": limit,
        "offset": offset,
    }
