"""``b12care serve`` as a real server: started as a subprocess on a free loopback port, driven over HTTP.

One on a temporary SQLite database; one with ``--workers 2`` on a fresh PostgreSQL schema.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from api_helpers import EXAMPLE_CASE, PASSWORD, SECRET

B12CARE = str(Path(sys.executable).parent / "b12care")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [B12CARE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@contextmanager
def _serving(env: dict[str, str], *args: str) -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [B12CARE, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"server exited: {server.stderr.read() if server.stderr else ''}"
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server not ready within 30 s"
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stderr:
            server.stderr.close()


def _environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("B12CARE_")}
    return {**env, "B12CARE_DATABASE_URL": database_url, "B12CARE_SECRET_KEY": SECRET}


def _drive(base: str, clinic_id: str) -> None:
    """Log in, create a patient, record a dose, read the recall list."""
    with httpx.Client(base_url=base, timeout=30) as http:
        login = http.post("/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        body = {
            "clinic_id": clinic_id,
            "reference": "H-1",
            "name": "Ann Example",
            "case": json.loads(EXAMPLE_CASE.read_text()),
        }
        created = http.post("/api/v1/patients", json=body)
        assert created.status_code == 201, created.text
        patient_id = created.json()["patient"]["id"]
        dose = {"date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"}
        recorded = http.post(f"/api/v1/patients/{patient_id}/doses", json=dose)
        assert recorded.status_code == 201, recorded.text
        recall = http.get("/api/v1/recall", params={"as_of": "2027-06-01"})
        assert recall.status_code == 200
        assert patient_id in [r["patient_id"] for r in recall.json()["items"]]
        assert http.get("/openapi.json").status_code == 200


def _set_up(env: dict[str, str]) -> str:
    clinic_id = _cli(env, "clinic", "add", "Riverside Surgery")
    _cli(
        env,
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--clinic",
        clinic_id,
        "--password-stdin",
        stdin=PASSWORD,
    )
    return clinic_id


def test_the_server_serves_the_api_over_http_on_sqlite(tmp_path: Path) -> None:
    env = _environment(f"sqlite:///{tmp_path / 'served.db'}")
    clinic_id = _set_up(env)

    with _serving(env) as base:
        _drive(base, clinic_id)


def test_two_workers_serve_one_postgresql_database(postgres_url: str) -> None:
    env = _environment(postgres_url)
    clinic_id = _set_up(env)

    with _serving(env, "--workers", "2") as base:
        _drive(base, clinic_id)
