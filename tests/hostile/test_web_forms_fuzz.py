"""The web app's forms under hostile input (Hypothesis), on SQLite and PostgreSQL: whatever text is posted
into the recording forms (dose, lab, symptom check, review, entered-in-error) and the plan builder, the
answer is a redirect with exactly one new entry or the page again with its errors (422) and nothing
stored - never a 5xx."""

from __future__ import annotations

import pytest
from hostile_helpers import HOSTILE_STRINGS, row_counts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app_helpers import SECRET, TestClient, World
from b12care.bootstrap import App
from b12care.entrypoints.web.session import SESSION_COOKIE, csrf_token

FUZZ = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
_NUMBERS = ("1", "0", "-1", "1e400", "1E+1000000", "NaN", "Infinity", "0.000000001", "1" * 80, "1,5", " 2 ")
_DATES = ("2026-01-05", "2026-02-30", "9999-12-31", "2999-12-31", "0001-01-01", "20260105", "today")
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(HOSTILE_STRINGS),
    st.sampled_from(_NUMBERS),
    st.sampled_from(_DATES),
    st.text(max_size=600),
)
FORMS = {  # form -> (its path under the patient, its fields with a valid value each)
    "doses": {
        "date": "2026-01-05",
        "drug": "hydroxocobalamin",
        "dose": "1",
        "unit": "mg",
        "route": "IM",
        "site": "left deltoid",
        "lot": "",
        "given_by": "",
        "source": "clinic",
        "not_done_reason": "",
    },
    "labs": {"date": "2026-01-02", "test": "total_b12", "value": "120", "unit": "ng/L"},
    "symptoms": {"date": "2026-01-05", "overall": "better", "score.fatigue": "1"},
    "reviews": {"date": "2026-01-05", "decision": "continue_loading", "note": "", "new_interval": ""},
}
TABLES = {"doses": "doses", "labs": "labs", "symptoms": "symptom_checks", "reviews": "reviews"}


@pytest.fixture
def clinician(client: TestClient, world: World) -> tuple[str, str]:
    """A patient of clinic A and the CSRF token of the clinician's session ``client`` now carries."""
    patient = world.add_patient()
    session = world.accounts.issue_token("clinician.a")
    client.cookies.set(SESSION_COOKIE, session)
    return patient, csrf_token(SECRET, session)


