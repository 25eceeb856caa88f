"""The clinic's day in a real browser: the dashboard, a new neurological patient planned and accepted,
a dose recorded, the handout PDF and the calendar link a patient takes home."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import uuid

from browser_helpers import (
    NewPatient,
    Server,
    accept_plan,
    create_patient,
    fill_plan_builder,
    guide_image,
    listed,
    log_in,
    long_day,
    preview_plan,
    screenshot,
)
from icalendar import Calendar
from playwright.sync_api import Page, expect
from pypdf import PdfReader


def _new_patient() -> NewPatient:
    tag = uuid.uuid4().hex[:8]
    return NewPatient(name=f"Browser Patient {tag}", reference=f"BR-{tag}")


def test_logging_in_opens_the_recall_dashboard(page: Page, server: Server) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("demo.nurse")
    guide_image(page.locator("main"), "login")

    log_in(page, server, "demo.nurse")

    expect(page.get_by_role("heading", name=re.compile(r"^Recall dashboard"))).to_be_visible()
    expect(page.locator("li.count-overdue")).to_contain_text("Overdue")


def test_a_nurse_finds_todays_overdue_patients_on_the_dashboard(nurse_page: Page) -> None:
    page = nurse_page
    overdue = page.locator("li.count-overdue")
    count = int(overdue.locator(".number").inner_text())
    screenshot(page, "dashboard")

    overdue.get_by_role("link").click()

    expect(page).to_have_url(re.compile(r"/\?view=overdue$"))
    expect(page.get_by_role("heading", name="Overdue", exact=True)).to_be_visible()
    assert count > 0, "the demo clinic has patients overdue today"
    statuses = page.locator("table.recall tbody tr td:nth-child(3)").all_inner_texts()
    assert len(statuses) == min(count, 50)
    assert set(statuses) == {"overdue"}
    screenshot(page, "dashboard-overdue")
    guide_image(page, "dashboard")

    page.locator("table.recall tbody tr").first.get_by_role("link").click()

    expect(page.get_by_role("heading", name="Status: overdue", exact=True)).to_be_visible()
    expect(page.locator("section.chart svg")).to_be_visible()
    guide_image(page, "patient-page")


def test_the_plan_preview_of_a_neurological_case_shows_warnings_milestones_and_rationale(
    clinician_page: Page,
) -> None:
    page = clinician_page
    fill_plan_builder(page, _new_patient())
    page.locator("fieldset", has=page.locator("legend", has_text="Assessment")).evaluate(
        "fieldset => { document.activeElement.blur(); fieldset.scrollIntoView(); }"
    )
    guide_image(page, "plan-builder")
    page.get_by_role("button", name="Preview plan").click()
    plan = page.locator("section.plan")

    expect(plan.get_by_role("alert")).to_contain_text("NEURO_SPECIALIST_ADVICE")
    expect(plan).to_contain_text("B12 status: deficient")
    expect(plan.get_by_role("heading", name="Milestones")).to_be_visible()
    assert plan.locator("h3:text-is('Milestones') + ul li").count() >= 1
    rationale = plan.locator("table tbody tr")
    assert rationale.count() >= 2
    expect(plan.locator("table tbody")).to_contain_text("the case is neurological involvement")
    loading = plan.locator("ol.doses").first.locator("time")
    days = [dt.date.fromisoformat(d) for d in loading.evaluate_all("ts => ts.map(t => t.dateTime)")]
    assert len(days) >= 2 and all(
        later - earlier == dt.timedelta(days=2) for earlier, later in itertools.pairwise(days)
    )
    expect(page.get_by_role("button", name="Accept plan and create patient")).to_be_enabled()
    screenshot(page, "plan-preview")
    plan.evaluate("section => section.scrollIntoView()")
    guide_image(page, "plan-preview")
    guide_image(
        plan.locator("div.card", has=page.get_by_role("heading", name="Milestones")), "plan-milestones"
    )
    guide_image(
        plan.locator("div.card", has=page.get_by_role("heading", name="Why: the rationale")), "plan-rationale"
    )


def test_recording_the_first_dose_moves_a_new_patient_off_the_due_today_list_into_loading(
    clinician_page: Page,
) -> None:
    page = clinician_page
    patient = _new_patient()
    create_patient(page, patient)
    expect(page.get_by_role("status")).to_have_text("Patient created with plan version 1.")
    expect(page.get_by_role("heading", name="Status: due", exact=True)).to_be_visible()
    patient_url = page.url
    assert listed(page, "view=due_today").get(patient.name) == "due"

    page.goto(patient_url)
    guide_image(page.locator("#dose-form"), "dose-form")
    page.get_by_role("button", name="Record dose").click()

    expect(page.get_by_role("status")).to_have_text("Dose recorded.")
    expect(page.get_by_role("heading", name="Status: loading", exact=True)).to_be_visible()
    expect(page.locator("#history table").first).to_contain_text("hydroxocobalamin 1 mg IM")
    screenshot(page, "patient-after-dose")
    assert patient.name not in listed(page, "view=due_today")
    assert patient.name not in listed(page, "status=due")
    assert patient.name not in listed(page, "view=overdue")


def test_a_lab_result_and_a_symptom_check_are_drawn_on_the_patients_timeline(nurse_page: Page) -> None:
    page = nurse_page
    page.goto("/?view=overdue")
    page.locator("table.recall tbody tr").last.get_by_role("link").click()
    today = page.evaluate("new Date().toISOString().slice(0, 10)")

    lab = page.locator("#lab-form")
    lab.get_by_label("Date").fill(today)
    lab.get_by_label("Test").select_option("total_b12")
    lab.get_by_label("Value").fill("420")
    lab.get_by_label("Unit").select_option("ng/L")
    guide_image(lab, "lab-form")
    lab.get_by_role("button", name="Record result").click()
    expect(page.get_by_role("status")).to_have_text("Laboratory result recorded.")
    check = page.locator("#symptoms-form")
    check.get_by_label("Date").fill(today)
    check.get_by_label("Overall since last check").select_option("better")
    check.get_by_label("fatigue (0-3)").select_option("1")
    check.get_by_role("button", name="Record symptom check").click()

    expect(page.get_by_role("status")).to_have_text("Symptom check recorded.")
    summary = page.locator("section.chart svg desc")
    expect(summary).to_contain_text(f"Total B12: 1 result(s), latest 420 ng/L on {today}")
    # the demo patient had its 3-month review check; the one recorded now is the latest
    expect(summary).to_contain_text(f"symptom check(s), latest {today}: overall better")
    guide_image(page.locator("section.chart"), "patient-timeline")


def test_the_handout_pdf_downloads_with_the_loading_dates_and_the_pack(clinician_page: Page) -> None:
    page = clinician_page
    preview_plan(page, _new_patient())
    planned = page.locator("section.plan ol.doses").first.locator("time")
    loading = [dt.date.fromisoformat(d) for d in planned.evaluate_all("ts => ts.map(t => t.dateTime)")]
    pack = page.locator("section.plan p.pack").inner_text()
    accept_plan(page)

    page.get_by_role("link", name="Patient handout").click()
    expect(page.get_by_role("heading", name="Your vitamin B12 treatment")).to_be_visible()
    screenshot(page, "handout")
    guide_image(page, "handout")
    with page.expect_download() as download:
        # Alt+click saves a link in Chromium (the PDF is served inline, for the browser's viewer).
        page.get_by_role("link", name="PDF", exact=True).click(modifiers=["Alt"])
    path = download.value.path()

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert download.value.suggested_filename.endswith(".pdf")
    for day in loading:
        assert long_day(day) in text
    label = re.search(r"Pack (\S+ \S+?)\.", pack)
    assert label is not None, pack
    assert f"knowledge pack {label.group(1)}" in text


def test_the_handouts_calendar_link_gives_a_calendar_of_the_coming_injections(clinician_page: Page) -> None:
    page = clinician_page
    patient_id = create_patient(page, _new_patient())
    page.goto(f"/patients/{patient_id}/handout")
    link = page.locator("p.url a")
    assert re.fullmatch(
        r"http://127\.0\.0\.1:\d+/share/[^/]+/calendar\.ics", link.get_attribute("href") or ""
    )

    with page.expect_download() as download:
        link.click()

    calendar = Calendar.from_ical(download.value.path().read_bytes())
    events = calendar.walk("VEVENT")
    assert len(events) >= 2
    today = dt.date.fromisoformat(page.evaluate("new Date().toISOString().slice(0, 10)"))
    starts = sorted(e.decoded("DTSTART") for e in events)
    first = starts[0].date() if isinstance(starts[0], dt.datetime) else starts[0]
    assert abs((first - today).days) <= 1
