"""Recompute: every stored forecast and recall timeline rebuilt in batches, in one process or several."""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal

from db_builders import NURSE
from tests.conftest import EXAMPLE_CASE

from b12care.bootstrap import App
from b12care.service.treatment import DoseInput, Services

D = dt.date


def _clinic_of_patients(app: App, count: int) -> Services:
    services = Services(app.uow, app.clock)
    clinic = services.add_clinic("Riverside", NURSE)
    for n in range(count):
        patient = services.add_patient(
            clinic_id=clinic.id,
            reference=f"H{n}",
            name=f"P {n}",
            case_json=EXAMPLE_CASE.read_text(),
            actor=NURSE,
        )
        for day in range(n % 7):  # patients at different points of loading
            dose = DoseInput(
                D(2026, 1, 5) + dt.timedelta(days=2 * day), "hydroxocobalamin", Decimal(1), "mg", "IM"
            )
            services.record_dose(patient.id, dose, NURSE)
    return services


def _stored(services: Services) -> dict[str, object]:
    with services.uow() as uow:
        return {pid: uow.forecasts.get(pid) for pid in uow.patients.all_ids()}


def test_recompute_in_small_batches_rebuilds_every_forecast_as_of_the_day(app: App) -> None:
    services = _clinic_of_patients(app, 7)
    later = D(2026, 6, 1)

    batches = list(services.recompute("job", later, batch=3))

    assert batches == [3, 3, 1]
    stored = _stored(services)
    assert {f.as_of for f in stored.values()} == {later}  # type: ignore[attr-defined]
    assert {e.patient_id for e in services.recall(None, None, later, limit=50)} == set(stored)


def test_a_process_pool_recomputes_exactly_what_one_process_does(app: App) -> None:
    services = _clinic_of_patients(app, 5)
    day = D(2026, 3, 1)
    list(services.recompute("job", day))
    in_process = _stored(services)

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(services.recompute("job", day, mapper=functools.partial(pool.map, chunksize=2)))

    assert _stored(services) == in_process
