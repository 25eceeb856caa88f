"""FHIR import: how fast a big bundle imports, and how long other users wait meanwhile (issue 12, M4).

    .venv/bin/python benchmarks/fhir_import.py                       # 3,000 entries: rate, then under load
    .venv/bin/python benchmarks/fhir_import.py --baseline /tmp/b12-base  # and the rate of the code there

``--baseline DIR`` times the same import with the source tree in DIR (``git archive 4505665 src |
tar -x -C DIR``: the commit the security probe ran, without touching this checkout's git state), in a
child process of this script with ``PYTHONPATH=DIR/src``, in the same run.

1. **Rate**: the security probe's bundle (one Patient, then ``--entries`` B12 Observations of one
   patient, about 1 MB for 3,000) through ``import_bundle`` with full FHIR R4 validation, on a fresh
   SQLite file. Target: 3,000 entries in <= 15 s.
2. **Under load** (this checkout only): a real ``b12care serve`` on 127.0.0.1 and SQLite; ``--clients``
   other users each loop (bounded) over reading another patient's forecast and recording a dose for
   another patient, first for ``--quiet`` seconds alone, then while one nurse POSTs the bundle to
   ``/api/v1/fhir/import``. Reported: the import's time and report, and the other requests' latency
   (p50, p99, max) and statuses in both phases. Target: other users' p99 under 1 s during the import.
   Checked: every request answered 2xx, every acknowledged dose stored once, every entry imported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SECRET = "fhir-import-benchmark-secret-of-32-characters"
PASSWORD = "fhir import password 1234"
CASE = Path(__file__).resolve().parents[1] / "examples" / "pernicious-anaemia.json"
TARGET_SECONDS = 15.0
TARGET_P99 = 1.0


def probe_bundle(reference: str, entries: int) -> dict[str, Any]:
    """The probe's bundle: the patient by identifier, then ``entries`` B12 results a day apart."""
    patient = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:x", "value": reference}]}

    def lab(index: int) -> dict[str, Any]:
        day = dt.date(2020, 1, 1) + dt.timedelta(days=index)
        return {
            "resourceType": "Observation",
            "id": f"big-{index}",
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "2132-9"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": day.isoformat(),
            "valueQuantity": {"value": 100 + index % 500, "unit": "ng/L", "system": UCUM, "code": "ng/L"},
        }

    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:7c1f0000-0000-4000-8000-000000000001", "resource": patient}]
        + [{"resource": lab(i)} for i in range(entries)],
    }


def time_import(database_url: str, entries: int) -> dict[str, Any]:
    """Seed a clinic and patient HA1, import the probe's bundle once; seconds and the report's counts.

    Written against the importer's oldest signature (positional), so a baseline tree runs it too.
    """
    from b12care.adapters.fhir.importer import import_bundle
    from b12care.application.treatment import Services
    from b12care.bootstrap import bootstrap
    from b12care.config import Settings

    bundle = probe_bundle("HA1", entries)
    with bootstrap(Settings(database_url=database_url)) as app:
        services = Services(app.uow, app.clock)
        clinic = services.add_clinic("Riverside", "bench")
        services.add_patient(
            clinic_id=clinic.id, reference="HA1", name="Alice A", case_json=CASE.read_text(), actor="bench"
        )
        started = time.perf_counter()
        report = import_bundle(services, bundle, clinic.id, "bench")
        seconds = time.perf_counter() - started
    return {
        "entries": entries,
        "bytes": len(json.dumps(bundle)),
        "seconds": round(seconds, 2),
        "entries_per_second": round(entries / seconds, 1),
        "imported": len(report.imported),
        "issues": len(report.issues),
    }


