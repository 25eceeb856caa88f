"""Soak test on loopback (issue 6): mixed clinic traffic from many clients for minutes, on a real server.

    .venv/bin/python benchmarks/soak.py                        # SQLite, 1 worker, 100 clients, 10 min
    .venv/bin/python benchmarks/soak.py --database postgresql  # PostgreSQL, --workers 2
    .venv/bin/python benchmarks/soak.py --clients 10 --seconds 30 --warmup 10   # a quick look

Builds a fresh database (a SQLite file under /tmp, or the PostgreSQL database ``b12care_bench_soak`` on
127.0.0.1:5432), seeds a demo clinic of ``--patients`` patients (``seed_demo``: every stage of
treatment) and one clinician, writes an issuers file trusting a fake EHR (``fake_ehr``: the documented
issuers format, a generated key pair) and starts ``b12care serve`` as it ships on a free loopback port
(1 worker on SQLite, ``--workers`` on PostgreSQL).

Then ``--clients`` simulated users (asyncio + httpx, each its own connection and cookies) log in - the
web login form for the session cookie, ``/api/v1/auth/token`` for the API's bearer token - and each
runs a bounded loop (until the deadline, and at most ``--max-requests``) of, by ``--mix`` weights:

- ``dashboard``: ``GET /`` with the session cookie (counts and the first page of the recall list);
- ``forecast``: ``GET /api/v1/patients/{id}/forecast`` of a random patient;
- ``dose``: ``POST /api/v1/patients/{id}/doses`` dated today with a fresh idempotency key (the drug,
  dose and route of the patient's own plan);
- ``dose_retry``: a dose posted, then posted again with the same key: must answer the same record;
- ``cds``: ``POST /cds-services/b12care-patient-view`` with the EHR's prefetch and a freshly signed JWT.

``--think`` seconds (uniform 0..2x, default 0) between a user's requests: 0 keeps every client waiting
on the server all the time (a saturation test). Errors are any non-2xx answer, an answer without what
it should hold, or an exception (timeouts included), from the first request to the last; latencies
are of the requests started in the measured window (after ``--warmup``). The server's memory (RSS of
its process tree, from /proc) is sampled every ``--sample-every`` seconds; **flat** means the mean of
the last minute of the window is at most ``--max-growth`` per cent above the mean of its first minute
(windows of a third of the run when it is shorter than three minutes). At the end every acknowledged
dose must be stored exactly once. Verdict: errors == 0, memory flat and doses intact, else exit 1.

Prints a table and writes everything (per kind count, errors with the first distinct messages,
p50/p95/p99/max, throughput, memory samples and slope, CPU of server and load generator, load
average) to ``--json`` (default ``soak-<database>.json`` under /tmp). The load generator shares the
machine's cores with the server (and with PostgreSQL): its CPU share is in the report.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import resource
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from b12care.application.accounts import Accounts
from b12care.application.demo import seed_demo
from b12care.application.treatment import Services
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from bench_db import BenchDatabase
from fake_ehr import ALGORITHMS, SERVICE, hook_request, load_private_key, sign, write_keys
from loopback import Server, free_port, load_average, percentile, server_stack, start_server

NAME = "b12care_bench_soak"
SECRET = "soak-benchmark-secret-key-of-at-least-32-characters"
USERNAME = "soak.clinician"
PASSWORD = "soak password 1234"
KINDS = ("dashboard", "forecast", "dose", "dose_retry", "cds")
DEFAULT_MIX = "dashboard=25,forecast=35,dose=12,dose_retry=3,cds=25"
MAX_MESSAGES = 8  # distinct error messages kept (each with its count)
LOGINS_AT_ONCE = 4  # argon2id takes 64 MiB per check: logins queue instead of piling up in the server
MINUTE = 60.0
# The web app's cookie names (entrypoints/web/session.py), as a browser sees them: a rename fails the
# smoke test's logins. (Not imported: the benchmark talks to the server over HTTP only.)
SESSION_COOKIE = "b12care_session"
CSRF_COOKIE = "b12care_login_csrf"


# ----------------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    """What a soak run does (the command line's options)."""

    clients: int = 100
    seconds: float = 600.0
    warmup: float = 60.0
    patients: int = 500
    max_requests: int = 100_000  # per client: bounded even if the clock misbehaves
    mix: Mapping[str, int] = field(default_factory=lambda: parse_mix(DEFAULT_MIX))
    think: float = 0.0
    timeout: float = 30.0
    sample_every: float = 10.0
    max_growth: float = 10.0  # per cent
    alg: str = "ES384"
    workers: int = 1
    seed: int = 6


def parse_mix(text: str) -> dict[str, int]:
    """``kind=weight,...`` -> weights; every kind named once, each weight 1..1000."""
    mix: dict[str, int] = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        kind = kind.strip()
        if kind not in KINDS or kind in mix or not weight.strip().isdigit():
            raise ValueError(f"--mix: {part!r} is not kind=weight with a kind of {', '.join(KINDS)}")
        mix[kind] = int(weight)
        if not 0 <= mix[kind] <= 1000:
            raise ValueError(f"--mix: the weight of {kind} must be 0..1000")
    if sum(mix.values()) == 0:
        raise ValueError("--mix: at least one weight must be above 0")
    return mix


# ------------------------------------------------------------------------------------------ set-up


@dataclass(frozen=True)
class Target:
    """One patient as the clients use it: its id, the dose its plan gives, its CDS hook call body."""

    patient_id: str
    dose: dict[str, Any]
    hook: bytes


@dataclass(frozen=True)
class Clinic:
    """The seeded clinic: its id and the patients the clients pick from."""

    clinic_id: str
    targets: list[Target]


def _dose_of(services: Services, patient_id: str) -> dict[str, Any]:
    """The drug, dose and route of the patient's own plan (the first planned dose): a dose body."""
    plan = services.view(patient_id).forecast.plan
    planned = next(dose for phase in plan.phases for dose in phase.doses)
    return {
        "drug": plan.selection.regimen.drug,
        "dose": str(planned.dose.value),
        "unit": planned.dose.unit,
        "route": planned.route,
        "site": "left deltoid",
    }


def prepare(app: App, patients: int) -> Clinic:
    """Seed the demo clinic and its clinician; build each patient's dose body and hook call."""
    services = Services(app.uow, app.clock)
    ids = list(seed_demo(services, count=patients, as_of=app.clock().date()))
    with app.uow(read_only=True) as uow:
        clinic_id = uow.patients.get(ids[0]).clinic_id
        references = {pid: uow.patients.get(pid).reference for pid in ids}
    accounts = Accounts(app.uow, app.clock, SECRET)
    accounts.add_user(USERNAME, PASSWORD, "clinician", [clinic_id], "soak")
    targets = [
        Target(
            pid, _dose_of(services, pid), json.dumps(hook_request(services, pid, references[pid])).encode()
        )
        for pid in ids
    ]
    return Clinic(clinic_id, targets)


def stored_doses(app: App, patient_ids: list[str]) -> dict[str, int]:
    """How many doses are stored under each idempotency key the soak used."""
    with app.uow(read_only=True) as uow:
        found = uow.doses.list_for_many(patient_ids)
    counts: dict[str, int] = {}
    for doses in found.values():
        for dose in doses:
            key = dose.idempotency_key
            if key is not None and key.startswith("soak-"):
                counts[key] = counts.get(key, 0) + 1
    return counts


# ------------------------------------------------------------------------------------------- load


@dataclass
class Tally:
    """What the clients saw: latencies per kind (measured window), counts and errors (whole run)."""

    window_start: float
    window_end: float
    warmup: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*KINDS, "login"), 0))
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*KINDS, "login"), 0))
    messages: dict[str, int] = field(default_factory=dict)
    first_seen: dict[str, float] = field(default_factory=dict)  # message -> seconds after the load began
    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key -> dose id

    def record(self, kind: str, sent: float, done: float, problem: str | None) -> None:
        """Count one request; keep its latency if it started in the window; note its problem if any."""
        self.totals[kind] += 1
        if self.window_start <= sent < self.window_end and kind != "login":
            self.latencies[kind].append(done - sent)
        if problem is not None:
            self.errors[kind] += 1
            message = f"{kind}: {problem}"[:300]
            if message in self.messages or len(self.messages) < MAX_MESSAGES:
                self.messages[message] = self.messages.get(message, 0) + 1
                began = self.window_start - self.warmup
                self.first_seen.setdefault(message, round(sent - began, 1) if self.window_end else 0.0)


