"""The ``b12care`` command line: the root and its lazy command table.

Each command group lives in its own module (``planning``, ``record``, ``recall``, ``server``, ``handout``,
``backup``, ``export``, ``schedule``, ``fhir``, ``packs``) with a ``register(app, console, guard)``
function. The root imports a module only when one of its commands runs or shows its help (``cli/lazy.py``),
so ``b12care plan`` never loads SQLAlchemy, FastAPI, fhir.resources or fpdf2: quick to start
(docs/performance.md). ``COMMANDS`` holds each command's one-line help for ``b12care --help``; a test checks
it against the commands themselves.

Bad input exits 2 with one line naming the field (``error: labs[0].unit: ...``), never a traceback
(``cli/guard.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import typer
from rich.console import Console

from b12care.entrypoints.cli.guard import clean_errors
from b12care.entrypoints.cli.lazy import LazyCommand, lazy_group_class, load_module

__all__ = ["COMMANDS", "create_app", "main"]

_CLI = "b12care.entrypoints.cli."

COMMANDS: tuple[LazyCommand, ...] = tuple(
    LazyCommand(name, _CLI + module, summary)
    for name, module, summary in (
        ("plan", "planning", "Build a dated, explained plan for one case."),
        (
            "forecast",
            "planning",
            "Evaluate recorded doses against the plan and forecast the next one (a patient, or --case).",
        ),
        ("explain", "planning", "Show a rule or record, its values by effective date, and its sources."),
        (
            "mark-error",
            "record",
            "Mark an entry as entered-in-error: it is kept, marked with who, when and why, and audited.",
        ),
        (
            "history",
            "record",
            "Every recorded dose, lab, symptom check and review, oldest first (entered-in-error marked).",
        ),
        ("recall", "recall", "Patients due, overdue or needing review, most urgent first."),
        (
            "demo",
            "recall",
            "Create a demo clinic of synthetic patients at every stage (loading, on time, overdue...).",
        ),
        (
            "recompute",
            "recall",
            "Rebuild every stored forecast and recall timeline (after a pack upgrade), with a progress bar.",
        ),
        ("serve", "server", "Serve the web app and the REST API (OpenAPI docs at /docs) with uvicorn."),
        (
            "handout",
            "handout",
            "The patient handout: cause, medicine, dates, milestones, when to call (text or PDF).",
        ),
        (
            "backup",
            "backup",
            "Back the database up to FILE, with FILE.sha256 (checksum, schema revision, version).",
        ),
        ("restore", "backup", "Restore the database from FILE after checking it against FILE.sha256."),
        (
            "export",
            "export",
            "Export one patient or a clinic: every recorded entry, entered-in-error ones marked.",
        ),
        ("clinic", "record", "Clinics."),
        ("patient", "record", "Patients and their plans."),
        ("dose", "record", "Administered doses."),
        ("lab", "record", "Laboratory results."),
        ("symptoms", "record", "Symptom checks."),
        ("review", "record", "Clinical reviews."),
        ("schedule", "schedule", "A patient's coming dates, for calendars."),
        ("fhir", "fhir", "FHIR R4 import and export."),
        ("user", "server", "Staff accounts of the REST API."),
        ("packs", "packs", "Knowledge packs: list them (the default), or check a pack or overlay."),
    )
)
"""Every command of the root in the order ``b12care --help`` lists them, with its module and one-line help."""


def create_app(
    out: Callable[[], Console] | Console | None = None, err: Callable[[], Console] | Console | None = None
) -> typer.Typer:
    """Build the Typer app; tests inject Consoles that write to a buffer."""

    def console(which: Callable[[], Console] | Console | None, stderr: bool) -> Console:
        if isinstance(which, Console):
            return which
        return which() if which is not None else Console(stderr=stderr)

    def console_for(stderr: bool) -> Console:
        return console(err if stderr else out, stderr)

    def load(module: str) -> dict[str, typer.core.TyperCommand | typer.core.TyperGroup]:
        return load_module(module, console_for, clean_errors)  # type: ignore[return-value]

    app = typer.Typer(
        name="b12care",
        help="Vitamin B12 therapy plans from published guidance: explained, cited, dated. "
        "Decision support only: the prescriber decides.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        cls=lazy_group_class(COMMANDS, load),
    )

    @app.callback()
    def root() -> None:
        """The root of the command table: its commands are registered lazily (``cli/lazy.py``)."""

    return app


def main() -> None:
    """Console-script entry point."""
    create_app()()


if __name__ == "__main__":  # ``python -m b12care.entrypoints.cli.app``: what benchmarks/cold_start.py runs
    main()
