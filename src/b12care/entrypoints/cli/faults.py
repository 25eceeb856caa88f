"""Exit codes and the one line of the CLI for storage faults (the database unreachable, full or read-only).

======  =====================================================================================
status  meaning
======  =====================================================================================
2       bad input (one line naming the field)
3       a knowledge pack, overlay or rule id that does not work
4       the database cannot be reached (down, restarting, busy): retry; nothing was changed
5       the database is full, read-only or damaged: an admin must free space, make it writable or
        restore a backup
======  =====================================================================================

The line is ``error: <what happened and who must act> (<the driver's cause>)``; the cause is the
driver's first line (no SQL, no values), for the admin at the terminal.
"""

from __future__ import annotations

from b12care.domain.errors import StorageFaultError, StorageUnavailableError

__all__ = ["EXIT_STORAGE_NEEDS_ADMIN", "EXIT_STORAGE_UNAVAILABLE", "storage_fault_exit", "storage_fault_line"]

EXIT_STORAGE_UNAVAILABLE = 4
EXIT_STORAGE_NEEDS_ADMIN = 5


def storage_fault_exit(error: StorageFaultError) -> int:
    """4 for a database that cannot be reached (transient), 5 for one that is full or read-only."""
    if isinstance(error, StorageUnavailableError):
        return EXIT_STORAGE_UNAVAILABLE
    return EXIT_STORAGE_NEEDS_ADMIN


def storage_fault_line(error: StorageFaultError) -> str:
    """The one line printed on stderr."""
    return f"error: {error} ({error.reason})" if error.reason else f"error: {error}"
