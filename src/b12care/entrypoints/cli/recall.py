"""``b12care recall``, ``b12care demo`` and ``b12care recompute``: the clinic-wide commands over the
treatment record (the recall list, a demo clinic, every stored forecast rebuilt).

The database, the use cases and the worker pool load inside the commands, when one runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from b12care.domain.errors import InputError
from b12care.entrypoints.cli.commands import ConsoleFor, Guard, literal, login_name, parse_day
from b12care.entrypoints.cli.record import guarded_by, run_with_services

if TYPE_CHECKING:
    from b12care.application.records import RecallEntry
    from b12care.application.treatment import Services
    from b12care.bootstrap import App

__all__ = ["RECALL_COLUMNS", "RECOMPUTE_CHUNK", "recompute_chunk", "register"]

RECALL_COLUMNS = ("patient_id", "reference", "name", "clinic_id", "status", "due", "overdue", "flags")

RECOMPUTE_CHUNK = 2_000
"""Patients per job of ``b12care recompute --workers N`` (each job commits in batches of 500)."""

_worker_app: App | None = None


def recompute_chunk(database_url: str, patient_ids: list[str], actor: str, day: dt.date) -> int:
    """Recompute ``patient_ids`` in a worker process (its own connection, kept for its next job)."""
    from b12care.application.treatment import Services
    from b12care.bootstrap import bootstrap
    from b12care.config import Settings

    global _worker_app  # noqa: PLW0603 - one bootstrapped App per worker process, reused by every job
    if _worker_app is None:
        _worker_app = bootstrap(Settings(database_url=database_url))
    services = Services(_worker_app.uow, _worker_app.clock)
    return sum(services.recompute(actor, day, patient_ids=patient_ids))


def _check_recall_options(output: str, status: list[str] | None) -> None:
    from b12care.domain.recall import RECALL_STATUSES

    if output not in ("table", "csv", "json"):
        raise InputError("format", f"{output!r} is not table, csv or json")
    for item in status or []:
        if item not in RECALL_STATUSES:
            raise InputError("status", f"{item!r} is not one of {', '.join(sorted(RECALL_STATUSES))}")


def _print_recall(rows: Sequence[RecallEntry], output: str, day: dt.date, out: Console) -> None:
    """The recall list as a table, CSV (formulas defused) or JSON."""
    records = [
        {
            "patient_id": r.patient_id,
            "reference": r.reference,
            "name": r.name,
            "clinic_id": r.clinic_id,
            "status": r.status,
            "due": r.due.isoformat() if r.due else "",
            "overdue": r.overdue.isoformat() if r.overdue else "",
            "flags": " ".join(r.flags),
        }
        for r in rows
    ]
    if output == "json":
        out.print_json(json.dumps(records))
    elif output == "csv":
        from b12care.application.export import spreadsheet_safe

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(RECALL_COLUMNS))
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) for k, v in r.items()} for r in records)
        out.print(buffer.getvalue(), end="", markup=False, highlight=False, soft_wrap=True)
    else:
        table = Table("Status", "Due", "Overdue from", "Reference", "Name", "Flags", title=f"Recall {day}")
        for r in records:
            columns = ("status", "due", "overdue", "reference", "name", "flags")
            table.add_row(*literal(*(r[c] for c in columns)))
        out.print(table)


def _recompute(out: Console, as_of: str | None, workers: int) -> None:
    """Rebuild every stored forecast, in this process or in ``workers`` spawned processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from b12care.application.treatment import Services
    from b12care.bootstrap import bootstrap

    with bootstrap() as booted:
        services = Services(booted.uow, booted.clock)
        day = parse_day(as_of, "as_of") if as_of else services.today()
        ids = services.patient_ids()
        with Progress(console=out, transient=True) as progress:
            task = progress.add_task("Recomputing forecasts", total=len(ids))
            if workers == 1:
                for done in services.recompute(login_name(), day):
                    progress.advance(task, done)
            else:
                chunks = [ids[i : i + RECOMPUTE_CHUNK] for i in range(0, len(ids), RECOMPUTE_CHUNK)]
                context = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(workers, mp_context=context) as pool:
                    jobs = [
                        pool.submit(recompute_chunk, booted.database_url, chunk, login_name(), day)
                        for chunk in chunks
                    ]
                    for job in as_completed(jobs):
                        progress.advance(task, job.result())
    out.print(f"Recomputed {len(ids)} forecasts.")


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``recall``, ``demo`` and ``recompute`` on ``app``; ``guard`` makes errors one line."""
    guarded = guarded_by(console, guard)

    @app.command()
    @guarded
    def recall(
        as_of: Annotated[str | None, typer.Option(help="Day (YYYY-MM-DD); default today.")] = None,
        clinic_id: Annotated[str | None, typer.Option("--clinic", help="Only this clinic.")] = None,
        status: Annotated[list[str] | None, typer.Option(help="Only these statuses (repeat).")] = None,
        output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
        limit: Annotated[int, typer.Option(min=1, max=100000)] = 100,
    ) -> None:
        """Patients due, overdue or needing review, most urgent first."""
        _check_recall_options(output, status)

        def show(s: Services, out: Console) -> None:
            day = parse_day(as_of, "as_of") if as_of else s.today()
            clinics = None if clinic_id is None else [clinic_id]
            _print_recall(s.recall(clinics, status or None, day, limit), output, day, out)

        run_with_services(console, show)

    @app.command()
    @guarded
    def demo(
        patients: Annotated[int, typer.Option(min=1, max=100000, help="How many synthetic patients.")] = 300,
        as_of: Annotated[
            str | None, typer.Option(help="Day the demo is set on (YYYY-MM-DD); default today.")
        ] = None,
    ) -> None:
        """Create a demo clinic of synthetic patients at every stage (loading, on time, overdue...)."""

        def go(s: Services, out: Console) -> None:
            day = parse_day(as_of, "as_of") if as_of else s.today()
            with Progress(console=out, transient=True) as progress:
                task = progress.add_task("Creating demo patients", total=patients)
                from b12care.application.demo import seed_demo

                for _ in seed_demo(s, count=patients, as_of=day):
                    progress.advance(task)
            out.print(f"Created a demo clinic with {patients} patients. Try: b12care recall --as-of {day}")

        run_with_services(console, go)

    @app.command()
    @guarded
    def recompute(
        as_of: Annotated[str | None, typer.Option(help="Day (YYYY-MM-DD); default today.")] = None,
        workers: Annotated[
            int, typer.Option(min=1, max=64, help="Processes sharing the work; default: one per core.")
        ] = os.cpu_count() or 1,
    ) -> None:
        """Rebuild every stored forecast and recall timeline (after a pack upgrade), with a progress bar."""
        _recompute(console(False), as_of, workers)
