"""What the logs hold: a server error is logged as its type, route template and frames - never the values of
the request (names, bodies, ids in the path) - and `b12care serve` writes no access log (paths carry
share-link tokens and patient ids)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from app_helpers import TestClient, World
from b12care.entrypoints.api.headers import SERVER_LOGGER


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: logging does not depend on the database."""
    return f"sqlite:///{tmp_path / 'db' / 'b12care.db'}"


class Lines(logging.Handler):
    """The formatted lines a logger wrote, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logged() -> Iterator[Lines]:
    handler = Lines()
    loggers = [logging.getLogger(name) for name in ("b12care", SERVER_LOGGER)]
    levels = [found.level for found in loggers]
    for found in loggers:
        found.addHandler(handler)
        found.setLevel(logging.DEBUG)
    yield handler
    for found, level in zip(loggers, levels, strict=True):
        found.removeHandler(handler)
        found.setLevel(level)


def test_a_server_error_is_logged_without_the_values_of_the_request(
    api: FastAPI, world: World, logged: Lines
) -> None:
    patient = world.add_patient(name="Ann Example")

    @api.post("/broken/{patient_id}")
    def broken(patient_id: str, body: dict[str, str]) -> None:
        raise RuntimeError(f"could not store {body['name']} for {patient_id}")

    with TestClient(api) as client, pytest.raises(RuntimeError) as raised:
        client.post(f"/broken/{patient}", json={"name": "Ann Example"})
    # What uvicorn does with the error Starlette re-raises after sending the 500 (httptools_impl.py):
    logging.getLogger(SERVER_LOGGER).error("Exception in ASGI application\n", exc_info=raised.value)

    text = "\n".join(logged.lines)
    assert "unhandled RuntimeError on POST /broken/{patient_id}" in text  # the problem handler's line
    assert "Exception in ASGI application: RuntimeError at test_logging.py:" in text  # the server's line
    assert "Ann Example" not in text
    assert patient not in text
    assert "Traceback" not in text


def test_serve_writes_no_access_log(
    run_cli: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    started: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: started.append(options))
    monkeypatch.setenv("B12CARE_DATABASE_URL", f"sqlite:///{tmp_path / 'b12care.db'}")

    result = run_cli("serve")

    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    assert started[0]["access_log"] is False
