"""An issuer's JWK Set is fetched when b12care needs it, never on an anonymous caller's say-so (security
probe M2): cached for five minutes, fetched again early only for a ``kid`` it does not hold, and never
twice within a minute; a token that fails a cheap check (size, iss, aud, times) fetches nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cds_builders import DISCOVERY, EHR, JWKS_URL, NOW, PUBLIC_URL, Keys, token
from cryptography.hazmat.primitives.asymmetric import ec

from b12care.adapters.cds.auth import MAX_TOKEN_CHARACTERS, JwksCache, JwtVerifier
from b12care.adapters.cds.settings import CdsSettings, Issuer
from b12care.domain.errors import CdsAuthError

ENDPOINT = f"{DISCOVERY}/b12care-patient-view"
ATTACKER = ec.generate_private_key(ec.SECP384R1())


class Seen:
    """A replay store that remembers token ids in memory (the ReplayStore protocol)."""

    def __init__(self) -> None:
        self.ids: set[tuple[str, str]] = set()

    def remember_jti(self, issuer: str, jti: str, **_: Any) -> bool:
        if (issuer, jti) in self.ids:
            return False
        self.ids.add((issuer, jti))
        return True


class KeySetHost:
    """The EHR's JWK Set endpoint: counts GETs; may be failing; serves whatever keys it holds now."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.extra: list[dict[str, Any]] = []
        self.failing = False
        self.gets = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL
        self.gets += 1
        if self.failing:
            return httpx.Response(503)
        return httpx.Response(200, json={"keys": self.keys.jwks()["keys"] + self.extra})


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def host(keys: Keys) -> KeySetHost:
    return KeySetHost(keys)


@pytest.fixture
def monotonic() -> Clock:
    return Clock()


@pytest.fixture
def verifier(host: KeySetHost, monotonic: Clock) -> JwtVerifier:
    settings = CdsSettings(PUBLIC_URL, {EHR: Issuer(EHR, "clinic", jwks_url=JWKS_URL)})
    client = httpx.Client(transport=httpx.MockTransport(host.handle))
    return JwtVerifier(settings, Seen(), lambda: NOW, JwksCache(client, monotonic=monotonic))


def _bearer(private_key: Any, kid: str, **claims: Any) -> str:
    return f"Bearer {token(private_key, alg='ES384', headers={'kid': kid}, **claims)}"


def _refused(verifier: JwtVerifier, authorization: str) -> str:
    with pytest.raises(CdsAuthError) as raised:
        verifier.verify(authorization, ENDPOINT)
    return raised.value.reason


def test_made_up_kids_fetch_the_key_set_once_a_minute_however_many_calls(
    verifier: JwtVerifier, host: KeySetHost, monotonic: Clock
) -> None:
    for n in range(30):
        _refused(verifier, _bearer(ATTACKER, f"made-up-{n}"))
    assert host.gets == 1

    monotonic.now += 59
    _refused(verifier, _bearer(ATTACKER, "made-up-again"))
    assert host.gets == 1

    monotonic.now += 2
    _refused(verifier, _bearer(ATTACKER, "made-up-after-a-minute"))
    assert host.gets == 2


def test_a_bad_signature_with_a_kid_the_set_holds_never_fetches_again(
    verifier: JwtVerifier, host: KeySetHost, keys: Keys, monotonic: Clock
) -> None:
    verifier.verify(_bearer(keys.ec_private, "ec-1"), ENDPOINT)
    monotonic.now += 120  # past the minute, within the five minutes the set is kept

    reasons = {_refused(verifier, _bearer(ATTACKER, "ec-1")) for _ in range(10)}

    assert reasons == {"the signature does not verify with any key of the token's issuer"}
    assert host.gets == 1


def test_a_key_the_ehr_rotated_in_is_found_by_one_fetch(
    verifier: JwtVerifier, host: KeySetHost, keys: Keys, monotonic: Clock
) -> None:
    verifier.verify(_bearer(keys.ec_private, "ec-1"), ENDPOINT)
    rotated = ec.generate_private_key(ec.SECP384R1())
    public = jwt.algorithms.ECAlgorithm.to_jwk(rotated.public_key(), as_dict=True)
    host.extra.append(public | {"kid": "ec-2", "alg": "ES384", "use": "sig"})
    monotonic.now += 61

    caller = verifier.verify(_bearer(rotated, "ec-2"), ENDPOINT)

    assert caller.issuer.iss == EHR
    assert host.gets == 2


def test_a_key_set_that_cannot_be_read_is_asked_again_only_after_a_minute(
    verifier: JwtVerifier, host: KeySetHost, keys: Keys, monotonic: Clock
) -> None:
    host.failing = True
    first = _refused(verifier, _bearer(keys.ec_private, "ec-1"))
    for _ in range(10):
        _refused(verifier, _bearer(keys.ec_private, "ec-1"))
    host.failing = False
    monotonic.now += 61

    verifier.verify(_bearer(keys.ec_private, "ec-1"), ENDPOINT)

    assert "503" not in first and JWKS_URL not in first  # the caller is not told what the EHR answered
    assert host.gets == 2


CHEAP_REFUSALS: dict[str, Callable[[], str]] = {
    "wrong aud": lambda: _bearer(ATTACKER, "x", aud="https://elsewhere.example.org/cds-services"),
    "expired": lambda: _bearer(ATTACKER, "x", now=NOW - dt.timedelta(hours=1)),
    "issued in the future": lambda: _bearer(ATTACKER, "x", now=NOW + dt.timedelta(hours=1)),
    "valid for more than a day": lambda: _bearer(ATTACKER, "x", lifetime=dt.timedelta(days=2)),
    "unknown iss": lambda: _bearer(ATTACKER, "x", iss="https://rogue.example.org"),
    "over-long jti": lambda: _bearer(ATTACKER, "x", jti="j" * 201),
    "oversized token": lambda: "Bearer " + "a" * (MAX_TOKEN_CHARACTERS + 1),
    "not a JWT": lambda: "Bearer not.a.jwt",
}


@pytest.mark.parametrize("case", list(CHEAP_REFUSALS))
def test_a_token_failing_a_cheap_check_is_refused_without_fetching_anything(
    verifier: JwtVerifier, host: KeySetHost, case: str
) -> None:
    _refused(verifier, CHEAP_REFUSALS[case]())

    assert host.gets == 0


def test_a_refusal_does_not_repeat_the_tokens_values(verifier: JwtVerifier) -> None:
    marker = f"<script>{uuid.uuid4()}"

    reasons = [
        _refused(verifier, _bearer(ATTACKER, "x", iss=marker)),
        _refused(verifier, _bearer(ATTACKER, marker)),
    ]

    assert all(marker not in reason for reason in reasons), reasons