def _problem(
    response: httpx.Response, expected: int, check: Callable[[Any], bool] | None = None
) -> str | None:
    """None when the answer has the expected status (and passes ``check``), else what was wrong."""
    if response.status_code != expected:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if check is not None:
        try:
            ok = check(response.json())
        except ValueError:
            ok = False
        if not ok:
            return f"HTTP {response.status_code} without what it should hold: {response.text[:200]}"
    return None


def deck_of(mix: Mapping[str, int], rng: random.Random) -> list[str]:
    """A client's cycle of request kinds by weight: one of each used kind first, then shuffled."""
    used = [k for k in KINDS if mix.get(k, 0) > 0]
    rest = [k for k in used for _ in range(mix[k] - 1)]
    rng.shuffle(used)
    rng.shuffle(rest)
    return used + rest


class Client:
    """One simulated user: its own connection, session cookie and API token."""

    def __init__(self, index: int, base: str, clinic: Clinic, options: Options, tally: Tally) -> None:
        self.index = index
        self.clinic = clinic
        self.options = options
        self.tally = tally
        self.rng = random.Random(options.seed * 1_000_003 + index)
        self.http = self._connection(base, httpx.Cookies())
        self.token = ""
        self.doses = 0

    def _connection(self, base: str, cookies: httpx.Cookies) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base,
            cookies=cookies,
            timeout=self.options.timeout,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    async def reconnect(self) -> None:
        """A new connection with the same cookies: the login's one idled while the others logged in,
        and the server closes idle keep-alive connections (5 s) - a request racing that close fails."""
        old = self.http
        self.http = self._connection(str(old.base_url), old.cookies)
        await old.aclose()

    async def _timed(
        self, kind: str, request: Callable[[], Any], problem: Callable[[Any], str | None]
    ) -> Any:
        sent = time.perf_counter()
        try:
            response = await request()
        except httpx.HTTPError as error:
            self.tally.record(kind, sent, time.perf_counter(), f"{type(error).__name__}: {error}")
            return None
        self.tally.record(kind, sent, time.perf_counter(), problem(response))
        return response

    async def log_in(self) -> bool:
        """The web login (session cookie, double-submit CSRF) and the API login (bearer token)."""
        form = await self._timed("login", lambda: self.http.get("/login"), lambda r: _problem(r, 200))
        csrf = self.http.cookies.get(CSRF_COOKIE, path="/login") if form is not None else None
        if not csrf:
            return False
        fields = {"username": USERNAME, "password": PASSWORD, "csrf": csrf, "next": "/"}

        def session_set(r: httpx.Response) -> str | None:
            if r.status_code != 303 or SESSION_COOKIE not in r.cookies:
                return f"HTTP {r.status_code} without a session cookie: {r.text[:200]}"
            return None

        await self._timed("login", lambda: self.http.post("/login", data=fields), session_set)
        credentials = {"username": USERNAME, "password": PASSWORD}
        answer = await self._timed(
            "login",
            lambda: self.http.post("/api/v1/auth/token", data=credentials),
            lambda r: _problem(r, 200, lambda j: bool(j.get("access_token"))),
        )
        if answer is None or answer.status_code != 200:
            return False
        self.token = answer.json()["access_token"]
        return self.http.cookies.get(SESSION_COOKIE) is not None

    def _api(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _target(self) -> Target:
        return self.clinic.targets[self.rng.randrange(len(self.clinic.targets))]

    async def dashboard(self) -> None:
        """``GET /`` with the session cookie."""

        def page(r: httpx.Response) -> str | None:
            found = _problem(r, 200)
            if found is None and "text/html" not in r.headers.get("content-type", ""):
                return f"HTTP 200 but {r.headers.get('content-type')}, not the dashboard page"
            return found

        await self._timed("dashboard", lambda: self.http.get("/"), page)

    async def forecast(self) -> None:
        """A random patient's forecast through the API."""
        path = f"/api/v1/patients/{self._target().patient_id}/forecast"
        await self._timed(
            "forecast",
            lambda: self.http.get(path, headers=self._api()),
            lambda r: _problem(r, 200, lambda j: "status" in j and "next_dose" in j),
        )

    async def dose(self, retry: bool = False) -> None:
        """Record a dose (fresh key); with ``retry`` post it again and expect the same record back."""
        target = self._target()
        self.doses += 1
        key = f"soak-{self.index}-{self.doses}-{uuid.uuid4().hex[:8]}"
        today = dt.datetime.now(dt.UTC).date().isoformat()
        body = target.dose | {"date": today, "idempotency_key": key}
        path = f"/api/v1/patients/{target.patient_id}/doses"
        first = await self._timed(
            "dose",
            lambda: self.http.post(path, json=body, headers=self._api()),
            lambda r: _problem(r, 201, lambda j: bool(j.get("id"))),
        )
        if first is None or first.status_code != 201:
            return
        dose_id = first.json()["id"]
        self.tally.acknowledged[key] = dose_id
        if retry:
            await self._timed(
                "dose_retry",
                lambda: self.http.post(path, json=body, headers=self._api()),
                lambda r: _problem(r, 201, lambda j: j.get("id") == dose_id),
            )

    async def cds(self, key: Any, audience: str) -> None:
        """A ``patient-view`` call for a random patient with a freshly signed token."""
        token = sign(key, audience, 1, self.options.alg, lifetime=300)[0]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        body = self._target().hook
        await self._timed(
            "cds",
            lambda: self.http.post(f"/cds-services/{SERVICE}", content=body, headers=headers),
            lambda r: _problem(r, 200, lambda j: isinstance(j.get("cards"), list)),
        )

    async def run(self, key: Any, audience: str, deadline: float) -> None:
        """Requests by the deck until the deadline or ``max_requests``, whichever comes first."""
        deck = deck_of(self.options.mix, self.rng)
        for count in range(self.options.max_requests):
            if time.perf_counter() >= deadline:
                return
            kind = deck[count % len(deck)]
            if kind == "dashboard":
                await self.dashboard()
            elif kind == "forecast":
                await self.forecast()
            elif kind in ("dose", "dose_retry"):
                await self.dose(retry=kind == "dose_retry")
            else:
                await self.cds(key, audience)
            if self.options.think > 0:
                await asyncio.sleep(self.rng.uniform(0, 2 * self.options.think))

    async def close(self) -> None:
        """Close the connection."""
        await self.http.aclose()


@dataclass
class Sampler:
    """The server's RSS and the machine's load average every ``every`` seconds."""

    server: Server
    every: float
    samples: list[tuple[float, int]] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)  # 1-minute load average at each sample

    async def run(self, begin: float, end: float) -> None:
        """Sample at ``begin`` and every ``every`` seconds until ``end`` (bounded by the count)."""
        for step in range(int((end - begin) / self.every) + 2):
            at = begin + step * self.every
            at = min(at, end)
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            self.samples.append((time.perf_counter() - begin, self.server.rss_bytes()))
            self.loads.append(float(load_average().split()[0]))
            if at >= end:
                return


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def drive(server: Server, clinic: Clinic, options: Options, key: Any, audience: str) -> dict[str, Any]:
    """Log every client in, run the mixed load, sample the server; return the raw results."""
    tally = Tally(0.0, 0.0, options.warmup)
    clients = [Client(i, server.url, clinic, options, tally) for i in range(options.clients)]
    gate = asyncio.Semaphore(LOGINS_AT_ONCE)

    async def log_in(client: Client) -> bool:
        async with gate:
            return await client.log_in()

    try:
        logged_in = await asyncio.gather(*(log_in(c) for c in clients))
        active = [c for c, ok in zip(clients, logged_in, strict=True) if ok]
        await asyncio.gather(*(c.reconnect() for c in active))
        begin = time.perf_counter()
        tally.window_start = begin + options.warmup
        tally.window_end = tally.window_start + options.seconds
        sampler = Sampler(server, options.sample_every)
        cpu: dict[str, float] = {}

        async def mark_window() -> None:
            await asyncio.sleep(options.warmup)
            cpu["server_start"], cpu["driver_start"] = server.cpu_seconds(), _own_cpu()
            await asyncio.sleep(options.seconds)
            cpu["server_end"], cpu["driver_end"] = server.cpu_seconds(), _own_cpu()

        load_before = load_average()
        await asyncio.gather(
            sampler.run(begin, tally.window_end),
            mark_window(),
            *(c.run(key, audience, tally.window_end) for c in active),
        )
        finished = time.perf_counter()
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    return {
        "tally": tally,
        "samples": sampler.samples,
        "cpu": cpu,
        "clients_logged_in": len(active),
        "drain_seconds": finished - tally.window_end,
        "load_average": {
            "before": load_before,
            "after": load_average(),
            "1-minute min/mean/max during the run": [
                min(sampler.loads),
                round(statistics.fmean(sampler.loads), 2),
                max(sampler.loads),
            ],
        },
    }


