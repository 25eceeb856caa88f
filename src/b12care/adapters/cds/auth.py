"""Verifying the JWT an EHR signs for every CDS Hooks call (CDS Hooks 2.0, "Trusting CDS Clients").

A call is trusted when its bearer token:
- is signed with an asymmetric algorithm the issuer allows (RS384/ES384, or RS256/ES256), by a key of
  the issuer: a static PEM/JWK from the issuers file, or one of its JWK Set (``jwks_url``, fetched with
  a timeout and cached; a ``jku`` header must name that same URL - b12care never fetches a URL a token
  chooses);
- has an ``iss`` in the issuers file, and a ``sub`` in its ``subjects`` when those are listed;
- has an ``aud`` that is this service's discovery URL ``{public_url}/cds-services`` (what the spec asks
  for) or the endpoint being called;
- is not expired (``exp``) and not issued in the future (``iat``), on b12care's clock with a small leeway;
- has a ``jti`` not seen before from that issuer (the replay store keeps each one until its token has
  expired beyond the leeway and ``FORGET_MARGIN``: a replay of it then fails the ``exp`` check).
Anything else raises :class:`CdsAuthError`, which the API answers with 401.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from b12care.adapters.cds.settings import ALGORITHMS, CdsSettings, Issuer

__all__ = ["FORGET_MARGIN", "Caller", "CdsAuthError", "JwksCache", "JwtVerifier", "ReplayStore"]

_LEEWAY = dt.timedelta(seconds=30)
# Seen token ids are forgotten this long after the leeway has passed: servers sharing the database may
# have clocks this far apart, and one that runs behind must still find the id (NTP keeps them far closer).
FORGET_MARGIN = dt.timedelta(minutes=5)
_REQUIRED = ["iss", "aud", "exp", "iat", "jti"]


class CdsAuthError(Exception):
    """The call is not from a trusted EHR; ``reason`` says why (safe to show the caller)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


class JwksCache:
    """JWK Sets fetched over HTTP with a timeout, kept for ``ttl`` seconds per URL."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        ttl: float = 300.0,
        timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._timeout = timeout
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, list[jwt.PyJWK]]] = {}

    def keys(self, url: str, *, refresh: bool = False) -> list[jwt.PyJWK]:
        """The keys of the JWK Set at ``url`` (from the cache unless stale or ``refresh``)."""
        now = self._monotonic()
        cached = self._cache.get(url)
        if cached is not None and not refresh and now - cached[0] < self._ttl:
            return cached[1]
        try:
            response = self._client.get(url, timeout=self._timeout, headers={"Accept": "application/json"})
            response.raise_for_status()
            found = jwt.PyJWKSet.from_dict(response.json()).keys
        except (httpx.HTTPError, ValueError, jwt.PyJWKSetError) as error:
            raise CdsAuthError(f"the issuer's JWK Set could not be read: {error}") from None
        self._cache[url] = (now, found)
        return found


def _static_key(entry: str | Mapping[str, Any]) -> tuple[str | None, Any]:
    """A configured public key as (kid, key object)."""
    if isinstance(entry, str):
        return None, load_pem_public_key(entry.encode())
    parsed = jwt.PyJWK(dict(entry))
    return parsed.key_id, parsed.key


def _audience_ok(aud: object, allowed: Sequence[str]) -> bool:
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    normal = {a.rstrip("/") for a in allowed}
    return any(isinstance(v, str) and v.rstrip("/") in normal for v in values)


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

    def verify(self, authorization: str | None, endpoint_url: str) -> Caller:
        """The verified caller of a request with this ``Authorization`` header; else CdsAuthError."""
        token = self._bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise CdsAuthError(f"the bearer token is not a JWT: {error}") from None
        iss = unverified.get("iss")
        issuer = self._settings.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise CdsAuthError(f"unknown issuer {iss!r}")
        alg = header.get("alg")
        if alg not in ALGORITHMS or alg not in issuer.algorithms:
            raise CdsAuthError(f"algorithm {alg!r} is not allowed for {issuer.iss}")
        claims = self._decode(token, issuer, header, str(alg))
        self._check_claims(claims, issuer, endpoint_url)
        now = self._clock()
        expires_at = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
        forget = now - self._leeway - FORGET_MARGIN
        jti = str(claims["jti"])
        if not self._replay.remember_jti(
            issuer.iss, jti, expires_at=expires_at, seen_at=now, forget_expired_before=forget
        ):
            raise CdsAuthError("the token id (jti) was already used")
        sub = claims.get("sub")
        tenant = claims.get("tenant")
        return Caller(
            issuer,
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
        return token.strip()

    def _stages(self, issuer: Issuer, header: Mapping[str, Any]) -> Iterator[list[Any]]:
        """Keys to try, cheapest first: static keys, the cached JWK Set, then a refreshed one."""
        kid = header.get("kid")
        jku = header.get("jku")
        if jku is not None and jku != issuer.jwks_url:
            raise CdsAuthError(f"jku {jku!r} is not the JWK Set configured for {issuer.iss}")

        def matching(found: list[tuple[str | None, Any]]) -> list[Any]:
            return [key for key_id, key in found if kid is None or key_id in (kid, None)]

        yield matching([_static_key(entry) for entry in issuer.keys])
        if issuer.jwks_url is not None:
            for refresh in (False, True):
                yield matching([(k.key_id, k.key) for k in self._jwks.keys(issuer.jwks_url, refresh=refresh)])

    def _decode(self, token: str, issuer: Issuer, header: Mapping[str, Any], alg: str) -> dict[str, Any]:
        # Times are checked on b12care's clock in _check_claims, not PyJWT's.
        options: Any = {
            "require": _REQUIRED,
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
            "verify_aud": False,
        }
        for keys in self._stages(issuer, header):
            for key in keys:
                try:
                    claims: dict[str, Any] = jwt.decode(token, key, algorithms=[alg], options=options)
                except jwt.MissingRequiredClaimError as error:
                    raise CdsAuthError(str(error)) from None
                except (jwt.InvalidSignatureError, jwt.InvalidKeyError, ValueError, TypeError):
                    continue
                except jwt.PyJWTError as error:
                    raise CdsAuthError(f"invalid token: {error}") from None
                return claims
        raise CdsAuthError(f"the signature does not verify with any key of {issuer.iss}")

    def _check_claims(self, claims: Mapping[str, Any], issuer: Issuer, endpoint_url: str) -> None:
        allowed = (self._settings.discovery_url, endpoint_url)
        if not _audience_ok(claims.get("aud"), allowed):
            raise CdsAuthError(f"aud must be {self._settings.discovery_url}")
        now = self._clock().timestamp()
        leeway = self._leeway.total_seconds()
        try:
            exp, iat = float(claims["exp"]), float(claims["iat"])
        except (TypeError, ValueError):
            raise CdsAuthError("exp and iat must be numbers") from None
        if exp <= now - leeway:
            raise CdsAuthError("the token has expired")
        if iat > now + leeway:
            raise CdsAuthError("the token is issued in the future (iat)")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf > now + leeway:
            raise CdsAuthError("the token is not valid yet (nbf)")
        if issuer.subjects and claims.get("sub") not in issuer.subjects:
            raise CdsAuthError(f"sub {claims.get('sub')!r} is not allowed for {issuer.iss}")
