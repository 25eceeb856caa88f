"""Overrides a clinician records with a reason (issue 11, FACTS.md section 8), on SQLite and PostgreSQL.

Stopping lifelong replacement (an irreversible cause) needs a reason, stays on the recall list until a
prescriber confirms it, and is then shown as stopped by override. An interval outside the regimen's
licensed range - at plan creation or from a review - needs a reason, which the plan version keeps.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from db_builders import TODAY
from tests.conftest import EXAMPLE_CASE

from b12care.application.treatment import Services
from b12care.bootstrap import App
from b12care.domain.errors import InputError

DOCTOR = "dr.smith"


def _services(app: App) -> Services:
    return Services(app.uow, app.clock)


def _patient(services: Services, case: dict[str, object] | None = None, **options: str) -> str:
    """A patient of a new clinic: the example case (autoimmune gastritis, a lifelong cause) or ``case``."""
    clinic = services.add_clinic("North Surgery", "admin").id
    case_json = json.dumps(case) if case is not None else EXAMPLE_CASE.read_text()
    return services.add_patient(
        clinic_id=clinic, reference="H-1", name="Ann Example", case_json=case_json, actor="admin", **options
    ).id


def _recalled(services: Services, patient_id: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(e.status, e.flags) for e in services.recall(None, None, TODAY) if e.patient_id == patient_id]


def _flags(services: Services, patient_id: str) -> list[str]:
    return [f.code for f in services.view(patient_id).forecast.flags]


def test_stopping_lifelong_replacement_without_a_reason_is_refused_and_nothing_is_stored(app: App) -> None:
    services = _services(app)
    patient = _patient(services)

    with pytest.raises(InputError) as refused:
        services.record_review(patient, day=TODAY, decision="stop_cause_resolved", actor=DOCTOR, note="  ")

    assert refused.value.field == "note"
    assert "autoimmune_gastritis" in refused.value.message
    assert "clinician override" in refused.value.message
    with app.uow() as uow:
        assert uow.reviews.list_for(patient) == []


def test_a_stop_with_a_reason_stays_on_the_recall_list_as_needs_review_until_confirmed(app: App) -> None:
    services = _services(app)
    patient = _patient(services)

    services.record_review(
        patient, day=TODAY, decision="stop_cause_resolved", actor=DOCTOR, note="declines injections"
    )

    view = services.view(patient)
    assert view.forecast.status == "needs_review"
    [flag] = [f for f in view.forecast.flags if f.code == "LIFELONG_STOP_UNCONFIRMED"]
    assert flag.severity == "critical"
    assert "declines injections" in flag.message  # the stored note reaches the forecast as the reason
    assert _recalled(services, patient) == [("needs_review", ("LIFELONG_STOP_UNCONFIRMED",))]


def test_a_confirmed_stop_is_stopped_by_override_and_leaves_the_recall_list(app: App) -> None:
    services = _services(app)
    patient = _patient(services)
    services.record_review(
        patient, day=TODAY, decision="stop_cause_resolved", actor=DOCTOR, note="declines injections"
    )

    services.record_review(
        patient, day=TODAY, decision="confirm_stop", actor=DOCTOR, note="confirmed after discussion"
    )

    view = services.view(patient)
    assert view.forecast.status == "stopped"
    assert _flags(services, patient) == ["STOPPED_BY_OVERRIDE"]
    assert _recalled(services, patient) == []


def test_confirming_a_stop_needs_a_reason_too(app: App) -> None:
    services = _services(app)
    patient = _patient(services)
    services.record_review(patient, day=TODAY, decision="stop_cause_resolved", actor=DOCTOR, note="why")

    with pytest.raises(InputError) as refused:
        services.record_review(patient, day=TODAY, decision="confirm_stop", actor=DOCTOR)

    assert refused.value.field == "note"
    assert services.view(patient).forecast.status == "needs_review"


def test_confirm_stop_without_an_earlier_stop_is_refused_on_the_decision(app: App) -> None:
    services = _services(app)
    patient = _patient(services)

    with pytest.raises(InputError) as refused:
        services.record_review(patient, day=TODAY, decision="confirm_stop", actor=DOCTOR, note="why")

    assert refused.value.field == "decision"
    with app.uow() as uow:
        assert uow.reviews.list_for(patient) == []


def test_a_stop_confirmed_once_cannot_be_confirmed_again(app: App) -> None:
    services = _services(app)
    patient = _patient(services)
    services.record_review(patient, day=TODAY, decision="stop_cause_resolved", actor=DOCTOR, note="why")
    services.record_review(patient, day=TODAY, decision="confirm_stop", actor=DOCTOR, note="agreed")

    with pytest.raises(InputError) as refused:
        services.record_review(patient, day=TODAY, decision="confirm_stop", actor=DOCTOR, note="again")

    assert refused.value.field == "decision"


def test_a_stop_marked_entered_in_error_leaves_nothing_to_confirm(app: App) -> None:
    services = _services(app)
    patient = _patient(services)
    stop = services.record_review(
        patient, day=TODAY, decision="stop_cause_resolved", actor=DOCTOR, note="wrong patient"
    )
    services.mark_entered_in_error("review", stop.id, "recorded on the wrong patient", DOCTOR)

    with pytest.raises(InputError) as refused:
        services.record_review(patient, day=TODAY, decision="confirm_stop", actor=DOCTOR, note="why")

    assert refused.value.field == "decision"
    assert "LIFELONG_STOP_UNCONFIRMED" not in _flags(services, patient)


def test_stopping_for_a_cause_that_can_resolve_needs_no_reason_and_no_confirmation(app: App) -> None:
    services = _services(app)
    case = json.loads(EXAMPLE_CASE.read_text())
    case.update(cause="medication", medications=["metformin"])
    patient = _patient(services, case)

    services.record_review(patient, day=TODAY, decision="stop_cause_resolved", actor=DOCTOR)

    assert services.view(patient).forecast.status == "stopped"
    assert _recalled(services, patient) == []
    with pytest.raises(InputError) as refused:
        services.record_review(patient, day=TODAY, decision="confirm_stop", actor=DOCTOR, note="why")
    assert refused.value.field == "decision"


def test_a_review_interval_outside_the_licence_without_a_note_is_refused_and_no_version_is_made(
    app: App,
) -> None:
    services = _services(app)
    patient = _patient(services)

    with pytest.raises(InputError) as refused:
        services.record_review(
            patient, day=TODAY, decision="shorten_interval", actor=DOCTOR, new_interval="1m"
        )

    assert refused.value.field == "note"
    assert "outside the licensed range" in refused.value.message
    assert services.view(patient).plan_version.version == 1


def test_a_review_interval_outside_the_licence_with_a_note_makes_a_version_keeping_the_reason(
    app: App,
) -> None:
    services = _services(app)
    patient = _patient(services)

    review = services.record_review(
        patient,
        day=TODAY,
        decision="shorten_interval",
        actor=DOCTOR,
        note="symptoms return after 5 weeks",
        new_interval="1m",
    )

    view = services.view(patient)
    assert (view.plan_version.version, view.plan_version.maintenance_interval) == (2, "1m")
    assert view.plan_version.review_id == review.id
    assert view.plan_version.interval_reason == "symptoms return after 5 weeks"
    assert "OUTSIDE_LICENCE" in _flags(services, patient)
    assert "OUTSIDE_LICENCE" in [w.code for w in view.forecast.plan.warnings]


def test_a_review_interval_inside_the_licence_needs_no_note_and_keeps_no_reason(app: App) -> None:
    services = _services(app)
    patient = _patient(services)

    services.record_review(patient, day=TODAY, decision="lengthen_interval", actor=DOCTOR, new_interval="3m")

    view = services.view(patient)
    assert (view.plan_version.version, view.plan_version.interval_reason) == (2, None)
    assert "OUTSIDE_LICENCE" not in _flags(services, patient)


def test_a_patient_planned_outside_the_licence_needs_a_reason_named_interval_reason(app: App) -> None:
    services = _services(app)

    with pytest.raises(InputError) as refused:
        _patient(services, maintenance_interval="1m")

    assert refused.value.field == "interval_reason"
    with app.uow() as uow:
        assert uow.patients.all_ids() == []


def test_a_patient_planned_outside_the_licence_with_a_reason_keeps_it_on_version_1(app: App) -> None:
    services = _services(app)

    patient = _patient(services, maintenance_interval="1m", interval_reason="relapses at 6 weeks")

    view = services.view(patient)
    assert view.plan_version.version == 1
    assert view.plan_version.interval_reason == "relapses at 6 weeks"
    [warning] = [w for w in view.forecast.plan.warnings if w.code == "OUTSIDE_LICENCE"]
    assert "relapses at 6 weeks" in warning.message


def test_the_stored_forecast_and_recompute_rebuild_the_plan_with_the_stored_reason(app: App) -> None:
    services = _services(app)
    patient = _patient(services, maintenance_interval="1m", interval_reason="relapses at 6 weeks")

    list(services.recompute("job", TODAY + dt.timedelta(days=1)))

    with app.uow() as uow:
        stored = uow.forecasts.get(patient)
    assert stored is not None
    assert "OUTSIDE_LICENCE" in stored.flags
