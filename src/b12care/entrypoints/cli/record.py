"""Treatment-record commands: clinics, patients, doses, labs, symptoms, reviews, history, recall, recompute.

They open the database through ``bootstrap`` (SQLite in the user's data folder by default, PostgreSQL
with B12CARE_DATABASE_URL) and call the use cases in ``service.treatment``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, ParamSpec

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from b12care.application.export import spreadsheet_safe
from b12care.application.treatment import DoseInput, EntryKind, Services
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.domain.errors import InputError
from b12care.domain.history import SYMPTOMS, Overall, ReviewDecision
from b12care.domain.recall import RECALL_STATUSES
from b12care.domain.vocabulary import Drug, Route, Test
from b12care.entrypoints.cli.commands import ConsoleFor, Guard, add_group, literal, login_name
from b12care.entrypoints.cli.render import render_forecast

__all__ = ["add_record_commands", "parse_day"]

P = ParamSpec("P")
RECALL_COLUMNS = ("patient_id", "reference", "name", "clinic_id", "status", "due", "overdue", "flags")
Actor = Annotated[str, typer.Option(help="Who is recording (default: the login name).")]


def parse_day(text: str, field: str) -> dt.date:
    """An ISO date, or InputError naming ``field``."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(field, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _decimal(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(field, f"{text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise InputError(field, f"{text!r} is not a non-negative number")
    return value


@contextmanager
def _services() -> Iterator[Services]:
    with bootstrap() as app:
        yield Services(app.uow, app.clock)


RECOMPUTE_CHUNK = 2_000
"""Patients per job of ``b12care recompute --workers N`` (each job commits in batches of 500)."""

_worker_app: App | None = None


def recompute_chunk(database_url: str, patient_ids: list[str], actor: str, day: dt.date) -> int:
    """Recompute ``patient_ids`` in a worker process (its own connection, kept for its next job)."""
    global _worker_app  # noqa: PLW0603 - one bootstrapped App per worker process, reused by every job
    if _worker_app is None:
        _worker_app = bootstrap(Settings(database_url=database_url))
    services = Services(_worker_app.uow, _worker_app.clock)
    return sum(services.recompute(actor, day, patient_ids=patient_ids))


def add_record_commands(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register the record commands on ``app``; ``guard`` turns errors into one line and an exit code."""
    clinic = add_group(app, "clinic", "Clinics.")
    patient = add_group(app, "patient", "Patients and their plans.")
    dose = add_group(app, "dose", "Administered doses.")
    lab = add_group(app, "lab", "Laboratory results.")
    symptoms = add_group(app, "symptoms", "Symptom checks.")
    review = add_group(app, "review", "Clinical reviews.")

    def guarded(func: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
            with guard(console(True)):
                func(*args, **kwargs)

        return wrapper

    def run(action: Callable[[Services, Console], None]) -> None:
        with _services() as services:
            action(services, console(False))

    @clinic.command("add")
    @guarded
    def clinic_add(name: str, actor: Actor = "") -> None:
        """Create a clinic and print its id."""
        run(lambda s, out: out.print(s.add_clinic(name, actor or login_name()).id))

    @patient.command("add")
    @guarded
    def patient_add(
        clinic_id: Annotated[str, typer.Option("--clinic", help="Clinic id.")],
        reference: Annotated[str, typer.Option(help="The clinic's own patient reference.")],
        name: Annotated[str, typer.Option(help="Patient name (never written to logs).")],
        case: Annotated[Path, typer.Option(help="Case file (the plan input) for plan version 1.")],
        maintenance_interval: Annotated[
            str | None, typer.Option(help="N{d,w,m}; outside the pack's range only with --interval-reason.")
        ] = None,
        interval_reason: Annotated[
            str | None,
            typer.Option(help="The prescriber's reason for a maintenance interval outside the licence."),
        ] = None,
        actor: Actor = "",
    ) -> None:
        """Add a patient with the plan built from a case file; print the patient id."""
        if not case.is_file():
            raise InputError("case", f"no case file at {case}")
        text = case.read_text(encoding="utf-8")
        run(
            lambda s, out: out.print(
                s.add_patient(
                    clinic_id=clinic_id,
                    reference=reference,
                    name=name,
                    case_json=text,
                    actor=actor or login_name(),
                    maintenance_interval=maintenance_interval,
                    interval_reason=interval_reason,
                ).id
            )
        )

    @patient.command("show")
    @guarded
    def patient_show(
        patient_id: str, as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None
    ) -> None:
        """Show a patient, the plan version in force and today's (or ``--as-of``) forecast."""

        def show(s: Services, out: Console) -> None:
            view = s.view(patient_id, parse_day(as_of, "as_of") if as_of else None)
            p = view.patient
            out.print(f"{p.name} ({p.reference}), born {p.birth_date.isoformat()}, clinic {p.clinic_id}")
            out.print(f"Plan version {view.plan_version.version} (pack {view.plan_version.pack_id})")
            render_forecast(view.forecast, out)

        run(show)

    @patient.command("list")
    @guarded
    def patient_list(clinic_id: Annotated[str, typer.Option("--clinic", help="Clinic id.")]) -> None:
        """List a clinic's patients."""

        def show(s: Services, out: Console) -> None:
            table = Table("Id", "Reference", "Name", "Born")
            for p in s.patients(clinic_id):
                table.add_row(*literal(p.id, p.reference, p.name, p.birth_date.isoformat()))
            out.print(table)

        run(show)

    @dose.command("record")
    @guarded
    def dose_record(
        patient_id: str,
        date: Annotated[str, typer.Option(help="Day given (YYYY-MM-DD).")],
        drug: Annotated[Drug | None, typer.Option(help="hydroxocobalamin or cyanocobalamin.")] = None,
        amount: Annotated[str | None, typer.Option("--dose", help="Amount, e.g. 1.")] = None,
        unit: Annotated[str | None, typer.Option(help="mg or microgram.")] = None,
        route: Annotated[Route | None, typer.Option(help="IM, SC, oral.")] = None,
        site: Annotated[str | None, typer.Option(help="Injection site.")] = None,
        lot: Annotated[str | None, typer.Option(help="Lot number.")] = None,
        given_by: Annotated[str | None, typer.Option(help="Who gave it.")] = None,
        source: Annotated[str, typer.Option(help="clinic, self or caregiver.")] = "clinic",
        not_done: Annotated[str | None, typer.Option(help="Reason, when the dose was not given.")] = None,
        key: Annotated[
            str | None, typer.Option(help="Idempotency key: the same key stores one dose.")
        ] = None,
        actor: Actor = "",
    ) -> None:
        """Record a dose given (or not done, with a reason); print the dose id."""
        if source not in ("clinic", "self", "caregiver"):
            raise InputError("source", f"{source!r} is not clinic, self or caregiver")
        entry = DoseInput(
            date=parse_day(date, "date"),
            drug=drug,
            dose=_decimal(amount, "dose") if amount else None,
            unit=unit,
            route=route,
            site=site,
            lot=lot,
            given_by=given_by,
            source=source,  # type: ignore[arg-type]
            not_done_reason=not_done,
            idempotency_key=key,
        )
        run(lambda s, out: out.print(s.record_dose(patient_id, entry, actor or login_name()).id))

    @lab.command("record")
    @guarded
    def lab_record(
        patient_id: str,
        test: Annotated[Test, typer.Option(help="total_b12, active_b12, mma, ...")],
        value: Annotated[str, typer.Option(help="The result.")],
        unit: Annotated[str, typer.Option(help="Its unit, e.g. ng/L.")],
        date: Annotated[str, typer.Option(help="Sample date (YYYY-MM-DD).")],
        actor: Actor = "",
    ) -> None:
        """Record a lab result; print its id."""
        day, number = parse_day(date, "date"), _decimal(value, "value")
        run(
            lambda s, out: out.print(
                s.record_lab(
                    patient_id, test=test, value=number, unit=unit, day=day, actor=actor or login_name()
                ).id
            )
        )

    @symptoms.command("record")
    @guarded
    def symptoms_record(
        patient_id: str,
        date: Annotated[str, typer.Option(help="Day of the check (YYYY-MM-DD).")],
        overall: Annotated[Overall, typer.Option(help="better, same or worse.")],
        score: Annotated[
            list[str] | None, typer.Option(help=f"SYMPTOM=0-3; symptoms: {', '.join(SYMPTOMS)}.")
        ] = None,
        actor: Actor = "",
    ) -> None:
        """Record a symptom check; print its id."""
        scores: dict[str, int] = {}
        for item in score or []:
            name, _, number = item.partition("=")
            if not number.isdigit():
                raise InputError(f"score.{name}", f"{item!r} is not SYMPTOM=0-3")
            scores[name] = int(number)
        day = parse_day(date, "date")
        run(
            lambda s, out: out.print(
                s.record_symptoms(patient_id, day, overall, scores, actor or login_name()).id
            )
        )

    @review.command("record")
    @guarded
    def review_record(
        patient_id: str,
        date: Annotated[str, typer.Option(help="Day of the review (YYYY-MM-DD).")],
        decision: Annotated[ReviewDecision, typer.Option(help="The review decision code.")],
        interval: Annotated[str | None, typer.Option(help="New maintenance interval N{d,w,m}.")] = None,
        note: Annotated[
            str,
            typer.Option(
                help="Free-text note; the reason, required to stop lifelong replacement "
                "(stop_cause_resolved, confirm_stop) or for an interval outside the licence."
            ),
        ] = "",
        actor: Actor = "",
    ) -> None:
        """Record a clinical review; an interval change makes a new plan version."""
        day = parse_day(date, "date")
        run(
            lambda s, out: out.print(
                s.record_review(
                    patient_id,
                    day=day,
                    decision=decision,
                    actor=actor or login_name(),
                    note=note,
                    new_interval=interval,
                ).id
            )
        )

    @app.command("mark-error")
    @guarded
    def mark_error(
        kind: Annotated[EntryKind, typer.Argument(help="dose, lab, symptoms or review.")],
        entry_id: str,
        reason: Annotated[str, typer.Option(help="Why the entry is wrong (required).")],
        actor: Actor = "",
    ) -> None:
        """Mark an entry as entered-in-error: it is kept, marked with who, when and why, and audited."""
        who = actor or login_name()
        run(
            lambda s, out: out.print(
                f"marked; patient {s.mark_entered_in_error(kind, entry_id, reason, who)}"
            )
        )

    @app.command()
    @guarded
    def history(patient_id: str) -> None:
        """Every recorded dose, lab, symptom check and review, oldest first (entered-in-error marked)."""

        def show(s: Services, out: Console) -> None:
            table = Table("Date", "Entry", "Detail", "Recorded by", "Entered in error")
            for row in s.history(patient_id):
                table.add_row(*literal(*row))
            out.print(table)

        run(show)

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
        if output not in ("table", "csv", "json"):
            raise InputError("format", f"{output!r} is not table, csv or json")
        for item in status or []:
            if item not in RECALL_STATUSES:
                raise InputError("status", f"{item!r} is not one of {', '.join(sorted(RECALL_STATUSES))}")

        def show(s: Services, out: Console) -> None:
            day = parse_day(as_of, "as_of") if as_of else s.today()
            clinics = None if clinic_id is None else [clinic_id]
            rows = s.recall(clinics, status or None, day, limit)
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
                buffer = io.StringIO()
                writer = csv.DictWriter(buffer, fieldnames=list(RECALL_COLUMNS))
                writer.writeheader()
                writer.writerows({k: spreadsheet_safe(v) for k, v in r.items()} for r in records)
                out.print(buffer.getvalue(), end="", markup=False, highlight=False, soft_wrap=True)
            else:
                table = Table(
                    "Status", "Due", "Overdue from", "Reference", "Name", "Flags", title=f"Recall {day}"
                )
                for r in records:
                    columns = ("status", "due", "overdue", "reference", "name", "flags")
                    table.add_row(*literal(*(r[c] for c in columns)))
                out.print(table)

        run(show)

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

        run(go)

    @app.command()
    @guarded
    def recompute(
        as_of: Annotated[str | None, typer.Option(help="Day (YYYY-MM-DD); default today.")] = None,
        workers: Annotated[
            int, typer.Option(min=1, max=64, help="Processes sharing the work; default: one per core.")
        ] = os.cpu_count() or 1,
    ) -> None:
        """Rebuild every stored forecast and recall timeline (after a pack upgrade), with a progress bar."""
        out = console(False)
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
