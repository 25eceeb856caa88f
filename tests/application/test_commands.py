"""Every command refuses each bad field on building, with a stable field path (the one the API, the web
forms and the CLI answer with), and declares its permission from the one permission table."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest

from b12care.application.commands import (
    AddClinic,
    AddPatient,
    Command,
    DoseInput,
    MarkEnteredInError,
    NewPlanVersion,
    RecordDose,
    RecordLab,
    RecordReview,
    RecordSymptoms,
)
from b12care.application.fields import TEXT_LIMITS
from b12care.application.permissions import PERMISSIONS
from b12care.domain.errors import InputError

DAY = dt.date(2026, 1, 5)
DEFAULTS: dict[type[Command], dict[str, Any]] = {
    AddClinic: {"name": "North", "actor": "admin"},
    AddPatient: {"clinic_id": "c1", "reference": "H-1", "name": "Ann", "case_json": "{}", "actor": "dr"},
    NewPlanVersion: {"patient_id": "p1", "case_json": "{}", "actor": "dr"},
    RecordDose: {
        "patient_id": "p1",
        "date": DAY,
        "actor": "nurse",
        "drug": "hydroxocobalamin",
        "dose": Decimal(1),
        "unit": "mg",
        "route": "IM",
        "site": "left deltoid",
        "lot": "L1",
        "given_by": "nurse",
        "idempotency_key": "k1",
    },
    RecordLab: {"patient_id": "p1", "test": "total_b12", "value": Decimal(120), "unit": "ng/L", "date": DAY}
    | {"actor": "nurse"},
    RecordSymptoms: {
        "patient_id": "p1",
        "date": DAY,
        "overall": "better",
        "actor": "nurse",
        "scores": {"fatigue": 1},
    },
    RecordReview: {"patient_id": "p1", "date": DAY, "decision": "shorten_interval", "actor": "dr"}
    | {"note": "why", "new_interval": "2m"},
    MarkEnteredInError: {"kind": "dose", "entry_id": "d1", "reason": "wrong patient", "actor": "nurse"},
}
"""Valid fields of each command."""


def build(command: type[Command], **fields: Any) -> Command:
    """The command of valid fields, with ``fields`` replacing some."""
    make = cast("Callable[..., Command]", command)
    return make(**(DEFAULTS[command] | fields))


TOO_LONG = {field: "x" * (limit + 1) for field, limit in TEXT_LIMITS.items()}
INVALID: list[tuple[type[Command], str, Any, str]] = [
    # (command, field, one invalid value, the field path of the InputError)
    (AddClinic, "name", TOO_LONG["name"], "name"),
    (AddClinic, "actor", "admin\x00", "actor"),
    (AddPatient, "reference", TOO_LONG["reference"], "reference"),
    (AddPatient, "name", "Ann\x1b[2J", "name"),
    (AddPatient, "actor", TOO_LONG["actor"], "actor"),
    (AddPatient, "interval_reason", TOO_LONG["interval_reason"], "interval_reason"),
    (NewPlanVersion, "interval_reason", "why\x00", "interval_reason"),
    (NewPlanVersion, "actor", TOO_LONG["actor"], "actor"),
    (RecordDose, "date", dt.date(1899, 12, 31), "date"),
    (RecordDose, "drug", "aspirin", "drug"),
    (RecordDose, "dose", Decimal("NaN"), "dose"),
    (RecordDose, "unit", TOO_LONG["unit"], "unit"),
    (RecordDose, "route", "intramuscular", "route"),
    (RecordDose, "site", TOO_LONG["site"], "site"),
    (RecordDose, "lot", TOO_LONG["lot"], "lot"),
    (RecordDose, "given_by", TOO_LONG["given_by"], "given_by"),
    (RecordDose, "source", "hospital", "source"),
    (RecordDose, "not_done_reason", "declined\x00", "not_done_reason"),
    (RecordDose, "idempotency_key", TOO_LONG["idempotency_key"], "idempotency_key"),
    (RecordDose, "actor", TOO_LONG["actor"], "actor"),
    (RecordLab, "date", dt.date(3000, 1, 1), "date"),
    (RecordLab, "test", "vitamin_c", "test"),
    (RecordLab, "value", Decimal("1E+400"), "value"),
    (RecordLab, "unit", TOO_LONG["unit"], "unit"),
    (RecordLab, "actor", "nurse\n", "actor"),
    (RecordSymptoms, "date", dt.date(1800, 1, 1), "date"),
    (RecordSymptoms, "overall", "great", "overall"),
    (RecordSymptoms, "scores", {"headache": 1}, "scores"),
    (RecordSymptoms, "scores", {"fatigue": 4}, "scores.fatigue"),
    (RecordSymptoms, "actor", TOO_LONG["actor"], "actor"),
    (RecordReview, "date", dt.date(1800, 1, 1), "date"),
    (RecordReview, "decision", "carry_on", "decision"),
    (RecordReview, "note", "why\x00", "note"),
    (RecordReview, "new_interval", "2y", "new_interval"),
    (RecordReview, "actor", TOO_LONG["actor"], "actor"),
    (MarkEnteredInError, "kind", "plan", "kind"),
    (MarkEnteredInError, "reason", "  ", "reason"),
    (MarkEnteredInError, "actor", TOO_LONG["actor"], "actor"),
]


@pytest.mark.parametrize("command", DEFAULTS)
def test_a_command_with_valid_fields_builds_and_declares_an_action_of_the_permission_table(
    command: type[Command],
) -> None:
    built = build(command)

    assert built.permission in PERMISSIONS
    assert set(built.permissions()) <= set(PERMISSIONS)
    assert built.permission in built.permissions()


@pytest.mark.parametrize(
    ("command", "field", "value", "path"), INVALID, ids=[f"{c.__name__}.{f}-{p}" for c, f, _, p in INVALID]
)
def test_a_command_with_one_invalid_field_is_refused_naming_that_field(
    command: type[Command], field: str, value: Any, path: str
) -> None:
    with pytest.raises(InputError) as refused:
        build(command, **{field: value})

    assert refused.value.field == path


def test_every_checked_field_of_every_command_has_an_invalid_case() -> None:
    checked = {(c, f) for c, f, _, _ in INVALID}
    unchecked = {"patient_id", "clinic_id", "case_json", "maintenance_interval", "entry_id"}
    for command in DEFAULTS:
        for field in dataclasses.fields(cast("Any", command)):
            assert field.name in unchecked or (command, field.name) in checked, (
                f"{command.__name__}.{field.name}"
            )


def test_the_lot_holds_at_most_its_one_limit_of_100_characters() -> None:
    assert TEXT_LIMITS["lot"] == 100
    build(RecordDose, lot="x" * 100)
    with pytest.raises(InputError) as refused:
        build(RecordDose, lot="x" * 101)
    assert refused.value.message == "longer than 100 characters"


def test_a_dose_input_becomes_the_same_record_dose_command_and_is_checked_there() -> None:
    dose = DoseInput(DAY, "hydroxocobalamin", Decimal(1), "mg", "IM", lot="x" * 101)

    with pytest.raises(InputError) as refused:
        RecordDose.of("p1", dose, "nurse")

    assert refused.value.field == "lot"
    assert RecordDose.of("p1", dataclasses.replace(dose, lot="L1"), "nurse") == build(
        RecordDose, site=None, given_by=None, idempotency_key=None
    )
