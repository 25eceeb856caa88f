"""What the CLI's command groups share: the console and guard they are given, the default actor, the
PATIENT argument and the parsing of days and amounts.

Light on purpose (Typer, Rich and the domain's error only): every group module imports it when the group
is registered, and the heavy libraries load inside the commands (``app.py``: the lazy command table).
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from b12care.domain.errors import InputError

__all__ = [
    "ConsoleFor",
    "Guard",
    "PatientId",
    "add_group",
    "literal",
    "login_name",
    "parse_day",
    "parse_decimal",
]

ConsoleFor = Callable[[bool], Console]
"""The console to print on: standard error (True) or standard output (False)."""
Guard = Callable[[Console], AbstractContextManager[None]]
"""Turns an error into one line on the console and an exit code."""
PatientId = Annotated[str, typer.Argument(metavar="PATIENT", help="Patient id.")]


def parse_day(text: str, field: str) -> dt.date:
    """An ISO date, or InputError naming ``field``."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(field, f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_decimal(text: str, field: str) -> Decimal:
    """A non-negative finite number, or InputError naming ``field``."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(field, f"{text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise InputError(field, f"{text!r} is not a non-negative number")
    return value


def login_name() -> str:
    """The login name, the default actor of a command ("cli" where there is none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no login name in some containers
        return "cli"


def literal(*values: str) -> list[Text]:
    """Cells shown exactly as typed: a name like ``[/]x`` is text, never Rich markup (security probe L2)."""
    return [Text(value) for value in values]


def add_group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """A new command group ``name`` on ``app`` (its help when called without a command)."""
    group = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group
