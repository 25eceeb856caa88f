"""Use case (a job): rebuild every patient's stored forecast and recall timeline, e.g. after a pack
upgrade, in batches that never hold a write lock while computing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from b12care.application.history import history_from, stored_forecast
from b12care.application.patients import patient_ids as all_patient_ids
from b12care.application.ports import Deps, UnitOfWork
from b12care.application.records import StoredForecast

__all__ = ["recompute"]

_ATTEMPTS = 3


def recompute(
    deps: Deps,
    actor: str,
    as_of: dt.date | None = None,
    batch: int = 500,
    patient_ids: Sequence[str] | None = None,
) -> Iterator[int]:
    """Rebuild the stored forecast and recall timeline of every patient (or of ``patient_ids``):
    ``batch`` patients per transaction, read with one query per table and written with one statement
    per table; yields how many patients each committed batch held.

    Disjoint ``patient_ids`` lists can run in several processes at once (``b12care recompute
    --workers``).
    """
    day = as_of or deps.today()
    ids = list(patient_ids) if patient_ids is not None else all_patient_ids(deps)
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        pending = chunk
        for _ in range(_ATTEMPTS):
            pending = _recompute_unless_changed(deps, pending, day, actor)
            if not pending:
                break
        else:  # written to again and again: read, compute and store in one transaction
            with deps.uow() as uow:
                uow.forecasts.save_many(_stored_forecasts(uow, pending, day), actor=actor, at=deps.clock())
                uow.commit()
        yield len(chunk)


def _recompute_unless_changed(deps: Deps, patient_ids: list[str], day: dt.date, actor: str) -> list[str]:
    """Read in one transaction, compute outside any (other processes may write meanwhile: SQLite
    holds its write lock for a whole transaction), then store in another only the forecasts of
    patients nobody wrote to in between; returns those, to do again."""
    with deps.uow(read_only=True) as uow:
        before = uow.forecasts.stamps(patient_ids)
        stored = _stored_forecasts(uow, patient_ids, day)
    with deps.uow() as uow:
        now = uow.forecasts.stamps(patient_ids)
        unchanged = [
            f for f in stored if f.patient_id in now and now[f.patient_id] == before.get(f.patient_id)
        ]
        uow.forecasts.save_many(unchanged, actor=actor, at=deps.clock())
        uow.commit()
    done = {f.patient_id for f in unchanged}
    return [pid for pid in patient_ids if pid in now and pid not in done]


def _stored_forecasts(uow: UnitOfWork, patient_ids: list[str], day: dt.date) -> list[StoredForecast]:
    """Read a batch of patients' records (one query per table) and compute their forecasts."""
    versions = uow.plans.latest_many(patient_ids)
    doses = uow.doses.list_for_many(patient_ids)
    labs = uow.labs.list_for_many(patient_ids)
    checks = uow.symptom_checks.list_for_many(patient_ids)
    reviews = uow.reviews.list_for_many(patient_ids)
    return [
        stored_forecast(
            patient,
            versions[patient.id],
            history_from(
                doses.get(patient.id, ()),
                labs.get(patient.id, ()),
                checks.get(patient.id, ()),
                reviews.get(patient.id, ()),
            ),
            day,
        )
        for patient in uow.patients.get_many(patient_ids)
        if patient.id in versions
    ]
