"""Treatment-record commands: clinics, patients, doses, labs, symptoms, reviews, entered-in-error marks and
the history (the recall list, the demo clinic and recompute are in ``cli/recall.py``).

They open the database through ``bootstrap`` (SQLite in the user's data folder by default, PostgreSQL
with B12CARE_DATABASE_URL) and call the use cases in ``application.treatment``; both load inside the
commands, when one runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, Protocol

import typer
from rich.console import Console
from rich.table import Table

from b12care.application.commands import EntryKind
from b12care.domain.errors import InputError
from b12care.domain.history import SYMPTOMS, Overall, ReviewDecision
from b12care.domain.vocabulary import Drug, Route, Test
from b12care.entrypoints.cli.commands import (
    ConsoleFor,
    Guard,
    add_group,
    literal,
    login_name,
    parse_day,
    parse_decimal,
)

if TYPE_CHECKING:
    from b12care.application.treatment import Services

__all__ = ["Actor", "Guarded", "Run", "guarded_by", "register", "run_with_services"]

P = ParamSpec("P")
Actor = Annotated[str, typer.Option(help="Who is recording (default: the login name).")]


class Guarded(Protocol):
    """A command wrapped so that its errors are one line and an exit code."""

    def __call__(self, func: Callable[P, None], /) -> Callable[P, None]: ...


Run = Callable[[Callable[["Services", Console], None]], None]
"""Runs an action with the use cases (over the configured database) and the standard-output console."""


def guarded_by(console: ConsoleFor, guard: Guard) -> Guarded:
    """A decorator running a command inside ``guard`` (errors become one line and an exit code)."""

    def guarded(func: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
            with guard(console(True)):
                func(*args, **kwargs)

        return wrapper

    return guarded


def run_with_services(console: ConsoleFor, action: Callable[[Services, Console], None]) -> None:
    """Open the database and run ``action`` with the use cases and the standard-output console."""
    from b12care.application.treatment import Services
    from b12care.bootstrap import bootstrap

    with bootstrap() as app:
        action(Services(app.uow, app.clock), console(False))


def _add_clinic_and_patient(clinic: typer.Typer, patient: typer.Typer, guarded: Guarded, run: Run) -> None:
    """Register ``clinic add`` and ``patient add``."""

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


def _add_patient_views(patient: typer.Typer, guarded: Guarded, run: Run) -> None:
    """Register ``patient show`` and ``patient list``."""

    @patient.command("show")
    @guarded
    def patient_show(
        patient_id: str, as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None
    ) -> None:
        """Show a patient, the plan version in force and today's (or ``--as-of``) forecast."""

        def show(s: Services, out: Console) -> None:
            from b12care.entrypoints.cli.render import render_forecast

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


def _add_dose(dose: typer.Typer, guarded: Guarded, run: Run) -> None:
    """Register ``dose record``."""

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
        from b12care.application.commands import DoseInput

        entry = DoseInput(
            date=parse_day(date, "date"),
            drug=drug,
            dose=parse_decimal(amount, "dose") if amount else None,
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


def _add_lab_and_symptoms(lab: typer.Typer, symptoms: typer.Typer, guarded: Guarded, run: Run) -> None:
    """Register ``lab record`` and ``symptoms record``."""

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
        day, number = parse_day(date, "date"), parse_decimal(value, "value")
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


def _add_review(review: typer.Typer, guarded: Guarded, run: Run) -> None:
    """Register ``review record``."""

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


def _add_entry_commands(app: typer.Typer, guarded: Guarded, run: Run) -> None:
    """Register ``mark-error`` and ``history``."""

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


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register the record commands on ``app``; ``guard`` turns errors into one line and an exit code."""
    clinic = add_group(app, "clinic", "Clinics.")
    patient = add_group(app, "patient", "Patients and their plans.")
    dose = add_group(app, "dose", "Administered doses.")
    lab = add_group(app, "lab", "Laboratory results.")
    symptoms = add_group(app, "symptoms", "Symptom checks.")
    review = add_group(app, "review", "Clinical reviews.")
    guarded = guarded_by(console, guard)

    def run(action: Callable[[Services, Console], None]) -> None:
        run_with_services(console, action)

    _add_clinic_and_patient(clinic, patient, guarded, run)
    _add_patient_views(patient, guarded, run)
    _add_dose(dose, guarded, run)
    _add_lab_and_symptoms(lab, symptoms, guarded, run)
    _add_review(review, guarded, run)
    _add_entry_commands(app, guarded, run)
