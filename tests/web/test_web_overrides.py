"""Overrides and the new flags on the web pages (issue 11): the plan builder's reason for an interval
outside the licence, the review form's confirm_stop and its note, and the patient page showing each new
flag and plan warning with its message and sources."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from typing import Any

import pytest
from markupsafe import escape

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from web_helpers import Clinics, MovableClock, example_case, log_in, plan_form

from b12care.domain.history import ReviewDecision

REASON = "symptoms return after 5 weeks"


def _input_tag(page: str, name: str) -> str:
    """The opening tag of the form control named ``name``."""
    return page.split(f'name="{name}"', 1)[1].split(">", 1)[0]


def _patient(clinics: Clinics, **case_changes: Any) -> str:
    case = example_case()
    case.update(case_changes)
    return clinics.services.add_patient(
        clinic_id=clinics.clinic_a,
        reference="H-9",
        name="Ann Example",
        case_json=json.dumps(case),
        actor="setup",
    ).id


def _stop(clinics: Clinics, patient: str, *decisions: ReviewDecision) -> None:
    for decision in decisions:
        clinics.services.record_review(
            patient, day=dt.date(2026, 1, 5), decision=decision, actor="clinician.a", note="diagnosis revised"
        )


def _item(section: str, code: str) -> str:
    """The list item of ``code`` in a section of the page."""
    return section.split(f"<code>{code}</code>", 1)[1].split("</li>", 1)[0]


def _flags_section(page: str) -> str:
    return page.split('id="flags-h"', 1)[1].split("</section>", 1)[0]


# --- the plan builder -------------------------------------------------------------------------------


def test_the_plan_builder_offers_an_interval_outside_the_licence_with_a_labelled_reason(
    client: TestClient, clinics: Clinics
) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    page = client.post("/patients/new", data=plan_form(clinics, csrf)).text

    form = page.split('<form method="post" action="/patients/new"', 1)[1].split("</form>", 1)[0]
    assert f'name="csrf" value="{csrf}"' in form
    assert '<label for="maintenance_interval_other">' in form
    assert '<label for="interval_reason">Reason for an interval outside the licence</label>' in form
    assert '<textarea id="interval_reason" name="interval_reason"' in form


def test_an_interval_outside_the_licence_without_a_reason_shows_the_error_beside_the_reason(
    client: TestClient, clinics: Clinics
) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post("/patients/new", data=plan_form(clinics, csrf, maintenance_interval_other="1m"))

    page = response.text
    assert response.status_code == 422
    assert '<p class="field-error" id="err-interval_reason">' in page
    reason = _input_tag(page, "interval_reason")
    assert 'aria-invalid="true"' in reason
    assert 'aria-describedby="err-interval_reason"' in reason
    assert 'value="1m"' in _input_tag(page, "maintenance_interval_other")  # what was typed is kept
    assert 'formaction="/patients/new/accept"' not in page


def test_accepting_an_interval_outside_the_licence_without_a_reason_creates_nobody(
    client: TestClient, clinics: Clinics
) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post(
        "/patients/new/accept", data=plan_form(clinics, csrf, maintenance_interval_other="1m")
    )

    assert response.status_code == 422
    assert 'id="err-interval_reason"' in response.text
    assert clinics.services.patients(clinics.clinic_a) == []


def test_a_malformed_interval_outside_the_range_is_shown_beside_its_own_input(
    client: TestClient, clinics: Clinics
) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post(
        "/patients/new",
        data=plan_form(clinics, csrf, maintenance_interval_other="soon", interval_reason="x"),
    )

    assert response.status_code == 422
    assert 'id="err-maintenance_interval_other"' in response.text
    assert 'aria-invalid="true"' in _input_tag(response.text, "maintenance_interval_other")


def test_an_interval_outside_the_licence_with_a_reason_previews_the_outside_licence_warning(
    client: TestClient, clinics: Clinics
) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post(
        "/patients/new",
        data=plan_form(clinics, csrf, maintenance_interval_other="1m", interval_reason=REASON),
    )

    assert response.status_code == 200
    assert "OUTSIDE_LICENCE" in response.text
    assert REASON in response.text
    assert f"{REASON}</textarea>" in response.text


def test_accepting_an_interval_outside_the_licence_keeps_the_reason_on_plan_version_1(
    client: TestClient, clinics: Clinics
) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post(
        "/patients/new/accept",
        data=plan_form(clinics, csrf, maintenance_interval_other="1m", interval_reason=REASON),
    )

    assert response.status_code == 303
    [patient] = clinics.services.patients(clinics.clinic_a)
    version = clinics.services.view(patient.id).plan_version
    assert (version.version, version.maintenance_interval, version.interval_reason) == (1, "1m", REASON)


# --- the review form --------------------------------------------------------------------------------


def test_the_review_form_offers_confirm_stop_and_says_when_the_note_is_required(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    log_in(client, clinics, "clinician.a")

    page = client.get(f"/patients/{patient}").text

    assert '<option value="confirm_stop"' in page
    assert 'id="note-hint"' in page
    assert 'aria-describedby="note-hint"' in _input_tag(page, "note")


def test_stopping_lifelong_replacement_without_a_note_is_refused_beside_the_note(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post(
        f"/patients/{patient}/reviews",
        data={"date": "2026-01-05", "decision": "stop_cause_resolved", "csrf": csrf},
    )

    assert response.status_code == 422
    assert '<p class="field-error" id="err-review-note">' in response.text
    note = _input_tag(response.text, "note")
    assert 'aria-invalid="true"' in note
    assert "err-review-note" in note
    assert '<option value="stop_cause_resolved" selected>' in response.text
    assert clinics.services.history(patient) == []


def test_a_stop_and_its_confirmation_recorded_on_the_form_end_as_stopped(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    csrf = log_in(client, clinics, "clinician.a")
    review = {"date": "2026-01-05", "note": "diagnosis revised", "csrf": csrf}

    stopped = client.post(f"/patients/{patient}/reviews", data={**review, "decision": "stop_cause_resolved"})
    confirmed = client.post(f"/patients/{patient}/reviews", data={**review, "decision": "confirm_stop"})

    assert (stopped.status_code, confirmed.status_code) == (303, 303)
    assert clinics.services.view(patient).forecast.status == "stopped"


def test_confirm_stop_without_a_stop_is_refused_beside_the_decision(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post(
        f"/patients/{patient}/reviews",
        data={"date": "2026-01-05", "decision": "confirm_stop", "note": "why", "csrf": csrf},
    )

    assert response.status_code == 422
    assert 'id="err-review-decision"' in response.text


def test_a_nurse_cannot_stop_treatment_or_confirm_a_stop_on_the_form(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    csrf = log_in(client, clinics, "nurse.a")

    response = client.post(
        f"/patients/{patient}/reviews",
        data={"date": "2026-01-05", "decision": "stop_cause_resolved", "note": "why", "csrf": csrf},
    )

    assert response.status_code == 403  # no review at all by a nurse: the permission table
    assert clinics.services.history(patient) == []


# --- the patient page and the dashboard -------------------------------------------------------------


def test_an_unconfirmed_stop_is_a_critical_alert_and_a_flag_with_its_sources(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    _stop(clinics, patient, "stop_cause_resolved")
    log_in(client, clinics, "viewer.a")

    page = client.get(f"/patients/{patient}").text

    assert "Status: needs review" in page
    alert = page.split('<div class="alert critical" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "LIFELONG_STOP_UNCONFIRMED" in alert
    flag = _item(_flags_section(page), "LIFELONG_STOP_UNCONFIRMED")
    assert "diagnosis revised" in flag
    assert "<cite" in flag
    assert "forecast.LIFELONG_STOP_UNCONFIRMED" in flag


def test_a_confirmed_stop_shows_stopped_by_override(client: TestClient, clinics: Clinics) -> None:
    patient = clinics.add_patient()
    _stop(clinics, patient, "stop_cause_resolved", "confirm_stop")
    log_in(client, clinics, "viewer.a")

    page = client.get(f"/patients/{patient}").text

    assert "Status: stopped" in page
    assert "<cite" in _item(_flags_section(page), "STOPPED_BY_OVERRIDE")
    assert '<div class="alert critical"' not in page


def test_the_needs_review_list_holds_a_patient_whose_lifelong_stop_is_unconfirmed(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient(name="Sue Stopped")
    _stop(clinics, patient, "stop_cause_resolved")
    log_in(client, clinics, "nurse.a")

    page = client.get("/?view=needs_review").text

    assert f'href="/patients/{patient}">Sue Stopped</a>' in page


def test_a_missed_first_review_is_flagged_on_the_page_and_the_needs_review_list(
    client: TestClient, clinics: Clinics, clock: MovableClock
) -> None:
    patient = clinics.add_patient(name="Flo First")
    clock.at = dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC)  # the 3-month review (5 April) passed unseen
    log_in(client, clinics, "nurse.a")

    page = client.get(f"/patients/{patient}").text
    listed = client.get("/?view=needs_review").text

    flag = _item(_flags_section(page), "FIRST_REVIEW_OVERDUE")
    assert "<cite" in flag
    assert 'class="grade grade-' in flag
    assert f'href="/patients/{patient}">Flo First</a>' in listed


def test_an_interval_outside_the_licence_shows_as_a_flag_and_a_plan_warning(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    clinics.services.record_review(
        patient, day=dt.date(2026, 1, 5), decision="shorten_interval", actor="clinician.a", note=REASON,
        new_interval="1m",
    )  # fmt: skip
    log_in(client, clinics, "viewer.a")

    page = client.get(f"/patients/{patient}").text

    section = _flags_section(page)
    flags, warnings_ = section.split("<h3>Plan warnings</h3>", 1)
    assert REASON in _item(flags, "OUTSIDE_LICENCE")
    assert REASON in _item(warnings_, "OUTSIDE_LICENCE")
    assert "Plan version 2, maintenance every 1m" in page


@pytest.mark.parametrize(
    ("code", "case_changes"),
    [
        ("NO_BASELINE_SAMPLE", {"labs": []}),
        (
            "DEFICIENCY_UNLIKELY_ON_RESULT",
            {"labs": [{"test": "total_b12", "value": 900, "unit": "ng/L", "date": "2026-01-02"}]},
        ),
        ("GASTRIC_CANCER_RISK", {}),
        (
            "FOLATE_LOW",
            {
                "labs": [
                    {"test": "total_b12", "value": 120, "unit": "ng/L", "date": "2026-01-02"},
                    {"test": "folate", "value": 2, "unit": "ug/L", "date": "2026-01-02"},
                ]
            },
        ),
        ("CAUSE_WORK_UP", {"cause": "unknown"}),
    ],
)
def test_each_new_plan_warning_shows_its_message_and_sources_on_the_patient_page(
    client: TestClient, clinics: Clinics, code: str, case_changes: dict[str, Any]
) -> None:
    patient = _patient(clinics, **case_changes)
    [warning] = [w for w in clinics.services.view(patient).forecast.plan.warnings if w.code == code]
    log_in(client, clinics, "viewer.a")

    page = client.get(f"/patients/{patient}").text

    item = _item(_flags_section(page).split("<h3>Plan warnings</h3>", 1)[1], code)
    assert str(escape(warning.message)) in item
    assert warning.citations
    for citation in warning.citations:
        assert f">{citation}</" in item
