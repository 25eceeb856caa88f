"""``b12care plan``, ``b12care forecast`` and ``b12care explain``: plans, forecasts and rules from the
knowledge packs.

Light to import: the engine, the renderers and (``forecast PATIENT`` only) the database load inside the
commands, so ``b12care plan`` starts without SQLAlchemy (docs/performance.md, cold start).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from b12care.domain.errors import InputError
from b12care.entrypoints.cli.commands import ConsoleFor, Guard, parse_day

__all__ = ["OutputFormat", "register"]

Overlay = Annotated[Path | None, typer.Option(help="Site overlay YAML applied on top of the pack.")]
IntervalReason = Annotated[
    str | None, typer.Option(help="The prescriber's reason for a maintenance interval outside the licence.")
]


class OutputFormat(StrEnum):
    """How ``plan`` prints."""

    text = "text"
    json = "json"


Format = Annotated[OutputFormat, typer.Option("--format", help="text for people, json for tools.")]


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


def _add_plan(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``plan`` on ``app``."""

    @app.command()
    def plan(  # noqa: PLR0917 - Typer commands take their options as parameters
        case: Annotated[
            str, typer.Argument(metavar="CASE.json|-", help="Case file, or - for standard input.")
        ],
        output: Format = OutputFormat.text,
        pack: Annotated[
            str | None, typer.Option(help="Knowledge pack id (default: the case's, else uk-nice-2024).")
        ] = None,
        overlay: Overlay = None,
        maintenance_interval: Annotated[
            str | None,
            typer.Option(
                help="Maintenance interval N{d,w,m}, e.g. 2m; outside the pack's range only with "
                "--interval-reason."
            ),
        ] = None,
        interval_reason: IntervalReason = None,
    ) -> None:
        """Build a dated, explained plan for one case."""
        from b12care.application.case_file import parse_case_json
        from b12care.application.planning import plan_case

        stdout = console(False)
        with guard(console(True)):
            result = plan_case(
                parse_case_json(_read_case(case)),
                pack_id=pack,
                overlay=overlay,
                maintenance_interval=maintenance_interval,
                interval_reason=interval_reason,
            )
            if output is OutputFormat.json:
                from b12care.application.plan_json import plan_to_dict

                stdout.print_json(json.dumps(plan_to_dict(result)))
            else:
                from b12care.entrypoints.cli.render import render_plan

                render_plan(result, stdout)


def _add_forecast(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``forecast`` on ``app``."""

    @app.command()
    def forecast(  # noqa: PLR0917 - Typer commands take their options as parameters
        patient: Annotated[str | None, typer.Argument(help="Patient id in the database.")] = None,
        case: Annotated[
            str | None,
            typer.Option("--case", metavar="CASE.json|-", help="Case file with its history instead."),
        ] = None,
        as_of: Annotated[
            str | None, typer.Option(help="The day to forecast for (YYYY-MM-DD); default today.")
        ] = None,
        output: Format = OutputFormat.text,
        pack: Annotated[str | None, typer.Option(help="Knowledge pack id.")] = None,
        overlay: Overlay = None,
        maintenance_interval: Annotated[
            str | None,
            typer.Option(
                help="Maintenance interval N{d,w,m}; outside the pack's range only with --interval-reason."
            ),
        ] = None,
        interval_reason: IntervalReason = None,
    ) -> None:
        """Evaluate recorded doses against the plan and forecast the next one (a patient, or --case)."""
        from b12care.application.case_file import parse_forecast_case_json
        from b12care.application.forecasting import forecast_case, forecast_to_dict
        from b12care.bootstrap import system_clock
        from b12care.entrypoints.cli.render import render_forecast

        stdout = console(False)
        with guard(console(True)):
            day = parse_day(as_of, "as_of") if as_of else None
            if (patient is None) == (case is None):
                raise InputError("PATIENT", "give a patient id or --case CASE.json, not both")
            if patient is not None:
                from b12care.application.treatment import Services
                from b12care.bootstrap import bootstrap

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


def _add_explain(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``explain`` on ``app``."""

    @app.command()
    def explain(
        rule_id: Annotated[str, typer.Argument(help="A record id, e.g. labs.total_b12.bands.")],
        pack: Annotated[str | None, typer.Option(help="Only this pack.")] = None,
        overlay: Overlay = None,
    ) -> None:
        """Show a rule or record, its values by effective date, and its sources."""
        from b12care.application.planning import explain_rule
        from b12care.entrypoints.cli.render import render_explanations

        with guard(console(True)):
            render_explanations(explain_rule(rule_id, pack, overlay), console(False))


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``plan``, ``forecast`` and ``explain`` on ``app``; ``guard`` makes errors one line."""
    _add_plan(app, console, guard)
    _add_forecast(app, console, guard)
    _add_explain(app, console, guard)
