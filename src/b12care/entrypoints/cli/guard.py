"""The CLI's guard: every deliberate error becomes one line on standard error and an exit status.

======  ===================================================================================
status  meaning
======  ===================================================================================
1       a backup or restore step failed (``cli/backup.py`` prints its own line first)
2       bad input (one line naming the field), an unknown record or one already withdrawn
3       a knowledge pack, overlay or rule id that does not work; any other deliberate error
4, 5    a storage fault (``cli/faults.py``)
======  ===================================================================================

``EXIT_STATUSES`` is the table, looked up along the error's class hierarchy (the nearest class listed
wins); ``NOT_FROM_CLI`` names the errors no command raises (they would exit 3, as any other deliberate
error). ``tests/unit/test_error_tree.py`` checks that the two cover every error in ``domain/errors.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import typer
from rich.console import Console

from b12care.domain.errors import (
    AlreadyEnteredInError,
    AuthenticationError,
    B12CareError,
    BackupFailedError,
    CdsAuthError,
    ConfigurationError,
    ConstraintError,
    DataUnavailableError,
    InputError,
    KnowledgeError,
    LoginRequiredError,
    PageError,
    PermissionDeniedError,
    RateLimitedError,
    RecordNotFoundError,
    StorageFaultError,
    StorageUnavailableError,
)
from b12care.entrypoints.cli.faults import (
    EXIT_STORAGE_NEEDS_ADMIN,
    EXIT_STORAGE_UNAVAILABLE,
    storage_fault_exit,
    storage_fault_line,
)

__all__ = [
    "EXIT_BACKUP_FAILED",
    "EXIT_INPUT",
    "EXIT_KNOWLEDGE",
    "EXIT_STATUSES",
    "NOT_FROM_CLI",
    "clean_errors",
    "exit_status",
]

EXIT_BACKUP_FAILED = 1
EXIT_INPUT = 2
EXIT_KNOWLEDGE = 3

EXIT_STATUSES: Mapping[type[B12CareError], int] = {
    InputError: EXIT_INPUT,  # and below: conflicting input, FHIR resources, too many entries, backup refused
    RecordNotFoundError: EXIT_INPUT,
    AlreadyEnteredInError: EXIT_INPUT,
    KnowledgeError: EXIT_KNOWLEDGE,
    ConstraintError: EXIT_KNOWLEDGE,  # as any other deliberate error
    ConfigurationError: EXIT_KNOWLEDGE,  # as any other; ``serve`` and ``user`` report it as input (2)
    BackupFailedError: EXIT_BACKUP_FAILED,
    StorageUnavailableError: EXIT_STORAGE_UNAVAILABLE,
    StorageFaultError: EXIT_STORAGE_NEEDS_ADMIN,
}
"""The exit status of each deliberate error (the nearest class along the error's hierarchy wins)."""

NOT_FROM_CLI: Mapping[type[Exception], str] = {
    AuthenticationError: "the CLI acts with no login or token",
    RateLimitedError: "the CLI acts with no login",
    PermissionDeniedError: "the CLI acts with no role (it is the operator's own tool)",
    CdsAuthError: "raised by the CDS Hooks routes only",
    DataUnavailableError: "raised by the CDS Hooks routes only",
    PageError: "raised by the web pages only",
    LoginRequiredError: "raised by the web pages only",
}
"""Errors no CLI command raises: a ``B12CareError`` among them would exit 3 (``EXIT_KNOWLEDGE``), as any
other; the others are not errors of b12care's rules and the guard lets them through."""


def exit_status(error: B12CareError) -> int:
    """The exit status of ``error``: its nearest class in ``EXIT_STATUSES``, else 3."""
    listed = (EXIT_STATUSES[cls] for cls in type(error).__mro__ if cls in EXIT_STATUSES)
    return next(listed, EXIT_KNOWLEDGE)


def _line_and_exit(error: B12CareError) -> tuple[str, int]:
    """The line printed for ``error`` and the exit status."""
    if isinstance(error, StorageFaultError):
        return storage_fault_line(error), storage_fault_exit(error)
    if isinstance(error, RecordNotFoundError | AlreadyEnteredInError):
        return f"error: {error.entity}: {error}", exit_status(error)
    return f"error: {error}", exit_status(error)


@contextmanager
def clean_errors(err: Console) -> Iterator[None]:
    """Turn every deliberate error into one line on ``err`` and a non-zero exit (see the module docstring)."""
    try:
        yield
    except B12CareError as error:
        line, status = _line_and_exit(error)
        err.print(line, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(status) from None
