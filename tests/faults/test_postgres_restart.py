"""PostgreSQL stopped and started again under load: meanwhile the service answers 503 (problem JSON with
Retry-After on the API, an error page on the web app) - never a 500, never a hang - and once the database
is back it answers again by itself, without a restart; no acknowledged write is lost. The CLI meanwhile
says so in one line and exits 4.

A private cluster (tests/faults/fault_places.py), never the shared one: ``pg_ctl stop -m immediate`` cuts
every connection like a crash of the database server. ``b12care serve --workers 2`` serves it; client
threads keep recording doses (each with its idempotency key; a 503 is retried with the same key) and
reading the forecast through the stop and the start.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fault_helpers import (
    PROBLEM_JSON,
    dose_body,
    environment,
    key_for,
    logged_in,
    run_cli,
    serving,
    set_up_clinic,
    stored,
    web_session,
)
from fault_places import PrivateCluster

from b12care.entrypoints.api.problems import RETRY_AFTER_SECONDS
from b12care.entrypoints.cli.faults import EXIT_STORAGE_UNAVAILABLE

CLIENTS = 3
MAX_REQUESTS = 2000  # per client: the loops end on their own even if the test's logic would not
LOAD_SECONDS = 120.0
RECOVERY_SECONDS = 60.0


@dataclass
class Client:
    """One client of the load: record its next dose (retry it on 503), read the forecast, again."""

    http: httpx.Client
    patient_id: str
    name: str
    stop: threading.Event
    acknowledged: list[str] = field(default_factory=list)
    answers: list[tuple[float, int]] = field(default_factory=list)  # (when, status)
    wrong: list[str] = field(default_factory=list)  # a 5xx other than a proper 503, or no answer in time

    def _check(self, answer: httpx.Response) -> None:
        self.answers.append((time.monotonic(), answer.status_code))
        if answer.status_code == 503:
            body = answer.json() if answer.headers.get("content-type") == PROBLEM_JSON else {}
            if body.get("fault") != "unavailable" or answer.headers.get("Retry-After") != str(
                RETRY_AFTER_SECONDS
            ):
                self.wrong.append(f"503 without the unavailable problem: {answer.headers} {answer.text}")
        elif answer.status_code not in (200, 201):
            self.wrong.append(f"{answer.status_code} {answer.text}")

    def run(self) -> None:
        deadline = time.monotonic() + LOAD_SECONDS
        n = 0
        for _ in range(MAX_REQUESTS):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            try:
                dose = self.http.post(
                    f"/api/v1/patients/{self.patient_id}/doses", json=dose_body(self.name, n)
                )
                self._check(dose)
                if dose.status_code == 201:
                    self.acknowledged.append(key_for(self.name, n))
                    n += 1
                self._check(self.http.get(f"/api/v1/patients/{self.patient_id}/forecast"))
            except httpx.TransportError as error:  # includes a timeout: a hang
                self.wrong.append(f"no answer: {error!r}")
                return
            if self.answers[-1][1] == 503:
                time.sleep(0.05)  # a client honouring Retry-After would wait longer; keep the load on

    def statuses_since(self, moment: float) -> Counter[int]:
        return Counter(status for at, status in self.answers if at >= moment)


def _wait_for(clients: list[Client], what: str, since: float, status: int, count: int) -> None:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while sum(c.statuses_since(since)[status] for c in clients) < count:
        assert time.monotonic() < deadline, f"{what}: no {count} answers {status} in {RECOVERY_SECONDS:.0f} s"
        assert all(c.wrong == [] for c in clients), [c.wrong for c in clients]
        time.sleep(0.05)


def test_postgresql_restarted_under_load_answers_503_meanwhile_and_recovers_by_itself(
    cluster: PrivateCluster, tmp_path: Path
) -> None:
    database_url = cluster.create_database("b12care_restart")
    env = environment(database_url)
    patient_id = set_up_clinic(database_url).patient_id
    stop = threading.Event()

    with ExitStack() as stack:
        server = stack.enter_context(serving(env, tmp_path / "server.log", "--workers", "2"))
        web = stack.enter_context(web_session(server.base))
        clients = [
            Client(stack.enter_context(logged_in(server.base)), patient_id, f"client{n}", stop)
            for n in range(CLIENTS)
        ]
        threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
        try:
            for thread in threads:
                thread.start()
            _wait_for(clients, "before the stop", 0.0, 201, 3 * CLIENTS)

            stopped_at = time.monotonic()
            cluster.stop("immediate")
            _wait_for(clients, "while PostgreSQL is down", stopped_at, 503, 3 * CLIENTS)
            page = web.get("/")  # the dashboard needs the database: an HTML error page, not JSON
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert "cannot be reached" in page.text and "nothing was changed" in page.text
            assert page.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            cli = run_cli(env, "forecast", patient_id)  # the CLI: one line, exit 4 (retry later)
            assert cli.returncode == EXIT_STORAGE_UNAVAILABLE, cli.stderr
            assert cli.stderr.count("\n") == 1 and cli.stderr.startswith("error: ")
            assert "cannot be reached" in cli.stderr and "Connection refused" in cli.stderr

            started_at = time.monotonic()
            cluster.start()
            _wait_for(clients, "after PostgreSQL is back", started_at, 201, 3 * CLIENTS)
            assert web.get("/").status_code == 200
        finally:
            stop.set()
            for thread in threads:
                thread.join(LOAD_SECONDS)
            if not cluster.running():  # failed while it was down: leave it up for the other tests
                cluster.start()
        log = server.log()

    assert all(c.wrong == [] for c in clients), [c.wrong for c in clients]
    assert not any(t.is_alive() for t in threads)
    assert "storage fault (unavailable)" in log  # the admin's log line says what happened
    assert "Traceback" not in log
    acknowledged = [key for c in clients for key in c.acknowledged]
    after = stored(database_url, patient_id)
    assert len(after.doses) == len(set(after.doses)), "a dose stored twice"
    assert set(acknowledged) <= set(after.doses), "an acknowledged dose was lost"
    # Beyond them at most each client's dose in flight when the load stopped (stored, never answered).
    assert len(set(after.doses) - set(acknowledged)) <= CLIENTS
    assert sorted(after.audited) == sorted(after.doses)
    assert after.forecast_matches_record
