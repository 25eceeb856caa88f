"""What the CLI's command groups share: the console and guard they are given, the default actor, and
the PATIENT argument."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

__all__ = ["ConsoleFor", "Guard", "PatientId", "add_group", "literal", "login_name"]

ConsoleFor = Callable[[bool], Console]
"""The console to print on: standard error (True) or standard output (False)."""
Guard = Callable[[Console], AbstractContextManager[None]]
"""Turns an error into one line on the console and an exit code."""
PatientId = Annotated[str, typer.Argument(metavar="PATIENT", help="Patient id.")]


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
