"""Each repository gives back exactly what it stored (Decimals, dates, aware timestamps, codes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from db_builders import NOW, Seed, clinic, dose, lab, patient, plan_version, review, symptom_check
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from b12care.adapters.db.tables import symptom_checks
from b12care.application.records import ClinicRecord, EnteredInError, new_id
from b12care.bootstrap import App
from b12care.domain.errors import ConstraintError, RecordNotFoundError


def test_clinics_and_patients_round_trip(app: App) -> None:
    new_clinic = clinic("South Clinic")
    first, second = patient(new_clinic.id, "H-1", "Ann"), patient(new_clinic.id, "H-2", "Bob")

    with app.uow() as uow:
        uow.clinics.add(new_clinic)
        uow.patients.add(first)
        uow.patients.add(second)
        uow.commit()

    with app.uow() as uow:
        assert uow.clinics.get(new_clinic.id) == new_clinic
        assert uow.patients.get(first.id) == first
        assert uow.patients.list_for_clinic(new_clinic.id) == [first, second]


EXACT = ["1.000", "0.0100", "1000", "1E+3", "0.000000000000000001", "123456789.123456789"]


def test_all_ids_lists_every_patient_not_entered_in_error(app: App, seed: Seed) -> None:
    other_clinic = clinic("East")
    there, mistake = patient(other_clinic.id, "E-1"), patient(seed.clinic.id, "H-X")
    with app.uow() as uow:
        uow.clinics.add(other_clinic)
        uow.patients.add(there)
        uow.patients.add(mistake)
        uow.patients.mark_entered_in_error(mistake.id, EnteredInError(NOW, "admin", "duplicate"))
        uow.commit()

    with app.uow() as uow:
        assert uow.patients.all_ids() == sorted([seed.patient.id, there.id])
        assert uow.patients.all_ids(other_clinic.id) == [there.id]


def test_doses_and_labs_keep_decimals_exactly(app: App, seed: Seed) -> None:
    doses = [dose(seed.patient.id, dose=Decimal(value)) for value in EXACT]
    labs = [lab(seed.patient.id, value=value) for value in EXACT]

    with app.uow() as uow:
        for record in doses:
            uow.doses.add(record)
        for result in labs:
            uow.labs.add(result)
        uow.commit()

    with app.uow() as uow:
        stored_doses = [uow.doses.get(record.id).dose for record in doses]
        stored_labs = [uow.labs.get(result.id).value for result in labs]
    # Same digits and exponent, not merely equal: 1.000 stays 1.000.
    expected = [Decimal(value).as_tuple() for value in EXACT]
    assert [number.as_tuple() for number in stored_doses if number is not None] == expected
    assert [number.as_tuple() for number in stored_labs] == expected


def test_every_dose_field_round_trips_including_not_done(app: App, seed: Seed) -> None:
    given = dose(seed.patient.id, key="visit-1", source="caregiver", given_by="daughter")
    missed = dose(
        seed.patient.id,
        day=dt.date(2026, 1, 7),
        drug=None,
        product=None,
        dose=None,
        dose_unit=None,
        route=None,
        site=None,
        lot=None,
        given_by=None,
        source="self",
        status="not_done",
        not_done_reason="patient unwell, rebooked",
    )

    with app.uow() as uow:
        uow.doses.add(given)
        uow.doses.add(missed)
        uow.commit()

    with app.uow() as uow:
        assert uow.doses.get(given.id) == given
        assert uow.doses.list_for(seed.patient.id) == [given, missed]


def test_labs_symptom_checks_reviews_and_plan_versions_round_trip(app: App, seed: Seed) -> None:
    pid = seed.patient.id
    stored_lab = lab(pid)
    check = symptom_check(pid)
    stored_review = review(pid)
    first_plan = plan_version(pid)
    second_plan = plan_version(pid, version=2, review_id=stored_review.id)

    with app.uow() as uow:
        uow.labs.add(stored_lab)
        uow.symptom_checks.add(check)
        uow.reviews.add(stored_review)
        uow.plans.add(first_plan)
        uow.plans.add(second_plan)
        uow.commit()

    with app.uow() as uow:
        assert uow.labs.list_for(pid) == [stored_lab]
        assert uow.symptom_checks.list_for(pid) == [check]
        assert dict(uow.symptom_checks.get(check.id).scores) == dict(check.scores)
        assert uow.reviews.get(stored_review.id) == stored_review
        assert uow.plans.list_for(pid) == [first_plan, second_plan]
        assert uow.plans.latest(pid) == second_plan


def test_timestamps_come_back_as_the_same_instant_in_utc(app: App) -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    local = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=plus_two)
    new_clinic = ClinicRecord(new_id(), "Zone Clinic", local, "admin")

    with app.uow() as uow:
        uow.clinics.add(new_clinic)
        uow.commit()

    with app.uow() as uow:
        stored = uow.clinics.get(new_clinic.id).created_at
    assert stored == local
    assert stored.utcoffset() == dt.timedelta(0)


def test_entries_are_listed_oldest_first(app: App, seed: Seed) -> None:
    later = dose(seed.patient.id, day=dt.date(2026, 2, 5))
    earlier = dose(seed.patient.id, day=dt.date(2026, 1, 5))
    same_day_recorded_later = dose(
        seed.patient.id, day=dt.date(2026, 1, 5), recorded_at=NOW + dt.timedelta(1)
    )

    with app.uow() as uow:
        for record in (later, same_day_recorded_later, earlier):
            uow.doses.add(record)
        uow.commit()

    with app.uow() as uow:
        assert uow.doses.list_for(seed.patient.id) == [earlier, same_day_recorded_later, later]


def test_an_unknown_id_is_reported_as_not_found(app: App) -> None:
    with app.uow() as uow, pytest.raises(RecordNotFoundError, match="no dose with id nope"):
        uow.doses.get("nope")


def test_a_dose_for_a_patient_that_does_not_exist_is_refused(app: App) -> None:
    with app.uow() as uow, pytest.raises(ConstraintError, match="refused"):
        uow.doses.add(dose(new_id()))


def test_a_patient_of_an_unknown_clinic_is_refused(app: App) -> None:
    with app.uow() as uow, pytest.raises(ConstraintError):
        uow.patients.add(patient(new_id()))

    with app.uow() as uow:
        assert uow.patients.list_for_clinic("any") == []


def test_a_second_plan_with_the_same_version_number_is_refused(app: App, seed: Seed) -> None:
    with app.uow() as uow:
        uow.plans.add(plan_version(seed.patient.id, version=1))
        uow.commit()

    with app.uow() as uow, pytest.raises(ConstraintError):
        uow.plans.add(plan_version(seed.patient.id, version=1))


def test_the_database_itself_refuses_an_out_of_range_symptom_score(app: App, seed: Seed) -> None:
    # Records validate themselves; the CHECK constraint guards rows written any other way.
    row = {
        "id": new_id(),
        "patient_id": seed.patient.id,
        "date": NOW.date(),
        "fatigue": 4,
        "overall": "same",
        "recorded_by": "x",
        "recorded_at": NOW,
    }
    with app.engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(insert(symptom_checks).values(**row))
