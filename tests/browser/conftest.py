"""Fixtures of the browser tests: the real server and Debian's Chromium driven by Playwright.

``server`` starts ``b12care serve --demo --demo-patients 60`` as a subprocess on a free loopback port
with a temporary SQLite database, reads the demo password it prints, waits until it answers, and
stops it at the end of the session. ``browser`` launches the system Chromium (``shutil.which``),
never a browser downloaded by Playwright: when it is missing the tests fail under CI (the ``CI``
variable is set) and are skipped otherwise (``python3 tasks.py test`` installs it where it can).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import Server, log_in
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

B12CARE = str(Path(sys.executable).parent / "b12care")
START_TIMEOUT = 60.0
DEMO_PATIENTS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _demo_password(output: Path) -> str | None:
    """The password of the ``Demo login: ... password: X`` line, once the server has printed it."""
    for line in output.read_text(errors="replace").splitlines():
        if line.startswith("Demo login:") and "password:" in line:
            return line.rsplit("password:", 1)[1].strip()
    return None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real web app with the demo clinic, on a free loopback port and a temporary SQLite database."""
    folder = tmp_path_factory.mktemp("browser-server")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "B12CARE_DATABASE_URL": f"sqlite:///{folder / 'b12care.db'}",
        "B12CARE_SECRET_KEY": secrets.token_urlsafe(48),
        "B12CARE_PUBLIC_URL": base_url,
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",  # the password line is never wrapped
    }
    output = folder / "stdout.txt"
    errors = folder / "stderr.txt"
    command = [B12CARE, "serve", "--demo", "--demo-patients", str(DEMO_PATIENTS), "--port", str(port)]
    with output.open("wb") as out, errors.open("wb") as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        password = None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"b12care serve exited with {process.returncode}: {errors.read_text()[-2000:]}")
            password = password or _demo_password(output)
            if password and _answers(f"{base_url}/login"):
                break
            time.sleep(0.1)
        else:
            pytest.fail(
                f"b12care serve did not start within {START_TIMEOUT:.0f} s: {errors.read_text()[-2000:]}"
            )
        assert password is not None
        yield Server(base_url, password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system Chromium's path; fails under CI when missing, skips otherwise."""
    found = shutil.which("chromium")
    if found is None:
        message = "Debian's chromium is not installed (apt-get install chromium; python3 tasks.py test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """Headless system Chromium (``--no-sandbox``: CI runs as root), one per test module: Playwright's sync
    API keeps an event loop running in the main thread while it is open, so it must be closed before other
    packages' tests call ``asyncio.run`` (which refuses to start inside a running loop)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    """A fresh browser profile on the server (the page's Content-Security-Policy in force)."""
    made = browser.new_context(
        base_url=server.base_url, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    made.set_default_timeout(10_000)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def clinician_page(page: Page, server: Server) -> Page:
    """A page logged in as the demo clinician (who may create patients)."""
    log_in(page, server, "demo.doctor")
    return page


@pytest.fixture
def nurse_page(page: Page, server: Server) -> Page:
    """A page logged in as the demo nurse."""
    log_in(page, server, "demo.nurse")
    return page
