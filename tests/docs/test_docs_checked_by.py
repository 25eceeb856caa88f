"""The guides name the tests behind their claims in ``<!-- Checked by: path::test, path -->`` comments;
every named test file exists and every named test function is defined in it, so a renamed or deleted
test cannot leave a claim without its check unnoticed."""

from __future__ import annotations

import re

from tests.conftest import ROOT

DOCS = ROOT / "docs"
CHECKED_BY = re.compile(r"<!--\s*Checked by:(.*?)-->", re.DOTALL)
GUIDES_WITH_CHECKS = ("clinician-guide.md", "deployment.md", "knowledge-pack-authoring.md")


def references() -> list[tuple[str, str]]:
    """(page, reference) for every reference of every Checked-by comment."""
    found: list[tuple[str, str]] = []
    for page in sorted(DOCS.rglob("*.md")):
        for block in CHECKED_BY.findall(page.read_text(encoding="utf-8")):
            found += [(page.name, ref.strip()) for ref in block.replace("\n", " ").split(",") if ref.strip()]
    return found


def missing(reference: str) -> str | None:
    """Why ``reference`` (``tests/x.py`` or ``tests/x.py::test_name``) names nothing, or None."""
    path, _, function = reference.partition("::")
    file = ROOT / path
    if not path.startswith("tests/") or not file.is_file():
        return f"no test file {path}"
    if function and not re.search(rf"^def {re.escape(function)}\(", file.read_text(encoding="utf-8"), re.M):
        return f"{path} defines no {function}"
    return None


def test_every_test_a_guide_names_exists() -> None:
    problems = [f"{page}: {why}" for page, ref in references() if (why := missing(ref))]

    assert problems == []


def test_each_guide_names_the_tests_behind_it() -> None:
    pages = {page for page, _ in references()}

    assert set(GUIDES_WITH_CHECKS) <= pages


def test_a_renamed_test_is_reported() -> None:
    assert missing("tests/web/test_web_login.py::test_no_such_behaviour") == (
        "tests/web/test_web_login.py defines no test_no_such_behaviour"
    )
    assert missing("tests/nowhere/test_gone.py") == "no test file tests/nowhere/test_gone.py"
    assert missing("tests/web/test_web_login.py::test_logging_out_clears_the_session") is None
