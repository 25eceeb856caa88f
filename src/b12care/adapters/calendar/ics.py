"""A patient's calendar feed (RFC 5545 iCalendar): the coming injections and reviews as all-day events.

The feed is a subscription (``METHOD:PUBLISH``, served as ``text/calendar``): calendar apps fetch it
again and again, so each event keeps one ``UID`` across exports and apps replace it rather than add a
copy. ``SEQUENCE`` rises when an event's date, summary or status changes; an event that is no longer
planned (the plan changed or stopped) is sent with ``STATUS:CANCELLED`` and a raised ``SEQUENCE`` while
its date is still ahead, so subscribers drop it. What the feed last said about each event is the
sequence state (:class:`EventState`, stored per patient by :mod:`b12care.adapters.calendar.feed`).

UIDs: ``dose-<n>`` (the n-th dose of the whole treatment: numbers already given never come back) or
``milestone-<rule id>-<occurrence>``, then a one-way hash of the patient id, ``@b12care``. The feed
holds no patient name or internal id and none of the clinic's flags; it names the knowledge pack and
version that produced its dates and says that a clinician decides.

With ``METHOD`` present, ``DTSTAMP`` is when this iCalendar object was made (now); ``CREATED`` and
``LAST-MODIFIED`` say when the event first appeared and last changed (RFC 5545 3.8.7).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from icalendar import Alarm, Calendar, Event
from icalendar.enums import CLASS, STATUS, TRANSP

from b12care.application.treatment import PatientView
from b12care.domain.history import History
from b12care.domain.knowledge import Pack
from b12care.domain.milestones import Milestone
from b12care.domain.projection import Projection, project

__all__ = [
    "CALENDAR_NAME",
    "PRODID",
    "CalendarEntry",
    "EventState",
    "EventStatus",
    "FeedEvent",
    "calendar_entries",
    "event_uid",
    "patient_calendar",
    "reconcile",
]

CALENDAR_NAME = "My B12 injections"
PRODID = "-//b12care//Patient calendar//EN"
EventStatus = Literal["CONFIRMED", "CANCELLED"]
_REFRESH = dt.timedelta(days=1)
_REMIND_BEFORE = dt.timedelta(hours=15)  # 09:00 the day before an all-day event
_FOOTER = (
    "Planned by b12care from your treatment record with knowledge pack {pack}. "
    "Your clinician decides your treatment: if a date does not suit you, or you feel worse, contact "
    "your clinic."
)
_CANCELLED = "No longer planned: your treatment plan has changed. Your clinician decides your treatment."
_MILESTONE_SUMMARY = {
    "lab": "B12 blood test",
    "symptom_review": "B12 review: symptoms",
    "review": "B12 review: symptoms and blood test",
}
_CHECKPOINT_SUMMARY = "B12 review: symptoms and next steps"


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One planned event as the feed shows it; ``key`` is stable across exports."""

    key: str
    date: dt.date
    summary: str
    description: str


@dataclass(frozen=True, slots=True)
class EventState:
    """What the feed last said about one event: the sequence state of one patient's event."""

    date: dt.date
    summary: str
    fingerprint: str
    sequence: int
    status: EventStatus
    created_at: dt.datetime
    changed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """An event as this export sends it."""

    key: str
    state: EventState
    description: str


