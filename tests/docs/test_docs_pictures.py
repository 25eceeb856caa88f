"""The guides' pictures: every picture a page shows exists under docs/, and every picture in docs/images/
is taken by a browser test (``guide_image(..., "<name>")``) and shown by a page - so a picture can be
refreshed from the running app (B12CARE_UPDATE_SCREENSHOTS=1) and none is left behind."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

DOCS = ROOT / "docs"
IMAGES = DOCS / "images"
BROWSER_TESTS = ROOT / "tests" / "browser"
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)
STRING = re.compile(r"\"([^\"]+)\"|'([^']+)'")


def shown_pictures() -> dict[Path, list[str]]:
    """Every picture reference of every page: page -> the references as written."""
    found: dict[Path, list[str]] = {}
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        refs = [m.group(1) for m in MARKDOWN_IMAGE.finditer(text)] + HTML_IMAGE.findall(text)
        if refs:
            found[page] = refs
    return found


def guide_image_names(source: str) -> set[str]:
    """The picture names of the ``guide_image(target, "name")`` calls in ``source`` (the last string
    argument of each call; calls may span lines and contain parentheses)."""
    names: set[str] = set()
    for start in (m.end() for m in re.finditer(r"\bguide_image\(", source)):
        depth, end = 1, start
        while depth and end < len(source):
            depth += {"(": 1, ")": -1}.get(source[end], 0)
            end += 1
        strings = [a or b for a, b in STRING.findall(source[start : end - 1])]
        if strings:
            names.add(strings[-1])
    return names


def written_by_browser_tests() -> set[str]:
    names: set[str] = set()
    for path in BROWSER_TESTS.glob("test_*.py"):
        names |= guide_image_names(path.read_text(encoding="utf-8"))
    return names


def test_every_picture_a_page_shows_exists_under_docs() -> None:
    shown = shown_pictures()
    assert shown, "the clinician guide shows pictures"
    missing = [
        f"{page.relative_to(ROOT)}: {ref}"
        for page, refs in shown.items()
        for ref in refs
        if re.match(r"^[a-z]+:|^/", ref) or not (page.parent / ref).resolve().is_file()
    ]
    assert missing == []


def test_every_picture_in_docs_images_is_taken_by_a_browser_test() -> None:
    pictures = {path.stem for path in IMAGES.glob("*.png")}
    assert pictures, "docs/images holds the clinician guide's pictures"
    assert sorted(pictures - written_by_browser_tests()) == []
    assert not [p.name for p in IMAGES.iterdir() if p.suffix != ".png"]


def test_every_picture_in_docs_images_is_shown_by_a_page() -> None:
    shown = {(page.parent / ref).resolve() for page, refs in shown_pictures().items() for ref in refs}
    assert sorted(p.name for p in IMAGES.glob("*.png") if p.resolve() not in shown) == []


def test_every_picture_a_browser_test_takes_is_committed() -> None:
    assert sorted(written_by_browser_tests() - {p.stem for p in IMAGES.glob("*.png")}) == []


def test_guide_image_names_are_read_from_calls_over_several_lines() -> None:
    source = 'guide_image(page, "one")\nguide_image(\n    page.locator("section.chart"),\n    "two",\n)\n'

    assert guide_image_names(source) == {"one", "two"}
