"""API load on loopback (issue 4): CDS Hooks ``patient-view`` latency and throughput, measured.

    .venv/bin/python benchmarks/api_load.py --database sqlite
    .venv/bin/python benchmarks/api_load.py --database postgresql        # served by 2 workers
    .venv/bin/python benchmarks/api_load.py --database sqlite --alg RS384   # RSA tokens (ES384 default)

Builds a fresh database (a SQLite file under /tmp, or the dedicated PostgreSQL database
``b12care_bench_api`` on 127.0.0.1:5432, user postgres), seeds a demo clinic of ``--patients`` patients
(``seed_demo``: every stage of treatment), writes an issuers file trusting a fake EHR (a generated
``--alg`` key pair: ES384 on P-384, or RS384 with a 2048-bit RSA key; mapped to the demo clinic) and
starts ``b12care serve`` as a subprocess on a free loopback port (1 worker on SQLite, ``--workers`` on
PostgreSQL), as it ships: uvicorn with uvloop and httptools when installed, no access log. The load
generator runs in a second process (this script with ``--drive``): asyncio + httpx, ``--clients``
concurrent connections, each posting ``patient-view`` calls for random demo patients with the prefetch an
EHR sends (Patient, Observations, MedicationAdministrations, from b12care's own FHIR export). Every call
carries a fresh JWT (the server refuses a replayed ``jti``); the tokens are signed before the timed
window, so signing costs neither the server nor the measured latency. After ``--warmup`` seconds it
measures for ``--seconds``: p50/p90/p99/max latency, requests per second, errors (any non-200). Targets:
p99 <= 50 ms, >= 500 req/s. The server, its database and the temporary files are removed at the end
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from b12care.application.demo import seed_demo
from b12care.application.treatment import Services
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from bench_db import BenchDatabase
from fake_ehr import ALGORITHMS, SERVICE, hook_request, load_private_key, sign, write_keys
from loopback import Server, free_port, load_average, percentile, server_stack, start_server

NAME = "b12care_bench_api"
SECRET = "api-load-benchmark-secret-key-of-at-least-32-chars"
TARGET_P99_MS = 50.0
TARGET_RPS = 500.0
MAX_POOL = 2000  # distinct patients whose prefetch is built (the calls pick among them at random)


# ---------------------------------------------------------------------------------------------- set-up


def seed(app: App, count: int, pool: int) -> tuple[str, list[dict[str, Any]]]:
    """Seed the demo clinic; return its id and the hook requests of up to ``pool`` of its patients."""
    services = Services(app.uow, app.clock)
    started = time.perf_counter()
    ids = list(seed_demo(services, count=count, as_of=app.clock().date()))
    print(f"seeded {count:,} demo patients in {time.perf_counter() - started:.0f} s", flush=True)
    with app.uow() as uow:
        clinic_id = uow.patients.get(ids[0]).clinic_id
    requests = []
    for patient_id in random.Random(4).sample(ids, min(pool, len(ids))):
        with app.uow() as uow:
            reference = uow.patients.get(patient_id).reference
        requests.append(hook_request(services, patient_id, reference))
    return clinic_id, requests


# ------------------------------------------------------------------------------------- load generator


async def _drive(config: dict[str, Any]) -> dict[str, Any]:
    """Post hook calls from ``clients`` connections; latencies of the calls started in the window."""
    bodies = [json.dumps(r).encode() for r in config["requests"]]
    private_key = load_private_key(Path(config["key"]))
    audience = f"{config['public_url']}/cds-services"
    started = time.perf_counter()
    tokens = sign(private_key, audience, config["tokens"], config["alg"])
    signing = time.perf_counter() - started
    extra_signed = 0
    rng = random.Random(7)
    url = f"{config['url']}/cds-services/{SERVICE}"
    clients, warmup, seconds = config["clients"], config["warmup"], config["seconds"]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    first_error: list[str] = []
    cards: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as http:
        begin = time.perf_counter()
        window_start = begin + warmup
        window_end = window_start + seconds

        async def client() -> None:
            nonlocal extra_signed
            for _ in range(config["max_calls_per_client"]):  # bounded even if the clock misbehaves
                if time.perf_counter() >= window_end:
                    return
                if tokens:
                    token = tokens.pop()
                else:  # the pool ran dry: sign here (outside the measured interval)
                    token = sign(private_key, audience, 1, config["alg"])[0]
                    extra_signed += 1
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                body = bodies[rng.randrange(len(bodies))]
                sent = time.perf_counter()
                try:
                    response = await http.post(url, content=body, headers=headers)
                    status = response.status_code
                except httpx.HTTPError as error:
                    status, response = 0, None
                    if not first_error:
                        first_error.append(repr(error))
                done = time.perf_counter()
                if sent < window_start or done > window_end:
                    continue
                latencies.append(done - sent)
                statuses[status] = statuses.get(status, 0) + 1
                if response is not None and status == 200:
                    if len(cards) < 1000:
                        cards.append(len(response.json()["cards"]))
                elif response is not None and not first_error:
                    first_error.append(f"{status}: {response.text[:300]}")

        await asyncio.gather(*(client() for _ in range(clients)))
    return {
        "latencies": latencies,
        "statuses": statuses,
        "first_error": first_error[0] if first_error else None,
        "cards": cards,
        "signing_s": signing,
        "tokens": config["tokens"],
        "extra_signed": extra_signed,
        "seconds": seconds,
        "loadavg_after": load_average(),
    }


def drive(config_path: Path) -> None:
    """The driver process: read the config, run the load, print the results as JSON."""
    config = json.loads(config_path.read_text())
    results = asyncio.run(_drive(config))
    Path(config["out"]).write_text(json.dumps(results))


# -------------------------------------------------------------------------------------------- report


def summarise(label: str, results: dict[str, Any]) -> dict[str, Any]:
    values = sorted(results["latencies"])
    statuses = {int(k): v for k, v in results["statuses"].items()}
    ok = statuses.get(200, 0)
    errors = sum(v for k, v in statuses.items() if k != 200)
    row = {
        "run": label,
        "requests": len(values),
        "rps": len(values) / results["seconds"],
        "p50": 1000 * statistics.median(values) if values else float("nan"),
        "p90": 1000 * percentile(values, 0.90) if values else float("nan"),
        "p99": 1000 * percentile(values, 0.99) if values else float("nan"),
        "max": 1000 * values[-1] if values else float("nan"),
        "ok": ok,
        "errors": errors,
    }
    return row


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = ("requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms")
    header = f"{'run':<38} " + " ".join(f"{c:>8}" for c in columns) + f" {'errors':>7}"
    print("\n" + header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['run']:<38} {r['requests']:>8,} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p90']:>8.1f} "
            f"{r['p99']:>8.1f} {r['max']:>8.1f} {r['errors']:>7}"
        )


def report(label: str, results: dict[str, Any]) -> None:
    """Print the table, the token and card counts and whether the targets were met."""
    row = summarise(label, results)
    print_table([row])
    cards = results["cards"]
    print(
        f"\ntokens signed before the run: {results['tokens']:,} in {results['signing_s']:.1f} s; "
        f"signed during it: {results['extra_signed']:,}; cards per 200 answer: "
        f"mean {statistics.fmean(cards) if cards else 0:.2f} (max {max(cards, default=0)})"
    )
    print(f"load average at the end of the run: {results['loadavg_after']}")
    if results["first_error"]:
        print(f"first error: {results['first_error']}")
    print(
        f"targets: p99 <= {TARGET_P99_MS:.0f} ms: {'met' if row['p99'] <= TARGET_P99_MS else 'MISSED'}; "
        f">= {TARGET_RPS:.0f} req/s: {'met' if row['rps'] >= TARGET_RPS else 'MISSED'}; "
        f"errors = 0: {'met' if row['errors'] == 0 else 'MISSED'}"
    )


# ---------------------------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patients", type=int, default=1000, help="demo patients to seed (default 1000)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window (default 20)")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured warm-up (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="server workers on PostgreSQL (default 2)")
    parser.add_argument("--alg", choices=ALGORITHMS, default="ES384", help="JWT algorithm (default ES384)")
    parser.add_argument(
        "--tokens", type=int, default=0, help="JWTs signed before the run (default 1000 per second of run)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and temporary files")
    parser.add_argument("--drive", type=Path, help=argparse.SUPPRESS)  # the load generator process
    return parser


def main() -> None:
    parser = _parser()
    args = parser.parse_args()
    if args.drive is not None:
        drive(args.drive)
        return
    if not 1 <= args.clients <= 1000 or not 0 < args.seconds <= 600 or not 0 <= args.warmup <= 120:
        parser.error("--clients 1..1000, --seconds 0..600, --warmup 0..120")

    print(
        f"command: {shlex.join([sys.executable, *sys.argv])}\n"
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}\nload average before: {load_average()}; server: {server_stack()}"
    )
    workers = 1 if args.database == "sqlite" else args.workers
    database = BenchDatabase(NAME, args.database)
    database.drop()
    database.create()
    folder = Path(tempfile.mkdtemp(prefix="b12care-api-load-"))
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=database.url(), secret_key=SecretStr(SECRET), public_url=public_url)
    server: Server | None = None
    try:
        with bootstrap(settings) as app:
            clinic_id, requests = seed(app, args.patients, MAX_POOL)
        key, issuers = write_keys(folder, clinic_id, public_url, args.alg)
        env = os.environ | {
            "B12CARE_DATABASE_URL": database.url(),
            "B12CARE_SECRET_KEY": SECRET,
            "B12CARE_PUBLIC_URL": public_url,
            "B12CARE_CDS_ISSUERS_FILE": str(issuers),
        }
        try:
            server = start_server(env, port, workers, folder / "server.log")
        except RuntimeError as error:
            raise SystemExit(str(error)) from None
        tokens = args.tokens or int(1000 * (args.seconds + args.warmup))
        config = {
            "url": server.url,
            "public_url": public_url,
            "key": str(key),
            "requests": requests,
            "clients": args.clients,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "tokens": tokens,
            "alg": args.alg,
            "max_calls_per_client": 1_000_000,
            "out": str(folder / "results.json"),
        }
        config_path = folder / "drive.json"
        config_path.write_text(json.dumps(config))
        print(
            f"load: {args.clients} clients, {args.warmup:.0f} s warm-up + {args.seconds:.0f} s measured, "
            f"{len(requests)} distinct patients, {tokens:,} pre-signed {args.alg} tokens; database "
            f"{args.database}, {workers} worker(s); the load generator shares the machine's cores",
            flush=True,
        )
        subprocess.run([sys.executable, __file__, "--drive", str(config_path)], check=True)
        results = json.loads((folder / "results.json").read_text())
    finally:
        if server is not None:
            server.stop()
            server.print_problems()
        if not args.keep:
            database.drop()
            for path in sorted(folder.glob("*")):
                path.unlink()
            folder.rmdir()
    report(f"patient-view, {args.database}, {workers} worker(s), {args.alg}", results)
    if not args.keep:
        print(f"removed the {args.database} benchmark database and the temporary files")


if __name__ == "__main__":
    main()
