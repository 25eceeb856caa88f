"""The dashboard: counts and lists per category, filters, search, the htmx partial and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from decimal import Decimal

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

import pytest
from web_helpers import Clinics, MovableClock, log_in

from b12care.application.treatment import DoseInput

LOADING = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")
# With loading complete on 16 Jan the example plan's first maintenance dose is due 16 Apr, overdue
# from 17 Apr, due soon from 16 Mar, and maintenance has lapsed by 16 Jul.


def _maintained(clinics: Clinics, clock: MovableClock, name: str = "Mo Maintained") -> str:
    clock.at = dt.datetime(2026, 1, 16, 12, 0, tzinfo=dt.UTC)
    patient = clinics.add_patient(name=name, reference="M-1")
    for day in LOADING:
        clinics.services.record_dose(
            patient,
            DoseInput(dt.date.fromisoformat(day), "hydroxocobalamin", Decimal(1), "mg", "IM"),
            "setup",
        )
    # the 3-month review is held (else the patient needs review from 6 April: FIRST_REVIEW_OVERDUE)
    clinics.services.record_symptoms(patient, dt.date(2026, 4, 5), "better", {"fatigue": 0}, "setup")
    return patient


def _on(clock: MovableClock, day: str) -> None:
    clock.at = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9), tzinfo=dt.UTC)


def _count(html: str, label: str) -> int:
    before = html.split(f'<span class="label">{label}</span>', maxsplit=1)[0]
    return int(before.rsplit('<span class="number">', 1)[1].split("<")[0])


@pytest.mark.parametrize(
    "scenario",
    [
        ("2026-04-12", "due_this_week", "Due this week"),
        ("2026-04-16", "due_today", "Due today"),
        ("2026-05-01", "overdue", "Overdue"),
        ("2026-07-20", "lapsed", "Lapsed maintenance"),
    ],
)
def test_the_dashboard_counts_and_lists_the_patient_in_their_category(
    client: TestClient, clinics: Clinics, clock: MovableClock, scenario: tuple[str, str, str]
) -> None:
    day, category, label = scenario
    patient = _maintained(clinics, clock)
    _on(clock, day)
    log_in(client, clinics, "nurse.a")

    page = client.get("/").text
    listed = client.get(f"/?view={category}").text

    assert _count(page, label) == 1
    assert f'href="/patients/{patient}">Mo Maintained</a>' in listed


def test_a_patient_due_later_than_a_week_is_not_due_this_week(
    client: TestClient, clinics: Clinics, clock: MovableClock
) -> None:
    patient = _maintained(clinics, clock)
    _on(clock, "2026-04-01")  # due soon, but due on 16 Apr
    log_in(client, clinics, "nurse.a")

    page = client.get("/?view=due_this_week").text

    assert _count(page, "Due this week") == 0
    assert patient not in page
    assert patient in client.get("/").text  # still on the recall list (due soon)


def test_a_new_patient_without_doses_needs_review_after_loading_overruns(
    client: TestClient, clinics: Clinics, clock: MovableClock
) -> None:
    patient = clinics.add_patient(name="Nell New")
    _on(clock, "2026-03-01")
    log_in(client, clinics, "nurse.a")

    page = client.get("/?view=needs_review").text

    assert _count(page, "Needs review") == 1
    assert f'href="/patients/{patient}"' in page


def test_the_dashboard_shows_only_the_users_clinics(
    client: TestClient, clinics: Clinics, clock: MovableClock
) -> None:
    clinics.add_patient(clinic=clinics.clinic_b, name="Bea Other")
    mine = clinics.add_patient(name="Ann Mine")
    log_in(client, clinics, "nurse.a")

    page = client.get("/").text

    assert "Bea Other" not in page
    assert mine in page
    assert client.get(f"/?clinic={clinics.clinic_b}").status_code == 404


def test_the_status_filter_narrows_the_list(
    client: TestClient, clinics: Clinics, clock: MovableClock
) -> None:
    due = _maintained(clinics, clock)
    review = clinics.add_patient(name="Rita Review")  # loading never given: needs review by April
    _on(clock, "2026-04-16")
    log_in(client, clinics, "nurse.a")

    due_page = client.get("/?status=due").text
    review_page = client.get("/?status=needs_review").text

    assert due in due_page
    assert review not in due_page
    assert review in review_page
    assert due not in review_page


def test_search_finds_a_patient_by_name_or_reference_in_the_users_clinics(
    client: TestClient, clinics: Clinics
) -> None:
    found = clinics.add_patient(name="Gwen Searchable", reference="REF-777")
    clinics.add_patient(clinic=clinics.clinic_b, name="Gwen Elsewhere")
    log_in(client, clinics, "viewer.a")

    by_name = client.get("/?q=gwen").text
    by_reference = client.get("/?q=ref-777").text

    assert f'href="/patients/{found}">Gwen Searchable</a>' in by_name
    assert "Gwen Elsewhere" not in by_name
    assert "Gwen Searchable" in by_reference


def test_an_htmx_request_gets_only_the_list(client: TestClient, clinics: Clinics) -> None:
    clinics.add_patient(name="Hana Partial")
    log_in(client, clinics, "nurse.a")

    response = client.get("/?status=due", headers={"HX-Request": "true"})

    assert "Hana Partial" in response.text
    assert "<html" not in response.text


def test_the_csv_export_lists_the_recall_list_and_defuses_formulas(
    client: TestClient, clinics: Clinics
) -> None:
    clinics.add_patient(name='=HYPERLINK("http://evil")', reference="X-1")
    clinics.add_patient(name="Ann Plain", reference="X-2")
    clinics.add_patient(clinic=clinics.clinic_b, name="Bea Other")
    log_in(client, clinics, "nurse.a")

    response = client.get("/recall.csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))

    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert sorted(r["name"] for r in rows) == ['\'=HYPERLINK("http://evil")', "Ann Plain"]
    assert {r["status"] for r in rows} == {"due"}
    assert {r["due"] for r in rows} == {"2026-01-05"}
    assert {r["clinic"] for r in rows} == {"Riverside Surgery"}


def test_downloading_the_recall_csv_is_audited_as_an_export_of_the_clinic_by_the_user(
    client: TestClient, clinics: Clinics
) -> None:
    """The recall list names patients: like every export of the record (security probe L7's sibling)."""
    clinics.add_patient(name="Ann Plain", reference="X-2")
    log_in(client, clinics, "nurse.a")

    client.get("/recall.csv?status=due")

    with clinics.services.uow() as uow:
        entries = [e for e in uow.audit.for_entity("clinic", clinics.clinic_a) if e.action == "record.export"]
        other = [e for e in uow.audit.for_entity("clinic", clinics.clinic_b) if e.action == "record.export"]
    assert [(e.actor, e.detail["format"], e.detail["status"]) for e in entries] == [("nurse.a", "csv", "due")]
    assert other == []


def test_the_csv_export_follows_the_filters(
    client: TestClient, clinics: Clinics, clock: MovableClock
) -> None:
    _maintained(clinics, clock)
    _on(clock, "2026-07-20")
    log_in(client, clinics, "nurse.a")

    lapsed = list(csv.DictReader(io.StringIO(client.get("/recall.csv?view=lapsed").text)))
    due = list(csv.DictReader(io.StringIO(client.get("/recall.csv?status=due").text)))

    assert [r["reference"] for r in lapsed] == ["M-1"]
    assert "MAINTENANCE_LAPSED" in lapsed[0]["flags"]
    assert due == []
