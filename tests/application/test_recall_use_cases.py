"""The recall list and the recompute job on the fake unit of work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fakes import fake_deps
from use_case_world import EXAMPLE_CASE, NOW, TODAY, World

from b12care.application import entries, patients, recall, recompute
from b12care.application.commands import AddPatient, RecordDose
from b12care.application.ports import Deps
from b12care.application.treatment import Services


def _add(world: World, reference: str) -> str:
    command = AddPatient(world.clinic_id, reference, reference, EXAMPLE_CASE.read_text(), "dr")
    return patients.add_patient(command, world.deps).id


def test_a_new_patient_is_on_the_recall_list_as_due_and_filters_leave_them_out(world: World) -> None:
    [line] = recall.recall_list(world.deps, None, None, TODAY)

    assert (line.patient_id, line.reference, line.status, line.due) == (world.patient_id, "H-1", "due", TODAY)
    assert recall.recall_list(world.deps, ["other-clinic"], None, TODAY) == []
    assert recall.recall_list(world.deps, None, ["overdue"], TODAY) == []


def test_the_recall_list_of_a_later_day_reads_the_stored_timeline_most_urgent_first(world: World) -> None:
    second = _add(world, "H-2")
    dose = RecordDose(second, TODAY, "nurse", "hydroxocobalamin", Decimal(1), "mg", "IM")
    entries.record_dose(dose, world.deps)

    lines = recall.recall_list(world.deps, None, None, TODAY + dt.timedelta(days=3))

    assert [(line.patient_id, line.status) for line in lines] == [
        (world.patient_id, "overdue"),
        (second, "overdue"),
    ]
    assert (lines[0].due, lines[1].due) == (TODAY, TODAY + dt.timedelta(days=2))
    assert recall.recall_list(world.deps, None, None, TODAY, limit=1, offset=1) == []


def test_recompute_rebuilds_every_forecast_on_its_day_in_batches(world: World) -> None:
    _add(world, "H-2")
    _add(world, "H-3")
    later = TODAY + dt.timedelta(days=30)

    batches = list(recompute.recompute(world.deps, "job", as_of=later, batch=2))

    assert batches == [2, 1]
    assert {f.as_of for f in world.store.store.forecasts.values()} == {later}
    saves = [a for a in world.store.store.audit if a.action == "forecast.save" and a.actor == "job"]
    assert len(saves) == 3


def test_recompute_of_some_patients_leaves_the_others_alone(world: World) -> None:
    other = _add(world, "H-2")

    assert list(
        recompute.recompute(world.deps, "job", as_of=TODAY + dt.timedelta(days=1), patient_ids=[other])
    ) == [1]

    assert world.store.store.forecasts[world.patient_id].as_of == TODAY
    assert world.store.store.forecasts[other].as_of == TODAY + dt.timedelta(days=1)


def test_the_services_facade_builds_the_commands_and_calls_the_same_use_cases() -> None:
    deps, store = fake_deps(NOW)
    services = Services(store, deps.clock)

    clinic = services.add_clinic("North Surgery", "admin")
    patient = services.add_patient(
        clinic_id=clinic.id, reference="H-1", name="Ann", case_json=EXAMPLE_CASE.read_text(), actor="dr"
    )

    assert services.deps == Deps(store, deps.clock)
    assert [line.patient_id for line in services.recall(None, None, TODAY)] == [patient.id]
    assert services.view(patient.id).forecast.status == "due"
    assert list(services.recompute("job")) == [1]