@st.composite
def _posted(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    form = draw(st.sampled_from(sorted(FORMS)))
    values = dict(FORMS[form])
    for name in draw(st.lists(st.sampled_from(sorted(values)), min_size=1, max_size=3, unique=True)):
        values[name] = draw(TEXT)
    return form, values


def test_any_text_in_a_recording_form_is_stored_once_or_refused_with_nothing_stored(
    client: TestClient, clinician: tuple[str, str], booted: App
) -> None:
    patient, csrf = clinician
    seen: set[int] = set()

    @FUZZ
    @given(posted=_posted())
    def post(posted: tuple[str, dict[str, str]]) -> None:
        form, values = posted
        before = row_counts(booted.engine)
        response = client.post(
            f"/patients/{patient}/{form}", data=values | {"csrf": csrf}, follow_redirects=False
        )
        after = row_counts(booted.engine)
        seen.add(response.status_code)
        assert response.status_code in (303, 422), response.text[:500]
        changed = {name for name in after if after[name] != before[name]}
        if response.status_code == 422:
            assert changed == set()
        else:
            assert after[TABLES[form]] == before[TABLES[form]] + 1

    post()

    assert seen == {303, 422}


def test_any_text_as_an_entered_in_error_reason_marks_the_entry_or_is_refused(
    client: TestClient, clinician: tuple[str, str], booted: App, world: World
) -> None:
    patient, csrf = clinician
    url = f"/api/v1/patients/{patient}/history"

    @FUZZ
    @given(reason=TEXT)
    def mark(reason: str) -> None:
        dose_form = FORMS["doses"] | {"csrf": csrf}
        client.post(f"/patients/{patient}/doses", data=dose_form, follow_redirects=False)
        doses = client.get(url, headers=world.auth("nurse.a")).json()["doses"]
        dose = next(d for d in doses if d["entered_in_error"] is None)
        before = row_counts(booted.engine)
        response = client.post(
            f"/patients/{patient}/entries/dose/{dose['id']}/entered-in-error",
            data={"csrf": csrf, "reason": reason},
            follow_redirects=False,
        )
        assert response.status_code in (303, 422), response.text[:500]
        if response.status_code == 422:
            assert row_counts(booted.engine) == before

    mark()


PLANNER = {
    "reference": "H-F",
    "name": "Fuzz Example",
    "start_date": "2026-01-05",
    "patient.birth_date": "1958-03-14",
    "patient.sex": "female",
    "cause": "autoimmune_gastritis",
    "indication": "treatment",
    "pack": "uk-nice-2024",
    "labs[0].test": "total_b12",
    "labs[0].value": "120",
    "labs[0].unit": "ng/L",
    "labs[0].date": "2026-01-02",
    "maintenance_interval": "",
    "formulation": "",
    "route_preference": "",
    "patient.diet": "",
}


def test_any_text_in_the_plan_builder_previews_a_plan_or_shows_the_errors(
    client: TestClient, clinician: tuple[str, str], world: World, booted: App
) -> None:
    _, csrf = clinician
    seen: set[int] = set()

    @FUZZ
    @given(data=st.data())
    def preview(data: st.DataObject) -> None:
        values = PLANNER | {"clinic_id": world.clinic_a, "csrf": csrf}
        for name in data.draw(
            st.lists(st.sampled_from(sorted(PLANNER)), min_size=1, max_size=3, unique=True)
        ):
            values[name] = data.draw(TEXT)
        accept = data.draw(st.booleans())
        before = row_counts(booted.engine)
        path = "/patients/new/accept" if accept else "/patients/new"
        response = client.post(path, data=values, follow_redirects=False)
        seen.add(response.status_code)
        assert response.status_code in ((303, 422) if accept else (200, 422)), response.text[:500]
        if response.status_code == 422 or not accept:
            assert row_counts(booted.engine) == before

    preview()

    assert 422 in seen


def test_the_fuzzed_forms_start_from_values_that_are_accepted(
    client: TestClient, clinician: tuple[str, str], world: World
) -> None:
    patient, csrf = clinician
    answers = [
        client.post(f"/patients/{patient}/{form}", data=values | {"csrf": csrf}, follow_redirects=False)
        for form, values in FORMS.items()
    ]
    planned = client.post(
        "/patients/new", data=PLANNER | {"clinic_id": world.clinic_a, "csrf": csrf}, follow_redirects=False
    )

    assert [a.status_code for a in answers] == [303] * len(FORMS), [a.text[:300] for a in answers]
    assert planned.status_code == 200, planned.text[:500]


TOO_MUCH = [  # each once stored a value that failed on PostgreSQL or broke every later page
    ("doses", "dose", "1" * 80),
    ("doses", "dose", "1E+1000000"),
    ("doses", "site", "x" * 101),
    ("doses", "unit", "u" * 33),
    ("doses", "given_by", "g" * 201),
    ("labs", "value", "1" * 80),
    ("labs", "value", "1E+1000000"),
    ("labs", "value", "1e308"),
    ("labs", "value", "1e-400"),
    ("labs", "date", "1899-12-31"),
    ("symptoms", "date", "0080-01-02"),
    ("reviews", "date", "9999-12-31"),
]


@pytest.mark.parametrize("change", TOO_MUCH, ids=[f"{c[0]}.{c[1]}={c[2][:12]}" for c in TOO_MUCH])
def test_a_value_the_record_cannot_hold_is_refused_next_to_its_field_and_every_page_still_works(
    client: TestClient, clinician: tuple[str, str], world: World, booted: App, change: tuple[str, str, str]
) -> None:
    patient, csrf = clinician
    form, field, value = change
    before = row_counts(booted.engine)

    response = client.post(
        f"/patients/{patient}/{form}", data=FORMS[form] | {"csrf": csrf, field: value}, follow_redirects=False
    )

    assert response.status_code == 422
    assert f"Please correct: {field}: " in response.text  # the form's alert names the field
    assert row_counts(booted.engine) == before
    for page in (f"/patients/{patient}", f"/patients/{patient}/handout", f"/patients/{patient}/handout.pdf"):
        assert client.get(page).status_code == 200
    for route in ("history", "forecast", "fhir", "calendar.ics"):
        assert (
            client.get(f"/api/v1/patients/{patient}/{route}", headers=world.auth("nurse.a")).status_code
            == 200
        )
