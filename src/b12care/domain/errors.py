"""Every exception class of b12care, in one tree (the lowest layer: standard library only, so every
layer can raise and catch them).

    Exception
     ├── B12CareError                  base of every error b12care raises on purpose
     │    ├── InputError               bad input from a user or another system; names the offending field
     │    │    ├── ConflictingInputError    a key already stored with other content
     │    │    ├── TooManyEntriesError      a FHIR Bundle with more entries than one import takes
     │    │    ├── BackupRefusedError       a backup or restore refused before changing anything
     │    │    └── FhirResourceError        a FHIR resource b12care cannot use; field = element path
     │    │         ├── MalformedResourceError   not valid FHIR R4 (R4B model validation failed)
     │    │         ├── MissingElementError      valid FHIR, but an element b12care needs is absent
     │    │         └── UnknownCode              a code terminology.yaml does not map
     │    ├── KnowledgeError           a knowledge pack or overlay is missing, invalid or does not fit
     │    │    └── UnknownRuleError         a rule id that no loaded pack defines
     │    ├── ConfigurationError       a setting is missing or unusable; names the environment variable
     │    ├── AuthenticationError      who is asking is unknown: no token, bad token, wrong password
     │    ├── RateLimitedError         too many failed logins; try again after retry_after seconds
     │    ├── PermissionDeniedError    the user's role in the clinic concerned may not do this
     │    ├── BackupFailedError        a backup or restore step failed (a tool, the disk); nothing changed
     │    └── StorageError             the treatment record refused or lacks something
     │         ├── RecordNotFoundError      no stored row has this id
     │         ├── AlreadyEnteredInError    the entry was already marked entered-in-error
     │         ├── ConstraintError          the database refused a write (reference, uniqueness, range)
     │         └── StorageFaultError        the database cannot work now; the write rolled back
     │              ├── StorageUnavailableError  unreachable, restarting or busy: retry
     │              ├── StorageFullError         disk or database full: an admin must act
     │              ├── StorageReadOnlyError     read-only database or filesystem: an admin must act
     │              └── StorageDamagedError      not a database, or damaged: restore a backup
     ├── CdsAuthError                  a CDS Hooks call whose JWT is not from a trusted EHR
     ├── DataUnavailableError          neither CDS prefetch nor the FHIR server gave the data needed
     ├── PageError                     a web page answers with an HTML error page of this status
     └── LoginRequiredError            no valid web session: the browser goes to the login page

The last four are signals one face handles itself (the CDS Hooks endpoints, the web pages), deliberately
not ``B12CareError``: the CLI guard and the API's problem table never see them.

Private to one module (they never leave it, so they stay there, named with a leading underscore):

    entrypoints.api.cds_hooks._NotConfiguredError(Exception)   the CDS issuers file could not be loaded

No class derives from a third-party exception: drivers' and libraries' errors are translated at the
adapter that meets them (``adapters/db/faults.py``: SQLAlchemy errors become storage faults).
Clinical findings ("overdue", "contraindicated") are results, never exceptions. Only the faces map
errors to answers: HTTP statuses in ``entrypoints/api/problems.py``, exit statuses in
``entrypoints/cli/guard.py``; ``tests/unit/test_error_tree.py`` checks this drawing against the classes
and both tables against the drawing.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

__all__ = [
    "AlreadyEnteredInError",
    "AuthenticationError",
    "B12CareError",
    "BackupFailedError",
    "BackupRefusedError",
    "CdsAuthError",
    "ConfigurationError",
    "ConflictingInputError",
    "ConstraintError",
    "DataUnavailableError",
    "FhirResourceError",
    "InputError",
    "KnowledgeError",
    "LoginRequiredError",
    "MalformedResourceError",
    "MissingElementError",
    "PageError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RecordNotFoundError",
    "StorageDamagedError",
    "StorageError",
    "StorageFaultError",
    "StorageFullError",
    "StorageReadOnlyError",
    "StorageUnavailableError",
    "TooManyEntriesError",
    "UnknownCode",
    "UnknownRuleError",
]


class B12CareError(Exception):
    """Base of every error b12care raises on purpose."""


# --- input -------------------------------------------------------------------------------------------


class InputError(B12CareError):
    """Input that cannot be used as given; ``field`` is a dotted path such as ``labs[0].unit``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConflictingInputError(InputError):
    """Input whose key (an idempotency key, a source id) is already stored with different content: the
    write is refused, nothing is stored, and the caller chooses a new key or corrects the entry."""


