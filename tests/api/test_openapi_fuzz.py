"""Property test over /openapi.json (schemathesis, in-process ASGI, authenticated as an admin):
whatever request the schema allows, no operation answers 5xx.

Hypothesis is driven directly (``operation.as_strategy()``): schemathesis' pytest plugin does not run
under this pytest version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_helpers import World, new_patient
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

EXAMPLES_PER_OPERATION = 12  # x ~35 operations: a few hundred requests


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the fuzzing is about the API's handling of input, not the database."""
    return f"sqlite:///{tmp_path / 'fuzz' / 'b12care.db'}"


def test_no_generated_request_gets_a_server_error(
    api: FastAPI, world: World, client: TestClient, case: dict[str, Any]
) -> None:
    # Real ids in the paths, so generated bodies reach the use cases instead of a 404.
    known = {
        "patient_id": new_patient(client, world, case)["patient"]["id"],
        "username": "nurse.a",
        "pack_id": "uk-nice-2024",
    }
    headers = world.auth("admin.a")
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []

    for operation in operations:

        @given(generated=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(generated: schemathesis.Case) -> None:
            for name, value in known.items():
                if generated.path_parameters and name in generated.path_parameters:
                    generated.path_parameters[name] = value
            response = generated.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{generated.method} {generated.formatted_path}: {response.text[:300]}")

        call()

    assert len(operations) > 30
    assert failures == []
