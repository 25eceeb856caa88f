"""The calendar feed use case: read the patient, render the .ics, store the new sequence state.

``calendar_for(app, patient_id, now)`` is what a face calls (CLI ``b12care schedule export``, the
share-link route) with the container. The patient, plan version, forecast and history are read in one
unit of work (one consistent snapshot); the sequence state is read, compared and written in
one unit of work that holds the patient (``calendar_events.lock``), so two exports at once cannot both
raise a SEQUENCE from the same start. Rendering RFC 5545 is the adapter's, injected as the container's
``calendar_renderer``.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from b12care.application.feed_ports import CalendarRenderer
from b12care.application.planning import choose_pack
from b12care.application.ports import UnitOfWorkFactory
from b12care.application.treatment import PatientView, current_forecast, load_history

__all__ = ["FEED_ACTOR", "CalendarDeps", "calendar_for"]

FEED_ACTOR = "calendar-feed"


class CalendarDeps(Protocol):
    """What the feed needs of the container."""

    @property
    def uow(self) -> UnitOfWorkFactory:
        """The unit of work factory."""
        ...

    @property
    def calendar_renderer(self) -> CalendarRenderer:
        """Renders the feed and its new sequence state."""
        ...


def calendar_for(
    app: CalendarDeps,
    patient_id: str,
    now: dt.datetime,
    *,
    public_url: str | None = None,
    actor: str = FEED_ACTOR,
) -> bytes:
    """The patient's .ics feed on ``now`` (aware), its sequence state stored; serve as text/calendar.

    Raises RecordNotFoundError for an unknown patient and InputError for one without a plan.
    """
    as_of = now.date()
    with app.uow() as uow:
        patient = uow.patients.get(patient_id)
        version, forecast = current_forecast(uow, patient_id, as_of)
        history = load_history(uow, patient_id)
    view = PatientView(patient, version, forecast)
    pack = choose_pack(None, version.pack_id)
    with app.uow() as uow:
        states = uow.calendar_events
        states.lock(patient_id)
        before = states.load(patient_id)
        feed, after = app.calendar_renderer(
            view, history, pack, public_url=public_url, now=now, sequence_state=before
        )
        states.save(patient_id, before, after, actor=actor, at=now)
        uow.commit()
    return feed
