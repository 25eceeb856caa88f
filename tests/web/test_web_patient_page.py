"""The patient page: status and next dose, flags, chart, history, recording forms, entered-in-error,
handout."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from decimal import Decimal

import pytest

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from web_helpers import Clinics, MovableClock, example_case, log_in

from b12care.application.treatment import DoseInput

DOSE = {"date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"}


def _nurse_on_a_patient(client: TestClient, clinics: Clinics) -> tuple[str, str]:
    """A new patient of clinic A and nurse.a logged in on ``client``: (patient id, CSRF token)."""
    patient = clinics.add_patient()
    return patient, log_in(client, clinics, "nurse.a")


def test_the_page_shows_status_next_dose_and_the_timeline_chart(client: TestClient, clinics: Clinics) -> None:
    patient = clinics.add_patient(name="Ann Example")
    log_in(client, clinics, "viewer.a")

    page = client.get(f"/patients/{patient}").text

    assert "Status: due" in page
    assert "<dt>Due</dt><dd><strong>Mon 05 Jan 2026</strong></dd>" in page
    assert "<svg" in page
    assert 'role="img"' in page


@pytest.mark.parametrize("field", ["site", "lot", "given_by"])
def test_a_dose_text_too_long_for_the_record_is_explained_beside_its_field(
    client: TestClient, clinics: Clinics, field: str
) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)

    response = client.post(f"/patients/{patient}/doses", data={**DOSE, field: "x" * 300, "csrf": csrf})

    assert response.status_code == 422
    error_id = f"err-dose-{field}"
    assert f'<p class="field-error" id="{error_id}">' in response.text
    described = response.text.split(f'name="{field}"', 1)[1].split(">", 1)[0]
    assert 'aria-invalid="true"' in described
    assert error_id in described
    with clinics.services.uow() as uow:
        assert uow.doses.list_for(patient) == []


def test_flags_show_their_explanation_and_citations(
    client: TestClient, clinics: Clinics, clock: MovableClock
) -> None:
    patient = clinics.add_patient()
    clock.advance(days=10)  # loading doses missed
    log_in(client, clinics, "nurse.a")

    page = client.get(f"/patients/{patient}").text

    flags = page.split('id="flags-h"', 1)[1].split("</section>", 1)[0]
    assert "<code>MISSED_LOADING_DOSES</code>" in flags
    assert "<cite" in flags
    assert 'class="grade grade-' in flags


def test_recording_a_dose_redirects_back_with_a_flash_and_it_shows_in_the_history(
    client: TestClient, clinics: Clinics
) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)

    response = client.post(
        f"/patients/{patient}/doses", data={**DOSE, "site": "left deltoid", "lot": "L1", "csrf": csrf}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{patient}?done=dose#history"
    page = client.get(response.headers["location"]).text
    assert "Dose recorded." in page
    assert "hydroxocobalamin 1 mg IM" in page
    with clinics.services.uow() as uow:
        [dose] = uow.doses.list_for(patient)
    assert (dose.site, dose.lot, dose.recorded_by) == ("left deltoid", "L1", "nurse.a")


def test_the_site_hint_names_the_last_site_and_suggests_the_next_in_rotation(
    client: TestClient, clinics: Clinics
) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)
    client.post(f"/patients/{patient}/doses", data={**DOSE, "site": "right deltoid", "csrf": csrf})

    page = client.get(f"/patients/{patient}").text

    assert "Last site: <strong>right deltoid</strong>" in page
    assert "suggested <strong>left thigh</strong>" in page
    assert 'name="site" list="sites" value="left thigh"' in page


def test_a_dose_not_given_records_its_reason(client: TestClient, clinics: Clinics) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)

    client.post(
        f"/patients/{patient}/doses", data={"date": "2026-01-05", "not_done_reason": "declined", "csrf": csrf}
    )

    assert clinics.services.history(patient)[0][2] == "not done: declined"


def test_a_lab_with_a_unit_that_does_not_fit_is_shown_inline_with_the_values_kept(
    client: TestClient, clinics: Clinics
) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)
    form = {"date": "2026-01-05", "test": "total_b12", "value": "123.5", "unit": "g/L", "csrf": csrf}

    response = client.post(f"/patients/{patient}/labs", data=form)

    assert response.status_code == 422
    page = response.text
    assert 'id="err-lab-unit"' in page
    assert "is not a unit for total_b12" in page
    assert 'name="value" inputmode="decimal" size="8" value="123.5"' in page
    assert clinics.services.history(patient) == []


def test_a_lab_with_a_bad_date_and_value_names_both_inputs(client: TestClient, clinics: Clinics) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)
    form = {"date": "5 Jan", "test": "total_b12", "value": "lots", "unit": "ng/L", "csrf": csrf}

    page = client.post(f"/patients/{patient}/labs", data=form).text

    assert 'id="err-lab-date">enter a date (YYYY-MM-DD)</p>' in page
    assert "&#39;lots&#39; is not a number" in page
    assert 'value="5 Jan"' in page


def test_recording_a_lab_and_a_symptom_check(client: TestClient, clinics: Clinics) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)

    lab = client.post(
        f"/patients/{patient}/labs",
        data={"date": "2026-01-05", "test": "total_b12", "value": "350", "unit": "ng/L", "csrf": csrf},
    )
    check = client.post(
        f"/patients/{patient}/symptoms",
        data={
            "date": "2026-01-05",
            "overall": "better",
            "score.fatigue": "2",
            "score.memory": "0",
            "csrf": csrf,
        },
    )

    assert (lab.status_code, check.status_code) == (303, 303)
    rows = clinics.services.history(patient)
    assert [r[1:3] for r in rows] == [
        ("lab", "total_b12 350 ng/L"),
        ("symptoms", "better fatigue=2 memory=0"),
    ]


def test_a_symptom_score_outside_0_to_3_is_refused_inline(client: TestClient, clinics: Clinics) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)

    response = client.post(
        f"/patients/{patient}/symptoms",
        data={"date": "2026-01-05", "overall": "same", "score.balance": "7", "csrf": csrf},
    )

    assert response.status_code == 422
    assert 'id="err-symptoms-score-balance"' in response.text
    assert clinics.services.history(patient) == []


def test_a_review_that_changes_the_interval_makes_a_new_plan_version(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post(
        f"/patients/{patient}/reviews",
        data={
            "date": "2026-01-05",
            "decision": "shorten_interval",
            "new_interval": "2m",
            "note": "n",
            "csrf": csrf,
        },
    )

    assert response.status_code == 303
    assert clinics.services.view(patient).plan_version.version == 2
    assert "Review recorded." in client.get(response.headers["location"]).text


def test_a_review_without_a_decision_is_refused_inline(client: TestClient, clinics: Clinics) -> None:
    patient = clinics.add_patient()
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post(
        f"/patients/{patient}/reviews", data={"date": "2026-01-05", "note": "kept text", "csrf": csrf}
    )

    assert response.status_code == 422
    assert 'id="err-review-decision"' in response.text
    assert "kept text</textarea>" in response.text


def test_marking_an_entry_entered_in_error_keeps_it_struck_through_with_the_reason(
    client: TestClient, clinics: Clinics
) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)
    client.post(f"/patients/{patient}/doses", data={**DOSE, "csrf": csrf})
    with clinics.services.uow() as uow:
        [dose] = uow.doses.list_for(patient)

    response = client.post(
        f"/patients/{patient}/entries/dose/{dose.id}/entered-in-error",
        data={"reason": "wrong patient", "csrf": csrf},
    )

    assert response.status_code == 303
    page = client.get(f"/patients/{patient}").text
    assert "Entered in error: wrong patient (nurse.a," in page
    assert '<tr class="struck">' in page
    with clinics.services.uow() as uow:
        assert uow.doses.get(dose.id).entered_in_error is not None


def test_entered_in_error_needs_a_reason(client: TestClient, clinics: Clinics) -> None:
    patient, csrf = _nurse_on_a_patient(client, clinics)
    client.post(f"/patients/{patient}/doses", data={**DOSE, "csrf": csrf})
    with clinics.services.uow() as uow:
        [dose] = uow.doses.list_for(patient)

    response = client.post(
        f"/patients/{patient}/entries/dose/{dose.id}/entered-in-error", data={"reason": " ", "csrf": csrf}
    )

    assert response.status_code == 422
    assert "give the reason it was entered in error" in response.text


def test_an_entry_of_another_patient_cannot_be_marked_through_this_one(
    client: TestClient, clinics: Clinics
) -> None:
    mine, other = clinics.add_patient(), clinics.add_patient(clinic=clinics.clinic_b)
    csrf = log_in(client, clinics, "nurse.a")
    clinics.services.record_dose(
        other,
        DoseInput(dt.date(2026, 1, 5), "hydroxocobalamin", Decimal(1), "mg", "IM"),
        "nurse.b",
    )
    with clinics.services.uow() as uow:
        [dose] = uow.doses.list_for(other)

    response = client.post(
        f"/patients/{mine}/entries/dose/{dose.id}/entered-in-error", data={"reason": "x", "csrf": csrf}
    )

    assert response.status_code == 404
    with clinics.services.uow() as uow:
        assert uow.doses.get(dose.id).entered_in_error is None


def test_the_handout_of_a_writer_carries_a_calendar_share_link(client: TestClient, clinics: Clinics) -> None:
    patient = clinics.add_patient(name="Ann Example")
    log_in(client, clinics, "nurse.a")

    page = client.get(f"/patients/{patient}/handout").text
    pdf = client.get(f"/patients/{patient}/handout.pdf")

    assert "For Ann Example." in page
    assert "https://b12.example.org/share/" in page
    assert "/calendar.ics" in page
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_viewers_handout_makes_no_share_link(client: TestClient, clinics: Clinics) -> None:
    patient = clinics.add_patient()
    log_in(client, clinics, "viewer.a")

    page = client.get(f"/patients/{patient}/handout").text

    assert "/share/" not in page


def test_a_critical_plan_warning_stays_in_an_alert_on_the_patient_page(
    client: TestClient, clinics: Clinics
) -> None:
    case = example_case() | {"conditions": ["leber_optic_atrophy"]}
    patient = clinics.services.add_patient(
        clinic_id=clinics.clinic_a,
        reference="L-1",
        name="Lee Leber",
        case_json=json.dumps(case),
        actor="setup",
    ).id
    log_in(client, clinics, "viewer.a")

    page = client.get(f"/patients/{patient}").text

    alert = page.split('<div class="alert critical" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "NEURO_SPECIALIST_ADVICE" in alert
