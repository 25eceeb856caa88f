"""The plan builder: assessment form -> preview (schedule, warnings, rationale) -> accept."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from web_helpers import Clinics, log_in, plan_form


def test_the_preview_shows_schedule_milestones_rationale_with_citations_and_grades(
    client: TestClient, clinics: Clinics
) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post("/patients/new", data=plan_form(clinics, csrf))

    assert response.status_code == 200
    page = response.text
    assert "Plan preview" in page
    assert "hydroxocobalamin 1 mg IM: 6 loading doses over 2 weeks, then every 2-3 months" in page
    assert '<time datetime="2026-01-16">' in page  # the sixth loading dose
    assert "Milestones" in page
    assert ">nice-ng239</a>" in page
    assert 'class="grade grade-secondary"' in page
    assert 'formaction="/patients/new/accept"' in page


def test_the_maintenance_interval_is_chosen_inside_the_packs_range(
    client: TestClient, clinics: Clinics
) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    page = client.post("/patients/new", data=plan_form(clinics, csrf)).text
    chosen = client.post("/patients/new", data=plan_form(clinics, csrf, maintenance_interval="3m")).text

    assert '<option value="2m"' in page
    assert '<option value="3m"' in page
    assert '<option value="4m"' not in page
    assert '<option value="3m" selected>' in chosen


def test_an_interval_outside_the_range_is_shown_at_its_input(client: TestClient, clinics: Clinics) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post("/patients/new/accept", data=plan_form(clinics, csrf, maintenance_interval="9m"))

    assert response.status_code == 422
    assert "maintenance_interval" in response.text
    assert clinics.services.patients(clinics.clinic_a) == []


def test_a_critical_warning_is_an_alert_that_cannot_be_missed(client: TestClient, clinics: Clinics) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    form = plan_form(clinics, csrf, conditions=["leber_optic_atrophy"])
    page = client.post("/patients/new", data=form).text

    alert = page.split('<div class="alert critical" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "NEURO_SPECIALIST_ADVICE" in alert


def test_field_errors_are_shown_inline_and_every_value_is_kept(client: TestClient, clinics: Clinics) -> None:
    csrf = log_in(client, clinics, "clinician.a")
    form = plan_form(
        clinics,
        csrf,
        **{"patient.birth_date": "", "labs[1].test": "mma", "labs[1].value": "0.5", "labs[1].unit": "ng/L"},
        medications=["metformin", "ppi"],
    )

    response = client.post("/patients/new", data=form)

    page = response.text
    assert response.status_code == 422
    assert 'id="err-patient-birth_date">Birth date is required</p>' in page
    assert 'value="Pat Planned"' in page
    assert 'value="H-100"' in page
    assert 'name="labs[1].value" inputmode="decimal" size="8" value="0.5"' in page
    assert 'value="metformin" checked' in page
    assert 'value="ppi" checked' in page
    assert "Plan preview" not in page


def test_a_unit_that_does_not_fit_the_test_is_shown_at_its_lab_row(
    client: TestClient, clinics: Clinics
) -> None:
    csrf = log_in(client, clinics, "clinician.a")
    form = plan_form(
        clinics,
        csrf,
        **{"labs[0].value": "", "labs[2].test": "total_b12", "labs[2].value": "150", "labs[2].unit": "g/L"},
    )

    response = client.post("/patients/new", data=form)

    assert response.status_code == 422
    assert 'id="err-labs-2-unit"' in response.text
    assert "is not a unit for total_b12" in response.text


def test_accepting_creates_the_patient_and_opens_their_page(client: TestClient, clinics: Clinics) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post("/patients/new/accept", data=plan_form(clinics, csrf, maintenance_interval="2m"))

    assert response.status_code == 303
    patients = clinics.services.patients(clinics.clinic_a)
    assert [(p.name, p.reference) for p in patients] == [("Pat Planned", "H-100")]
    assert response.headers["location"] == f"/patients/{patients[0].id}?done=created"
    view = clinics.services.view(patients[0].id)
    assert view.plan_version.maintenance_interval == "2m"
    assert view.plan_version.created_by == "clinician.a"
    page = client.get(response.headers["location"]).text
    assert "Patient created with plan version 1." in page


def test_a_plan_cannot_be_accepted_for_a_clinic_of_someone_else(client: TestClient, clinics: Clinics) -> None:
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post("/patients/new/accept", data=plan_form(clinics, csrf, clinic_id=clinics.clinic_b))

    assert response.status_code == 422
    assert "not one of your clinics" in response.text
    assert clinics.services.patients(clinics.clinic_b) == []


def test_a_nurse_cannot_accept_a_plan(client: TestClient, clinics: Clinics) -> None:
    csrf = log_in(client, clinics, "nurse.a")

    response = client.post("/patients/new/accept", data=plan_form(clinics, csrf))

    assert response.status_code == 403
    assert clinics.services.patients(clinics.clinic_a) == []


def test_a_name_with_terminal_escapes_is_refused_at_its_field_and_nothing_is_stored(
    client: TestClient, clinics: Clinics
) -> None:
    """Security probe L2: the planner stored control characters that the API refuses."""
    csrf = log_in(client, clinics, "clinician.a")

    response = client.post(
        "/patients/new/accept", data=plan_form(clinics, csrf, name="Eve\x1b]0;pwned\x07\x1b[31mRED")
    )

    assert response.status_code == 422
    assert 'id="err-name"' in response.text
    assert "control character" in response.text
    assert clinics.services.patients(clinics.clinic_a) == []
