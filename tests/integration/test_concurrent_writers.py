"""Two processes recording doses for one patient at the same time lose nothing and duplicate nothing."""

from __future__ import annotations

import multiprocessing

from db_builders import Seed
from db_workers import SHARED_KEYS, record_doses

from b12care.bootstrap import App

WORKERS = 2
DOSES_EACH = 50


def test_two_processes_recording_doses_for_one_patient_lose_nothing(
    app: App, database_url: str, seed: Seed
) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS)
    processes = [
        context.Process(
            target=record_doses,
            args=(database_url,),
            kwargs={
                "patient_id": seed.patient.id,
                "clinic_id": seed.clinic.id,
                "worker": f"worker-{n}",
                "count": DOSES_EACH,
                "start": start,
            },
        )
        for n in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)

    assert [process.exitcode for process in processes] == [0] * WORKERS
    with app.uow() as uow:
        stored = uow.doses.list_for(seed.patient.id)
        audited = [e for e in uow.audit.since(seed.clinic.created_at) if e.action == "dose.add"]
        kept = uow.forecasts.get(seed.patient.id)
    assert len(stored) == WORKERS * DOSES_EACH + SHARED_KEYS
    assert len({d.idempotency_key for d in stored}) == len(stored)
    assert len(audited) == len(stored)
    assert kept is not None
