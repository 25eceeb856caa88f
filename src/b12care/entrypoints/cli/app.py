"""The ``b12care`` command line: ``plan``, ``forecast``, ``packs``, ``explain``.

Bad input exits 2 with one line naming the field (``error: labs[0].unit: ...``), never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from b12care.application.case_file import parse_case_json, parse_forecast_case_json
from b12care.application.forecasting import forecast_case, forecast_to_dict
from b12care.application.plan_json import plan_to_dict
from b12care.application.planning import explain_rule, plan_case
from b12care.application.ports import AlreadyEnteredInError, RecordNotFoundError
from b12care.application.treatment import Services
from b12care.bootstrap import bootstrap, system_clock
from b12care.domain.errors import B12CareError, InputError
from b12care.entrypoints.cli.backup import add_backup_commands
from b12care.entrypoints.cli.export import add_export_commands
from b12care.entrypoints.cli.fhir import add_fhir_commands
from b12care.entrypoints.cli.handout import add_handout_commands
from b12care.entrypoints.cli.packs import add_packs_commands
from b12care.entrypoints.cli.record import add_record_commands, parse_day
from b12care.entrypoints.cli.render import render_explanations, render_forecast, render_plan
from b12care.entrypoints.cli.schedule import add_schedule_commands
from b12care.entrypoints.cli.server import add_server_commands

__all__ = ["create_app", "main"]

EXIT_INPUT = 2
EXIT_KNOWLEDGE = 3


class OutputFormat(StrEnum):
    """How ``plan`` prints."""

    text = "text"
    json = "json"


@contextmanager
def _clean_errors(err: Console) -> Iterator[None]:
    """Turn every deliberate error into one line on stderr and a non-zero exit (storage faults: 4 or 5,
    see ``cli/faults.py``)."""
    from b12care.application.ports import StorageFaultError
    from b12care.entrypoints.cli.faults import storage_fault_exit, storage_fault_line

    try:
        yield
    except StorageFaultError as error:
        err.print(storage_fault_line(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(storage_fault_exit(error)) from None
    except InputError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT) from None
    except (RecordNotFoundError, AlreadyEnteredInError) as error:
        err.print(f"error: {error.entity}: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT) from None
    except B12CareError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_KNOWLEDGE) from None


def _read_case(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise InputError("CASE", f"no case file at {source}")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError("CASE", f"cannot read {source}: {error}") from None


def create_app(
    out: Callable[[], Console] | Console | None = None, err: Callable[[], Console] | Console | None = None
) -> typer.Typer:
    """Build the Typer app; tests inject Consoles that write to a buffer."""

    def console(which: Callable[[], Console] | Console | None, stderr: bool) -> Console:
        if isinstance(which, Console):
            return which
        return which() if which is not None else Console(stderr=stderr)

    app = typer.Typer(
        name="b12care",
        help="Vitamin B12 therapy plans from published guidance: explained, cited, dated. "
        "Decision support only: the prescriber decides.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.command()
    def plan(
        case: Annotated[
            str, typer.Argument(metavar="CASE.json|-", help="Case file, or - for standard input.")
        ],
        output: Annotated[OutputFormat, typer.Option("--format", help="text for people, json for tools.")] = (
            OutputFormat.text
        ),
        pack: Annotated[
            str | None, typer.Option(help="Knowledge pack id (default: the case's, else uk-nice-2024).")
        ] = None,
        overlay: Annotated[
            Path | None, typer.Option(help="Site overlay YAML applied on top of the pack.")
        ] = None,
        maintenance_interval: Annotated[
            str | None,
            typer.Option(
                help="Maintenance interval N{d,w,m}, e.g. 2m; outside the pack's range only with "
                "--interval-reason."
            ),
        ] = None,
        interval_reason: Annotated[
            str | None,
            typer.Option(help="The prescriber's reason for a maintenance interval outside the licence."),
        ] = None,
    ) -> None:
        """Build a dated, explained plan for one case."""
        stdout, stderr = console(out, False), console(err, True)
        with _clean_errors(stderr):
            result = plan_case(
                parse_case_json(_read_case(case)),
                pack_id=pack,
                overlay=overlay,
                maintenance_interval=maintenance_interval,
                interval_reason=interval_reason,
            )
            if output is OutputFormat.json:
                stdout.print_json(json.dumps(plan_to_dict(result)))
            else:
                render_plan(result, stdout)

    @app.command()
    def forecast(
        patient: Annotated[str | None, typer.Argument(help="Patient id in the database.")] = None,
        case: Annotated[
            str | None,
            typer.Option("--case", metavar="CASE.json|-", help="Case file with its history instead."),
        ] = None,
        as_of: Annotated[
            str | None, typer.Option(help="The day to forecast for (YYYY-MM-DD); default today.")
        ] = None,
        output: Annotated[OutputFormat, typer.Option("--format", help="text for people, json for tools.")] = (
            OutputFormat.text
        ),
        pack: Annotated[str | None, typer.Option(help="Knowledge pack id.")] = None,
        overlay: Annotated[
            Path | None, typer.Option(help="Site overlay YAML applied on top of the pack.")
        ] = None,
        maintenance_interval: Annotated[
            str | None,
            typer.Option(
                help="Maintenance interval N{d,w,m}; outside the pack's range only with --interval-reason."
            ),
        ] = None,
        interval_reason: Annotated[
            str | None,
            typer.Option(help="The prescriber's reason for a maintenance interval outside the licence."),
        ] = None,
    ) -> None:
        """Evaluate recorded doses against the plan and forecast the next one (a patient, or --case)."""
        stdout, stderr = console(out, False), console(err, True)
        with _clean_errors(stderr):
            day = parse_day(as_of, "as_of") if as_of else None
            if (patient is None) == (case is None):
                raise InputError("PATIENT", "give a patient id or --case CASE.json, not both")
            if patient is not None:
                with bootstrap() as booted:
                    result = Services(booted.uow, booted.clock).view(patient, day).forecast
            else:
                parsed, history = parse_forecast_case_json(_read_case(case or "-"))
                result = forecast_case(
                    parsed,
                    history,
                    as_of=day or system_clock().date(),
                    pack_id=pack,
                    overlay=overlay,
                    maintenance_interval=maintenance_interval,
                    interval_reason=interval_reason,
                )
            if output is OutputFormat.json:
                stdout.print_json(json.dumps(forecast_to_dict(result)))
            else:
                render_forecast(result, stdout)

    @app.command()
    def explain(
        rule_id: Annotated[str, typer.Argument(help="A record id, e.g. labs.total_b12.bands.")],
        pack: Annotated[str | None, typer.Option(help="Only this pack.")] = None,
        overlay: Annotated[
            Path | None, typer.Option(help="Site overlay YAML applied on top of the pack.")
        ] = None,
    ) -> None:
        """Show a rule or record, its values by effective date, and its sources."""
        stdout, stderr = console(out, False), console(err, True)
        with _clean_errors(stderr):
            render_explanations(explain_rule(rule_id, pack, overlay), stdout)

    add_record_commands(app, lambda stderr: console(err if stderr else out, stderr), _clean_errors)
    add_schedule_commands(app, lambda stderr: console(err if stderr else out, stderr), _clean_errors)
    add_fhir_commands(app, lambda stderr: console(err if stderr else out, stderr), _clean_errors)
    add_server_commands(app, lambda stderr: console(err if stderr else out, stderr), _clean_errors)
    add_handout_commands(app, lambda stderr: console(err if stderr else out, stderr), _clean_errors)
    add_backup_commands(app, lambda stderr: console(err if stderr else out, stderr), _clean_errors)
    add_export_commands(app, lambda stderr: console(err if stderr else out, stderr), _clean_errors)
    add_packs_commands(app, lambda stderr: console(err if stderr else out, stderr), _clean_errors)
    return app


def main() -> None:
    """Console-script entry point."""
    create_app()()
