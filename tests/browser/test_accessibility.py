"""The main pages pass axe-core (vendored, run in the browser) with no serious or critical violation.

axe is injected with a script tag, which the pages' Content-Security-Policy forbids, so these tests
run in a browser context that bypasses CSP; nothing else differs from the real pages. A screenshot
of each page is kept under test-output/screenshots/.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browser_helpers import (
    BLOCKING_IMPACTS,
    NewPatient,
    Server,
    axe_violations,
    log_in,
    preview_plan,
    screenshot,
)
from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def axe_page(browser: Browser, server: Server) -> Iterator[Page]:
    """One page for the module, CSP bypassed so axe-core can be injected."""
    context = browser.new_context(
        base_url=server.base_url, bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _login(page: Page, server: Server) -> None:
    page.context.clear_cookies()
    page.goto("/login")


def _signed_in(path: str) -> Callable[[Page, Server], None]:
    def visit(page: Page, server: Server) -> None:
        _ensure_signed_in(page, server)
        page.goto(path)

    return visit


def _ensure_signed_in(page: Page, server: Server) -> None:
    page.goto("/")
    if page.url.rstrip("/") != server.base_url:
        log_in(page, server, "demo.doctor")


def _preview(page: Page, server: Server) -> None:
    _ensure_signed_in(page, server)
    tag = uuid.uuid4().hex[:8]
    preview_plan(page, NewPatient(name=f"Axe Patient {tag}", reference=f"AX-{tag}"))


def _first_patient(page: Page, server: Server) -> str:
    _ensure_signed_in(page, server)
    page.goto("/?view=overdue")
    href = page.locator("table.recall tbody tr a").first.get_attribute("href")
    assert href is not None
    return href


def _patient(page: Page, server: Server) -> None:
    page.goto(_first_patient(page, server))


def _handout(page: Page, server: Server) -> None:
    page.goto(_first_patient(page, server) + "/handout")


PAGES: dict[str, Callable[[Page, Server], None]] = {
    "login": _login,
    "dashboard": _signed_in("/"),
    "plan-builder": _signed_in("/patients/new"),
    "plan-preview": _preview,
    "patient": _patient,
    "handout": _handout,
    "knowledge": _signed_in("/knowledge"),
}


def _described(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"][:5]) for v in violations
    )


@pytest.mark.parametrize("name", PAGES)
def test_the_main_page_has_no_serious_accessibility_violation(
    axe_page: Page, server: Server, name: str
) -> None:
    PAGES[name](axe_page, server)
    axe_page.locator("main h1, main h2").first.wait_for()
    screenshot(axe_page, name)

    violations = axe_violations(axe_page)

    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"{name} ({axe_page.url}):\n{_described(blocking)}"


def test_the_check_finds_a_serious_violation_when_a_page_has_one(axe_page: Page, server: Server) -> None:
    _login(axe_page, server)
    axe_page.evaluate(
        """() => {
            const button = document.createElement("button");
            button.id = "unnamed";
            document.querySelector("main").append(button);
        }"""
    )

    violations = axe_violations(axe_page)

    found = {v["id"]: v for v in violations}
    assert found["button-name"]["impact"] in BLOCKING_IMPACTS
    assert any("#unnamed" in node for node in found["button-name"]["nodes"])
