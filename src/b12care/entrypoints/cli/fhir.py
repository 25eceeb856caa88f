"""``b12care fhir import`` and ``b12care fhir export``: FHIR R4 Bundles in and out of the record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from b12care.domain.errors import InputError
from b12care.entrypoints.cli.commands import ConsoleFor, Guard, PatientId, add_group, login_name, parse_day

if TYPE_CHECKING:  # the FHIR adapters (fhir.resources) and the database load when a command runs
    from b12care.adapters.fhir.importer import ImportReport

__all__ = ["register", "render_report"]


def _read_bundle(source: Path) -> Any:
    if not source.is_file():
        raise InputError("BUNDLE", f"no bundle file at {source}")
    try:
        return json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError("BUNDLE", f"cannot read {source}: {error}") from None
    except json.JSONDecodeError as error:
        raise InputError(
            "BUNDLE", f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise InputError("BUNDLE", "JSON nested too deeply to be a FHIR Bundle") from None


def render_report(report: ImportReport, out: Console) -> None:
    """One line per entry: imported, duplicate, conflict (both values), matched patient, or the issue."""
    for entry in report.matched_patients:
        out.print(
            f"patient    {entry.path}  Patient/{entry.resource_id} -> {entry.patient_id}",
            markup=False,
            soft_wrap=True,
        )
    for entry in report.imported:
        out.print(
            f"imported   {entry.path}  {entry.resource_type}/{entry.resource_id}",
            markup=False,
            soft_wrap=True,
        )
    for entry in report.duplicates:
        out.print(
            f"duplicate  {entry.path}  {entry.resource_type}/{entry.resource_id}",
            markup=False,
            soft_wrap=True,
        )
    for conflict in report.conflicts:
        out.print(f"conflict   {conflict.path}  {conflict.message}", markup=False, soft_wrap=True)
    for issue in report.issues:
        out.print(f"{issue.kind:<10} {issue.path}  {issue.message}", markup=False, soft_wrap=True)
    out.print(
        f"{len(report.imported)} imported, {len(report.duplicates)} duplicates, "
        f"{len(report.conflicts)} conflicts, {len(report.matched_patients)} patients matched, "
        f"{len(report.issues)} not imported",
        markup=False,
    )


def _add_import(fhir: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``fhir import`` on ``fhir``."""

    @fhir.command("import")
    def import_command(
        bundle: Annotated[Path, typer.Argument(metavar="BUNDLE.json", help="A FHIR R4 Bundle (JSON).")],
        clinic_id: Annotated[
            str, typer.Option("--clinic", help="Clinic whose patients the bundle is about.")
        ],
        actor: Annotated[str, typer.Option(help="Who is importing (default: the login name).")] = "",
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        source: Annotated[
            str | None,
            typer.Option(
                help="The sending EHR (e.g. its FHIR base URL): the source of entry ids whose fullUrl and"
                " meta.source name none (default: the clinic)."
            ),
        ] = None,
    ) -> None:
        """Import labs and doses of known patients; print what happened to every entry.

        Entries are keyed by source and id: the same key with other content is a conflict, shown with
        both values and not stored. Each patient's entries are stored in one transaction.
        """
        with guard(console(True)):
            data = _read_bundle(bundle)
            from b12care.application.treatment import Services
            from b12care.bootstrap import bootstrap

            with bootstrap() as started:
                from b12care.adapters.fhir.importer import import_bundle

                report = import_bundle(
                    Services(started.uow, started.clock),
                    data,
                    clinic_id,
                    actor or login_name(),
                    source=source,
                )
            out = console(False)
            if as_json:
                out.print_json(json.dumps(report.to_dict()))
            else:
                render_report(report, out)


def _add_export(fhir: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``fhir export`` on ``fhir``."""

    @fhir.command("export")
    def export_command(
        patient_id: PatientId,
        output: Annotated[
            Path | None, typer.Option(help="Write the Bundle here, owner-only (default: stdout).")
        ] = None,
        as_of: Annotated[str | None, typer.Option(help="Forecast date YYYY-MM-DD (default: today).")] = None,
        actor: Annotated[
            str, typer.Option(help="Who exports, for the audit (default: the login name).")
        ] = "",
        force: Annotated[bool, typer.Option("--force", help="Replace an existing --output file.")] = False,
    ) -> None:
        """Export the patient, plan and record as a FHIR R4 Bundle (collection)."""
        with guard(console(True)):
            day = parse_day(as_of, "--as-of") if as_of else None
            from b12care.application.treatment import Services
            from b12care.bootstrap import bootstrap

            with bootstrap() as started:
                from b12care.adapters.fhir.outbound import export_patient_record

                bundle = export_patient_record(
                    Services(started.uow, started.clock), patient_id, day, actor=actor or login_name()
                )
            text = json.dumps(bundle, indent=2, ensure_ascii=False)
            if output is None:
                console(False).out(text, highlight=False)
            else:
                from b12care.entrypoints.cli.output import write_private

                write_private(output, [text + "\n"], force=force)


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``fhir import`` and ``fhir export``; ``guard`` turns errors into one line and an exit code."""
    fhir = add_group(app, "fhir", "FHIR R4 import and export.")
    _add_import(fhir, console, guard)
    _add_export(fhir, console, guard)
