"""Anonymous callers cannot make b12care hammer an EHR's JWK Set, nor hold up a trusted EHR's call
(security probe M2): a real ``b12care serve`` on loopback, real JWK Set servers on loopback (threads of
this process that count their GETs; one of them holds every request until the test releases it).

Before the fix: 30 anonymous bad-signature tokens naming a JWK Set issuer -> 30 GETs of its key set, and
with the key set slow, 12 such calls filled the 4 CDS worker slots so a valid call waited for them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fault_helpers import REQUEST_SECONDS, Server, environment, set_up_clinic

PUBLIC_URL = "https://b12care.example.org"
AUDIENCE = f"{PUBLIC_URL}/cds-services"
SERVICE = "/cds-services/b12care-patient-view"
STATIC_EHR = "https://static-ehr.example.org"  # keys in the issuers file: never fetched
FAST_EHR = "https://fast-ehr.example.org"  # its JWK Set answers at once
SLOW_EHR = "https://slow-ehr.example.org"  # its JWK Set answers only when the test releases it
HOLD_SECONDS = 60.0  # the slow key set's longest hold (a safety net: the test releases it far sooner)
ANONYMOUS_CALLS = 12

RSA_KEY = rsa.generate_private_key(65537, 2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())
ATTACKER_RSA = rsa.generate_private_key(65537, 2048)
ATTACKER_EC = ec.generate_private_key(ec.SECP384R1())


def _jwks() -> bytes:
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key()))
    public.update({"kid": "ec-1", "alg": "ES384", "use": "sig"})
    return json.dumps({"keys": [public]}).encode()


@dataclass
class KeySetServer:
    """A JWK Set on a loopback port; ``held`` ones wait for ``release`` (at most HOLD_SECONDS)."""

    held: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    asked: threading.Event = field(default_factory=threading.Event)
    gets: int = 0
    httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.gets += 1
                owner.asked.set()
                if owner.held:
                    owner.release.wait(HOLD_SECONDS)
                body = _jwks()
                with suppress(OSError):  # b12care may have given up waiting (its fetch timeout)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


@dataclass
class Served:
    server: Server
    fast: KeySetServer
    slow: KeySetServer


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``b12care serve`` (SQLite: the attack is on the key fetch, not the storage) trusting three EHRs."""
    place = tmp_path_factory.mktemp("cds-flood")
    database_url = f"sqlite:///{place / 'b12care.db'}"
    clinic = set_up_clinic(database_url)
    fast, slow = KeySetServer(), KeySetServer(held=True)
    fast.start()
    slow.start()
    pem = (
        RSA_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    issuers = {
        "public_url": PUBLIC_URL,
        "issuers": [
            {"iss": STATIC_EHR, "clinic_id": clinic.clinic_id, "keys": [pem]},
            {"iss": FAST_EHR, "clinic_id": clinic.clinic_id, "jwks_url": fast.url},
            {"iss": SLOW_EHR, "clinic_id": clinic.clinic_id, "jwks_url": slow.url},
        ],
    }
    (place / "issuers.json").write_text(json.dumps(issuers))
    env = environment(database_url) | {"B12CARE_CDS_ISSUERS_FILE": str(place / "issuers.json")}
    server = Server(env, place / "server.log")
    try:
        server.start()
        yield Served(server, fast, slow)
    finally:
        fast.stop()
        slow.stop()
        server.stop()


def _token(key: Any, iss: str, *, alg: str = "RS384", kid: str | None = None) -> str:
    now = int(time.time())
    claims = {"iss": iss, "sub": "ehr-client", "aud": AUDIENCE, "exp": now + 120, "iat": now}
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(claims | {"jti": str(uuid.uuid4())}, key, algorithm=alg, headers=headers)


def _call(base: str, token: str) -> httpx.Response:
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/dr-1", "patientId": "H-1"},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "H-1"},
            "labs": {"resourceType": "Bundle", "type": "searchset", "entry": []},
            "doses": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        },
    }
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.post(base + SERVICE, json=body, headers=headers, timeout=REQUEST_SECONDS)


def test_anonymous_bad_signatures_fetch_an_issuers_key_set_once_not_once_per_call(served: Served) -> None:
    base = served.server.base
    unknown_kids = [_call(base, _token(ATTACKER_RSA, FAST_EHR, kid=str(i))) for i in range(30)]
    known_kid = [_call(base, _token(ATTACKER_EC, FAST_EHR, alg="ES384", kid="ec-1")) for _ in range(5)]
    valid = _call(base, _token(EC_KEY, FAST_EHR, alg="ES384", kid="ec-1"))

    assert [r.status_code for r in unknown_kids + known_kid] == [401] * 35
    assert valid.status_code == 200, valid.text
    assert served.fast.gets == 1, served.server.log()  # was 30: one GET per anonymous call


def test_a_valid_ehr_call_is_answered_while_anonymous_calls_wait_for_a_slow_key_set(served: Served) -> None:
    base = served.server.base
    answered: list[str] = []

    def anonymous(i: int) -> int:
        status = _call(base, _token(ATTACKER_RSA, SLOW_EHR, kid=f"attacker-{i}")).status_code
        answered.append(f"anonymous {status}")
        return status

    with ThreadPoolExecutor(ANONYMOUS_CALLS) as pool:
        pending = [pool.submit(anonymous, i) for i in range(ANONYMOUS_CALLS)]
        assert served.slow.asked.wait(REQUEST_SECONDS), "the slow key set was never asked"
        time.sleep(0.5)  # let every anonymous call reach the server and wait there
        valid = _call(base, _token(RSA_KEY, STATIC_EHR))
        answered.append(f"valid {valid.status_code}")
        served.slow.release.set()
        statuses = [future.result() for future in pending]

    assert valid.status_code == 200, valid.text
    assert answered[0] == "valid 200", answered  # before any anonymous call: none held a worker slot
    assert statuses == [401] * ANONYMOUS_CALLS
    assert served.slow.gets == 1  # the anonymous calls shared one fetch of the key set
