"""SEQUENCE state: what changes an event's SEQUENCE and what is cancelled (no database)."""

from __future__ import annotations

import datetime as dt

from b12care.adapters.calendar.ics import CalendarEntry, EventState, reconcile

T0 = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 2, 1)
SHOT = "Vitamin B12 injection (hydroxocobalamin 1 mg IM)"


def _entry(key: str, day: dt.date, summary: str = SHOT) -> CalendarEntry:
    return CalendarEntry(key, day, summary, "text")


def _first(*entries: CalendarEntry) -> dict[str, EventState]:
    _, state = reconcile(entries, {}, given=0, as_of=dt.date(2026, 1, 1), now=T0)
    return state


def test_an_event_keeps_its_sequence_when_date_and_summary_stay_and_only_the_text_changes() -> None:
    state = _first(_entry("dose-7", dt.date(2026, 4, 16)))

    sent, after = reconcile(
        (CalendarEntry("dose-7", dt.date(2026, 4, 16), SHOT, "new text"),),
        state,
        given=6,
        as_of=AS_OF,
        now=T1,
    )

    assert [(e.key, e.state.sequence, e.state.changed_at) for e in sent] == [("dose-7", 0, T0)]
    assert after == state


def test_a_moved_or_renamed_event_gets_the_next_sequence() -> None:
    state = _first(_entry("dose-7", dt.date(2026, 4, 16)), _entry("milestone-x-1", dt.date(2026, 4, 5)))

    sent, _ = reconcile(
        (_entry("dose-7", dt.date(2026, 4, 20)), _entry("milestone-x-1", dt.date(2026, 4, 5), "B12 review")),
        state,
        given=6,
        as_of=AS_OF,
        now=T1,
    )

    assert [(e.key, e.state.sequence, e.state.created_at, e.state.changed_at) for e in sent] == [
        ("milestone-x-1", 1, T0, T1),
        ("dose-7", 1, T0, T1),
    ]


def test_a_given_dose_and_a_past_event_drop_out_without_being_cancelled() -> None:
    state = _first(_entry("dose-7", dt.date(2026, 4, 16)), _entry("milestone-x-1", dt.date(2026, 1, 20)))

    sent, after = reconcile((), state, given=7, as_of=AS_OF, now=T1)

    assert sent == []
    assert after == state


def test_a_planned_event_that_disappears_is_cancelled_once_with_a_raised_sequence() -> None:
    state = _first(_entry("dose-8", dt.date(2026, 7, 16)))

    sent, after = reconcile((), state, given=7, as_of=AS_OF, now=T1)
    again, unchanged = reconcile((), after, given=7, as_of=AS_OF, now=T1 + dt.timedelta(days=1))

    assert [(e.key, e.state.status, e.state.sequence) for e in sent] == [("dose-8", "CANCELLED", 1)]
    assert [(e.key, e.state.status, e.state.sequence) for e in again] == [("dose-8", "CANCELLED", 1)]
    assert unchanged == after


def test_a_cancelled_event_that_is_planned_again_comes_back_confirmed_with_the_next_sequence() -> None:
    _, cancelled = reconcile((), _first(_entry("dose-8", dt.date(2026, 7, 16))), given=7, as_of=AS_OF, now=T1)

    sent, _ = reconcile((_entry("dose-8", dt.date(2026, 7, 16)),), cancelled, given=7, as_of=AS_OF, now=T1)

    assert [(e.state.status, e.state.sequence) for e in sent] == [("CONFIRMED", 2)]
