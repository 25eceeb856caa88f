"""Helpers for the calendar tests: read a feed back with icalendar, make a patient."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from icalendar import Calendar

from b12care.application.treatment import DoseInput, Services
from b12care.bootstrap import App

EXAMPLE_CASE = Path(__file__).resolve().parents[2] / "examples" / "pernicious-anaemia.json"
INJECTION = "Vitamin B12 injection (hydroxocobalamin 1 mg IM)"


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    date: dt.date
    summary: str
    sequence: int
    status: str
    description: str


def parse(feed: bytes) -> Calendar:
    """The feed as icalendar reads it."""
    return Calendar.from_ical(feed)


def events(feed: bytes) -> list[FeedEvent]:
    """Every VEVENT of the feed, in feed order."""
    return [
        FeedEvent(
            str(event["UID"]),
            event["DTSTART"].dt,
            str(event["SUMMARY"]),
            int(event["SEQUENCE"]),
            str(event["STATUS"]),
            str(event["DESCRIPTION"]),
        )
        for event in parse(feed).walk("VEVENT")
    ]


def confirmed(feed: bytes) -> list[FeedEvent]:
    return [e for e in events(feed) if e.status == "CONFIRMED"]


def dose_dates(feed: bytes) -> list[dt.date]:
    return [e.date for e in confirmed(feed) if e.summary == INJECTION]


def add_patient(app: App, case_json: str | None = None) -> str:
    """A clinic and a patient with plan version 1 from the example case (start 2026-01-05)."""
    services = Services(app.uow, app.clock)
    clinic = services.add_clinic("North Surgery", "admin")
    text = case_json if case_json is not None else EXAMPLE_CASE.read_text(encoding="utf-8")
    patient = services.add_patient(
        clinic_id=clinic.id, reference="H-1", name="Ann Example", case_json=text, actor="admin"
    )
    return patient.id


def give(app: App, patient_id: str, *days: dt.date) -> None:
    """Record doses of the plan's product given on ``days``."""
    services = Services(app.uow, app.clock)
    for day in days:
        services.record_dose(
            patient_id,
            DoseInput(day, "hydroxocobalamin", Decimal("1"), "mg", "IM"),
            "nurse.jones",
        )
