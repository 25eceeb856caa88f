"""HTML and script typed into a free-text field are shown as text and never run (issue 6).

The pages' Content-Security-Policy is in force, as for a real user; that the payload is shown
literally proves it was escaped, not merely blocked.
"""

from __future__ import annotations

import uuid

from browser_helpers import XSS, NewPatient, create_patient, screenshot
from playwright.sync_api import Dialog, Page, expect


def _not_run(page: Page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("main script, main img[src='x']").count() == 0


def test_script_in_a_patient_name_is_shown_literally_and_never_runs(clinician_page: Page) -> None:
    page = clinician_page
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    tag = uuid.uuid4().hex[:8]
    name = f"XSS {tag} {XSS}"

    patient_id = create_patient(page, NewPatient(name=name, reference=f"XSS-{tag}"))

    expect(page.get_by_role("heading", level=1)).to_contain_text(XSS)
    _not_run(page)
    screenshot(page, "free-text-patient")
    for path in (f"/?q=XSS+{tag}", "/?view=due_today", f"/patients/{patient_id}/handout"):
        page.goto(path)
        expect(page.locator("main")).to_contain_text(XSS)
        _not_run(page)
    assert dialogs == []


def test_script_in_a_review_note_is_shown_literally_and_never_runs(clinician_page: Page) -> None:
    page = clinician_page
    tag = uuid.uuid4().hex[:8]
    create_patient(page, NewPatient(name=f"Review Note {tag}", reference=f"RN-{tag}"))

    form = page.locator("#review-form")
    form.get_by_label("Decision").select_option("continue_loading")
    form.get_by_label("Note").fill(XSS)
    form.get_by_role("button", name="Record review").click()

    expect(page.get_by_role("status")).to_have_text("Review recorded.")
    expect(page.locator("#history")).to_contain_text(XSS)
    _not_run(page)


def test_script_in_a_reference_a_dose_site_and_an_entered_in_error_reason_never_runs(
    clinician_page: Page,
) -> None:
    page = clinician_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tag = uuid.uuid4().hex[:8]
    patient_id = create_patient(page, NewPatient(name=f"Site Safety {tag}", reference=f"R{tag}{XSS}"))

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"R{tag}{XSS}")
    form = page.locator("#dose-form")
    form.get_by_label("Injection site").fill(XSS)
    form.get_by_role("button", name="Record dose").click()
    expect(page.get_by_role("status")).to_have_text("Dose recorded.")
    expect(page.locator("#history table").first).to_contain_text(XSS)
    expect(page.locator("#dose-form")).to_contain_text(f"Last site: {XSS}")  # the rotation hint
    _not_run(page)

    history = page.locator("#history")
    history.get_by_label("Reason this dose was entered in error").fill(XSS)
    history.get_by_role("button", name="Mark entered in error").click()
    expect(page.locator("#history .eie").first).to_contain_text(f"Entered in error: {XSS}")
    _not_run(page)
    screenshot(page, "free-text-dose")
    page.goto(f"/?q={tag}")  # the dashboard lists the reference
    expect(page.locator("main")).to_contain_text(XSS)
    _not_run(page)
    page.goto(f"/patients/{patient_id}")
    expect(page.locator("#history")).to_contain_text(XSS)
    _not_run(page)
    assert dialogs == []
