"""schemathesis in stateful mode over the whole OpenAPI (in-process ASGI, as an admin of clinic A): it
follows the schema's links (entrypoints/api/links.py) with real ids - create a patient, record a dose,
lab, symptom check or review, mark it entered-in-error, read the forecast and history - and every
response of every step is checked: no 5xx, and status code, content type, headers and body conform to
the schema.

Realistic data injected: a new patient is created in clinic A with the example case, and a generated
dose that is not "not done" gets the drug, amount, unit and route of a completed dose and a date no later
than the last one b12care plans with (random ones would
stop nearly every chain at its first step; the case file's own fuzzing is in test_case_file_fuzz.py, the
stateless run over every operation in tests/api/test_openapi_fuzz.py).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from app_helpers import EXAMPLE_CASE, NOW, World
from b12care.domain.calendar import LATEST_DAY

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    use_after_free,
    ensure_resource_availability,
]
DOSES = "POST /api/v1/patients/{patient_id}/doses"
A_DOSE = {"drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"}
SCENARIOS = 60  # each a chain of up to STEPS calls: 500-750 requests in all
STEPS = 10


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the stateful run is about the API's handling of chained calls, not the database."""
    return f"sqlite:///{tmp_path / 'stateful' / 'b12care.db'}"


def test_chained_calls_over_the_openapi_links_get_no_server_error_and_conform(
    api: FastAPI, world: World
) -> None:
    headers = world.auth("admin.a")
    case = json.loads(EXAMPLE_CASE.read_text())
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    calls: Counter[str] = Counter()

    class Clinic(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case_: schemathesis.Case) -> None:
            if not isinstance(case_.body, dict):
                return
            if case_.operation.label == "POST /api/v1/patients":
                case_.body["clinic_id"] = world.clinic_a
                case_.body["case"] = case
            elif case_.operation.label == DOSES and not case_.body.get("not_done_reason"):
                case_.body.update(A_DOSE)  # what a completed dose needs, on a day that can be planned
                if not str(case_.body.get("date", "")) <= LATEST_DAY.isoformat():
                    case_.body["date"] = NOW.date().isoformat()

        def get_call_kwargs(self, case_: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers}

        def after_call(self, response: Any, case_: schemathesis.Case) -> None:
            calls[f"{case_.operation.label} {response.status_code}"] += 1

        def validate_response(self, response: Any, case_: schemathesis.Case, **kwargs: Any) -> None:
            case_.validate_response(response, checks=CHECKS, headers=headers)

    Clinic.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )

    answered = {call.rsplit(" ", 1)[0] for call in calls if call.endswith((" 200", " 201"))}
    assert "POST /api/v1/patients" in answered, calls
    followed = {label for label in answered if "{patient_id}" in label or "{entry_id}" in label}
    assert len(followed) >= 3, calls  # links were followed with real ids, not only random ones
