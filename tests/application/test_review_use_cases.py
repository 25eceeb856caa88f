"""Reviews on the fake unit of work: the permissions a decision declares, overrides and their reasons.

The example patient has autoimmune gastritis: an irreversible cause, so replacement is lifelong.
"""

from __future__ import annotations

import pytest
from use_case_world import TODAY, World

from b12care.application import entries, patients, reviews
from b12care.application.commands import MarkEnteredInError, RecordReview
from b12care.domain.errors import InputError

DOCTOR = "dr.smith"


def _review(world: World, decision: str, note: str = "", new_interval: str | None = None) -> RecordReview:
    return RecordReview(world.patient_id, TODAY, decision, DOCTOR, note, new_interval)  # type: ignore[arg-type]


def test_a_review_needs_record_review_a_stop_also_confirm_stop_and_an_interval_change_also_change_plan(
    world: World,
) -> None:
    assert _review(world, "refer_specialist").permissions() == ("record_review",)
    assert _review(world, "stop_cause_resolved", "why").permissions() == ("record_review", "confirm_stop")
    assert _review(world, "shorten_interval", new_interval="2m").permissions() == (
        "record_review",
        "change_plan",
    )
    assert RecordReview.permission == "record_review"


def test_correcting_a_review_needs_record_review_as_well_as_the_correction(world: World) -> None:
    assert MarkEnteredInError("review", "r1", "wrong", "nurse").permissions() == (
        "mark_entered_in_error",
        "record_review",
    )
    assert MarkEnteredInError("dose", "d1", "wrong", "nurse").permissions() == ("mark_entered_in_error",)


def test_stopping_lifelong_replacement_without_a_reason_is_refused_on_the_note_and_nothing_is_stored(
    world: World,
) -> None:
    with pytest.raises(InputError) as refused:
        reviews.record_review(_review(world, "stop_cause_resolved", note="  "), world.deps)

    assert refused.value.field == "note"
    assert "clinician override" in refused.value.message
    assert world.store.store.reviews == {}


def test_a_stop_with_a_reason_needs_review_until_confirmed_then_stops_and_leaves_the_recall_list(
    world: World,
) -> None:
    reviews.record_review(_review(world, "stop_cause_resolved", "declines injections"), world.deps)
    assert world.store.store.forecasts[world.patient_id].status == "needs_review"

    reviews.record_review(_review(world, "confirm_stop", "confirmed after discussion"), world.deps)

    stored = world.store.store.forecasts[world.patient_id]
    assert (stored.status, stored.flags, stored.timeline) == ("stopped", ("STOPPED_BY_OVERRIDE",), ())


def test_confirm_stop_without_an_earlier_stop_is_refused_on_the_decision(world: World) -> None:
    with pytest.raises(InputError) as refused:
        reviews.record_review(_review(world, "confirm_stop", "why"), world.deps)

    assert refused.value.field == "decision"
    assert world.store.store.reviews == {}


def test_a_stop_marked_entered_in_error_leaves_nothing_to_confirm(world: World) -> None:
    stop = reviews.record_review(_review(world, "stop_cause_resolved", "wrong patient"), world.deps)
    entries.mark_entered_in_error(MarkEnteredInError("review", stop.id, "wrong patient", DOCTOR), world.deps)

    with pytest.raises(InputError) as refused:
        reviews.record_review(_review(world, "confirm_stop", "why"), world.deps)

    assert refused.value.field == "decision"


def test_an_off_licence_interval_without_a_reason_is_refused_and_no_version_is_made(world: World) -> None:
    with pytest.raises(InputError) as refused:
        reviews.record_review(_review(world, "shorten_interval", new_interval="1m"), world.deps)

    assert refused.value.field == "note"
    assert "outside the licensed range" in refused.value.message
    assert patients.view_patient(world.deps, world.patient_id).plan_version.version == 1


def test_an_interval_change_makes_a_plan_version_citing_the_review_and_keeping_an_off_licence_reason(
    world: World,
) -> None:
    review = reviews.record_review(
        _review(world, "shorten_interval", " symptoms return after 5 weeks ", "1m"), world.deps
    )

    version = patients.view_patient(world.deps, world.patient_id).plan_version
    assert (version.version, version.maintenance_interval, version.review_id) == (2, "1m", review.id)
    assert version.interval_reason == "symptoms return after 5 weeks"
    assert "OUTSIDE_LICENCE" in world.store.store.forecasts[world.patient_id].flags
