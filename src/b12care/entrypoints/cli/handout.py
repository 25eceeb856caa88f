"""``b12care handout PATIENT [--output FILE.pdf]``: the patient handout in plain words.

Without ``--output`` the handout prints as text; with it, an A4 PDF is written. fpdf2 and segno load
only when a PDF is written, so the command line stays quick to start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from b12care.domain.errors import InputError
from b12care.entrypoints.cli.commands import ConsoleFor, Guard, parse_day

__all__ = ["register"]


def _check_url(url: str | None) -> None:
    if url is not None and not url.startswith(("https://", "http://", "webcal://")):
        raise InputError("calendar_url", f"{url!r} is not an http(s) or webcal link")


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``handout`` on ``app``; ``guard`` turns errors into one line and an exit code."""

    @app.command()
    def handout(
        patient_id: Annotated[str, typer.Argument(metavar="PATIENT", help="Patient id.")],
        output: Annotated[
            Path | None, typer.Option("--output", help="Write an A4 PDF to FILE (default: text out).")
        ] = None,
        as_of: Annotated[
            str | None, typer.Option(help="The day the handout is made for (YYYY-MM-DD); default today.")
        ] = None,
        calendar_url: Annotated[
            str | None, typer.Option(help="The patient's calendar (.ics) link, printed and as a QR code.")
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace an existing --output file.")] = False,
    ) -> None:
        """The patient handout: cause, medicine, dates, milestones, when to call (text or PDF)."""
        from b12care.adapters.handout.coming import coming_dates
        from b12care.adapters.handout.text import handout_as_text
        from b12care.application.handout import build_handout
        from b12care.application.planning import choose_pack
        from b12care.application.treatment import Services, load_history
        from b12care.bootstrap import bootstrap

        with guard(console(True)):
            day = parse_day(as_of, "as_of") if as_of else None
            _check_url(calendar_url)
            with bootstrap() as booted:
                services = Services(booted.uow, booted.clock)
                today = day or services.today()
                view = services.view(patient_id, today)
                with booted.uow() as uow:
                    history = load_history(uow, patient_id)
            pack = choose_pack(None, view.plan_version.pack_id)
            result = build_handout(
                view,
                today=today,
                calendar_url=calendar_url,
                pack=pack,
                coming=coming_dates(view.forecast, history, pack),
            )
            if output is None:
                out = console(False)
                out.file.write(handout_as_text(result))
                out.file.flush()
                return
            from b12care.adapters.handout.pdf import handout_pdf
            from b12care.entrypoints.cli.output import write_private

            write_private(output, [handout_pdf(result)], force=force, field="output")
            console(False).print(f"handout written to {output}", markup=False, highlight=False)
