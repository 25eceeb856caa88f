"""Every write is in the audit log, in the same transaction, and nothing is ever deleted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from db_builders import NOW, Seed, clinic, dose, forecast, lab, patient, plan_version, review, symptom_check
from sqlalchemy import Engine, event

from b12care.application.ports import UnitOfWork
from b12care.application.records import AuditEntry, EnteredInError, new_id
from b12care.bootstrap import App

MARK = EnteredInError(NOW, "dr.smith", "typo")


def _add_clinic(uow: UnitOfWork, seed: Seed) -> tuple[str, str]:
    return "clinic", uow.clinics.add(clinic("Another")).id


def _add_patient(uow: UnitOfWork, seed: Seed) -> tuple[str, str]:
    return "patient", uow.patients.add(patient(seed.clinic.id, "H-9")).id


def _add_dose(uow: UnitOfWork, seed: Seed) -> tuple[str, str]:
    return "dose", uow.doses.add(dose(seed.patient.id, key="k")).id


def _add_lab(uow: UnitOfWork, seed: Seed) -> tuple[str, str]:
    return "lab", uow.labs.add(lab(seed.patient.id)).id


def _add_symptom_check(uow: UnitOfWork, seed: Seed) -> tuple[str, str]:
    return "symptom_check", uow.symptom_checks.add(symptom_check(seed.patient.id)).id


def _add_review(uow: UnitOfWork, seed: Seed) -> tuple[str, str]:
    return "review", uow.reviews.add(review(seed.patient.id)).id


def _add_plan(uow: UnitOfWork, seed: Seed) -> tuple[str, str]:
    return "plan_version", uow.plans.add(plan_version(seed.patient.id)).id


def _mark_patient(uow: UnitOfWork, seed: Seed) -> tuple[str, str]:
    return "patient", uow.patients.mark_entered_in_error(seed.patient.id, MARK).id


def _save_forecast(uow: UnitOfWork, seed: Seed) -> tuple[str, str]:
    uow.forecasts.save(forecast(seed.patient.id, seed.clinic.id), actor="recall-job", at=NOW)
    return "forecast", seed.patient.id


WRITES: list[Callable[[UnitOfWork, Seed], tuple[str, str]]] = [
    _add_clinic,
    _add_patient,
    _add_dose,
    _add_lab,
    _add_symptom_check,
    _add_review,
    _add_plan,
    _mark_patient,
    _save_forecast,
]


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def remember(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def test_every_write_produces_an_audit_entry(app: App, seed: Seed) -> None:
    for write in WRITES:
        with app.uow() as uow:
            before = len(uow.audit.since(NOW))
            entity, entity_id = write(uow, seed)
            uow.commit()

        with app.uow() as uow:
            entries = uow.audit.for_entity(entity, entity_id)
            after = len(uow.audit.since(NOW))
        assert after == before + 1, write.__name__
        assert (entries[-1].entity, entries[-1].at) == (entity, NOW), write.__name__


def test_audit_entries_name_ids_and_codes_never_the_patients_name(app: App, seed: Seed) -> None:
    with app.uow() as uow:
        entries = uow.audit.since(NOW)
    assert [(e.action, dict(e.detail)) for e in entries] == [
        ("clinic.add", {}),
        ("patient.add", {"clinic_id": seed.clinic.id}),
    ]
    assert seed.patient.name not in repr(entries)


def test_a_rolled_back_write_leaves_no_audit_entry(app: App, seed: Seed) -> None:
    entry = dose(seed.patient.id)
    with app.uow() as uow:
        uow.doses.add(entry)

    with app.uow() as uow:
        assert uow.audit.for_entity("dose", entry.id) == []
        assert uow.doses.list_for(seed.patient.id) == []


def test_an_event_appended_by_a_use_case_is_kept_as_given(app: App, seed: Seed) -> None:
    entry = AuditEntry(
        new_id(),
        NOW + dt.timedelta(minutes=1),
        "dr.smith",
        "recall.printed",
        "clinic",
        seed.clinic.id,
        {"n": 3},
    )
    with app.uow() as uow:
        uow.audit.append(entry)
        uow.commit()

    with app.uow() as uow:
        assert uow.audit.for_entity("clinic", seed.clinic.id)[-1] == entry


def test_no_write_ever_issues_a_delete(app: App, seed: Seed) -> None:
    with _statements(app.engine) as statements:
        for write in WRITES:
            with app.uow() as uow:
                write(uow, seed)
                uow.commit()
        with app.uow() as uow:
            uow.doses.add(dose(seed.patient.id, key="k"))  # the idempotent repeat
            uow.commit()

    assert statements
    deletes = [s for s in statements if s.lstrip().upper().startswith("DELETE")]
    # Only the recall timeline - a cache derived from the record, rebuilt at every write - is replaced.
    assert deletes
    assert all(s.startswith("DELETE FROM recall_timeline ") for s in deletes)
