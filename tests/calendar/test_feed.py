"""The patient's .ics feed end to end on SQLite and PostgreSQL: content, windows, UIDs, SEQUENCE state."""

from __future__ import annotations

import datetime as dt

from calendar_helpers import INJECTION, add_patient, confirmed, dose_dates, events, give, parse

from b12care.application.calendar import calendar_for
from b12care.application.treatment import Services
from b12care.bootstrap import App

LOADING = [dt.date(2026, 1, d) for d in (5, 7, 9, 12, 14, 16)]


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC)


def test_the_feed_is_a_calendar_with_all_day_events_that_carry_uid_and_dtstamp(app: App) -> None:
    patient = add_patient(app)

    calendar = parse(calendar_for(app, patient, _at(dt.date(2026, 1, 1))))

    assert str(calendar["PRODID"]) == "-//b12care//Patient calendar//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    vevents = calendar.walk("VEVENT")
    assert len(vevents) == 11
    for event in vevents:
        assert str(event["UID"]).endswith("@b12care")
        assert event["DTSTAMP"].dt == _at(dt.date(2026, 1, 1))
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert type(event["DTSTART"].dt) is dt.date
        assert event["DTEND"].dt == event["DTSTART"].dt + dt.timedelta(days=1)


def test_injections_fall_on_the_plan_dates_within_the_next_12_months(app: App) -> None:
    patient = add_patient(app)

    feed = calendar_for(app, patient, _at(dt.date(2026, 1, 1)))

    maintenance = [dt.date(2026, 4, 16), dt.date(2026, 7, 16), dt.date(2026, 10, 16)]
    assert dose_dates(feed) == [*LOADING, *maintenance]  # 2027-01-16 is past the 12 months
    assert all(dt.date(2026, 1, 1) <= e.date < dt.date(2027, 1, 1) for e in events(feed))


def test_review_milestones_are_events_on_their_plan_dates(app: App) -> None:
    patient = add_patient(app)

    feed = calendar_for(app, patient, _at(dt.date(2026, 1, 1)))

    reviews = [(e.date, e.summary) for e in confirmed(feed) if e.summary != INJECTION]
    assert reviews == [
        (dt.date(2026, 1, 16), "B12 review: symptoms"),
        (dt.date(2026, 4, 5), "B12 review: symptoms"),
    ]
    three_months = next(e for e in events(feed) if e.date == dt.date(2026, 4, 5))
    assert "after 3 months of treatment" in three_months.description


def test_descriptions_name_the_pack_and_that_a_clinician_decides_and_no_patient_details(app: App) -> None:
    patient = add_patient(app)

    feed = calendar_for(app, patient, _at(dt.date(2026, 1, 1)))

    assert str(parse(feed)["X-WR-CALNAME"]) == "My B12 injections"
    for event in events(feed):
        assert "uk-nice-2024 1.1.0" in event.description
        assert "Your clinician decides" in event.description
    assert b"Ann Example" not in feed
    assert b"H-1" not in feed
    assert patient.encode() not in feed


def test_uids_and_sequences_are_unchanged_when_nothing_changed(app: App) -> None:
    patient = add_patient(app)

    first_feed = calendar_for(app, patient, _at(dt.date(2026, 1, 1)))
    second_feed = calendar_for(app, patient, _at(dt.date(2026, 1, 2)))
    first, second = events(first_feed), events(second_feed)

    assert [(e.uid, e.date, e.sequence) for e in second] == [(e.uid, e.date, e.sequence) for e in first]
    assert {e.sequence for e in second} == {0}
    assert len({e.uid for e in second}) == len(second)
    assert parse(first_feed)["UID"] == parse(second_feed)["UID"]


def test_a_late_dose_moves_the_later_injections_and_raises_their_sequence(app: App) -> None:
    patient = add_patient(app)
    give(app, patient, *LOADING)
    before = {e.uid: e for e in events(calendar_for(app, patient, _at(dt.date(2026, 1, 20))))}
    assert [e.date for e in before.values() if e.summary == INJECTION] == [
        dt.date(2026, 4, 16),
        dt.date(2026, 7, 16),
        dt.date(2026, 10, 16),
        dt.date(2027, 1, 16),
    ]

    give(app, patient, dt.date(2026, 4, 20))  # due 16 April, given 4 days late
    after = events(calendar_for(app, patient, _at(dt.date(2026, 4, 21))))

    doses = [(e.date, e.sequence, e.uid in before) for e in after if e.summary == INJECTION]
    assert doses == [
        (dt.date(2026, 7, 20), 1, True),
        (dt.date(2026, 10, 20), 1, True),
        (dt.date(2027, 1, 20), 1, True),
        (dt.date(2027, 4, 20), 0, False),
    ]
    assert all(e.status == "CONFIRMED" for e in after)  # the given dose is not "cancelled"


def test_events_no_longer_planned_are_sent_cancelled_with_a_raised_sequence_once(app: App) -> None:
    patient = add_patient(app)
    give(app, patient, *LOADING)
    planned = events(calendar_for(app, patient, _at(dt.date(2026, 1, 20))))
    services = Services(app.uow, app.clock)
    for decision in ("stop_cause_resolved", "confirm_stop"):  # lifelong: a stop takes a confirmation
        services.record_review(
            patient, day=dt.date(2026, 1, 20), decision=decision, actor="dr.smith", note="diagnosis revised"
        )

    stopped = events(calendar_for(app, patient, _at(dt.date(2026, 1, 21))))
    again = events(calendar_for(app, patient, _at(dt.date(2026, 1, 22))))

    assert {e.uid for e in stopped} == {e.uid for e in planned}
    assert {(e.status, e.sequence) for e in stopped} == {("CANCELLED", 1)}
    assert [(e.uid, e.status, e.sequence) for e in again] == [(e.uid, e.status, e.sequence) for e in stopped]
    assert not parse(calendar_for(app, patient, _at(dt.date(2026, 1, 22)))).walk("VALARM")


def test_an_export_that_changes_the_state_is_audited_and_an_unchanged_one_writes_nothing(app: App) -> None:
    patient = add_patient(app)

    calendar_for(app, patient, _at(dt.date(2026, 1, 1)), actor="share-link")
    calendar_for(app, patient, _at(dt.date(2026, 1, 2)), actor="share-link")

    with app.uow() as uow:
        entries = [e for e in uow.audit.for_entity("patient", patient) if e.action == "calendar.update"]
    assert [(e.actor, dict(e.detail)) for e in entries] == [
        ("share-link", {"new": 11, "changed": 0, "cancelled": 0})
    ]


def test_the_clinics_flags_are_not_in_the_feed_and_an_overdue_injection_is_shown_today(app: App) -> None:
    patient = add_patient(app)
    view = Services(app.uow, app.clock).view(patient, dt.date(2026, 2, 1))
    assert view.forecast.flags  # the clinic sees flags on this day

    feed = calendar_for(app, patient, _at(dt.date(2026, 2, 1)))

    assert all(flag.code.encode() not in feed for flag in view.forecast.flags)
    first = confirmed(feed)[0]
    assert (first.date, first.summary) == (dt.date(2026, 2, 1), INJECTION)
    assert "was due on Monday 5 January 2026" in first.description.replace("\n", " ")
