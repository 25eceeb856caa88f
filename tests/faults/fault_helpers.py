"""Helpers of the fault tests: a real ``b12care serve`` to start, SIGKILL and restart; clients of its API
and pages; what a fresh look at the database finds (a module of its own name, so test modules import it
unambiguously).

The server runs in a session of its own, so a kill takes the uvicorn supervisor and all its workers at
once - as a crash or an OOM kill of the service would - and never leaves a worker behind. Its output goes
to a file (a pipe nobody reads could fill up and stall it); a failing test shows the file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app_helpers import EXAMPLE_CASE, FAST_HASHER, PASSWORD, SECRET
from b12care.application.accounts import Accounts
from b12care.application.ports import UnitOfWork
from b12care.application.treatment import Services, load_history, stored_forecast
from b12care.bootstrap import bootstrap
from b12care.config import Settings

B12CARE = str(Path(sys.executable).parent / "b12care")
READY_SECONDS = 60.0  # a server start (imports, migrations, workers) on 2 busy cores
REQUEST_SECONDS = 30.0  # no request of these tests may take longer: a hang fails the test
FIRST_DOSE_DAY = dt.date(2026, 1, 5)
DOSE_EVERY = dt.timedelta(weeks=13)  # every dose moves the next due date: a stale forecast would show
PROBLEM_JSON = "application/problem+json"

__all__ = [
    "PROBLEM_JSON",
    "REQUEST_SECONDS",
    "Clinic",
    "Server",
    "Stored",
    "dose_body",
    "environment",
    "forecast_matches_record",
    "free_port",
    "key_for",
    "logged_in",
    "run_cli",
    "serving",
    "set_up_clinic",
    "sqlite_integrity",
    "stored",
    "web_session",
]


def free_port() -> int:
    """A loopback port nobody listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(database_url: str) -> dict[str, str]:
    """This process's environment without B12CARE_* settings, plus the database and a signing key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("B12CARE_")}
    return {**env, "B12CARE_DATABASE_URL": database_url, "B12CARE_SECRET_KEY": SECRET}


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``b12care`` command (a real process: its exit code and output as a user sees)."""
    return subprocess.run(
        [B12CARE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


@dataclass(frozen=True)
class Clinic:
    """A clinic with its admin (``admin``, PASSWORD) and one patient, ready for a server to serve."""

    clinic_id: str
    patient_id: str


def set_up_clinic(database_url: str) -> Clinic:
    """Migrate the database and add a clinic, its admin and a patient of the example case, in this process
    (quicker than the CLI; the server later reads them as it would the CLI's)."""
    with bootstrap(Settings(database_url=database_url, secret_key=SECRET)) as app:
        services = Services(app.uow, app.clock)
        clinic = services.add_clinic("Riverside Surgery", "setup")
        Accounts(app.uow, app.clock, SECRET, hasher=FAST_HASHER).add_user(
            "admin", PASSWORD, "admin", [clinic.id], "setup"
        )
        patient = services.add_patient(
            clinic_id=clinic.id,
            reference="H-1",
            name="Ann Example",
            case_json=EXAMPLE_CASE.read_text(),
            actor="setup",
        )
    return Clinic(clinic.id, patient.id)


@dataclass
class Server:
    """``b12care serve`` on a loopback port, in a session of its own; start, kill and restart it."""

    env: dict[str, str]
    log_path: Path
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start it (on the same port each time) and wait until ``/health`` answers."""
        assert self.process is None, "already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [B12CARE, "serve", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if self.process.poll() is not None:
                self.process = None
                raise AssertionError(f"the server exited at start:\n{self.log()}")
            with suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"the server did not answer within {READY_SECONDS:.0f} s:\n{self.log()}")
            time.sleep(0.1)

    def _signal_all(self, signum: int) -> None:
        assert self.process is not None
        with suppress(ProcessLookupError):  # its session leader is this process: the group is its pid
            os.killpg(self.process.pid, signum)

    def kill(self) -> int:
        """SIGKILL the server and every worker at once (no clean-up, no rollback); its exit status."""
        assert self.process is not None, "not running"
        self._signal_all(signal.SIGKILL)
        status = self.process.wait(timeout=REQUEST_SECONDS)
        self.process = None
        return status

    def stop(self) -> None:
        """Stop it gracefully (SIGTERM), or kill it when it does not stop in time."""
        if self.process is None:
            return
        self._signal_all(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
            self.process = None
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        """What the server printed (uvicorn's lines and b12care's warnings)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def serving(env: dict[str, str], log_path: Path, *args: str) -> Iterator[Server]:
    """A started server, stopped (or killed) whatever happens."""
    server = Server(env, log_path, args)
    try:
        server.start()
        yield server
    finally:
        with suppress(Exception):
            server.stop()
        if server.process is not None:  # pragma: no cover - stop() kills what does not stop
            server.kill()


@contextmanager
def logged_in(base: str, username: str = "admin") -> Iterator[httpx.Client]:
    """An API client with a fresh bearer token (the token stays valid across restarts: same key)."""
    with httpx.Client(base_url=base, timeout=REQUEST_SECONDS) as http:
        token = http.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        assert token.status_code == 200, token.text
        http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield http


def key_for(writer: str, n: int) -> str:
    """The idempotency key of ``writer``'s ``n``-th dose (sorts in writing order)."""
    return f"{writer}-{n:04d}"


def dose_body(writer: str, n: int) -> dict[str, Any]:
    """``writer``'s ``n``-th dose: 1 mg hydroxocobalamin IM, DOSE_EVERY after the one before, same key
    every time (a retry of it is the same dose)."""
    return {
        "date": (FIRST_DOSE_DAY + n * DOSE_EVERY).isoformat(),
        "drug": "hydroxocobalamin",
        "dose": "1",
        "unit": "mg",
        "route": "IM",
        "site": "left deltoid",
        "idempotency_key": key_for(writer, n),
    }


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: str) -> str:
    """The CSRF token of the first form on ``page``."""
    found = _CSRF.search(page)
    assert found, "no CSRF field on the page"
    return found.group(1)


@contextmanager
def web_session(base: str, username: str = "admin") -> Iterator[httpx.Client]:
    """A browser-like client logged in through the login form (session cookie)."""
    with httpx.Client(base_url=base, timeout=REQUEST_SECONDS) as web:
        form = web.get("/login")
        assert form.status_code == 200, form.text
        data = {"username": username, "password": PASSWORD, "csrf": csrf_of(form.text)}
        done = web.post("/login", data=data)
        assert done.status_code == 303, done.text
        yield web


@dataclass(frozen=True)
class Stored:
    """What a fresh look at the database finds about one patient."""

    doses: list[str]  # idempotency keys, in stored order
    audited: list[str]  # idempotency keys of the dose.add audit entries
    audit_entries: int  # every audit entry about the patient's doses and forecast
    forecast_matches_record: bool  # the stored forecast and recall timeline = recomputed from the record


def forecast_matches_record(uow: UnitOfWork, patient_id: str) -> bool:
    """The patient's stored forecast and recall timeline are those its whole stored record gives."""
    kept = uow.forecasts.get(patient_id)
    version = uow.plans.latest(patient_id)
    if kept is None or version is None:
        return False
    patient = uow.patients.get(patient_id)
    return kept == stored_forecast(patient, version, load_history(uow, patient_id), kept.as_of)


def stored(database_url: str, patient_id: str) -> Stored:
    """Open the database afresh (a new engine in this process) and read the patient back."""
    with bootstrap(Settings(database_url=database_url)) as app, app.uow(read_only=True) as uow:
        doses = uow.doses.list_for(patient_id)
        dose_ids = {d.id for d in doses}
        entries = list(uow.audit.since(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), limit=1_000_000))
        audited = [
            str(e.detail["idempotency_key"])
            for e in entries
            if e.action == "dose.add" and e.entity_id in dose_ids
        ]
        mine = [e for e in entries if e.entity_id in dose_ids or e.entity_id == patient_id]
        matches = forecast_matches_record(uow, patient_id)
    return Stored([str(d.idempotency_key) for d in doses], audited, len(mine), matches)


def sqlite_integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` of a SQLite file: ``ok`` when sound."""
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()