class TooManyEntriesError(InputError):
    """A Bundle with more entries than one import takes (the API answers 413)."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            "Bundle.entry",
            f"{count} entries; one import takes at most {limit}: split the bundle (by patient, or by date)",
        )
        self.count = count
        self.limit = limit


class BackupRefusedError(InputError):
    """A backup or restore refused before changing anything: the field names what to fix (``FILE``,
    ``database``, ...)."""


class FhirResourceError(InputError):
    """A FHIR resource b12care cannot use; ``field`` is the element path, e.g. ``Observation.code``."""

    def __init__(self, resource_type: str, resource_id: str | None, element: str, message: str) -> None:
        super().__init__(f"{resource_type}.{element}" if element else resource_type, message)
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.element = element


class MalformedResourceError(FhirResourceError):
    """The resource is not valid FHIR R4 (R4B model validation failed at ``element``)."""


class MissingElementError(FhirResourceError):
    """Valid FHIR, but an element b12care needs (a value, a date) is absent or too vague."""


class UnknownCode(FhirResourceError):  # noqa: N818 - the name the API contract uses
    """A code (LOINC, RxNorm, ATC, UCUM, status) terminology.yaml does not map; ``code`` is what was seen."""

    def __init__(self, resource_type: str, resource_id: str | None, element: str, code: str) -> None:
        super().__init__(resource_type, resource_id, element, f"unknown code {code!r}")
        self.code = code


# --- knowledge, configuration, identity, backup -----------------------------------------------------


class KnowledgeError(B12CareError):
    """A knowledge pack or site overlay that is missing, malformed or inconsistent."""


class UnknownRuleError(KnowledgeError):
    """A rule id that no loaded pack or overlay defines."""

    def __init__(self, rule_id: str) -> None:
        super().__init__(f"unknown rule id: {rule_id}")
        self.rule_id = rule_id


class ConfigurationError(B12CareError):
    """A setting is missing or unusable; the message names the environment variable."""


class AuthenticationError(B12CareError):
    """Who is asking is unknown: no token, a bad or expired token, a wrong username or password."""


class RateLimitedError(B12CareError):
    """Too many failed logins for this username and client; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


class PermissionDeniedError(B12CareError):
    """The user is known but their role in the clinic concerned may not do this."""


class BackupFailedError(B12CareError):
    """A backup or restore step failed (a tool, the disk, the database); nothing was changed."""


# --- storage -----------------------------------------------------------------------------------------


class StorageError(B12CareError):
    """Base of the errors a repository raises on purpose."""


class RecordNotFoundError(StorageError):
    """No stored row has this id."""

    def __init__(self, entity: str, record_id: str) -> None:
        super().__init__(f"no {entity} with id {record_id}")
        self.entity = entity
        self.record_id = record_id


class AlreadyEnteredInError(StorageError):
    """The entry was already marked entered-in-error; the first mark stands."""

    def __init__(self, entity: str, record_id: str) -> None:
        super().__init__(f"{entity} {record_id} is already marked entered-in-error")
        self.entity = entity
        self.record_id = record_id


class ConstraintError(StorageError):
    """The database refused a write (a reference, uniqueness or range rule); roll back the unit of work."""


class StorageFaultError(StorageError):
    """The database cannot do its work now. The transaction rolled back: nothing of it was stored.

    ``str(error)`` says what happened and what to do, in words fit for the person at the screen;
    ``reason`` is the driver's cause in one line (no SQL, no values), for the admin's log or terminal.
    """

    message: ClassVar[str] = "the database failed; nothing was changed"

    def __init__(self, reason: str = "") -> None:
        super().__init__(self.message)
        self.reason = reason


class StorageUnavailableError(StorageFaultError):
    """The database cannot be reached: down, restarting, connection lost, or too busy. Transient."""

    message = (
        "the database cannot be reached just now (down, restarting or busy); nothing was changed - "
        "retry in a moment; if it persists, an admin must check the database server"
    )


class StorageFullError(StorageFaultError):
    """The disk holding the database, or the database's own size limit, is full."""

    message = (
        "the database's disk is full; nothing was changed - an admin must free disk space "
        "(or raise the database's size limit), then retry"
    )


class StorageReadOnlyError(StorageFaultError):
    """The database is read-only: its file or filesystem, or the server (a standby, a read-only setting)."""

    message = (
        "the database is read-only; nothing was changed - an admin must make it writable again "
        "(file or filesystem permissions, or the server's read-only setting), then retry"
    )


class StorageDamagedError(StorageFaultError):
    """The database file is not a database, or is damaged (SQLite: NOTADB, CORRUPT)."""

    message = (
        "the database file is damaged or is not a b12care database; nothing was changed - an admin must "
        "restore it from a backup (b12care restore --check FILE, then b12care restore FILE)"
    )


# --- signals one face handles itself (not B12CareError) ---------------------------------------------


class CdsAuthError(Exception):
    """The call is not from a trusted EHR; ``reason`` says why (safe to show the caller: it never
    repeats the token's values nor the server's configuration)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DataUnavailableError(Exception):
    """Neither prefetch nor the FHIR server gave data the service needs."""

    def __init__(self, keys: list[str], why: str) -> None:
        super().__init__(f"{', '.join(keys)}: {why}")
        self.keys = keys
        self.why = why


class PageError(Exception):
    """A page answered with an HTML error page of this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoginRequiredError(Exception):
    """No valid session: the browser goes to the login page and comes back to ``next_path``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def location(self) -> str:
        """The login page, remembering where the user was going."""
        return "/login" if self.next_path in ("", "/") else f"/login?next={quote(self.next_path, safe='')}"
