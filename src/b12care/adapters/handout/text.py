"""The patient handout as plain text (for tests, the command line and e-mail)."""

from __future__ import annotations

import datetime as dt

from b12care.application.handout import Handout, HandoutDate

__all__ = ["format_day", "handout_as_text", "long_day"]

# English names whatever the machine's locale, so the same handout gives the same text.
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_day(day: dt.date) -> str:
    """A date as patients read it: ``Monday 5 January 2026``."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_day(day: dt.date) -> str:
    """A date as patients read it and tools parse it: ``Monday 5 January 2026 (2026-01-05)``."""
    return f"{long_day(day)} ({day.isoformat()})"


def _dates(lines: tuple[HandoutDate, ...]) -> list[str]:
    return [f"- {format_day(line.date)}: {line.what}" for line in lines]


def handout_as_text(handout: Handout) -> str:
    """Every section of the handout, headed, one date per line."""
    parts: list[str] = [
        handout.title,
        f"For {handout.patient_name}. Made on {format_day(handout.made_on)}.",
        "",
        "Why you need vitamin B12",
        handout.cause,
        "",
        "Your medicine",
        handout.medicine,
        "",
        "Loading injections",
        handout.loading_text,
        *_dates(handout.loading),
        "",
        "After loading",
        handout.maintenance,
        "",
        "Your next injections",
        handout.next_text,
        *_dates(handout.next_dates),
        "",
        "Blood tests and reviews",
        *(_dates(handout.milestones) or ["No blood tests or reviews are planned yet."]),
        "",
        *(
            ["When to call your clinic", *(f"- {line}" for line in handout.watch_for), ""]
            if handout.watch_for
            else []
        ),
        "Calendar",
        handout.calendar_text,
    ]
    if handout.calendar_url:
        parts.append(handout.calendar_url)
    parts += ["", handout.clinician_note, f"Made with the b12care knowledge pack {handout.pack_label}."]
    return "\n".join(parts) + "\n"
