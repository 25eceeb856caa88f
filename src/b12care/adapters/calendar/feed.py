"""The calendar renderer the calendar use case is given (:mod:`b12care.application.calendar`): the
patient's feed as RFC 5545 text (:func:`b12care.adapters.calendar.ics.patient_calendar`) from the
sequence state the unit of work loaded, and the state it now says. The state is stored by the unit of
work's ``calendar_events`` repository (:mod:`b12care.adapters.db.calendar`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from b12care.adapters.calendar.ics import EventState, EventStatus, patient_calendar
from b12care.application.feed_ports import CalendarEventState
from b12care.application.treatment import PatientView
from b12care.domain.history import History
from b12care.domain.knowledge import Pack

__all__ = ["render_calendar"]


def _event_state(state: CalendarEventState) -> EventState:
    if isinstance(state, EventState):
        return state
    status: EventStatus = "CANCELLED" if state.status == "CANCELLED" else "CONFIRMED"
    return EventState(
        state.date,
        state.summary,
        state.fingerprint,
        state.sequence,
        status,
        state.created_at,
        state.changed_at,
    )


def render_calendar(
    view: PatientView,
    history: History,
    pack: Pack,
    *,
    public_url: str | None,
    now: dt.datetime,
    sequence_state: Mapping[str, CalendarEventState],
) -> tuple[bytes, Mapping[str, CalendarEventState]]:
    """The patient's feed on ``now`` (aware) and its new sequence state (a ``CalendarRenderer``)."""
    before = {key: _event_state(state) for key, state in sequence_state.items()}
    return patient_calendar(view, history, pack, public_url=public_url, now=now, sequence_state=before)
