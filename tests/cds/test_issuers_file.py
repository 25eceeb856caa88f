"""The issuers file is checked when the server starts, not when an EHR calls (security probe L6):
``b12care serve`` with a missing, unreadable or invalid ``B12CARE_CDS_ISSUERS_FILE`` exits 2 with one
line naming it and the problem; a caller of a server whose file cannot be loaded gets a generic 503,
never the file's path or what is wrong with it (that goes to the log)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from cds_builders import EHR, NOW, PUBLIC_URL, Keys, load_request, token
from pydantic import SecretStr

from b12care.bootstrap import bootstrap
from b12care.config import Settings
from b12care.entrypoints.api.app import create_app

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

B12CARE = str(Path(sys.executable).parent / "b12care")
START_SECONDS = 60  # a refused start takes about a second; a server that starts anyway is killed here

BROKEN = {
    "missing": (None, "cannot read"),
    "a folder": ("<folder>", "cannot read"),
    "not UTF-8": (b"\xff\xfe\x00issuers", "is not UTF-8 text"),
    "not YAML": ("issuers: [unclosed", "is not valid JSON/YAML"),
    "empty": ("", "is not valid JSON/YAML"),
    "a list, not a mapping": ("[]", "must hold a mapping"),
    "an entry without iss": ('{"issuers": [{"clinic_id": "c1", "jwks_url": "https://e/jwks"}]}', "iss"),
    "an entry without keys": ('{"issuers": [{"iss": "x", "clinic_id": "c1"}]}', "give jwks_url or keys"),
    "a key that is not a key": (
        '{"issuers": [{"iss": "x", "clinic_id": "c1", "keys": ["-----BEGIN PUBLIC KEY-----"]}]}',
        "is not a public key",
    ),
    "a jwks_url that is no URL": (
        '{"issuers": [{"iss": "x", "clinic_id": "c1", "jwks_url": "jwks"}]}',
        "jwks_url",
    ),
    "the same iss twice": (
        '{"issuers": [{"iss": "x", "clinic_id": "c1", "jwks_url": "https://e/j"},'
        ' {"iss": "x", "clinic_id": "c2", "jwks_url": "https://e/j"}]}',
        "earlier entry",
    ),
}


def _broken_file(tmp_path: Path, case: str) -> Path:
    content, _ = BROKEN[case]
    path = tmp_path / "issuers.json"
    if content == "<folder>":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    return path


def _environment(tmp_path: Path, issuers: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("B12CARE_")}
    database = f"sqlite:///{tmp_path / 'b12care.db'}"
    return env | {"B12CARE_DATABASE_URL": database, "B12CARE_CDS_ISSUERS_FILE": str(issuers)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("case", list(BROKEN))
def test_serve_with_a_broken_issuers_file_exits_2_with_one_line_naming_it(tmp_path: Path, case: str) -> None:
    path = _broken_file(tmp_path, case)
    env = {k: v for k, v in os.environ.items() if not k.startswith("B12CARE_")}
    env |= {
        "B12CARE_DATABASE_URL": f"sqlite:///{tmp_path / 'b12care.db'}",
        "B12CARE_CDS_ISSUERS_FILE": str(path),
    }

    try:
        done = subprocess.run(
            [B12CARE, "serve", "--port", str(_free_port())],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"the server started with a broken issuers file: {expired.stderr!r}")

    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: B12CARE_CDS_ISSUERS_FILE"), lines
    assert BROKEN[case][1] in lines[0]
    assert "Traceback" not in done.stderr


def test_a_caller_gets_a_generic_503_when_the_issuers_file_cannot_be_loaded(
    tmp_path: Path, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config" / "does-not-exist.yaml"
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'b12care.db'}",
        cds_issuers_file=path,
        public_url=PUBLIC_URL,
        secret_key=SecretStr("s" * 40),
    )
    request = load_request("patient-view-overdue.request.json")

    with (
        caplog.at_level(logging.ERROR, logger="b12care.cds"),
        bootstrap(settings, clock=lambda: NOW) as app,
        TestClient(create_app(app), base_url=PUBLIC_URL) as client,
    ):
        anonymous = client.post("/cds-services/b12care-patient-view", json=request)
        signed = client.post(
            "/cds-services/b12care-patient-view",
            json=request,
            headers={"Authorization": f"Bearer {token(keys.rsa_private, iss=EHR)}"},
        )

    for response in (anonymous, signed):
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert str(tmp_path) not in response.text
        assert "issuers" not in response.text and "does-not-exist" not in response.text
    assert any(str(path) in record.getMessage() for record in caplog.records)


def test_a_valid_issuers_file_lets_serve_start(tmp_path: Path, keys: Keys) -> None:
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps({"issuers": [{"iss": EHR, "clinic_id": "c1", "keys": [keys.rsa_public_pem]}]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("B12CARE_")}
    env |= {
        "B12CARE_DATABASE_URL": f"sqlite:///{tmp_path / 'b12care.db'}",
        "B12CARE_CDS_ISSUERS_FILE": str(path),
    }

    with pytest.raises(subprocess.TimeoutExpired):  # still serving when the time is up: it started
        subprocess.run(
            [B12CARE, "serve", "--port", str(_free_port())],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=8,
            check=False,
        )
