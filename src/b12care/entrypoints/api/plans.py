"""Plan preview: the plan a case would get, without storing anything (``b12care plan --format json``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import StringConstraints

from b12care.application.plan_json import plan_to_dict
from b12care.application.planning import plan_case
from b12care.entrypoints.api.deps import PlanPreviewer
from b12care.entrypoints.api.models import PlanIn, case_text, within_case
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses_plan import PlanOut

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/plans", tags=["plans"], responses=problem_responses(401, 422))


class PreviewIn(PlanIn):
    pack: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


@router.post("/preview", response_model=PlanOut)
def preview(body: PreviewIn, user: PlanPreviewer) -> dict[str, Any]:
    """The plan for a case (accept it by creating the patient, or as a new version of one)."""
    _, case = case_text(body.case)
    with within_case():
        plan = plan_case(
            case,
            pack_id=body.pack,
            maintenance_interval=body.maintenance_interval,
            interval_reason=body.interval_reason,
        )
    return plan_to_dict(plan)
