"""Nothing is deleted: a wrong entry keeps its row and records who marked it, when and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from db_builders import NOW, Seed, dose, lab, plan_version, review, symptom_check

from b12care.application.ports import UnitOfWork
from b12care.application.records import EnteredInError
from b12care.bootstrap import App
from b12care.domain.errors import AlreadyEnteredInError, RecordNotFoundError

MARK = EnteredInError(NOW + dt.timedelta(hours=2), "dr.smith", "recorded against the wrong patient")

# (repository attribute, builder of a fresh entry for a patient id)
ENTRIES: list[tuple[str, Callable[[str], Any]]] = [
    ("doses", dose),
    ("labs", lab),
    ("symptom_checks", symptom_check),
    ("reviews", review),
    ("plans", plan_version),
]


def _repository(uow: UnitOfWork, name: str) -> Any:
    return getattr(uow, name)


@pytest.mark.parametrize(("repository", "build"), ENTRIES, ids=[name for name, _ in ENTRIES])
def test_marking_an_entry_in_error_keeps_the_row_with_who_when_and_why(
    app: App, seed: Seed, repository: str, build: Callable[[str], Any]
) -> None:
    entry = build(seed.patient.id)
    with app.uow() as uow:
        _repository(uow, repository).add(entry)
        uow.commit()

    with app.uow() as uow:
        marked = _repository(uow, repository).mark_entered_in_error(entry.id, MARK)
        uow.commit()

    with app.uow() as uow:
        stored = _repository(uow, repository).list_for(seed.patient.id)
    assert marked.entered_in_error == MARK
    assert marked.id == entry.id
    assert stored == [marked]


def test_the_mark_is_audited_with_its_author_and_time(app: App, seed: Seed) -> None:
    entry = dose(seed.patient.id)
    with app.uow() as uow:
        uow.doses.add(entry)
        uow.doses.mark_entered_in_error(entry.id, MARK)
        uow.commit()

    with app.uow() as uow:
        actions = [(e.action, e.actor, e.at) for e in uow.audit.for_entity("dose", entry.id)]
    assert actions == [("dose.add", entry.recorded_by, NOW), ("dose.entered_in_error", "dr.smith", MARK.at)]


def test_a_second_mark_is_refused_and_the_first_stands(app: App, seed: Seed) -> None:
    entry = lab(seed.patient.id)
    with app.uow() as uow:
        uow.labs.add(entry)
        uow.labs.mark_entered_in_error(entry.id, MARK)
        uow.commit()

    later = EnteredInError(MARK.at + dt.timedelta(days=1), "someone.else", "another reason")
    with app.uow() as uow:
        with pytest.raises(AlreadyEnteredInError):
            uow.labs.mark_entered_in_error(entry.id, later)
        assert uow.labs.get(entry.id).entered_in_error == MARK


def test_marking_an_unknown_entry_is_reported_as_not_found(app: App) -> None:
    with app.uow() as uow, pytest.raises(RecordNotFoundError):
        uow.doses.mark_entered_in_error("missing", MARK)


def test_the_latest_plan_skips_a_version_entered_in_error(app: App, seed: Seed) -> None:
    first = plan_version(seed.patient.id)
    decision = review(seed.patient.id)
    second = plan_version(seed.patient.id, version=2, review_id=decision.id)
    with app.uow() as uow:
        uow.plans.add(first)
        uow.reviews.add(decision)
        uow.plans.add(second)
        uow.plans.mark_entered_in_error(second.id, MARK)
        uow.commit()

    with app.uow() as uow:
        assert uow.plans.latest(seed.patient.id) == first
        assert [p.version for p in uow.plans.list_for(seed.patient.id)] == [1, 2]


def test_a_patient_entered_in_error_keeps_their_record(app: App, seed: Seed) -> None:
    with app.uow() as uow:
        marked = uow.patients.mark_entered_in_error(seed.patient.id, MARK)
        uow.commit()

    with app.uow() as uow:
        assert uow.patients.get(seed.patient.id) == marked
        assert marked.entered_in_error == MARK
