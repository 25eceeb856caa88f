"""The patient handout in plain words: cause, medicine, dates, milestones, when to call, pack and version."""

from __future__ import annotations

import dataclasses
import json

import pytest
from handout_views import CASE, LOADING, TODAY, URL, patient_view

from b12care.adapters.handout.coming import coming_dates
from b12care.adapters.handout.text import handout_as_text
from b12care.application.handout import CAUSE_SENTENCES, build_handout
from b12care.domain.vocabulary import Cause, codes_of


def test_the_handout_names_the_cause_as_recorded_by_the_clinic() -> None:
    view, _, pack = patient_view()

    handout = build_handout(view, today=TODAY, calendar_url=None, pack=pack)

    assert "pernicious anaemia" in handout.cause
    assert "as recorded by your clinic" in handout.cause


def test_every_cause_code_has_a_plain_sentence() -> None:
    assert set(CAUSE_SENTENCES) == set(codes_of(Cause))


def test_the_handout_lists_the_loading_dates_and_the_maintenance_interval() -> None:
    view, _, pack = patient_view()

    handout = build_handout(view, today=TODAY, calendar_url=None, pack=pack)

    assert tuple(line.date for line in handout.loading) == LOADING
    assert "every 3 months" in handout.maintenance
    assert "for life" in handout.maintenance  # pernicious anaemia is a lifelong cause in the pack
    text = handout_as_text(handout)
    for day in LOADING:
        assert day.isoformat() in text


def test_the_next_dates_start_at_the_forecasts_next_due_date() -> None:
    view, history, pack = patient_view()
    due = view.forecast.next_dose.due if view.forecast.next_dose else None

    plain = build_handout(view, today=TODAY, calendar_url=None, pack=pack)
    coming = build_handout(
        view, today=TODAY, calendar_url=None, pack=pack, coming=coming_dates(view.forecast, history, pack)
    )

    assert due is not None and due > TODAY
    assert plain.next_dates[0].date == due == coming.next_dates[0].date
    assert plain.next_dates[0].what == "Next injection"
    assert [d.date.isoformat() for d in coming.next_dates] == [
        "2026-04-16",
        "2026-07-16",
        "2026-10-16",
        "2027-01-16",
    ]


def test_an_overdue_injection_asks_the_patient_to_contact_the_clinic() -> None:
    view, _, pack = patient_view(doses=LOADING[:3])

    handout = build_handout(view, today=TODAY, calendar_url=None, pack=pack)

    assert "please contact your clinic" in handout.next_dates[0].what


def test_the_milestones_are_dated_and_in_plain_words() -> None:
    view, history, pack = patient_view()

    handout = build_handout(
        view, today=TODAY, calendar_url=None, pack=pack, coming=coming_dates(view.forecast, history, pack)
    )

    assert [(m.date.isoformat(), m.what.split(":")[0]) for m in handout.milestones] == [
        ("2026-04-05", "Check of your symptoms")
    ]


def test_when_to_call_comes_from_the_packs_records_only() -> None:
    view, _, pack = patient_view()

    with_pack = build_handout(view, today=TODAY, calendar_url=None, pack=pack)
    without = build_handout(view, today=TODAY, calendar_url=None)

    assert any("get worse before your next injection" in line for line in with_pack.watch_for)
    assert any("symptom check on 2026-04-05" in line for line in with_pack.watch_for)
    assert without.watch_for == ()  # no pack and no flag raised: nothing is invented


def test_a_plan_warning_adds_its_plain_line() -> None:
    data = json.loads(CASE.read_text(encoding="utf-8"))
    data["medications"] = ["folic_acid"]
    view, _, pack = patient_view(case=data)

    handout = build_handout(view, today=TODAY, calendar_url=None, pack=pack)

    assert any("folic acid" in line for line in handout.watch_for)


def test_the_handout_names_the_pack_and_version_and_that_the_clinician_decides() -> None:
    view, _, pack = patient_view()

    text = handout_as_text(build_handout(view, today=TODAY, calendar_url=URL, pack=pack))

    assert "uk-nice-2024 1.1.0" in text
    assert "Your clinician decides your treatment." in text
    assert URL in text


def test_the_handout_is_a_frozen_value() -> None:
    view, _, pack = patient_view()
    handout = build_handout(view, today=TODAY, calendar_url=None, pack=pack)

    with pytest.raises(dataclasses.FrozenInstanceError):
        handout.title = "x"  # type: ignore[misc]
