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
