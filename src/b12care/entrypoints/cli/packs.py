"""``b12care packs`` (= ``packs list``) and ``b12care packs check PATH``.

``packs check`` validates a knowledge pack version folder (or every version under a pack folder) or a
site overlay file with the loader's own steps (``knowledge/check.py``). It prints ``OK`` and a summary per
pack or overlay and exits 0, or prints every problem (file, record id, field, what is wrong) and exits 3,
the exit status of a knowledge error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from b12care.entrypoints.cli.commands import ConsoleFor, Guard
from b12care.entrypoints.cli.guard import EXIT_KNOWLEDGE

if TYPE_CHECKING:  # the packs load when a command runs
    from b12care.knowledge.check import CheckReport

__all__ = ["register"]


def _summary(report: CheckReport) -> str:
    what = f"{report.kind} {report.id} {report.version}".rstrip()
    if report.checked_on:
        what += f" (on pack {report.checked_on})"
    grades = ", ".join(f"{grade} {count}" for grade, count in report.records_by_grade.items())
    return f"{what}: {report.record_count} records ({grades or 'none'})"


def _print_reports(reports: list[CheckReport], out: Console, err: Console) -> bool:
    """Print each report; True when every one is OK."""
    for report in reports:
        if report.ok:
            out.print(f"OK {_summary(report)}", markup=False, highlight=False, soft_wrap=True)
            continue
        for problem in report.problems:
            err.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
        count = len(report.problems)
        err.print(
            f"FAILED {report.kind} {report.id} {report.version}: {count} problem{'s' if count != 1 else ''}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return all(report.ok for report in reports)


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register the ``packs`` group on ``app``; ``guard`` turns errors into one line and an exit code."""
    packs = typer.Typer(help="Knowledge packs: list them (the default), or check a pack or overlay.")
    app.add_typer(packs, name="packs")

    def list_all() -> None:
        from b12care.entrypoints.cli.render import render_packs
        from b12care.knowledge import list_packs

        with guard(console(True)):
            render_packs(list_packs(), console(False))

    @packs.callback(invoke_without_command=True)
    def packs_default(ctx: typer.Context) -> None:
        """List knowledge packs, versions and records per verification grade."""
        if ctx.invoked_subcommand is None:
            list_all()

    @packs.command("list")
    def packs_list() -> None:
        """List knowledge packs, versions and records per verification grade."""
        list_all()

    @packs.command("check")
    def packs_check(
        path: Annotated[
            Path,
            typer.Argument(
                metavar="DIR|OVERLAY.yaml",
                help="A pack version folder (with manifest.yaml), a folder of them, or a site overlay file.",
            ),
        ],
        pack: Annotated[
            str | None,
            typer.Option(
                help="The pack an overlay is checked on (default: the overlay's own, else uk-nice-2024)."
            ),
        ] = None,
    ) -> None:
        """Check a knowledge pack or site overlay: every problem with its file, record and field."""
        from b12care.knowledge.check import check_path

        out, err = console(False), console(True)
        with guard(err):
            reports = check_path(path, pack)
        if not _print_reports(reports, out, err):
            raise typer.Exit(EXIT_KNOWLEDGE)
