"""Verifying the JWT an EHR signs for every CDS Hooks call (CDS Hooks 2.0, "Trusting CDS Clients").

A call is trusted when its bearer token:
- is at most ``MAX_TOKEN_CHARACTERS`` long;
- is signed with an asymmetric algorithm the issuer allows (RS384/ES384, or RS256/ES256), by a key of
  the issuer: a static PEM/JWK from the issuers file, or one of its JWK Set (``jwks_url``, fetched with
  a timeout and cached; a ``jku`` header must name that same URL - b12care never fetches a URL a token
  chooses);
- has an ``iss`` in the issuers file, and a ``sub`` in its ``subjects`` when those are listed;
- has an ``aud`` that is this service's discovery URL ``{public_url}/cds-services`` (what the spec asks
  for) or the endpoint being called;
- is not expired (``exp``), not issued in the future (``iat``), not valid only later (``nbf``) on
  b12care's clock with a small leeway, and expires within ``MAX_LIFETIME`` (every time a finite number);
- has a ``jti`` (and a ``sub``, if any) short enough to store and free of control characters, and a
  ``jti`` not seen before from that issuer (the replay store keeps each one until its token has
  expired beyond the leeway and ``FORGET_MARGIN``: a replay of it then fails the ``exp`` check).
Anything else raises :class:`CdsAuthError`, which the API answers with 401.

The checks run in the order of their cost, so an anonymous caller costs little and holds nothing
(security probe M2): :meth:`JwtVerifier.check_claims` reads the token without I/O;
:meth:`JwtVerifier.check_signature` verifies with the keys in memory (static ones, the cached JWK Set);
when none verifies, :meth:`JwtVerifier.needs_key_fetch` says whether the issuer's JWK Set is due a
fetch, which :meth:`JwtVerifier.fetch_keys` does (blocking: the API runs it in a thread, once per JWK
Set at a time) before the signature is checked again; only then :meth:`JwtVerifier.admit` writes the
``jti`` (the database). :meth:`JwtVerifier.verify` does them all.

A JWK Set (:class:`JwksCache`) is fetched when it is not cached or older than its ``ttl``, or when a
token names a ``kid`` it does not hold (the EHR may have rotated its keys) - but at most once per
``min_interval`` (a minute) per URL, whatever the outcome: a flood of tokens with made-up ``kid`` values
costs the EHR one GET a minute, and a bad signature with a ``kid`` the set holds never fetches.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import jwt

from b12care.adapters.cds.settings import ALGORITHMS, CdsSettings, Issuer, parse_key
from b12care.adapters.db.tables import WHO
from b12care.domain.errors import CdsAuthError

__all__ = [
    "FORGET_MARGIN",
    "MAX_LIFETIME",
    "MAX_TOKEN_CHARACTERS",
    "Caller",
    "Claimed",
    "JwksCache",
    "JwtVerifier",
    "ReplayStore",
]

_LEEWAY = dt.timedelta(seconds=30)
# Seen token ids are forgotten this long after the leeway has passed: servers sharing the database may
# have clocks this far apart, and one that runs behind must still find the id (NTP keeps them far closer).
FORGET_MARGIN = dt.timedelta(minutes=5)
# A token valid for longer is refused: the spec's examples live minutes, and its jti is stored until then.
MAX_LIFETIME = dt.timedelta(days=1)
# A CDS Hooks JWT is a few hundred bytes (RS384 with a 4096-bit key: under 1,500); refused unread above.
MAX_TOKEN_CHARACTERS = 8192
# The columns a jti and the audit actor ("cds:" + sub) are stored in (tables_cds.py, tables.py).
_MAX_JTI = WHO
_MAX_SUB = WHO - len("cds:")
_REQUIRED = ["iss", "aud", "exp", "iat", "jti"]
_log = logging.getLogger("b12care.cds")


class ReplayStore(Protocol):
    """Remembers token ids: False for one already seen."""

    def remember_jti(
        self,
        issuer: str,
        jti: str,
        *,
        expires_at: dt.datetime,
        seen_at: dt.datetime,
        forget_expired_before: dt.datetime | None = None,
    ) -> bool:
        """Remember a token id (False when already seen); ids of tokens that expired before
        ``forget_expired_before`` may be forgotten: no check could pass them any more."""
        ...


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified EHR call."""

    issuer: Issuer
    sub: str | None
    jti: str
    tenant: str | None

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"cds:{self.sub or self.issuer.iss}"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A token whose header and claims passed the cheap checks; its signature is not verified yet."""

    token: str
    issuer: Issuer
    alg: str
    kid: str | None
    claims: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _KeySet:
    keys: tuple[jwt.PyJWK, ...] | None  # None: never read successfully
    fetched_at: float | None  # when ``keys`` were read
    attempted_at: float  # the last fetch, whatever its outcome


class JwksCache:
    """JWK Sets fetched over HTTP with a timeout: kept ``ttl`` seconds per URL, refetched early only for
    an unknown ``kid``, and never fetched twice within ``min_interval`` seconds."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        ttl: float = 300.0,
        min_interval: float = 60.0,
        timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._min_interval = min_interval
        self._timeout = timeout
        self._monotonic = monotonic
        self._sets: dict[str, _KeySet] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def cached(self, url: str) -> tuple[jwt.PyJWK, ...]:
        """The keys last read from ``url`` (none when it was never read); no I/O."""
        found = self._sets.get(url)
        return found.keys or () if found is not None else ()

    def needs_fetch(self, url: str, kid: str | None) -> bool:
        """Whether ``url`` is due a fetch for a token with this ``kid``; no I/O."""
        found = self._sets.get(url)
        now = self._monotonic()
        if found is None:
            return True
        if now - found.attempted_at < self._min_interval:
            return False
        if found.keys is None or found.fetched_at is None or now - found.fetched_at >= self._ttl:
            return True
        return kid is not None and all(key.key_id != kid for key in found.keys)

    def fetch(self, url: str, kid: str | None) -> None:
        """Fetch ``url`` when :meth:`needs_fetch` says so (one fetch per URL at a time: a caller that
        waited for another's fetch does not repeat it). A failure is logged and leaves the keys read
        before; the caller then finds no key that verifies."""
        with self._lock(url):
            if not self.needs_fetch(url, kid):
                return
            started = self._monotonic()
            before = self._sets.get(url)
            try:
                response = self._client.get(
                    url, timeout=self._timeout, headers={"Accept": "application/json"}
                )
                response.raise_for_status()
                found = tuple(jwt.PyJWKSet.from_dict(response.json()).keys)
            except (httpx.HTTPError, ValueError, jwt.PyJWKSetError) as error:
                _log.warning("CDS Hooks: the JWK Set at %s could not be read: %s", url, _describe(error))
                kept = before.keys if before is not None else None
                fetched = before.fetched_at if before is not None else None
                self._sets[url] = _KeySet(kept, fetched, started)
                return
            self._sets[url] = _KeySet(found, started, started)

    def keys(self, url: str, *, kid: str | None = None) -> tuple[jwt.PyJWK, ...]:
        """The keys of the JWK Set at ``url``, fetched first when due (see :meth:`needs_fetch`)."""
        self.fetch(url, kid)
        return self.cached(url)

    def _lock(self, url: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(url, threading.Lock())


def _describe(error: Exception) -> str:
    """An HTTP or parsing error in one line: the status for an HTTP answer, else the error's text."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return f"{type(error).__name__}: {error}"


def _audience_ok(aud: object, allowed: Sequence[str]) -> bool:
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    normal = {a.rstrip("/") for a in allowed}
    return any(isinstance(v, str) and v.rstrip("/") in normal for v in values)


def _time(claims: Mapping[str, Any], name: str) -> float | None:
    """A time claim as seconds since the epoch: a finite number (not a boolean), or None when absent."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CdsAuthError(f"{name} must be a number of seconds")
    return float(value)


def _plain_text(claims: Mapping[str, Any], name: str, longest: int) -> str | None:
    """A string claim as stored: at most ``longest`` characters, no control characters; None if absent."""
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > longest:
        raise CdsAuthError(f"{name} must be a string of 1 to {longest} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise CdsAuthError(f"{name} must not contain control characters")
    return value


class JwtVerifier:
    """Checks CDS Hooks bearer tokens against the configured issuers."""

    def __init__(
        self,
        settings: CdsSettings,
        replay: ReplayStore,
        clock: Callable[[], dt.datetime],
        jwks: JwksCache,
        leeway: dt.timedelta = _LEEWAY,
    ) -> None:
        self._settings = settings
        self._replay = replay
        self._clock = clock
        self._jwks = jwks
        self._leeway = leeway
        self._static = {
            iss: tuple(parse_key(entry) for entry in issuer.keys) for iss, issuer in settings.issuers.items()
        }

    def verify(self, authorization: str | None, endpoint_url: str) -> Caller:
        """The verified caller of a request with this ``Authorization`` header; else CdsAuthError."""
        claimed = self.check_claims(authorization, endpoint_url)
        try:
            return self.admit(self.check_signature(claimed))
        except CdsAuthError:
            if not self.needs_key_fetch(claimed):
                raise
        self.fetch_keys(claimed)
        return self.admit(self.check_signature(claimed))

    def check_claims(self, authorization: str | None, endpoint_url: str) -> Claimed:
        """The token's header and claims checked without verifying the signature and without I/O."""
        token = self._bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
            claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except (jwt.PyJWTError, ValueError, RecursionError):
            raise CdsAuthError("the bearer token is not a JWT") from None
        iss = claims.get("iss")
        issuer = self._settings.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise CdsAuthError("the token's issuer (iss) is not trusted")
        alg = header.get("alg")
        if alg not in ALGORITHMS or alg not in issuer.algorithms:
            raise CdsAuthError("the token's algorithm (alg) is not allowed for its issuer")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise CdsAuthError("kid must be a string")
        jku = header.get("jku")
        if jku is not None and jku != issuer.jwks_url:
            raise CdsAuthError("jku is not the JWK Set configured for the token's issuer")
        missing = [name for name in _REQUIRED if claims.get(name) is None]
        if missing:
            raise CdsAuthError(f"the token lacks the claim {missing[0]}")
        self._check_times(claims)
        allowed = (self._settings.discovery_url, endpoint_url)
        if not _audience_ok(claims.get("aud"), allowed):
            raise CdsAuthError(f"aud must be {self._settings.discovery_url}")
        _plain_text(claims, "jti", _MAX_JTI)
        sub = _plain_text(claims, "sub", _MAX_SUB)
        if issuer.subjects and sub not in issuer.subjects:
            raise CdsAuthError("the token's sub is not allowed for its issuer")
        return Claimed(token, issuer, str(alg), kid, claims)

    def needs_key_fetch(self, claimed: Claimed) -> bool:
        """Whether :meth:`check_signature` needs the issuer's JWK Set fetched first: not cached (or
        stale), or the token's ``kid`` is in neither the static keys nor the cached set - and the set
        was not fetched within the last minute. No I/O."""
        url = claimed.issuer.jwks_url
        if url is None:
            return False
        kid = claimed.kid
        if kid is not None and any(key_id == kid for key_id, _ in self._static[claimed.issuer.iss]):
            return False
        return self._jwks.needs_fetch(url, kid)

    def fetch_keys(self, claimed: Claimed) -> None:
        """Fetch the issuer's JWK Set if it is due (blocking I/O, at most the JWK Set timeout)."""
        if claimed.issuer.jwks_url is not None:
            self._jwks.fetch(claimed.issuer.jwks_url, claimed.kid)

    def check_signature(self, claimed: Claimed) -> Claimed:
        """``claimed`` once its signature verifies with a key held in memory (no I/O); else CdsAuthError."""
        issuer = claimed.issuer
        found = list(self._static[issuer.iss])
        if issuer.jwks_url is not None:
            found += [(key.key_id, key.key) for key in self._jwks.cached(issuer.jwks_url)]
        keys = [key for key_id, key in found if claimed.kid is None or key_id in (claimed.kid, None)]
        # Times were checked on b12care's clock in check_claims, not PyJWT's.
        options: Any = {
            "require": _REQUIRED,
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
            "verify_aud": False,
        }
        for key in keys:
            try:
                jwt.decode(claimed.token, key, algorithms=[claimed.alg], options=options)
            except (jwt.InvalidSignatureError, jwt.InvalidKeyError, ValueError, TypeError):
                continue
            except jwt.PyJWTError:
                raise CdsAuthError("the token is not a valid JWT") from None
            return claimed
        raise CdsAuthError("the signature does not verify with any key of the token's issuer")

    def admit(self, verified: Claimed) -> Caller:
        """The caller of a token whose signature verified, once its ``jti`` is remembered (a database
        write); CdsAuthError for a replayed token."""
        claims = verified.claims
        now = self._clock()
        expires_at = dt.datetime.fromtimestamp(float(claims["exp"]), dt.UTC)
        forget = now - self._leeway - FORGET_MARGIN
        jti = str(claims["jti"])
        if not self._replay.remember_jti(
            verified.issuer.iss, jti, expires_at=expires_at, seen_at=now, forget_expired_before=forget
        ):
            raise CdsAuthError("the token id (jti) was already used")
        sub = claims.get("sub")
        tenant = claims.get("tenant")
        return Caller(
            verified.issuer,
            sub if isinstance(sub, str) else None,
            jti,
            tenant if isinstance(tenant, str) else None,
        )

    @staticmethod
    def _bearer(authorization: str | None) -> str:
        if not authorization:
            raise CdsAuthError("missing Authorization: Bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise CdsAuthError("the Authorization header is not 'Bearer <JWT>'")
        if len(token) > MAX_TOKEN_CHARACTERS:
            raise CdsAuthError(f"the bearer token is longer than {MAX_TOKEN_CHARACTERS} characters")
        return token.strip()

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self._clock().timestamp()
        leeway = self._leeway.total_seconds()
        exp, iat, nbf = _time(claims, "exp"), _time(claims, "iat"), _time(claims, "nbf")
        if exp is None or iat is None:
            raise CdsAuthError("the token lacks exp or iat")
        if exp <= now - leeway:
            raise CdsAuthError("the token has expired")
        if exp > now + leeway + MAX_LIFETIME.total_seconds():
            raise CdsAuthError(f"the token is valid for longer than {MAX_LIFETIME.days} day (exp)")
        if iat > now + leeway:
            raise CdsAuthError("the token is issued in the future (iat)")
        if nbf is not None and nbf > now + leeway:
            raise CdsAuthError("the token is not valid yet (nbf)")
