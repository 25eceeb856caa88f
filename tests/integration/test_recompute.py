"""Recompute: every stored forecast and recall timeline rebuilt in batches, in one process or several."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from db_builders import NURSE
from tests.conftest import EXAMPLE_CASE

from b12care.application.treatment import DoseInput, Services
from b12care.bootstrap import App

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


def test_recomputing_disjoint_shards_gives_what_one_pass_does(app: App) -> None:
    services = _clinic_of_patients(app, 5)
    day = D(2026, 3, 1)
    list(services.recompute("job", day))
    in_one_pass = _stored(services)
    ids = services.patient_ids()

    for shard in (ids[:2], ids[2:]):  # what `b12care recompute --workers 2` hands its processes
        list(services.recompute("job", day, batch=2, patient_ids=shard))

    assert _stored(services) == in_one_pass


def test_a_dose_recorded_while_recompute_computes_is_not_overwritten_by_a_stale_forecast(app: App) -> None:
    services = _clinic_of_patients(app, 3)
    target = services.patient_ids()[0]
    nurse = Services(app.uow, lambda: app.clock() + dt.timedelta(seconds=1))  # a later write
    opened = 0

    def uow_then_a_dose(*, read_only: bool = False):  # type: ignore[no-untyped-def]
        nonlocal opened
        opened += 1
        if opened == 3:  # (1: the id list, 2: the batch read) before the batch is stored
            dose = DoseInput(D(2026, 2, 20), "hydroxocobalamin", Decimal(1), "mg", "IM")
            nurse.record_dose(target, dose, NURSE)
        return app.uow(read_only=read_only)

    list(Services(uow_then_a_dose, app.clock).recompute("job", D(2026, 3, 1)))

    with app.uow() as uow:
        stored = uow.forecasts.get(target)
    assert stored is not None
    assert stored.as_of == D(2026, 3, 1)  # recomputed after the dose, not before it
    assert stored.due is not None and stored.due > D(2026, 2, 20)
