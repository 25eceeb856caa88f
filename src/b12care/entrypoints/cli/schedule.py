"""``b12care schedule export PATIENT --ics``: a patient's coming injections and reviews as an .ics feed.

The feed (RFC 5545) goes to standard output, or to ``--output FILE``. Each export stores what it sent
(the events' SEQUENCE state), so a calendar app that imports it again replaces events, not duplicates them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from b12care.domain.errors import InputError
from b12care.entrypoints.cli.commands import ConsoleFor, Guard, PatientId, add_group, login_name

__all__ = ["register"]


def _write(feed: bytes, output: Path | None, out: Console, *, force: bool) -> None:
    if output is None:
        out.file.write(feed.decode("utf-8"))
        out.file.flush()
        return
    from b12care.entrypoints.cli.output import write_private

    write_private(output, [feed], force=force, field="output")


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``schedule export`` on ``app``; ``guard`` turns errors into one line and an exit code."""
    schedule = add_group(app, "schedule", "A patient's coming dates, for calendars.")

    @schedule.command("export")
    def export(
        patient_id: PatientId,
        ics: Annotated[bool, typer.Option("--ics", help="iCalendar (RFC 5545), the export format.")] = False,
        output: Annotated[
            Path | None, typer.Option("--output", help="Write to FILE instead of standard output.")
        ] = None,
        actor: Annotated[str, typer.Option(help="Who exports (default: the login name).")] = "",
        force: Annotated[bool, typer.Option("--force", help="Replace an existing --output file.")] = False,
    ) -> None:
        """Export the next 12 months of injections and reviews as a calendar feed."""
        with guard(console(True)):
            if not ics:
                raise InputError("--ics", "choose the export format: --ics (iCalendar, RFC 5545)")
            from b12care.bootstrap import bootstrap

            with bootstrap() as booted:
                from b12care.application.calendar import calendar_for

                feed = calendar_for(booted, patient_id, booted.clock(), actor=actor or login_name())
            _write(feed, output, console(False), force=force)