# ----------------------------------------------------------------------------------------- report


def _latency(values: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "rps": len(ordered) / seconds,
        "p50_ms": 1000 * statistics.median(ordered) if ordered else float("nan"),
        "p95_ms": 1000 * percentile(ordered, 0.95),
        "p99_ms": 1000 * percentile(ordered, 0.99),
        "max_ms": 1000 * ordered[-1] if ordered else float("nan"),
    }


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares MiB per minute (NaN for fewer than two distinct times)."""
    if len({t for t, _ in points}) < 2:
        return float("nan")
    return statistics.linear_regression([t for t, _ in points], [m for _, m in points]).slope * MINUTE


def memory_summary(
    samples: list[tuple[float, int]], warmup: float, seconds: float, max_growth: float
) -> dict[str, Any]:
    """First vs last minute of the window (a third of it when shorter than 3 min), slope, flat or not."""
    span = min(MINUTE, seconds / 3)
    end = warmup + seconds
    measured = [(t, rss / 2**20) for t, rss in samples if t >= warmup - 1e-6]
    first = [m for t, m in measured if t <= warmup + span]
    last = [m for t, m in measured if t >= end - span]
    summary: dict[str, Any] = {
        "samples_mib": [(round(t, 1), round(rss / 2**20, 1)) for t, rss in samples],
        "window_seconds": span,
        "max_growth_percent": max_growth,
    }
    if not first or not last:
        return summary | {"flat": False, "why": "too few samples"}
    start, finish = statistics.fmean(first), statistics.fmean(last)
    growth = 100 * (finish - start) / start
    middle = warmup + seconds / 2
    return summary | {
        "first_mib": round(start, 1),
        "last_mib": round(finish, 1),
        "peak_mib": round(max(m for _, m in measured), 1),
        "growth_percent": round(growth, 2),
        "slope_mib_per_min": round(_slope(measured), 3),
        "slope_first_half_mib_per_min": round(_slope([(t, m) for t, m in measured if t <= middle]), 3),
        "slope_second_half_mib_per_min": round(_slope([(t, m) for t, m in measured if t >= middle]), 3),
        "flat": growth <= max_growth,
    }


def summarise(raw: dict[str, Any], options: Options, stored: dict[str, int]) -> dict[str, Any]:
    """The report: per kind and overall, errors, memory, CPU, doses, verdict."""
    tally: Tally = raw["tally"]
    kinds = {
        kind: {
            "requests": len(tally.latencies[kind]),
            "total": tally.totals[kind],
            "errors": tally.errors[kind],
        }
        | _latency(tally.latencies[kind], options.seconds)
        for kind in KINDS
    }
    everything = [v for kind in KINDS for v in tally.latencies[kind]]
    overall = {
        "requests": len(everything),
        "total": sum(tally.totals[k] for k in KINDS),
        "errors": sum(tally.errors[k] for k in KINDS),
    } | _latency(everything, options.seconds)
    cpu = raw["cpu"]
    window = (
        {
            "server_percent": round(100 * (cpu["server_end"] - cpu["server_start"]) / options.seconds, 1),
            "load_generator_percent": round(
                100 * (cpu["driver_end"] - cpu["driver_start"]) / options.seconds, 1
            ),
        }
        if {"server_end", "driver_end"} <= cpu.keys()
        else {}
    )
    duplicated = sorted(k for k, n in stored.items() if n > 1)
    missing = sorted(k for k in tally.acknowledged if stored.get(k, 0) == 0)
    doses = {
        "acknowledged": len(tally.acknowledged),
        "stored": sum(stored.values()),
        "missing": len(missing),
        "duplicated": len(duplicated),
    }
    memory = memory_summary(raw["samples"], options.warmup, options.seconds, options.max_growth)
    errors = overall["errors"] + tally.errors["login"] + (options.clients - raw["clients_logged_in"])
    intact = not missing and not duplicated
    passed = errors == 0 and bool(memory["flat"]) and intact
    line = (
        f"{'PASS' if passed else 'FAIL'}: errors {errors} (must be 0); memory "
        f"{memory.get('first_mib', '?')} -> {memory.get('last_mib', '?')} MiB "
        f"({memory.get('growth_percent', '?')} %, flat means <= {options.max_growth:g} %): "
        f"{'flat' if memory['flat'] else 'NOT flat'}; doses acknowledged {doses['acknowledged']}, "
        f"missing {doses['missing']}, duplicated {doses['duplicated']}"
    )
    return {
        "options": asdict(options) | {"mix": dict(options.mix)},
        "clients_logged_in": raw["clients_logged_in"],
        "kinds": kinds,
        "overall": overall,
        "logins": {"total": tally.totals["login"], "errors": tally.errors["login"]},
        "errors": {"count": errors, "first_messages": tally.messages, "first_seen_s": tally.first_seen},
        "memory": memory,
        "cpu_in_window": window,
        "drain_seconds": round(raw["drain_seconds"], 2),
        "load_average": raw["load_average"],
        "doses": doses,
        "verdict": {"passed": passed, "line": line},
    }


def print_report(summary: dict[str, Any]) -> None:
    """The readable table, memory, CPU, errors and the verdict."""
    columns = ("measured", "all", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
    header = f"{'kind':<11}" + "".join(f"{c:>10}" for c in columns)
    print("\n" + header + "\n" + "-" * len(header))
    rows = [*summary["kinds"].items(), ("all", summary["overall"])]
    for kind, row in rows:
        print(
            f"{kind:<11}{row['requests']:>10,}{row['total']:>10,}{row['errors']:>10,}{row['rps']:>10.1f}"
            f"{row['p50_ms']:>10.1f}{row['p95_ms']:>10.1f}{row['p99_ms']:>10.1f}{row['max_ms']:>10.1f}"
        )
    memory = summary["memory"]
    print(
        f"\nserver RSS (process tree): first {memory['window_seconds']:.0f} s of the window "
        f"{memory.get('first_mib', '?')} MiB, last {memory.get('last_mib', '?')} MiB, peak "
        f"{memory.get('peak_mib', '?')} MiB, slope {memory.get('slope_mib_per_min', '?')} MiB/min "
        f"(halves {memory.get('slope_first_half_mib_per_min', '?')}, "
        f"{memory.get('slope_second_half_mib_per_min', '?')}) "
        f"({len(memory['samples_mib'])} samples)"
    )
    if summary["cpu_in_window"]:
        cpu = summary["cpu_in_window"]
        print(
            f"CPU in the window (100 % = one core): server {cpu['server_percent']} %, "
            f"load generator {cpu['load_generator_percent']} %"
        )
    print(
        f"logins: {summary['logins']['total']} ({summary['logins']['errors']} failed), clients logged in "
        f"{summary['clients_logged_in']}; in-flight requests drained in {summary['drain_seconds']} s"
    )
    load = summary["load_average"]
    print(
        f"load average before {load['before']}; after {load['after']}; 1-minute min/mean/max during the "
        f"run {load['1-minute min/mean/max during the run']}"
    )
    for message, count in summary["errors"]["first_messages"].items():
        seen = summary["errors"]["first_seen_s"][message]
        print(f"error x{count} (first {seen} s into the load; 0 = at login): {message}")
    print(summary["verdict"]["line"])


# ------------------------------------------------------------------------------------------- run


def soak(database_url: str, options: Options, folder: Path, *, quiet: bool = False) -> dict[str, Any]:
    """Seed, serve, drive, check the stored doses; return the summary (the server is stopped after)."""
    say: Callable[[str], None] = (lambda _: None) if quiet else (lambda text: print(text, flush=True))
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=database_url, secret_key=SecretStr(SECRET), public_url=public_url)
    started = time.perf_counter()
    with bootstrap(settings) as app:
        clinic = prepare(app, options.patients)
    say(f"seeded {options.patients:,} demo patients and a clinician in {time.perf_counter() - started:.0f} s")
    key_path, issuers = write_keys(folder, clinic.clinic_id, public_url, options.alg)
    env = {k: v for k, v in os.environ.items() if not k.startswith("B12CARE_")} | {
        "B12CARE_DATABASE_URL": database_url,
        "B12CARE_SECRET_KEY": SECRET,
        "B12CARE_PUBLIC_URL": public_url,
        "B12CARE_CDS_ISSUERS_FILE": str(issuers),
    }
    server = start_server(env, port, options.workers, folder / "server.log", quiet=quiet)
    try:
        say(
            f"load: {options.clients} clients, {options.warmup:g} s warm-up + {options.seconds:g} s "
            "measured, "
            f"mix {dict(options.mix)}, think {options.think:g} s, {options.workers} worker(s)"
        )
        raw = asyncio.run(
            drive(server, clinic, options, load_private_key(key_path), f"{public_url}/cds-services")
        )
    finally:
        server.stop()
    problems = server.problems()
    with bootstrap(settings) as app:
        stored = stored_doses(app, [t.patient_id for t in clinic.targets])
    summary = summarise(raw, options, stored)
    return summary | {"server_log_problems": problems}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="server workers on PostgreSQL (default 2)")
    parser.add_argument("--clients", type=int, default=100, help="concurrent simulated users (default 100)")
    parser.add_argument("--seconds", type=float, default=600.0, help="measured window (default 600)")
    parser.add_argument("--warmup", type=float, default=60.0, help="unmeasured warm-up (default 60)")
    parser.add_argument("--patients", type=int, default=500, help="demo patients to seed (default 500)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per client (default 100,000)")
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"kind=weight,... (default {DEFAULT_MIX})")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a user's requests (s)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request (default 30 s)")
    parser.add_argument("--sample-every", type=float, default=10.0, help="RSS sampling period (default 10 s)")
    parser.add_argument("--max-growth", type=float, default=10.0, help="flat: last vs first minute, per cent")
    parser.add_argument(
        "--alg", choices=ALGORITHMS, default="ES384", help="EHR JWT algorithm (default ES384)"
    )
    parser.add_argument(
        "--json", type=Path, help="where to write the JSON report (default /tmp/soak-DB.json)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary files")
    return parser


def _options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Options:
    bounds = (
        1 <= args.clients <= 1000,
        0 < args.seconds <= 3600,
        0 <= args.warmup <= 600,
        1 <= args.patients <= 20_000,
        1 <= args.max_requests <= 10_000_000,
        0 <= args.think <= 60,
        0 < args.timeout <= 300,
        0.5 <= args.sample_every <= 120,
        1 <= args.workers <= 16,
    )
    if not all(bounds):
        parser.error(
            "bounded work: --clients 1..1000, --seconds 0..3600, --warmup 0..600, --patients 1..20,000, "
            "--max-requests 1..10,000,000, --think 0..60, --timeout 0..300, --sample-every 0.5..120, "
            "--workers 1..16"
        )
    try:
        mix = parse_mix(args.mix)
    except ValueError as error:
        parser.error(str(error))
    return Options(
        clients=args.clients,
        seconds=args.seconds,
        warmup=args.warmup,
        patients=args.patients,
        max_requests=args.max_requests,
        mix=mix,
        think=args.think,
        timeout=args.timeout,
        sample_every=args.sample_every,
        max_growth=args.max_growth,
        alg=args.alg,
        workers=1 if args.database == "sqlite" else args.workers,
    )


def _machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {cpu}",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "server": server_stack(),
    }


def main() -> int:
    """Run the soak from the command line; 0 when the verdict passes, 1 when it fails."""
    parser = _parser()
    args = parser.parse_args()
    options = _options(parser, args)
    command = shlex.join([sys.executable, *sys.argv])
    machine = _machine()
    print(
        f"command: {command}\nmachine: {machine['machine']}, Python {machine['python']}, {machine['server']}"
    )
    print(f"load average before set-up: {load_average()}", flush=True)
    database = BenchDatabase(NAME, args.database)
    database.drop()
    database.create()
    folder = Path(tempfile.mkdtemp(prefix="b12care-soak-"))
    try:
        summary = soak(database.url(), options, folder)
    finally:
        if not args.keep:
            database.drop()
            shutil.rmtree(folder, ignore_errors=True)
    summary = (
        {"command": command, "database": args.database, "finished": dt.datetime.now(dt.UTC).isoformat()}
        | machine
        | summary
    )
    print_report(summary)
    for line in summary["server_log_problems"]:
        print(f"server log: {line}")
    out = args.json or Path(f"/tmp/soak-{args.database}.json")
    out.write_text(json.dumps(summary, indent=1))
    print(f"JSON report: {out}")
    return 0 if summary["verdict"]["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
