"""The one error tree of b12care.

    B12CareError
     ├── InputError        bad input from a user or another system; names the offending field
     │    └── ConflictingInputError   a key already stored with other content (HTTP 409)
     ├── KnowledgeError    a knowledge pack or overlay is missing, invalid or does not fit
     │    └── UnknownRuleError   a rule id that no loaded pack defines
     └── StorageError      (service.ports) the treatment record refused or lacks something
          ├── RecordNotFoundError, AlreadyEnteredInError   reported to the user as input errors
          ├── ConstraintError                              the database refused a write
          └── StorageFaultError     the database cannot work now; the write rolled back (HTTP 503)
               ├── StorageUnavailableError   unreachable or connection lost: retry (CLI exit 4)
               ├── StorageFullError          disk or database full: an admin must act (CLI exit 5)
               └── StorageReadOnlyError      read-only database or filesystem: ditto (CLI exit 5)

Clinical findings ("overdue", "contraindicated") are results, never exceptions. Only the faces map
these errors to exit codes or HTTP problems.
"""

from __future__ import annotations

__all__ = ["B12CareError", "ConflictingInputError", "InputError", "KnowledgeError", "UnknownRuleError"]


class B12CareError(Exception):
    """Base of every error b12care raises on purpose."""


class InputError(B12CareError):
    """Input that cannot be used as given; ``field`` is a dotted path such as ``labs[0].unit``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConflictingInputError(InputError):
    """Input whose key (an idempotency key, a source id) is already stored with different content: the
    write is refused, nothing is stored, and the caller chooses a new key or corrects the entry."""


class KnowledgeError(B12CareError):
    """A knowledge pack or site overlay that is missing, malformed or inconsistent."""


class UnknownRuleError(KnowledgeError):
    """A rule id that no loaded pack or overlay defines."""

    def __init__(self, rule_id: str) -> None:
        super().__init__(f"unknown rule id: {rule_id}")
        self.rule_id = rule_id
