"""Doses, labs, symptom checks and entered-in-error marks on the fake unit of work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fakes import fake_deps
from use_case_world import NOW, TODAY, World

from b12care.application import entries, history
from b12care.application.commands import MarkEnteredInError, RecordDose, RecordLab, RecordSymptoms
from b12care.domain.errors import (
    AlreadyEnteredInError,
    ConflictingInputError,
    InputError,
    RecordNotFoundError,
)


def _dose(
    world: World, day: dt.date = TODAY, key: str | None = "ehr|1", lot: str | None = "L1"
) -> RecordDose:
    return RecordDose(
        world.patient_id,
        day,
        "nurse",
        "hydroxocobalamin",
        Decimal(1),
        "mg",
        "IM",
        lot=lot,
        idempotency_key=key,
    )


def test_a_dose_moves_the_stored_forecast_on_in_the_same_commit(world: World) -> None:
    commits = world.store.commits

    dose = entries.record_dose(_dose(world), world.deps)

    assert world.store.commits == commits + 1
    assert world.store.store.doses == {dose.id: dose}
    assert dose.status == "completed"
    assert world.store.store.forecasts[world.patient_id].due == TODAY + dt.timedelta(days=2)


def test_a_dose_repeated_with_its_key_is_stored_once(world: World) -> None:
    first = entries.record_dose(_dose(world), world.deps)

    again = entries.record_dose(_dose(world), world.deps)

    assert again == first
    assert len(world.store.store.doses) == 1
    assert [a.action for a in world.store.store.audit].count("dose.add") == 1


def test_a_key_repeated_with_another_dose_is_a_conflict_and_nothing_is_stored(world: World) -> None:
    entries.record_dose(_dose(world), world.deps)
    before = world.store.store

    with pytest.raises(ConflictingInputError) as refused:
        entries.record_dose(_dose(world, lot="L2"), world.deps)

    assert refused.value.field == "idempotency_key"
    assert "already stands for another dose" in refused.value.message
    assert world.store.store is before  # rolled back: nothing published


def test_a_completed_dose_without_its_route_is_refused_on_the_entry(world: World) -> None:
    command = RecordDose(world.patient_id, TODAY, "nurse", "hydroxocobalamin", Decimal(1), "mg")

    with pytest.raises(InputError) as refused:
        entries.record_dose(command, world.deps)

    assert refused.value.field == "entry"
    assert world.store.store.doses == {}


def test_a_dose_for_an_unknown_patient_is_not_found() -> None:

    deps, _ = fake_deps(NOW)
    with pytest.raises(RecordNotFoundError):
        entries.record_dose(RecordDose("nobody", TODAY, "nurse", not_done_reason="declined"), deps)


def test_a_lab_in_a_unit_its_test_does_not_have_is_refused_on_the_unit(world: World) -> None:
    with pytest.raises(InputError) as refused:
        entries.record_lab(
            RecordLab(world.patient_id, "total_b12", Decimal(120), "mmol/L", TODAY, "nurse"), world.deps
        )

    assert refused.value.field == "labs[0].unit"
    assert world.store.store.labs == {}


def test_a_lab_and_a_symptom_check_are_stored_and_listed_in_the_history(world: World) -> None:
    entries.record_lab(
        RecordLab(world.patient_id, "total_b12", Decimal(310), "ng/L", TODAY, "nurse"), world.deps
    )
    entries.record_symptoms(
        RecordSymptoms(world.patient_id, TODAY, "better", "nurse", {"fatigue": 1}), world.deps
    )

    rows = history.history_rows(world.deps, world.patient_id)

    assert rows == [
        (TODAY.isoformat(), "lab", "total_b12 310 ng/L", "nurse", ""),
        (TODAY.isoformat(), "symptoms", "better fatigue=1", "nurse", ""),
    ]


def test_marking_a_dose_entered_in_error_keeps_it_and_the_forecast_forgets_it(world: World) -> None:
    dose = entries.record_dose(_dose(world), world.deps)

    patient_id = entries.mark_entered_in_error(
        MarkEnteredInError("dose", dose.id, "wrong patient", "nurse"), world.deps
    )

    assert patient_id == world.patient_id
    kept = world.store.store.doses[dose.id]
    assert kept.entered_in_error is not None
    assert (kept.entered_in_error.by, kept.entered_in_error.reason) == ("nurse", "wrong patient")
    assert world.store.store.forecasts[world.patient_id].due == TODAY
    assert [a.action for a in world.store.store.audit][-2:] == ["dose.entered_in_error", "forecast.save"]


def test_an_entry_marked_twice_is_refused_and_the_first_mark_stands(world: World) -> None:
    dose = entries.record_dose(_dose(world), world.deps)
    entries.mark_entered_in_error(MarkEnteredInError("dose", dose.id, "first", "nurse"), world.deps)

    with pytest.raises(AlreadyEnteredInError):
        entries.mark_entered_in_error(MarkEnteredInError("dose", dose.id, "second", "nurse"), world.deps)

    mark = world.store.store.doses[dose.id].entered_in_error
    assert mark is not None and mark.reason == "first"
