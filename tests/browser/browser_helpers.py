"""Helpers of the browser tests (a module of its own name, so test modules import it unambiguously).

Pages are driven as a user does: by their labels, buttons and links. Every helper works on a Playwright
``Page`` of a context whose ``base_url`` is the test server.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Locator, Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
GUIDE_IMAGES = ROOT / "docs" / "images"
GUIDE_IMAGE_COLOURS = 128  # a palette PNG: the guide's pictures stay small in the repository
GUIDE_IMAGE_MAX_HEIGHT = 900  # pixels; a taller part of a page is cut at the bottom
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
_PATIENT_URL = re.compile(r"/patients/([0-9a-f-]{36})(?:[?#].*)?$")


@dataclass(frozen=True)
class Server:
    """The running ``b12care serve --demo``: where it listens and the printed demo password."""

    base_url: str
    password: str


@dataclass(frozen=True)
class NewPatient:
    """What the plan builder form is filled in with."""

    name: str
    reference: str
    birth_date: str = "1958-03-14"
    cause: str = "autoimmune_gastritis"
    b12_ng_per_l: str = "95"
    neurological: bool = True


def log_in(page: Page, server: Server, username: str) -> None:
    """Log in through the login form; the dashboard is shown."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.base_url}/")


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot under test-output/screenshots/ (kept for a person to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def guide_image(target: Page | Locator, name: str) -> Path | None:
    """Refresh the clinician guide's picture ``docs/images/<name>.png`` when B12CARE_UPDATE_SCREENSHOTS=1.

    A page is taken as the window shows it (not the full page); a locator, as that part of the page (its
    top GUIDE_IMAGE_MAX_HEIGHT pixels).
    Otherwise nothing is written: the committed pictures stay as they are. tests/docs checks that every
    picture under docs/images/ is written by a ``guide_image`` call of a browser test.
    """
    if os.environ.get("B12CARE_UPDATE_SCREENSHOTS") != "1":
        return None
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    path = GUIDE_IMAGES / f"{name}.png"
    target.screenshot(path=str(path), animations="disabled")
    with Image.open(path) as taken:
        top = taken.crop((0, 0, taken.width, min(taken.height, GUIDE_IMAGE_MAX_HEIGHT)))
        small = top.convert("RGB").quantize(colors=GUIDE_IMAGE_COLOURS)
    small.save(path, optimize=True)
    return path


def fill_plan_builder(page: Page, patient: NewPatient) -> None:
    """Open the plan builder and fill it in: a case, one total B12 result in ng/L three days before."""
    page.goto("/patients/new")
    start = dt.date.fromisoformat(page.get_by_label("Start date").input_value())
    page.get_by_label("Reference (hospital number)").fill(patient.reference)
    page.get_by_label("Name", exact=True).fill(patient.name)
    page.get_by_label("Birth date").fill(patient.birth_date)
    page.get_by_label("Cause").select_option(patient.cause)
    if patient.neurological:
        page.get_by_label("Neurological symptoms").check()
    page.get_by_label("Test 1", exact=True).select_option("total_b12")
    page.get_by_label("Value 1", exact=True).fill(patient.b12_ng_per_l)
    page.get_by_label("Unit 1", exact=True).select_option("ng/L")
    page.get_by_label("Date 1", exact=True).fill((start - dt.timedelta(days=3)).isoformat())


def preview_plan(page: Page, patient: NewPatient) -> None:
    """Fill the plan builder and preview the plan (the preview is shown under the form)."""
    fill_plan_builder(page, patient)
    page.get_by_role("button", name="Preview plan").click()
    page.get_by_role("heading", name="Plan preview").wait_for()


def accept_plan(page: Page) -> str:
    """Accept the previewed plan; the new patient's page is shown. Returns the patient id."""
    page.get_by_role("button", name="Accept plan and create patient").click()
    page.wait_for_url(_PATIENT_URL)
    found = _PATIENT_URL.search(page.url)
    assert found is not None, page.url
    return found.group(1)


def create_patient(page: Page, patient: NewPatient) -> str:
    """Build, preview and accept a plan for a new patient; returns the patient id."""
    preview_plan(page, patient)
    return accept_plan(page)


def listed(page: Page, query: str) -> dict[str, str]:
    """The dashboard list of ``/?<query>`` (``view=due_today``, ``status=due``): each name to its status."""
    page.goto(f"/?{query}")
    rows = page.locator("table.recall tbody tr").evaluate_all(
        "rows => rows.map(r => [r.cells[0].innerText.trim(), r.cells[2].innerText.trim()])"
    )
    return dict(rows)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (vendored) in the page; the violations, each with its impact and failing nodes.

    The page's Content-Security-Policy forbids inline scripts, so the accessibility tests run in a
    browser context that bypasses CSP (``bypass_csp=True``); the other tests keep it.
    """
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return {
                passes: r.passes.length,
                violations: r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary),
                })),
            };
        }"""
    )
    assert result["passes"] > 0, "axe-core ran no checks"
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def long_day(day: dt.date) -> str:
    """A date as the handout prints it, e.g. ``5 January 2026`` (weekday left out)."""
    return f"{day.day} {day.strftime('%B')} {day.year}"
