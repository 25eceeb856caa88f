"""A full disk or a read-only database refuses writes with a clear error everywhere - the API (503 problem
JSON), the web app (the message on the page) and the CLI (one line, exit 5) - stores no partial record,
and the service writes again by itself once an admin has made room or made the database writable.

Real faults, no mocks: the SQLite file lives on a tiny tmpfs that the test fills to the last byte, or
remounts read-only, under the running server; PostgreSQL's database is switched to
``default_transaction_read_only`` (as an admin would, or a failover to a hot standby) on a private cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fault_helpers import (
    PROBLEM_JSON,
    csrf_of,
    dose_body,
    environment,
    free_port,
    key_for,
    logged_in,
    run_cli,
    serving,
    set_up_clinic,
    sqlite_integrity,
    stored,
    web_session,
)
from fault_places import PrivateCluster, filled, remounted_read_only, tiny_tmpfs

from b12care.entrypoints.cli.faults import EXIT_STORAGE_NEEDS_ADMIN

TMPFS_SIZE = "8m"  # the migrated database and a few writes fit; filling the rest takes a moment
MAX_WRITES_TO_FILL = 200  # a write may still fit in the WAL's room after the disk is full: bounded


@dataclass
class Faces:
    """The three ways in, on one running server: API client, logged-in browser session, CLI environment."""

    http: httpx.Client
    web: httpx.Client
    env: dict[str, str]
    patient_id: str


@contextmanager
def _faces(database_url: str, log: Path, *serve_args: str) -> Iterator[Faces]:
    env = environment(database_url)
    patient_id = set_up_clinic(database_url).patient_id
    with (
        serving(env, log, *serve_args) as server,
        logged_in(server.base) as http,
        web_session(server.base) as web,
    ):
        yield Faces(http, web, env, patient_id)


def _record(faces: Faces, n: int) -> httpx.Response:
    return faces.http.post(f"/api/v1/patients/{faces.patient_id}/doses", json=dose_body("api", n))


def _assert_refused_everywhere(faces: Faces, n: int, fault: str, says: str) -> None:
    """Dose ``n`` refused on every face with the fault's message; reading still works."""
    api = _record(faces, n)
    assert api.status_code == 503, api.text
    assert api.headers["content-type"] == PROBLEM_JSON
    problem = api.json()
    assert problem["fault"] == fault
    assert says in problem["detail"] and "an admin must" in problem["detail"]
    assert "Retry-After" not in api.headers  # not transient: it needs an admin, not a retry
    assert "SELECT" not in api.text and "INSERT" not in api.text  # no SQL reaches the client

    page = faces.web.get(f"/patients/{faces.patient_id}")  # reading still works
    assert page.status_code == 200
    form = {**dose_body("web", n), "dose": "1", "csrf": csrf_of(page.text)}
    posted = faces.web.post(f"/patients/{faces.patient_id}/doses", data=form, follow_redirects=False)
    assert posted.status_code == 503, posted.status_code
    assert posted.headers["content-type"].startswith("text/html")
    assert says in posted.text and "nothing was changed" in posted.text

    cli = run_cli(faces.env, "dose", "record", faces.patient_id, "--date", "2026-01-05",
                  "--drug", "hydroxocobalamin", "--dose", "1", "--unit", "mg", "--route", "IM",
                  "--key", key_for("cli", n))  # fmt: skip
    assert cli.returncode == EXIT_STORAGE_NEEDS_ADMIN, cli.stderr
    assert cli.stdout == ""
    assert cli.stderr.count("\n") == 1 and cli.stderr.startswith("error: ")
    assert says in cli.stderr and "Traceback" not in cli.stderr


def test_a_full_disk_refuses_writes_clearly_stores_no_partial_record_and_recovers(tmp_path: Path) -> None:
    with tiny_tmpfs(TMPFS_SIZE) as place:
        database = place / "b12care.db"
        url = f"sqlite:///{database}"
        with _faces(url, tmp_path / "server.log") as faces:
            assert _record(faces, 0).status_code == 201
            with filled(place):
                # The WAL may still have room for a write or two: write until the disk says no.
                n, answer = 1, _record(faces, 1)
                while answer.status_code == 201 and n < MAX_WRITES_TO_FILL:
                    n += 1
                    answer = _record(faces, n)
                assert answer.status_code == 503, answer.text
                before = stored(url, faces.patient_id)
                assert key_for("api", n) not in before.doses
                _assert_refused_everywhere(faces, n, "full", "disk is full")
                assert stored(url, faces.patient_id) == before  # nothing partial: no dose, no audit entry
            # The admin freed space: the same dose is stored now, by the same running server.
            assert _record(faces, n).status_code == 201
        after = stored(url, faces.patient_id)
        assert sqlite_integrity(database) == "ok"
    assert after.doses == [key_for("api", k) for k in range(n + 1)]
    assert sorted(after.audited) == after.doses
    assert after.forecast_matches_record


def test_a_read_only_sqlite_database_is_refused_in_one_line_by_the_cli_and_serve_and_stays_intact(
    tmp_path: Path,
) -> None:
    # A running server holds the file open for writing, so Linux will not remount its filesystem
    # read-only under it: the read-only SQLite database is met at start-up (API and pages on a read-only
    # database: PostgreSQL, below).
    with tiny_tmpfs(TMPFS_SIZE) as place:
        database = place / "b12care.db"
        url = f"sqlite:///{database}"
        env = environment(url)
        patient_id = set_up_clinic(url).patient_id
        before = stored(url, patient_id)
        record = ("dose", "record", patient_id, "--date", "2026-01-05", "--drug", "hydroxocobalamin",
                  "--dose", "1", "--unit", "mg", "--route", "IM", "--key", key_for("cli", 0))  # fmt: skip
        with remounted_read_only(place):
            for refused in (run_cli(env, *record), run_cli(env, "serve", "--port", str(free_port()))):
                assert refused.returncode == EXIT_STORAGE_NEEDS_ADMIN, refused.stderr
                assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("error: ")
                assert "read-only" in refused.stderr and "an admin must" in refused.stderr
        assert stored(url, patient_id) == before
        assert sqlite_integrity(database) == "ok"
        written = run_cli(env, *record)  # writable again: the same command works
        assert written.returncode == 0, written.stderr
        assert stored(url, patient_id).doses == [key_for("cli", 0)]


def test_a_read_only_postgresql_database_refuses_writes_clearly_and_recovers_by_itself(
    cluster: PrivateCluster, tmp_path: Path
) -> None:
    url = cluster.create_database("b12care_read_only")
    with _faces(url, tmp_path / "server.log") as faces:
        assert _record(faces, 0).status_code == 201
        before = stored(url, faces.patient_id)
        cluster.set_read_only("b12care_read_only", True)
        try:
            _assert_refused_everywhere(faces, 1, "read_only", "read-only")
            assert stored(url, faces.patient_id) == before
        finally:
            cluster.set_read_only("b12care_read_only", False)
        assert _record(faces, 1).status_code == 201  # the pool reconnected: no restart needed
    after = stored(url, faces.patient_id)
    assert after.doses == [key_for("api", 0), key_for("api", 1)]
    assert after.forecast_matches_record
