"""``b12care export --patient ID | --clinic ID --format fhir|csv [--output FILE]`` (docs/backup.md).

FHIR: one R4 Bundle (collection) of every exported patient's Patient, CarePlan, MedicationRequest,
MedicationAdministrations and Observations. CSV: one row per recorded entry, formulas defused
(``b12care.application.export``). An unknown id exits 2 naming ``patient`` or ``clinic``. With ``--output``
the file appears whole or not at all (written beside, then renamed). Both formats are written as they
are made, a batch of patients at a time, so a large clinic needs no more memory than a small one.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from b12care.entrypoints.cli.commands import ConsoleFor, Guard, login_name, parse_day

__all__ = ["ExportFormat", "register"]


class ExportFormat(StrEnum):
    """What ``export`` writes."""

    fhir = "fhir"
    csv = "csv"


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``export`` on ``app``."""

    @app.command("export")
    def export_command(
        *,
        patient_id: Annotated[str | None, typer.Option("--patient", help="Export this patient.")] = None,
        clinic_id: Annotated[
            str | None, typer.Option("--clinic", help="Export every patient of this clinic.")
        ] = None,
        output_format: Annotated[
            ExportFormat, typer.Option("--format", help="fhir (one R4 Bundle) or csv (a row per entry).")
        ] = ExportFormat.fhir,
        output: Annotated[
            Path | None, typer.Option(help="Write here, owner-only (default: standard output).")
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace an existing --output file.")] = False,
        as_of: Annotated[
            str | None, typer.Option(help="FHIR: forecast date YYYY-MM-DD of the care plans (default today).")
        ] = None,
        actor: Annotated[
            str, typer.Option(help="Who exports, for the audit log (default: login name).")
        ] = "",
    ) -> None:
        """Export one patient or a clinic: every recorded entry, entered-in-error ones marked."""
        from b12care.application.export import csv_chunks, patients_to_export
        from b12care.application.treatment import Services
        from b12care.bootstrap import bootstrap
        from b12care.entrypoints.cli.output import write_private

        with guard(console(True)):
            day = parse_day(as_of, "--as-of") if as_of else None
            with bootstrap() as started:
                services = Services(started.uow, started.clock)
                patients = patients_to_export(
                    started.uow, started.clock, actor=actor or login_name(), output=output_format.value,
                    patient_id=patient_id, clinic_id=clinic_id,
                )  # fmt: skip
                if output_format is ExportFormat.csv:
                    chunks = csv_chunks(started.uow, patients)
                else:
                    from b12care.adapters.fhir.bulk import bundle_chunks

                    chunks = bundle_chunks(services, patients, day)
                if output is None:
                    out = console(False)
                    for chunk in chunks:
                        out.out(chunk, highlight=False, end="")
                else:
                    write_private(output, chunks, force=force)
