"""What the EHR's FHIR server answers never reaches the caller (security probe L10): a refused
connection, a server that hangs up and one that answers 500 with a body all give the same generic 412,
so a trusted EHR cannot use b12care to learn which hosts and ports answer; the detail goes to one log
line with the server's host and no patient data. Real servers on loopback."""

from __future__ import annotations

import logging
import socket
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cds_builders import EHR, PUBLIC_URL, Clinic, Keys, load_request, token

from b12care.adapters.cds.settings import CdsSettings, Issuer
from b12care.bootstrap import App
from b12care.entrypoints.api.app import create_app
from b12care.entrypoints.api.cds_hooks import cds_runtime

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

Logs = pytest.LogCaptureFixture
UPSTREAM_SECRET = "upstream-detail-7f3a: stack trace of the EHR"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: what reaches the caller does not depend on the database."""
    return f"sqlite:///{tmp_path / 'db' / 'b12care.db'}"


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = UPSTREAM_SECRET.encode()
        self.send_response(500, "Internal Server Error: database at 10.0.0.7 down")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def answering_500() -> Iterator[int]:
    """An HTTP server on loopback that answers every request 500 with a telling body; its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def hanging_up() -> Iterator[int]:
    """A TCP server on loopback that accepts and closes at once (as a non-HTTP service may); its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def real_client(app: App, clinic: Clinic, keys: Keys) -> Iterator[TestClient]:
    """The b12care API whose CDS runtime reaches FHIR servers over real HTTP."""
    issuer = Issuer(EHR, clinic.id, keys=(keys.rsa_public_pem,))
    with httpx.Client(timeout=10.0, follow_redirects=False) as http:
        api = create_app(app)
        api.state.cds = cds_runtime(
            CdsSettings(PUBLIC_URL, {EHR: issuer}), engine=app.engine, uow=app.uow, clock=app.clock, http=http
        )
        with TestClient(api, base_url=PUBLIC_URL) as client:
            yield client


def _call(client: TestClient, keys: Keys, port: int) -> httpx.Response:
    request = load_request("patient-view-overdue.request.json")
    del request["prefetch"]
    request["fhirServer"] = f"http://127.0.0.1:{port}/fhir"
    request["fhirAuthorization"] = {"access_token": "ehr-access-token-1", "token_type": "Bearer"}
    headers = {"Authorization": f"Bearer {token(keys.rsa_private)}"}
    path = "/cds-services/b12care-patient-view"
    response: httpx.Response = client.post(path, json=request, headers=headers)
    return response


def test_every_fhir_server_failure_gives_the_caller_the_same_generic_412(
    real_client: TestClient, keys: Keys, closed_port: int, hanging_up: int, answering_500: int
) -> None:
    ports = (closed_port, hanging_up, answering_500)

    responses = [_call(real_client, keys, port) for port in ports]

    assert [r.status_code for r in responses] == [412, 412, 412]
    assert len({r.text for r in responses}) == 1, [r.text for r in responses]  # nothing tells them apart
    text = responses[0].text
    for leak in (*map(str, ports), "127.0.0.1", "Errno", "refused", "disconnect", "500", UPSTREAM_SECRET):
        assert leak not in text, (leak, text)
    assert responses[0].json()["prefetch"] == ["patient"]


def test_the_fhir_server_failure_is_logged_with_its_host_and_no_patient_data(
    real_client: TestClient,
    keys: Keys,
    answering_500: int,
    closed_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="b12care.cds"):
        _call(real_client, keys, answering_500)
        _call(real_client, keys, closed_port)

    lines = [record.getMessage() for record in caplog.records if record.name == "b12care.cds"]
    assert len(lines) == 2, lines
    assert f"127.0.0.1:{answering_500}" in lines[0] and "HTTP 500" in lines[0]
    assert f"127.0.0.1:{closed_port}" in lines[1] and "ConnectError" in lines[1]
    for line in lines:
        assert "ehr-100" not in line and "H-100" not in line and UPSTREAM_SECRET not in line
