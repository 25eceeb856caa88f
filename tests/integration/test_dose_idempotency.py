"""Recording the same dose twice with the same idempotency key stores one dose."""

from __future__ import annotations

import datetime as dt

from db_builders import NOW, Seed, dose, patient

from b12care.bootstrap import App


def test_a_retried_dose_with_the_same_key_is_stored_once(app: App, seed: Seed) -> None:
    original = dose(seed.patient.id, key="visit-2026-01-05")
    retry = dose(
        seed.patient.id, key="visit-2026-01-05", lot="OTHER", recorded_at=NOW + dt.timedelta(minutes=5)
    )

    with app.uow() as uow:
        assert uow.doses.add(original) == original
        uow.commit()
    with app.uow() as uow:
        returned = uow.doses.add(retry)
        uow.commit()

    with app.uow() as uow:
        assert returned == original
        assert uow.doses.list_for(seed.patient.id) == [original]
        assert [e.action for e in uow.audit.for_entity("dose", original.id)] == ["dose.add"]
        assert uow.audit.for_entity("dose", retry.id) == []


def test_a_repeat_inside_one_unit_of_work_returns_the_first(app: App, seed: Seed) -> None:
    first = dose(seed.patient.id, key="k")
    with app.uow() as uow:
        uow.doses.add(first)
        assert uow.doses.add(dose(seed.patient.id, key="k")) == first
        uow.commit()

    with app.uow() as uow:
        assert len(uow.doses.list_for(seed.patient.id)) == 1


def test_the_same_key_for_another_patient_is_another_dose(app: App, seed: Seed) -> None:
    other = patient(seed.clinic.id, "H-2")
    with app.uow() as uow:
        uow.patients.add(other)
        uow.doses.add(dose(seed.patient.id, key="k"))
        uow.doses.add(dose(other.id, key="k"))
        uow.commit()

    with app.uow() as uow:
        assert len(uow.doses.list_for(seed.patient.id)) == len(uow.doses.list_for(other.id)) == 1


def test_doses_without_a_key_are_never_merged(app: App, seed: Seed) -> None:
    with app.uow() as uow:
        uow.doses.add(dose(seed.patient.id))
        uow.doses.add(dose(seed.patient.id))
        uow.commit()

    with app.uow() as uow:
        assert len(uow.doses.list_for(seed.patient.id)) == 2
