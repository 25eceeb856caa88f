"""Staff accounts and access: users, roles, clinic membership, login tokens and patient share links.

Roles (``ROLES``): ``admin`` manages users and clinics and may do everything a clinician may;
``clinician`` creates patients and plans and records reviews; ``nurse`` records doses, labs, symptom
checks and entered-in-error marks; ``viewer`` reads only. Every user sees only the clinics they are a
member of. Passwords are hashed with argon2id; a login gives an expiring HS256 JWT. Failed logins are
counted per username and client in the database, so every worker process agrees on a lock-out; each
failed login forgets (at most once per ``PRUNE_EVERY`` per process) the failures that can no longer
count: older than the lock-out window plus ``SERVER_CLOCK_MARGIN`` for servers whose clocks differ, so
guessing cannot grow the table without end.
Successful logins are kept (who logged in, from where, when).

Errors (under ``B12CareError``)::

    AuthenticationError   no, expired or forged token; wrong username or password   (HTTP 401)
    PermissionDeniedError the user's role may not do this                            (HTTP 403)
    RateLimitedError      too many failed logins; ``retry_after`` seconds            (HTTP 429)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from b12care.domain.errors import B12CareError, InputError
from b12care.domain.vocabulary import codes_of
from b12care.service.ports import RecordNotFoundError
from b12care.service.records import AuditEntry, new_id

if TYPE_CHECKING:
    from b12care.service.ports import Clock, UnitOfWork, UnitOfWorkFactory

__all__ = [
    "PRESCRIBERS",
    "PRUNE_EVERY",
    "ROLES",
    "SERVER_CLOCK_MARGIN",
    "WRITERS",
    "Accounts",
    "AuthenticationError",
    "Identity",
    "LoginAttempt",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitedError",
    "Role",
    "UserRecord",
    "UserRepository",
]

Role = Literal["admin", "clinician", "nurse", "viewer"]
ROLES: tuple[str, ...] = codes_of(Role)
WRITERS: frozenset[str] = frozenset({"admin", "clinician", "nurse"})
PRESCRIBERS: frozenset[str] = frozenset({"admin", "clinician"})

_ALGORITHM = "HS256"
_ISSUER = "b12care"
_API_AUDIENCE = "b12care:api"
_SHARE_AUDIENCE = "b12care:share"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
# How far apart the clocks of servers sharing one database may be: rows are forgotten only this much
# later than any of them could still need them (NTP keeps real servers far closer).
SERVER_CLOCK_MARGIN = dt.timedelta(minutes=5)
PRUNE_EVERY = dt.timedelta(minutes=1)  # old failures are deleted at most this often (a scan of the table)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


class AuthenticationError(B12CareError):
    """Who is asking is unknown: no token, a bad or expired token, a wrong username or password."""


class PermissionDeniedError(B12CareError):
    """The user is known but their role may not do this."""


class RateLimitedError(B12CareError):
    """Too many failed logins for this username and client; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A staff account. Never deleted: ``disabled`` stops it logging in and its tokens working."""

    id: str
    username: str
    role: Role
    password_hash: str
    clinic_ids: tuple[str, ...]
    disabled: bool
    created_at: dt.datetime
    created_by: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role: {self.role!r} is not one of {', '.join(ROLES)}")


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """One login attempt for a username from a client (an address), kept to rate-limit failures."""

    username: str
    client: str
    at: dt.datetime
    succeeded: bool


class UserRepository(Protocol):
    """Users, their clinic memberships and login attempts (``uow.users``)."""

    def add(self, user: UserRecord, *, actor: str, at: dt.datetime) -> UserRecord:
        """Store a new user with its memberships and audit it (ConstraintError for a taken username)."""
        ...

    def find(self, username: str) -> UserRecord | None:
        """The user of that username, or None."""
        ...

    def list_all(self) -> list[UserRecord]:
        """Every user by username."""
        ...

    def update(self, user: UserRecord, *, actor: str, at: dt.datetime) -> UserRecord:
        """Store a changed role, password hash, disabled flag or clinic list, and audit it."""
        ...

    def record_login(self, attempt: LoginAttempt) -> None:
        """Keep one login attempt."""
        ...

    def failures_since(self, username: str, client: str, since: dt.datetime) -> list[dt.datetime]:
        """Times of failed attempts after ``since`` and after the last success, newest first."""
        ...

    def forget_failures_before(self, before: dt.datetime) -> int:
        """Delete failed attempts made before ``before`` (security ephemera, not the record); how many."""
        ...


@dataclass(frozen=True, slots=True)
class Identity:
    """The user acting on a request, as read from the store when their token was checked."""

    username: str
    role: Role
    clinic_ids: frozenset[str]

    def can_write(self) -> bool:
        """Everyone but a viewer records."""
        return self.role in WRITERS

    def sees(self, clinic_id: str) -> bool:
        """Whether the user is a member of ``clinic_id``."""
        return clinic_id in self.clinic_ids


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``max_failures`` failed logins within ``window`` lock the username+client pair out."""

    max_failures: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)


