"""The deployment guide's reverse proxy and logs, checked on a real ``b12care serve``: behind a TLS proxy on
the same machine (which connects from 127.0.0.1 and sends X-Forwarded-Proto and X-Forwarded-For), the
session cookie is Secure and the failed-login lock-out counts per real client address, not per proxy; the
server's log has no access lines (paths carry patient ids and share-link tokens)."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from b12care.application.accounts import Accounts
from b12care.application.treatment import Services
from b12care.bootstrap import bootstrap
from b12care.config import Settings
from b12care.entrypoints.web.session import CSRF_COOKIE, SESSION_COOKIE

B12CARE = str(Path(sys.executable).parent / "b12care")
PASSWORD = "correct horse battery staple"
START_TIMEOUT = 60.0  # seconds for the server to answer /health
FAILURES_BEFORE_LOCKOUT = 5  # B12CARE_LOGIN_MAX_FAILURES' default
HIDDEN_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    base: str
    log: Path  # what the server wrote to standard error


def _clinic_with_a_nurse(database_url: str) -> None:
    """A clinic and its nurse ``nurse.a``, written in-process (as ``clinic add`` and ``user add`` do)."""
    with bootstrap(Settings(database_url=database_url)) as booted:
        clinic = Services(booted.uow, booted.clock).add_clinic("Riverside Surgery", "test")
        Accounts(booted.uow, booted.clock, secret="").add_user(
            "nurse.a", PASSWORD, "nurse", [clinic.id], "test"
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``b12care serve`` on a temporary SQLite file, with a clinic and the nurse ``nurse.a``."""
    folder = tmp_path_factory.mktemp("proxy")
    env = {key: value for key, value in os.environ.items() if not key.startswith("B12CARE_")}
    env |= {
        "B12CARE_DATABASE_URL": f"sqlite:///{folder / 'b12care.db'}",
        "B12CARE_SECRET_KEY": secrets.token_urlsafe(48),
    }
    env.pop("FORWARDED_ALLOW_IPS", None)  # the guide relies on uvicorn's default: trust 127.0.0.1
    _clinic_with_a_nurse(env["B12CARE_DATABASE_URL"])
    port = _free_port()
    errors = (folder / "stderr.txt").open("w")
    process = subprocess.Popen(
        [B12CARE, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=errors
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(f"{base}/health"):
            assert process.poll() is None, (folder / "stderr.txt").read_text()[-2000:]
            assert time.monotonic() < deadline, "b12care serve did not answer in time"
            time.sleep(0.1)
        yield Server(base, folder / "stderr.txt")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        errors.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _cookie(response: httpx.Response, name: str) -> str:
    """The Set-Cookie header of cookie ``name`` (read by hand: a Secure cookie is not kept over http)."""
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert found, response.headers.get_list("set-cookie")
    return found[0]


def _log_in(base: str, password: str, proxy_headers: dict[str, str]) -> httpx.Response:
    """The login form as a browser behind the proxy sends it: GET the form, POST it with its CSRF token."""
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as http:
        form = http.get("/login", headers=proxy_headers)
        token = _cookie(form, CSRF_COOKIE).split(";", 1)[0].split("=", 1)[1]
        hidden = HIDDEN_CSRF.search(form.text)
        assert hidden is not None
        return http.post(
            "/login",
            data={"username": "nurse.a", "password": password, "csrf": hidden.group(1), "next": "/"},
            headers={**proxy_headers, "Cookie": f"{CSRF_COOKIE}={token}"},
        )


def _via_proxy(client: str) -> dict[str, str]:
    return {"X-Forwarded-Proto": "https", "X-Forwarded-For": client, "Host": "b12.example.org"}


def test_behind_a_tls_proxy_the_session_cookie_is_secure_and_hsts_is_sent(server: Server) -> None:
    response = _log_in(server.base, PASSWORD, _via_proxy("203.0.113.10"))

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = _cookie(response, SESSION_COOKIE)
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert "strict-transport-security" in response.headers


def test_without_the_proxys_https_header_the_cookie_is_not_marked_secure(server: Server) -> None:
    response = _log_in(server.base, PASSWORD, {})

    assert response.status_code == 303
    assert "Secure" not in _cookie(response, SESSION_COOKIE)
    assert "strict-transport-security" not in response.headers


def test_the_lockout_counts_failures_per_real_client_behind_the_proxy(server: Server) -> None:
    for _ in range(FAILURES_BEFORE_LOCKOUT):
        assert _log_in(server.base, "wrong password", _via_proxy("198.51.100.7")).status_code == 401

    locked = _log_in(server.base, PASSWORD, _via_proxy("198.51.100.7"))
    elsewhere = _log_in(server.base, PASSWORD, _via_proxy("198.51.100.8"))

    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    assert elsewhere.status_code == 303


def test_the_server_log_has_no_access_lines(server: Server) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as http:
        assert http.get("/share/a-secret-share-token/calendar.ics").status_code in {401, 403, 404}
        assert http.get("/login", headers=_via_proxy("192.0.2.55")).status_code == 200

    log = server.log.read_text()
    assert "Application startup complete" in log  # the log is written, at level info
    for private in ("a-secret-share-token", "/login", "192.0.2.55", "GET "):
        assert private not in log
