"""Several clients recording doses, labs and symptom checks for ONE patient at the same time, over HTTP
through a real server (SQLite; PostgreSQL, where the server's threads run the transactions side by side),
never lose an update: every acknowledged entry is stored once, and the stored forecast and recall
timeline are the ones the whole stored history gives - not those of a writer that missed another's
entry.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fault_helpers import (
    dose_body,
    environment,
    forecast_matches_record,
    logged_in,
    serving,
    set_up_clinic,
    stored,
)

from b12care.bootstrap import bootstrap
from b12care.config import Settings

KINDS = ("dose", "lab", "symptoms")
FIRST_DAY = dt.date(2026, 1, 5)

WRITERS = 4
ROUNDS = 9
BARRIER_SECONDS = 60.0
# Each round every writer posts at once (a barrier), a dose, a lab or a symptom check in turn. Doses
# fall on days in a shuffled order: whichever writer commits last, a forecast that missed another
# writer's later dose shows a wrong next due date.
DOSE_DAYS = random.Random(6).sample(range(ROUNDS * WRITERS), ROUNDS * WRITERS)


@dataclass
class Writer:
    """One client posting one entry per round; the ids of what was acknowledged."""

    http: httpx.Client
    patient_id: str
    number: int
    rounds: threading.Barrier
    acknowledged: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    refused: list[str] = field(default_factory=list)

    def _entry(self, round_: int) -> tuple[str, str, dict[str, Any]]:
        slot = round_ * WRITERS + self.number
        day = (FIRST_DAY + dt.timedelta(days=7 * DOSE_DAYS[slot])).isoformat()
        path = f"/api/v1/patients/{self.patient_id}"
        kind = KINDS[(round_ + self.number) % len(KINDS)]
        if kind == "dose":
            dose = {**dose_body(f"writer{self.number}", round_), "date": day}
            return kind, f"{path}/doses", dose
        if kind == "lab":
            return kind, f"{path}/labs", {"test": "total_b12", "value": "310", "unit": "ng/L", "date": day}
        return kind, f"{path}/symptom-checks", {"date": day, "overall": "better", "scores": {"fatigue": 1}}

    def run(self) -> None:
        for round_ in range(ROUNDS):
            kind, path, body = self._entry(round_)
            try:
                self.rounds.wait(BARRIER_SECONDS)
                answer = self.http.post(path, json=body)
            except (threading.BrokenBarrierError, httpx.TransportError) as error:
                self.refused.append(f"round {round_}: {error!r}")
                self.rounds.abort()
                return
            if answer.status_code == 201:
                self.acknowledged[kind].append(answer.json()["id"])
            else:
                self.refused.append(f"{kind} in round {round_}: {answer.status_code} {answer.text}")


def _stored_ids(database_url: str, patient_id: str) -> dict[str, list[str]]:
    with bootstrap(Settings(database_url=database_url)) as app, app.uow(read_only=True) as uow:
        return {
            "dose": [d.id for d in uow.doses.list_for(patient_id)],
            "lab": [x.id for x in uow.labs.list_for(patient_id)],
            "symptoms": [c.id for c in uow.symptom_checks.list_for(patient_id)],
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_writers_to_one_patient_over_http_lose_no_update(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'served.db'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
    env = environment(database_url)
    patient_id = set_up_clinic(database_url).patient_id
    fresh: list[bool] = []  # before each round: is the stored forecast the whole record's?

    with ExitStack() as stack:
        checker = stack.enter_context(bootstrap(Settings(database_url=database_url)))

        def check_round() -> None:  # all writers answered, none has posted the next entry yet
            with checker.uow(read_only=True) as uow:
                fresh.append(forecast_matches_record(uow, patient_id))

        rounds = threading.Barrier(WRITERS, action=check_round)

        server = stack.enter_context(serving(env, tmp_path / "server.log"))
        writers = [
            Writer(stack.enter_context(logged_in(server.base)), patient_id, n, rounds) for n in range(WRITERS)
        ]
        threads = [threading.Thread(target=w.run, daemon=True) for w in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(BARRIER_SECONDS * ROUNDS)

    assert not any(t.is_alive() for t in threads)
    assert [w.refused for w in writers] == [[] for _ in writers]
    ids = _stored_ids(database_url, patient_id)
    for kind in KINDS:
        acknowledged = [i for w in writers for i in w.acknowledged[kind]]
        assert sorted(ids[kind]) == sorted(acknowledged), f"{kind}: stored != acknowledged"
    final = stored(database_url, patient_id)
    assert sorted(final.audited) == sorted(final.doses)
    fresh.append(final.forecast_matches_record)
    stale = [round_ for round_, ok in enumerate(fresh) if not ok]
    assert len(fresh) == ROUNDS + 1
    assert stale == [], f"after rounds {stale} the stored forecast missed a concurrent writer's entry"
