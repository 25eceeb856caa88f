"""Clinics and patients on the fake unit of work: creation stores plan version 1 and the first forecast."""

from __future__ import annotations

import pytest
from fakes import fake_deps
from use_case_world import EXAMPLE_CASE, NOW, TODAY, World

from b12care.application import patients
from b12care.application.commands import AddClinic, AddPatient
from b12care.domain.errors import InputError, RecordNotFoundError


def test_adding_a_patient_stores_plan_version_one_and_its_forecast_in_one_commit() -> None:
    deps, store = fake_deps(NOW)
    clinic = patients.add_clinic(AddClinic("North Surgery", "admin"), deps)

    patient = patients.add_patient(AddPatient(clinic.id, "H-1", "Ann", EXAMPLE_CASE.read_text(), "dr"), deps)

    assert store.commits == 2  # the clinic, then patient + plan + forecast together
    [version] = store.store.plans.values()
    assert (version.patient_id, version.version, version.review_id) == (patient.id, 1, None)
    forecast = store.store.forecasts[patient.id]
    assert (forecast.status, forecast.due, forecast.as_of) == ("due", TODAY, TODAY)
    assert forecast.clinic_id == clinic.id
    actions = [(a.action, a.actor) for a in store.store.audit]
    assert actions == [
        ("clinic.add", "admin"),
        ("patient.add", "dr"),
        ("plan_version.add", "dr"),
        ("forecast.save", "dr"),
    ]


def test_a_case_that_cannot_be_read_is_refused_before_anything_is_stored() -> None:
    deps, store = fake_deps(NOW)
    clinic = patients.add_clinic(AddClinic("North Surgery", "admin"), deps)

    with pytest.raises(InputError):
        patients.add_patient(AddPatient(clinic.id, "H-1", "Ann", "{}", "dr"), deps)

    assert store.store.patients == {}
    assert store.commits == 1


def test_an_interval_reason_is_stored_without_its_surrounding_blanks(world: World) -> None:
    command = AddPatient(
        world.clinic_id,
        "H-2",
        "Bo",
        EXAMPLE_CASE.read_text(),
        "dr",
        maintenance_interval="1m",
        interval_reason=" why ",
    )

    patient = patients.add_patient(command, world.deps)

    [version] = [v for v in world.store.store.plans.values() if v.patient_id == patient.id]
    assert (version.maintenance_interval, version.interval_reason) == ("1m", "why")


def test_viewing_a_patient_gives_the_plan_in_force_and_the_forecast_of_the_day(world: World) -> None:
    view = patients.view_patient(world.deps, world.patient_id)

    assert view.patient.reference == "H-1"
    assert view.plan_version.version == 1
    assert (view.forecast.as_of, view.forecast.status) == (TODAY, "due")


def test_a_clinic_lists_its_patients_and_an_unknown_clinic_is_not_found(world: World) -> None:
    assert [p.id for p in patients.list_patients(world.deps, world.clinic_id)] == [world.patient_id]
    assert patients.patient_ids(world.deps) == [world.patient_id]

    with pytest.raises(RecordNotFoundError):
        patients.list_patients(world.deps, "no-such-clinic")