def _day(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _dose_entries(view: PatientView, projection: Projection, footer: str) -> list[CalendarEntry]:
    drug = view.forecast.plan.selection.regimen.drug
    nxt = view.forecast.next_dose
    entries = []
    for dose in projection.doses:
        product = f"{drug} {dose.dose} {dose.route}"
        summary = f"Vitamin B12 injection ({product})"
        lines = [f"Injection {dose.number} of your vitamin B12 treatment ({dose.phase} phase): {product}."]
        if dose.overdue_since is not None:
            lines.append(
                f"This injection was due on {_day(dose.overdue_since)}: "
                "please contact your clinic to have it."
            )
        elif dose.number == projection.given + 1 and nxt is not None and nxt.earliest < nxt.due:
            lines.append(f"You can have it from {_day(nxt.earliest)}.")
        lines.append(footer)
        entries.append(CalendarEntry(f"dose-{dose.number}", dose.date, summary, "\n\n".join(lines)))
    return entries


def _milestone_summary(milestone: Milestone) -> str:
    if milestone.anchor == "checkpoint":
        return _CHECKPOINT_SUMMARY
    return _MILESTONE_SUMMARY[milestone.kind]


def calendar_entries(view: PatientView, projection: Projection) -> tuple[CalendarEntry, ...]:
    """The feed's events for ``projection``: injections, then milestones, each by date."""
    plan = view.forecast.plan
    footer = _FOOTER.format(pack=f"{plan.pack_id} {plan.pack_version}")
    entries = _dose_entries(view, projection, footer)
    for item in projection.milestones:
        what = item.milestone.what.rstrip(".")
        entries.append(
            CalendarEntry(
                f"milestone-{item.key}", item.date, _milestone_summary(item.milestone), f"{what}.\n\n{footer}"
            )
        )
    return tuple(sorted(entries, key=lambda e: (e.date, e.key)))


def _fingerprint(day: dt.date, summary: str, status: EventStatus) -> str:
    return hashlib.sha256(f"{day.isoformat()}\n{summary}\n{status}".encode()).hexdigest()


def _given(key: str, given: int) -> bool:
    prefix, _, number = key.partition("-")
    return prefix == "dose" and number.isdigit() and int(number) <= given


def reconcile(
    entries: tuple[CalendarEntry, ...],
    state: Mapping[str, EventState],
    *,
    given: int,
    as_of: dt.date,
    now: dt.datetime,
) -> tuple[list[FeedEvent], dict[str, EventState]]:
    """The events to send and the new sequence state.

    New events start at SEQUENCE 0; an event whose date, summary or status changed gets the next
    SEQUENCE; a stored event no longer planned and still ahead is sent CANCELLED (SEQUENCE raised once).
    Doses already given (numbers up to ``given``) and past events are left out, unchanged.
    """
    emitted: list[FeedEvent] = []
    new_state = dict(state)
    for entry in entries:
        fingerprint = _fingerprint(entry.date, entry.summary, "CONFIRMED")
        before = state.get(entry.key)
        if before is None:
            current = EventState(entry.date, entry.summary, fingerprint, 0, "CONFIRMED", now, now)
        elif before.fingerprint == fingerprint:
            current = before
        else:
            current = EventState(
                entry.date,
                entry.summary,
                fingerprint,
                before.sequence + 1,
                "CONFIRMED",
                before.created_at,
                now,
            )
        new_state[entry.key] = current
        emitted.append(FeedEvent(entry.key, current, entry.description))
    planned = {entry.key for entry in entries}
    for key, before in sorted(state.items()):
        if key in planned or _given(key, given) or before.date < as_of:
            continue
        current = before
        if before.status != "CANCELLED":
            fingerprint = _fingerprint(before.date, before.summary, "CANCELLED")
            current = replace(
                before,
                fingerprint=fingerprint,
                sequence=before.sequence + 1,
                status="CANCELLED",
                changed_at=now,
            )
        new_state[key] = current
        emitted.append(FeedEvent(key, current, _CANCELLED))
    emitted.sort(key=lambda e: (e.state.date, e.key))
    return emitted, new_state


def event_uid(patient_id: str, key: str) -> str:
    """The event's UID: its key and a one-way hash of the patient id (no identifier in the feed)."""
    token = hashlib.sha256(f"b12care-calendar:{patient_id}".encode()).hexdigest()[:24]
    return f"{key}-{token}@b12care"


def _event(patient_id: str, item: FeedEvent, now: dt.datetime) -> Event:
    state = item.state
    event = Event.new(
        uid=event_uid(patient_id, item.key),
        stamp=now,
        created=state.created_at,
        last_modified=state.changed_at,
        start=state.date,
        end=state.date + dt.timedelta(days=1),
        summary=state.summary,
        description=item.description,
        sequence=state.sequence,
        status=STATUS(state.status),
        transparency=TRANSP.TRANSPARENT,
        classification=CLASS.PRIVATE,
    )
    if state.status == "CONFIRMED":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Tomorrow: {state.summary}")
        alarm.add("trigger", -_REMIND_BEFORE)
        event.add_component(alarm)
    return event


def _render(patient_id: str, emitted: list[FeedEvent], *, now: dt.datetime, public_url: str | None) -> bytes:
    calendar = Calendar.new(
        uid=event_uid(patient_id, "calendar"),
        prodid=PRODID,
        method="PUBLISH",
        calscale="GREGORIAN",
        name=CALENDAR_NAME,  # also written as X-WR-CALNAME
        description="Your planned vitamin B12 injections and reviews. Your clinician decides your treatment.",
        source=public_url,
    )
    # RFC 7986 5.7: VALUE=DURATION is required on REFRESH-INTERVAL; X-PUBLISHED-TTL is its older name.
    calendar.add("refresh-interval", _REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "P1D")
    for item in emitted:
        calendar.add_component(_event(patient_id, item, now))
    text: bytes = calendar.to_ical()
    return text


def patient_calendar(
    view: PatientView,
    history: History,
    pack: Pack,
    *,
    public_url: str | None,
    now: dt.datetime,
    sequence_state: Mapping[str, EventState],
) -> tuple[bytes, dict[str, EventState]]:
    """The patient's feed for the 12 months from ``view.forecast.as_of``, and the new sequence state.

    ``history`` and ``pack`` are the ones the view's forecast was computed from; ``now`` (aware) is the
    export time; ``sequence_state`` is what the previous export said (empty the first time).

    Reference: b12care-local-policy (dates, through the plan and forecast).
    """
    projection = project(view.forecast, history, pack)
    emitted, new_state = reconcile(
        calendar_entries(view, projection),
        sequence_state,
        given=projection.given,
        as_of=projection.as_of,
        now=now,
    )
    return _render(view.patient.id, emitted, now=now, public_url=public_url), new_state
