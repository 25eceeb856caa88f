"""An EHR sees only its own clinic: a CDS Hooks call finds the patient by reference among the patients of
the clinic its issuer is configured for, never another clinic's patient with the same reference."""

from __future__ import annotations

from app_helpers import World
from b12care.adapters.cds.store import SqlCdsStore
from b12care.application.cds import patient_record
from b12care.bootstrap import App


def test_a_hook_call_finds_patients_of_its_issuers_clinic_only(booted: App, world: World) -> None:
    ours = world.add_patient(clinic=world.clinic_a, reference="H-1")
    theirs = world.add_patient(clinic=world.clinic_b, reference="H-1", name="Bea Other")
    world.add_patient(clinic=world.clinic_b, reference="H-2", name="Cy Other")
    store = SqlCdsStore(booted.engine)

    assert store.find_patient(world.clinic_a, ["H-1"]) == ours
    assert store.find_patient(world.clinic_b, ["H-1"]) == theirs
    assert store.find_patient(world.clinic_a, ["H-2"]) is None
    found = patient_record(store.uow, world.clinic_a, ["H-2", "H-1"])
    assert found is not None and found.patient.id == ours
