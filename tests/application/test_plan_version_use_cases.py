"""A new plan version from a new case, on the fake unit of work."""

from __future__ import annotations

import json

import pytest
from use_case_world import EXAMPLE_CASE, World

from b12care.application.commands import NewPlanVersion
from b12care.application.plan_versions import change_plan
from b12care.domain.errors import InputError


def test_a_new_case_becomes_the_next_plan_version_and_refreshes_the_forecast(world: World) -> None:
    saves = [a.action for a in world.store.store.audit].count("forecast.save")

    version = change_plan(NewPlanVersion(world.patient_id, EXAMPLE_CASE.read_text(), "dr"), world.deps)

    assert (version.version, version.review_id) == (2, None)
    assert [a.action for a in world.store.store.audit].count("forecast.save") == saves + 1
    assert NewPlanVersion.permission == "change_plan"


def test_a_case_for_another_birth_date_is_refused_and_nothing_is_stored(world: World) -> None:
    case = json.loads(EXAMPLE_CASE.read_text())
    case["patient"]["birth_date"] = "1960-01-01"

    with pytest.raises(InputError) as refused:
        change_plan(NewPlanVersion(world.patient_id, json.dumps(case), "dr"), world.deps)

    assert refused.value.field == "case.patient.birth_date"
    assert len(world.store.store.plans) == 1
