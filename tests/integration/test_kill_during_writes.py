"""A process killed (SIGKILL) in the middle of a stream of writes loses no write that was acknowledged.

The writer is a separate OS process (kill_worker.py) recording doses through ``Services.record_dose``
and printing each dose's key once the call has returned, i.e. once its transaction committed. The test
kills it with SIGKILL - no clean-up, no rollback, no atexit - after a number of acknowledgements, opens
the database afresh and checks what survived; then starts a new writer at the first unacknowledged
dose (a client retrying what it was never told was stored) and kills that one too, each time a little
further into the write in flight, so the kills land before, during and after its commit.

SIGKILL proves the database keeps what a *process* was told was committed; it says nothing about
power loss or an OS crash (the kernel still holds the written pages), which is what SQLite's
``synchronous`` and PostgreSQL's ``fsync``/``synchronous_commit`` settings are about.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from db_builders import NOW, fixed_clock
from kill_worker import AT, MAX_DOSES, key_for

from b12care.application.records import PatientRecord
from b12care.application.treatment import Services, current_forecast
from b12care.bootstrap import bootstrap
from b12care.config import Settings

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is a POSIX signal")

WORKER = Path(__file__).with_name("kill_worker.py")
EXAMPLE_CASE = Path(__file__).resolve().parents[2] / "examples" / "pernicious-anaemia.json"
# (acknowledgements to wait for, then how far into the next write to kill, in mean write times)
KILLS = [(30, 0.0), (10, 0.35), (10, 0.7), (10, 1.05)]
DEADLINE_SECONDS = 60.0


@dataclass(frozen=True)
class KilledWriter:
    """The keys the killed writer acknowledged (in order), how it ended and what it wrote to stderr."""

    acknowledged: list[str]
    returncode: int
    stderr: str


@dataclass(frozen=True)
class Stored:
    """What a fresh look at the database finds for the patient."""

    doses: list[str]  # idempotency keys, in stored order
    audited: list[str]  # idempotency keys of the dose.add audit entries
    forecast_matches_record: bool


def _seed_patient(database_url: str) -> PatientRecord:
    with bootstrap(Settings(database_url=database_url), clock=fixed_clock(NOW)) as app:
        services = Services(app.uow, app.clock)
        clinic = services.add_clinic("North Surgery", actor="admin")
        return services.add_patient(
            clinic_id=clinic.id,
            reference="H-0001",
            name="Ann Example",
            case_json=EXAMPLE_CASE.read_text(),
            actor="admin",
        )


def _complete_lines(buffer: bytes) -> tuple[list[str], bytes]:
    """The complete lines in ``buffer`` and the unfinished rest (a line cut off by the kill is no ack)."""
    *lines, rest = buffer.split(b"\n")
    return [line.decode() for line in lines], rest


def _write_until_killed(
    database_url: str, patient_id: str, *, first: int, acks: int, phase: float, stderr_path: Path
) -> KilledWriter:
    """Start a writer at dose ``first``; after ``acks`` acknowledgements and ``phase`` mean write
    times, SIGKILL it. Every key it printed, including those still in the pipe at the kill."""
    with (
        stderr_path.open("wb") as stderr,
        subprocess.Popen(
            [sys.executable, "-W", "error", str(WORKER), database_url, patient_id, str(first)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        ) as process,
    ):
        assert process.stdout is not None
        acknowledged: list[str] = []
        buffer = b""
        first_ack_at = last_ack_at = 0.0
        deadline = time.monotonic() + DEADLINE_SECONDS
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                while len(acknowledged) < acks:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        pytest.fail(
                            f"the writer acknowledged {len(acknowledged)} doses in {DEADLINE_SECONDS:.0f} s, "
                            f"expected {acks}; stderr:\n{stderr_path.read_text()}"
                        )
                    if not selector.select(timeout=remaining):
                        continue
                    chunk = os.read(process.stdout.fileno(), 65536)
                    if not chunk:  # the writer ended on its own: it failed or ran out of doses
                        break
                    lines, buffer = _complete_lines(buffer + chunk)
                    last_ack_at = time.monotonic()
                    first_ack_at = first_ack_at or last_ack_at
                    acknowledged += lines
            if phase and len(acknowledged) > 1:
                time.sleep(phase * (last_ack_at - first_ack_at) / (len(acknowledged) - 1))
            os.kill(process.pid, signal.SIGKILL)
            returncode = process.wait(timeout=DEADLINE_SECONDS)
        finally:
            if process.poll() is None:  # a failure above: never leave the writer running
                process.kill()
                process.wait(timeout=DEADLINE_SECONDS)
        # Keys printed between the last read and the kill are still in the pipe: they were acknowledged.
        lines, _ = _complete_lines(buffer + process.stdout.read())
        acknowledged += lines
    return KilledWriter(acknowledged, returncode, stderr_path.read_text())


def _stored(database_url: str, patient_id: str) -> Stored:
    """Open the database afresh (new engine, new connections) and read the patient's doses back."""
    with bootstrap(Settings(database_url=database_url), clock=fixed_clock(NOW)) as app, app.uow() as uow:
        doses = [str(d.idempotency_key) for d in uow.doses.list_for(patient_id)]
        audited = [
            str(e.detail["idempotency_key"])
            for e in uow.audit.since(AT, limit=10 * MAX_DOSES)
            if e.action == "dose.add"
        ]
        kept = uow.forecasts.get(patient_id)
        _, forecast = current_forecast(uow, patient_id, AT.date())
    nxt = forecast.next_dose
    expected = (
        AT.date(),
        forecast.status,
        nxt.earliest if nxt else None,
        nxt.due if nxt else None,
        nxt.overdue if nxt else None,
        tuple(f.code for f in forecast.flags),
    )
    matches = kept is not None and (
        (kept.as_of, kept.status, kept.earliest, kept.due, kept.overdue, kept.flags) == expected
    )
    return Stored(doses, audited, matches)