def time_import_elsewhere(source_tree: Path, entries: int, folder: Path) -> dict[str, Any]:
    """``time_import`` with the b12care package of ``source_tree`` (its ``src``), in a child process."""
    env = os.environ | {"PYTHONPATH": str(source_tree / "src")}
    url = f"sqlite:///{folder / 'baseline.db'}"
    command = [sys.executable, __file__, "--rate-only", "--entries", str(entries), "--database-url", url]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the baseline run failed ({done.returncode}):\n{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@dataclass
class Tally:
    """Other users' requests: (phase, kind) -> latencies; statuses; doses acknowledged."""

    latencies: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    acknowledged: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, phase: str, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.setdefault((phase, kind), []).append(seconds)
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _seed(database_url: str, others: int, imports: int) -> tuple[str, list[str], list[str]]:
    """Clinic A with the imports' patients HA1, HA2, ..., ``others`` more patients and two nurses."""
    from b12care.application.accounts import Accounts
    from b12care.application.treatment import Services
    from b12care.bootstrap import bootstrap
    from b12care.config import Settings

    with bootstrap(Settings(database_url=database_url, secret_key=SECRET)) as app:
        services = Services(app.uow, app.clock)
        clinic = services.add_clinic("Riverside", "bench").id
        case = CASE.read_text()
        targets = [
            services.add_patient(
                clinic_id=clinic, reference=f"HA{i + 1}", name="A", case_json=case, actor="b"
            ).id
            for i in range(imports)
        ]
        rest = [
            services.add_patient(clinic_id=clinic, reference=f"HO{i}", name="O", case_json=case, actor="b").id
            for i in range(others)
        ]
        accounts = Accounts(app.uow, app.clock, SECRET)
        for name in ("import.nurse", "other.nurse"):
            accounts.add_user(name, PASSWORD, "nurse", [clinic], "bench")
    return clinic, targets, rest


def _token(base: str, username: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


@dataclass
class Users:
    """What the other users' threads share: the server, a token, their patients, the tally."""

    base: str
    token: str
    patients: list[str]
    tally: Tally
    phase: list[str]  # "quiet", then "import" (one cell, so the threads see the switch)
    stop: threading.Event
    limit: int


def _other_user(users: Users) -> None:
    """Read a forecast, record a dose; again, until ``stop`` (or ``limit`` rounds): a bounded loop."""
    headers = {"Authorization": f"Bearer {users.token}"}
    tally = users.tally
    with httpx.Client(base_url=users.base, headers=headers, timeout=60) as http:
        for round_ in range(users.limit):
            if users.stop.is_set():
                return
            patient = users.patients[round_ % len(users.patients)]
            started = time.perf_counter()
            response = http.get(f"/api/v1/patients/{patient}/forecast")
            tally.add(users.phase[0], "forecast", time.perf_counter() - started, response.status_code)
            key = f"bench-{uuid.uuid4().hex}"
            day = dt.datetime.now(dt.UTC).date().isoformat()
            dose = {"date": day, "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM",
                    "idempotency_key": key}  # fmt: skip
            started = time.perf_counter()
            response = http.post(f"/api/v1/patients/{patient}/doses", json=dose)
            tally.add(users.phase[0], "dose", time.perf_counter() - started, response.status_code)
            if response.status_code == 201:
                with tally.lock:
                    tally.acknowledged.append((patient, key))
            time.sleep(0.05)


def _latency(tally: Tally, phase: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for kind in ("forecast", "dose"):
        values = tally.latencies.get((phase, kind), [])
        found[kind] = {
            "n": len(values),
            "p50": round(_percentile(values, 0.50), 3),
            "p99": round(_percentile(values, 0.99), 3),
            "max": round(max(values, default=float("nan")), 3),
        }
    every = [v for (p, _), values in tally.latencies.items() if p == phase for v in values]
    found["all"] = {"n": len(every), "p99": round(_percentile(every, 0.99), 3)}
    return found


def _stored(database_url: str, others: list[str], imported: list[str]) -> tuple[dict[str, int], list[int]]:
    """How many doses each idempotency key of the other patients holds; the labs of each import's patient."""
    from b12care.bootstrap import bootstrap
    from b12care.config import Settings

    counts: dict[str, int] = {}
    with (
        bootstrap(Settings(database_url=database_url, secret_key=SECRET)) as app,
        app.uow(read_only=True) as uow,
    ):
        for doses in uow.doses.list_for_many(others).values():
            for dose in doses:
                if dose.idempotency_key:
                    counts[dose.idempotency_key] = counts.get(dose.idempotency_key, 0) + 1
        labs = uow.labs.list_for_many(imported)
    return counts, [len(labs.get(patient, [])) for patient in imported]


def import_under_load(
    folder: Path,
    entries: int,
    *,
    imports: int = 3,
    clients: int = 4,
    quiet: float = 3.0,
    others: int = 8,
    limit: int = 2000,
) -> dict[str, Any]:
    """Serve on loopback, let ``clients`` other users work, import the bundle ``imports`` times (each
    for a patient of its own) meanwhile; the summary."""
    from loopback import free_port, start_server

    database_url = f"sqlite:///{folder / 'load.db'}"
    clinic, targets, rest = _seed(database_url, others, imports)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("B12CARE_")} | {
        "B12CARE_DATABASE_URL": database_url,
        "B12CARE_SECRET_KEY": SECRET,
        "B12CARE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    server = start_server(env, port, 1, folder / "server.log", quiet=True)
    tally, stop, phase = Tally(), threading.Event(), ["quiet"]
    outcome: dict[str, Any] = {}
    try:
        importer, other = _token(server.url, "import.nurse"), _token(server.url, "other.nurse")
        shared = Users(server.url, other, rest, tally, phase, stop, limit)
        users = [threading.Thread(target=_other_user, args=(shared,)) for _ in range(clients)]
        for user in users:
            user.start()
        time.sleep(quiet)
        phase[0] = "import"
        outcome = {"seconds": [], "statuses": [], "imported": [], "issues": []}
        for number in range(imports):
            bundle = probe_bundle(f"HA{number + 1}", entries)
            started = time.perf_counter()
            response = httpx.post(
                f"{server.url}/api/v1/fhir/import",
                params={"clinic": clinic},
                json=bundle,
                headers={"Authorization": f"Bearer {importer}"},
                timeout=600,
            )
            outcome["seconds"].append(round(time.perf_counter() - started, 2))
            outcome["statuses"].append(response.status_code)
            report = response.json() if response.status_code == 200 else {}
            outcome["imported"].append(len(report.get("imported", [])))
            outcome["issues"].append(len(report.get("issues", [])))
        phase[0] = "after"  # others' requests after the last import are not counted
        stop.set()
        for user in users:
            user.join()
    finally:
        stop.set()
        server.stop()
    stored, labs = _stored(database_url, rest, targets)
    missing = [key for _, key in tally.acknowledged if stored.get(key, 0) != 1]
    return {
        "entries": entries,
        "clients": clients,
        "import": outcome,
        "others": {"quiet": _latency(tally, "quiet"), "import": _latency(tally, "import")},
        "statuses": dict(sorted(tally.statuses.items())),
        "doses": {"acknowledged": len(tally.acknowledged), "not_stored_once": len(missing)},
        "server_log_problems": server.problems(),
        "labs_stored": labs,
    }


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=3000, help="Observations in the bundle (default 3000)")
    parser.add_argument("--baseline", type=Path, help="a source tree (with src/) to time beside this one")
    parser.add_argument("--clients", type=int, default=4, help="other users during the import (default 4)")
    parser.add_argument("--imports", type=int, default=10, help="imports under load, one after another (10)")
    parser.add_argument("--no-load", action="store_true", help="time the import rate only")
    parser.add_argument("--rate-only", action="store_true", help=argparse.SUPPRESS)  # the baseline child
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.rate_only:
        print(json.dumps(time_import(options.database_url, options.entries)))
        return 0
    sys.path.append(str(Path(__file__).resolve().parent))
    folder = Path(tempfile.mkdtemp(prefix="b12care-bench-fhir-"))
    print(f"machine: {_machine()}; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rate = time_import(f"sqlite:///{folder / 'rate.db'}", options.entries)
    verdict = "PASS" if rate["seconds"] <= TARGET_SECONDS else "FAIL"
    print(f"this tree: {json.dumps(rate)}  [{verdict}: target <= {TARGET_SECONDS:g} s]", flush=True)
    if options.baseline is not None:
        base = time_import_elsewhere(options.baseline, options.entries, folder)
        print(f"baseline ({options.baseline}): {json.dumps(base)}", flush=True)
    if not options.no_load:
        summary = import_under_load(folder, options.entries, imports=options.imports, clients=options.clients)
        p99 = summary["others"]["import"]["all"]["p99"]
        errors = sum(n for status, n in summary["statuses"].items() if not status.startswith("2"))
        imported = all(status == 200 for status in summary["import"]["statuses"])
        ok = imported and p99 < TARGET_P99 and errors == 0 and summary["doses"]["not_stored_once"] == 0
        print(f"under load: {json.dumps(summary)}")
        verdict = "PASS" if ok else "FAIL"
        print(f"{verdict}: other users' p99 during the import {p99} s (target < {TARGET_P99:g} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
