"""Staff accounts and access: users, their clinic memberships and roles, login tokens, share links.

A user holds a role **per clinic membership** (``Membership``): a nurse in one clinic may be a clinician
in another. What a role may do is the permission table of ``permissions.py``; ``Identity.may`` asks it
with the role the user holds in the clinic of the thing acted on (``identity.py``). Every user sees only
the clinics they are a member of. Passwords are hashed with argon2id; a login gives an expiring HS256 JWT
carrying the account's ``token_version``: changing the password (or disabling the account) counts it up,
which ends every earlier token and web session. Failed logins are counted per username and client in the
database, so every worker process agrees on a lock-out; each
failed login forgets (at most once per ``PRUNE_EVERY`` per process) the failures that can no longer
count: older than the lock-out window plus ``SERVER_CLOCK_MARGIN`` for servers whose clocks differ, so
guessing cannot grow the table without end.
Successful logins are kept (who logged in, from where, when).

Raises ``AuthenticationError`` (no, expired or forged token; wrong username or password),
``PermissionDeniedError`` and ``RateLimitedError`` (``retry_after`` seconds): all in ``domain/errors.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from b12care.application.identity import Identity
from b12care.application.permissions import ROLES, Role
from b12care.application.records import AuditEntry, new_id
from b12care.domain.errors import AuthenticationError, InputError, RateLimitedError, RecordNotFoundError

if TYPE_CHECKING:
    from b12care.application.ports import Clock, UnitOfWork, UnitOfWorkFactory

__all__ = [
    "PRUNE_EVERY",
    "ROLES",
    "SERVER_CLOCK_MARGIN",
    "Accounts",
    "Identity",
    "LoginAttempt",
    "Membership",
    "RateLimit",
    "Role",
    "UserRecord",
    "UserRepository",
]

_ALGORITHM = "HS256"
_ISSUER = "b12care"
_API_AUDIENCE = "b12care:api"
_SHARE_AUDIENCE = "b12care:share"
_VERSION = "ver"  # the claim holding the account's token version
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
# How far apart the clocks of servers sharing one database may be: rows are forgotten only this much
# later than any of them could still need them (NTP keeps real servers far closer).
SERVER_CLOCK_MARGIN = dt.timedelta(minutes=5)
PRUNE_EVERY = dt.timedelta(minutes=1)  # old failures are deleted at most this often (a scan of the table)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class Membership:
    """A user's role in one clinic."""

    clinic_id: str
    role: Role

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role: {self.role!r} is not one of {', '.join(ROLES)}")


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A staff account. Never deleted: ``disabled`` stops it logging in and its tokens working.

    ``memberships`` are by clinic id; ``token_version`` is counted up by a password change or by
    disabling, and every token carries the version it was issued under."""

    id: str
    username: str
    password_hash: str
    memberships: tuple[Membership, ...]
    disabled: bool
    created_at: dt.datetime
    created_by: str
    token_version: int = 0

    @property
    def clinic_ids(self) -> tuple[str, ...]:
        """The clinics the user is a member of, by id."""
        return tuple(m.clinic_id for m in self.memberships)

    def roles(self) -> dict[str, Role]:
        """The user's role by clinic id."""
        return {m.clinic_id: m.role for m in self.memberships}


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

    def update(
        self, user: UserRecord, *, actor: str, at: dt.datetime, password_changed: bool = False
    ) -> UserRecord:
        """Store changed memberships, password hash, disabled flag or token version, and audit it
        (saying whether the password changed, never the hash)."""
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

    def _checked_memberships(self, roles: Mapping[str, str], field_name: str) -> tuple[Membership, ...]:
        if not roles:
            raise InputError(field_name, "a user belongs to at least one clinic")
        return tuple(Membership(c, self._checked_role(roles[c])) for c in sorted(roles))

    def add_user(
        self,
        username: str,
        password: str,
        role: str | None,
        clinic_ids: Collection[str],
        actor: str,
        *,
        roles: Mapping[str, str] | None = None,
    ) -> UserRecord:
        """Create a user with ``role`` in each of ``clinic_ids`` (or the role per clinic of ``roles``);
        each clinic must exist. Audited, with no password hash."""
        name = self._checked_username(username)
        if roles is None:
            chosen = self._checked_role(role or "")
            roles = dict.fromkeys(clinic_ids, chosen)
        memberships = self._checked_memberships(roles, "clinic_ids")
        password_hash = self._checked_password(password)
        at = self.clock()
        with self.uow() as uow:
            if uow.users.find(name) is not None:
                raise InputError("username", f"{name!r} is taken")
            _require_clinics(uow, [m.clinic_id for m in memberships])
            user = UserRecord(new_id(), name, password_hash, memberships, False, at, actor)
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
        roles: Mapping[str, str] | None = None,
        password: str | None = None,
        disabled: bool | None = None,
    ) -> UserRecord:
        """Change a user's memberships (``roles``: every clinic's role; a clinic left out ends its
        membership, kept as inactive), password or disabled flag. Audited (a password change is named,
        never its hash); nothing deleted. A new password or disabling ends every earlier token."""
        changes: dict[str, Any] = {}
        if roles is not None:
            changes["memberships"] = self._checked_memberships(roles, "clinic_ids")
        if password is not None:
            changes["password_hash"] = self._checked_password(password)
        if disabled is not None:
            changes["disabled"] = disabled
        at = self.clock()
        with self.uow() as uow:
            user = uow.users.find(username.strip().lower())
            if user is None:
                raise RecordNotFoundError("user", username)
            if roles is not None:
                _require_clinics(uow, list(roles))
            if password is not None or (disabled and not user.disabled):
                changes["token_version"] = user.token_version + 1  # earlier tokens stop working
            updated = replace(user, **changes)
            uow.users.update(updated, actor=actor, at=at, password_changed=password is not None)
            uow.commit()
        return updated

    def grant(self, username: str, clinic_id: str, role: str, actor: str) -> UserRecord:
        """Give the user ``role`` in ``clinic_id`` (a new membership, or a changed role), keeping the
        others."""
        roles: dict[str, str] = dict(self.user(username).roles())
        roles[clinic_id] = self._checked_role(role)
        return self.update_user(username, actor, roles=roles)

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
        return self.issue_token(user.username, version=user.token_version)

    def _refuse_when_locked_out(self, uow: UnitOfWork, name: str, client: str, at: dt.datetime) -> None:
        failures = uow.users.failures_since(name, client, at - self.rate_limit.window)
        if len(failures) >= self.rate_limit.max_failures:
            oldest = failures[self.rate_limit.max_failures - 1]
            wait = oldest + self.rate_limit.window - at
            raise RateLimitedError(max(1, int(wait.total_seconds()) + 1))

    def issue_token(
        self, username: str, lifetime: dt.timedelta | None = None, *, version: int | None = None
    ) -> str:
        """A signed access token for ``username`` (checked against the store on every use), carrying
        the account's token version (read from the store unless given)."""
        if version is None:
            with self.uow(read_only=True) as uow:
                user = uow.users.find(username)
            version = user.token_version if user else 0
        now = self.clock()
        claims = {
            "iss": _ISSUER,
            "aud": _API_AUDIENCE,
            "sub": username,
            "iat": int(now.timestamp()),
            "exp": int((now + (lifetime or self.token_lifetime)).timestamp()),
            "jti": new_id(),
            _VERSION: version,
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
        """The identity of an access token's user, read fresh: a disabled user's tokens, and tokens
        issued before the password last changed, stop working."""
        claims = self._claims(token, _API_AUDIENCE)
        version = claims.get(_VERSION, 0)  # tokens issued before versions existed are version 0
        with self.uow(read_only=True) as uow:  # a read: never queue behind a writer (SQLite's one lock)
            user = uow.users.find(claims["sub"])
        if user is None or user.disabled or type(version) is not int or version != user.token_version:
            raise AuthenticationError("invalid token")
        return Identity(user.username, MappingProxyType(user.roles()))

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