def test_a_writer_killed_mid_stream_loses_no_acknowledged_dose_and_its_retry_stores_none_twice(
    database_url: str, tmp_path: Path
) -> None:
    patient = _seed_patient(database_url)
    acknowledged: list[str] = []

    for round_, (acks, phase) in enumerate(KILLS):
        first = len(acknowledged)  # retry from the first dose never acknowledged
        writer = _write_until_killed(
            database_url,
            patient.id,
            first=first,
            acks=acks,
            phase=phase,
            stderr_path=tmp_path / f"writer-{round_}.stderr",
        )
        assert writer.returncode == -signal.SIGKILL, (
            f"writer {round_} was meant to die of SIGKILL mid-stream, it ended with {writer.returncode}; "
            f"stderr:\n{writer.stderr}"
        )
        assert writer.stderr == ""
        assert writer.acknowledged[:acks] == [key_for(n) for n in range(first, first + acks)]
        assert writer.acknowledged == [key_for(n) for n in range(first, first + len(writer.acknowledged))]
        acknowledged += writer.acknowledged

        stored = _stored(database_url, patient.id)

        # Every acknowledged dose is there, exactly once, in writing order with no gap; beyond them at
        # most the dose in flight at the kill (committed, killed before it printed its key).
        assert len(stored.doses) == len(set(stored.doses)), f"a dose stored twice after kill {round_}"
        assert set(acknowledged) <= set(stored.doses), f"acknowledged doses lost at kill {round_}"
        assert stored.doses == [key_for(n) for n in range(len(stored.doses))]
        assert len(stored.doses) - len(acknowledged) in (0, 1)
        # Nothing half-written: one audit entry per stored dose, and the stored forecast (written in
        # the same transaction as each dose) is the one the stored record gives.
        assert sorted(stored.audited) == stored.doses
        assert stored.forecast_matches_record, f"stored forecast behind the record after kill {round_}"
