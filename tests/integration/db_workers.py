"""Work run in separate (spawned) processes by the concurrency tests; importable by the children."""

from __future__ import annotations

import datetime as dt
from multiprocessing.synchronize import Barrier

from db_builders import NOW, dose, forecast

from b12care.adapters.db import create_database_engine, sql_unit_of_work_factory

SHARED_KEYS = 10


def record_doses(
    url: str, *, patient_id: str, clinic_id: str, worker: str, count: int, start: Barrier
) -> None:
    """Record ``count`` doses of its own plus SHARED_KEYS keyed ones every worker also records.

    Each dose is its own unit of work that also updates the patient's stored forecast, as a use case does.
    """
    engine = create_database_engine(url)
    try:
        uow_factory = sql_unit_of_work_factory(engine)
        start.wait(timeout=60)
        for n in range(count + SHARED_KEYS):
            key = f"shared-{n}" if n < SHARED_KEYS else f"{worker}-{n}"
            with uow_factory() as uow:
                uow.doses.add(dose(patient_id, key=key, recorded_by=worker))
                due = NOW.date() + dt.timedelta(days=n)
                uow.forecasts.save(forecast(patient_id, clinic_id, due=due), actor=worker, at=NOW)
                uow.commit()
    finally:
        engine.dispose()
