"""Prescribing needs a prescriber on the web as over the API (security probe M1), with the role the user
holds in the patient's clinic: the nurse's form post of the probe, the forms each role is shown, and a
user who is a nurse in one clinic and a clinician in another."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from web_helpers import PASSWORD, Clinics, log_in

REVIEW_FORM = 'action="/patients/{id}/reviews"'


def _plan_versions(clinics: Clinics, patient: str) -> int:
    with clinics.services.uow() as uow:
        return len(uow.plans.list_for(patient))


def _review_count(clinics: Clinics, patient: str) -> int:
    with clinics.services.uow() as uow:
        return len(uow.reviews.list_for(patient))


def test_a_nurse_cannot_record_a_review_that_makes_a_new_plan_version_through_the_web_form(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    csrf = log_in(client, clinics, "nurse.a")

    response = client.post(
        f"/patients/{patient}/reviews",
        data={"csrf": csrf, "date": "2026-03-01", "decision": "shorten_interval", "new_interval": "2m"},
    )

    assert response.status_code == 403
    assert (_review_count(clinics, patient), _plan_versions(clinics, patient)) == (0, 1)


def test_a_nurse_cannot_record_any_review_decision_on_the_web_as_over_the_api(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    csrf = log_in(client, clinics, "nurse.a")
    review = {"date": "2026-01-05", "decision": "refer_specialist"}

    web = client.post(f"/patients/{patient}/reviews", data={**review, "csrf": csrf})
    api = client.post(f"/api/v1/patients/{patient}/reviews", json=review, headers=clinics.auth("nurse.a"))

    assert (web.status_code, api.status_code) == (403, 403)
    assert _review_count(clinics, patient) == 0


def test_the_nurse_is_shown_the_recording_forms_but_no_review_form(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    log_in(client, clinics, "nurse.a")

    page = client.get(f"/patients/{patient}").text

    assert f'action="/patients/{patient}/doses"' in page
    assert REVIEW_FORM.format(id=patient) not in page


def test_a_nurse_cannot_mark_a_prescribers_review_entered_in_error_on_either_face(
    client: TestClient, clinics: Clinics
) -> None:
    patient = clinics.add_patient()
    review = clinics.services.record_review(
        patient, day=clinics.services.today(), decision="continue_loading", actor="clinician.a"
    )
    csrf = log_in(client, clinics, "nurse.a")

    web = client.post(
        f"/patients/{patient}/entries/review/{review.id}/entered-in-error", data={"csrf": csrf, "reason": "x"}
    )
    api = client.post(
        f"/api/v1/entries/review/{review.id}/entered-in-error",
        json={"reason": "x"},
        headers=clinics.auth("nurse.a"),
    )
    page = client.get(f"/patients/{patient}").text

    assert (web.status_code, api.status_code) == (403, 403)
    assert f"/entries/review/{review.id}/entered-in-error" not in page
    with clinics.services.uow() as uow:
        assert uow.reviews.get(review.id).entered_in_error is None


def test_a_nurse_in_one_clinic_who_is_a_clinician_in_another_reviews_only_where_they_prescribe(
    client: TestClient, clinics: Clinics
) -> None:
    roles = {clinics.clinic_a: "nurse", clinics.clinic_b: "clinician"}
    clinics.accounts.add_user("multi", PASSWORD, None, (), "setup", roles=roles)
    in_a, in_b = clinics.add_patient(), clinics.add_patient(clinic=clinics.clinic_b)
    csrf = log_in(client, clinics, "multi")
    review = {"csrf": csrf, "date": "2026-01-05", "decision": "continue_loading"}

    assert REVIEW_FORM.format(id=in_a) not in client.get(f"/patients/{in_a}").text
    assert REVIEW_FORM.format(id=in_b) in client.get(f"/patients/{in_b}").text
    assert client.post(f"/patients/{in_a}/reviews", data=review).status_code == 403
    assert client.post(f"/patients/{in_b}/reviews", data=review).status_code == 303
    assert (_review_count(clinics, in_a), _review_count(clinics, in_b)) == (0, 1)


def test_the_plan_builder_offers_only_the_clinics_where_the_user_may_start_a_plan(
    client: TestClient, clinics: Clinics
) -> None:
    roles = {clinics.clinic_a: "nurse", clinics.clinic_b: "clinician"}
    clinics.accounts.add_user("multi", PASSWORD, None, (), "setup", roles=roles)
    log_in(client, clinics, "multi")

    page = client.get("/patients/new").text

    assert f'value="{clinics.clinic_b}"' in page
    assert f'value="{clinics.clinic_a}"' not in page
