"""Security ephemera are forgotten once they can no longer matter, never sooner: failed logins older than
the lock-out window, and seen CDS Hooks token ids once their token could no longer pass the expiry check.
On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from app_helpers import FAST_HASHER, NOW, PASSWORD, MovableClock
from b12care.adapters.cds.auth import FORGET_MARGIN, JwksCache, JwtVerifier
from b12care.adapters.cds.settings import CdsSettings, Issuer
from b12care.adapters.cds.store import PRUNE_EVERY, SqlCdsStore
from b12care.adapters.db.tables_accounts import login_attempts
from b12care.adapters.db.tables_cds import cds_jwt_ids
from b12care.application.accounts import SERVER_CLOCK_MARGIN, Accounts, RateLimit
from b12care.application.treatment import Services
from b12care.bootstrap import App
from b12care.domain.errors import AuthenticationError, CdsAuthError, RateLimitedError

WINDOW = dt.timedelta(minutes=15)
EHR = "https://ehr.example.org"
PUBLIC_URL = "https://b12care.example.org"
LEEWAY = dt.timedelta(seconds=30)


@pytest.fixture
def accounts(booted: App, clock: MovableClock) -> Accounts:
    clinic = Services(booted.uow, clock).add_clinic("Riverside Surgery", "setup").id
    users = Accounts(booted.uow, clock, "s" * 40, rate_limit=RateLimit(5, WINDOW), hasher=FAST_HASHER)
    users.add_user("nurse.a", PASSWORD, "nurse", [clinic], "setup")
    return users


def _attempts(app: App) -> list[tuple[str, str, bool]]:
    a = login_attempts.c
    with app.engine.connect() as connection:
        rows = connection.execute(select(a.username, a.client, a.succeeded).order_by(a.seq))
        return [(row.username, row.client, row.succeeded) for row in rows]


def _fail(accounts: Accounts, username: str, client: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError):
            accounts.login(username, "not the password", client)


def test_failed_logins_older_than_the_window_are_forgotten_successes_are_kept(
    booted: App, accounts: Accounts, clock: MovableClock
) -> None:
    _fail(accounts, "nurse.a", "10.0.0.1", times=3)
    accounts.login("nurse.a", PASSWORD, "10.0.0.2")

    clock.advance(seconds=(WINDOW + SERVER_CLOCK_MARGIN).total_seconds() + 1)
    _fail(accounts, "guess", "10.0.0.9")

    assert _attempts(booted) == [("nurse.a", "10.0.0.2", True), ("guess", "10.0.0.9", False)]


def test_forgetting_never_ends_a_lock_out_early(booted: App, accounts: Accounts, clock: MovableClock) -> None:
    _fail(accounts, "nurse.a", "10.0.0.1", times=5)

    clock.advance(seconds=WINDOW.total_seconds() - 1)
    _fail(accounts, "guess", "10.0.0.9")  # another pair's failure forgets what can no longer count

    with pytest.raises(RateLimitedError):
        accounts.login("nurse.a", PASSWORD, "10.0.0.1")
    assert len(_attempts(booted)) == 6
    clock.advance(seconds=2)
    assert accounts.login("nurse.a", PASSWORD, "10.0.0.1")


@pytest.fixture(scope="module")
def ehr_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture
def verifier(booted: App, clock: MovableClock, ehr_key: ec.EllipticCurvePrivateKey) -> Iterator[JwtVerifier]:
    public = ehr_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings = CdsSettings(PUBLIC_URL, {EHR: Issuer(EHR, "clinic", keys=(public.decode(),))})
    offline = httpx.Client(transport=httpx.MockTransport(lambda request: pytest.fail("no fetch expected")))
    with offline:
        yield JwtVerifier(settings, SqlCdsStore(booted.engine), clock, JwksCache(offline), leeway=LEEWAY)


def _token(key: ec.EllipticCurvePrivateKey, at: dt.datetime) -> str:
    claims = {
        "iss": EHR,
        "aud": f"{PUBLIC_URL}/cds-services",
        "iat": int(at.timestamp()),
        "exp": int((at + dt.timedelta(minutes=5)).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    return f"Bearer {jwt.encode(claims, key, algorithm='ES384')}"


def _seen_ids(app: App) -> int:
    with app.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(cds_jwt_ids)).scalar_one()


def test_a_seen_token_id_is_kept_while_its_token_could_pass_and_forgotten_after(
    booted: App, verifier: JwtVerifier, clock: MovableClock, ehr_key: ec.EllipticCurvePrivateKey
) -> None:
    endpoint = f"{PUBLIC_URL}/cds-services/b12care-patient-view"
    first = _token(ehr_key, NOW)
    verifier.verify(first, endpoint)

    clock.advance(minutes=5, seconds=LEEWAY.total_seconds() - 1)  # the first token still passes exp
    verifier.verify(_token(ehr_key, clock()), endpoint)
    with pytest.raises(CdsAuthError, match="already used"):
        verifier.verify(first, endpoint)
    assert _seen_ids(booted) == 2

    clock.advance(seconds=(FORGET_MARGIN + PRUNE_EVERY).total_seconds() + 2)
    verifier.verify(_token(ehr_key, clock()), endpoint)

    assert _seen_ids(booted) == 2  # the first id is forgotten; the second is still within its lifetime
    with pytest.raises(CdsAuthError, match="expired"):
        verifier.verify(first, endpoint)  # and its token, replayed, fails the expiry check instead


def test_expired_ids_are_deleted_at_most_once_a_minute(booted: App) -> None:
    store = SqlCdsStore(booted.engine)
    long_ago = NOW - dt.timedelta(days=1)

    def remember(jti: str, seen: dt.datetime, *, forget: bool = True) -> None:
        assert store.remember_jti(
            EHR, jti, expires_at=long_ago, seen_at=seen, forget_expired_before=NOW if forget else None
        )

    remember("old-1", NOW, forget=False)
    remember("new-1", NOW)  # deletes old-1 (and its own row is added after)
    remember("new-2", NOW + PRUNE_EVERY / 2)  # too soon: nothing is deleted
    assert _seen_ids(booted) == 2

    remember("new-3", NOW + PRUNE_EVERY)

    assert _seen_ids(booted) == 1