@dataclass
class _Pruning:
    """When this process last forgot old failed logins."""

    last: dt.datetime | None = None

    def due(self, at: dt.datetime) -> bool:
        """Whether to forget old failures now (then noted as done at ``at``)."""
        if self.last is not None and at - self.last < PRUNE_EVERY:
            return False
        self.last = at
        return True


@dataclass(frozen=True)
class Accounts:
    """The account use cases over one database, clock and signing key."""

    uow: UnitOfWorkFactory
    clock: Clock
    secret: str
    token_lifetime: dt.timedelta = dt.timedelta(hours=1)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    hasher: PasswordHasher = field(default_factory=PasswordHasher)  # argon2id, RFC 9106 defaults
    _pruning: _Pruning = field(default_factory=_Pruning, init=False, repr=False, compare=False)

    @cached_property
    def _dummy_hash(self) -> str:
        """A hash to verify against when the username is unknown, so both cases take as long."""
        return self.hasher.hash("not a password of anyone")

    def _checked_password(self, password: str) -> str:
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise InputError(
                "password", f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
            )
        return self.hasher.hash(password)

    @staticmethod
    def _checked_username(username: str) -> str:
        name = username.strip().lower()
        if not _USERNAME.fullmatch(name):
            raise InputError(
                "username", "2-100 characters: lower-case letters, digits and . _ @ - (not first)"
            )
        return name

    @staticmethod
    def _checked_role(role: str) -> Role:
        if role not in ROLES:
            raise InputError("role", f"{role!r} is not one of {', '.join(ROLES)}")
        return role  # type: ignore[return-value]

    def add_user(
        self, username: str, password: str, role: str, clinic_ids: Collection[str], actor: str
    ) -> UserRecord:
        """Create a user of the given role and clinics (each must exist); audited, hash only."""
        name, chosen = self._checked_username(username), self._checked_role(role)
        if not clinic_ids:
            raise InputError("clinic_ids", "a user belongs to at least one clinic")
        password_hash = self._checked_password(password)
        at = self.clock()
        with self.uow() as uow:
            if uow.users.find(name) is not None:
                raise InputError("username", f"{name!r} is taken")
            _require_clinics(uow, clinic_ids)
            user = UserRecord(
                new_id(), name, chosen, password_hash, tuple(sorted(set(clinic_ids))), False, at, actor
            )
            uow.users.add(user, actor=actor, at=at)
            uow.commit()
        return user

    def user(self, username: str) -> UserRecord:
        """The user; RecordNotFoundError when there is none."""
        with self.uow() as uow:
            found = uow.users.find(username.strip().lower())
        if found is None:
            raise RecordNotFoundError("user", username)
        return found

    def users(self) -> list[UserRecord]:
        """Every user by username."""
        with self.uow() as uow:
            return uow.users.list_all()

    def update_user(
        self,
        username: str,
        actor: str,
        *,
        role: str | None = None,
        clinic_ids: Collection[str] | None = None,
        password: str | None = None,
        disabled: bool | None = None,
    ) -> UserRecord:
        """Change a user's role, clinics, password or disabled flag (audited; nothing deleted)."""
        changes: dict[str, Any] = {}
        if role is not None:
            changes["role"] = self._checked_role(role)
        if password is not None:
            changes["password_hash"] = self._checked_password(password)
        if disabled is not None:
            changes["disabled"] = disabled
        if clinic_ids is not None:
            if not clinic_ids:
                raise InputError("clinic_ids", "a user belongs to at least one clinic")
            changes["clinic_ids"] = tuple(sorted(set(clinic_ids)))
        at = self.clock()
        with self.uow() as uow:
            user = uow.users.find(username.strip().lower())
            if user is None:
                raise RecordNotFoundError("user", username)
            if clinic_ids is not None:
                _require_clinics(uow, clinic_ids)
            updated = replace(user, **changes)
            uow.users.update(updated, actor=actor, at=at)
            uow.commit()
        return updated

    def login(self, username: str, password: str, client: str) -> str:
        """Check the password and return an access token; rate-limited per username and client.

        Raises:
            RateLimitedError: ``max_failures`` failures within the window (even a right password waits).
            AuthenticationError: unknown user, wrong password or disabled account (one message for all).
        """
        name, client = username.strip().lower()[:200], client[:100]
        at = self.clock()
        with self.uow(read_only=True) as uow:
            self._refuse_when_locked_out(uow, name, client, at)
            user = uow.users.find(name)
        # The argon2id check (a fraction of a second of CPU) runs outside any transaction: a write
        # transaction holds SQLite's one write lock, so every writer would queue behind each login.
        succeeded = _verified(self.hasher, user.password_hash if user else self._dummy_hash, password)
        succeeded = succeeded and user is not None and not user.disabled
        with self.uow() as uow:
            self._refuse_when_locked_out(uow, name, client, at)  # attempts recorded meanwhile count too
            uow.users.record_login(LoginAttempt(name, client, at, succeeded))
            if not succeeded and self._pruning.due(at):  # failures grow the table; they count in the window
                uow.users.forget_failures_before(at - self.rate_limit.window - SERVER_CLOCK_MARGIN)
            uow.commit()
        if not succeeded or user is None:
            raise AuthenticationError("wrong username or password")
        return self.issue_token(user.username)

    def _refuse_when_locked_out(self, uow: UnitOfWork, name: str, client: str, at: dt.datetime) -> None:
        failures = uow.users.failures_since(name, client, at - self.rate_limit.window)
        if len(failures) >= self.rate_limit.max_failures:
            oldest = failures[self.rate_limit.max_failures - 1]
            wait = oldest + self.rate_limit.window - at
            raise RateLimitedError(max(1, int(wait.total_seconds()) + 1))

    def issue_token(self, username: str, lifetime: dt.timedelta | None = None) -> str:
        """A signed access token for ``username`` (checked against the store on every use)."""
        now = self.clock()
        claims = {
            "iss": _ISSUER,
            "aud": _API_AUDIENCE,
            "sub": username,
            "iat": int(now.timestamp()),
            "exp": int((now + (lifetime or self.token_lifetime)).timestamp()),
            "jti": new_id(),
        }
        return jwt.encode(claims, self.secret, algorithm=_ALGORITHM)

    def _claims(self, token: str, audience: str) -> dict[str, Any]:
        try:
            # Expiry is checked against the injected clock below, not the machine's.
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=[_ALGORITHM],
                audience=audience,
                issuer=_ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss"], "verify_exp": False},
            )
        except jwt.InvalidTokenError:
            raise AuthenticationError("invalid token") from None
        if not isinstance(claims["exp"], int) or not isinstance(claims["sub"], str):
            raise AuthenticationError("invalid token")
        if claims["exp"] <= self.clock().timestamp():
            raise AuthenticationError("token expired")
        return claims

    def authenticate(self, token: str) -> Identity:
        """The identity of an access token's user, read fresh (a disabled user's tokens stop working)."""
        username = self._claims(token, _API_AUDIENCE)["sub"]
        with self.uow() as uow:
            user = uow.users.find(username)
        if user is None or user.disabled:
            raise AuthenticationError("invalid token")
        return Identity(user.username, user.role, frozenset(user.clinic_ids))

    def create_share_token(self, patient_id: str, expires: dt.datetime) -> str:
        """A signed, read-only token naming one patient, valid until ``expires``."""
        claims = {
            "iss": _ISSUER,
            "aud": _SHARE_AUDIENCE,
            "sub": patient_id,
            "iat": int(self.clock().timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(claims, self.secret, algorithm=_ALGORITHM)

    def verify_share_token(self, token: str) -> str:
        """The patient id of a valid share token; AuthenticationError when forged, altered or expired."""
        claims: str = self._claims(token, _SHARE_AUDIENCE)["sub"]
        return claims

    def share_patient(self, patient_id: str, expires: dt.datetime, actor: str) -> str:
        """Make a share token for the patient and audit that it was made (who, until when)."""
        at = self.clock()
        if expires <= at:
            raise InputError("expires", "must be in the future")
        with self.uow() as uow:
            uow.patients.get(patient_id)
            uow.audit.append(
                AuditEntry(
                    new_id(),
                    at,
                    actor,
                    "patient.share_link",
                    "patient",
                    patient_id,
                    {"expires": expires.isoformat()},
                )
            )
            uow.commit()
        return self.create_share_token(patient_id, expires)


def _verified(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _require_clinics(uow: Any, clinic_ids: Collection[str]) -> None:
    for clinic_id in clinic_ids:
        try:
            uow.clinics.get(clinic_id)
        except RecordNotFoundError:
            raise InputError("clinic_ids", f"no clinic with id {clinic_id}") from None
