"""The documentation site (mkdocs.yml, docs/): it builds in strict mode, a broken link or anchor fails the
build, and the built pages load no script, style, font or picture from another site (a clinic may run
b12care offline, and a CDN would learn who reads what)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.conftest import ROOT

BUILD_TIMEOUT = 120  # seconds; a build takes about one
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")
ASSET_ATTRIBUTES = {
    "script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src", "video": "src",
    "embed": "src", "track": "src", "input": "src", "object": "data", "link": "href",
}  # fmt: skip
LINKS_THAT_LOAD_NOTHING = {"canonical", "alternate", "author", "license", "help", "next", "prev"}


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` of ``config`` into ``site`` (as tasks.py runs it, plus --site-dir)."""
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config)]
    return subprocess.run(
        [*command, "--site-dir", str(site)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )


class _Assets(HTMLParser):
    """Every URL an HTML page loads by itself: scripts, styles, icons, pictures, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and set(values.get("rel", "").split()) & LINKS_THAT_LOAD_NOTHING:
            return
        attribute = ASSET_ATTRIBUTES.get(tag)
        if attribute and values.get(attribute):
            self.urls.append(values[attribute])
        for candidate in values.get("srcset", "").split(","):
            if candidate.strip():
                self.urls.append(candidate.split()[0])
        self.urls += [m.group(1) or m.group(2) for m in CSS_URL.finditer(values.get("style", ""))]


def external_assets(site: Path) -> list[str]:
    """``file: url`` for every asset of the built site that would be fetched from another host."""
    found: list[str] = []
    for page in sorted(site.rglob("*.html")):
        parser = _Assets()
        parser.feed(page.read_text(encoding="utf-8"))
        found += [f"{page.relative_to(site)}: {url}" for url in parser.urls if EXTERNAL.match(url)]
    for sheet in sorted(site.rglob("*.css")):
        for match in CSS_URL.finditer(sheet.read_text(encoding="utf-8", errors="replace")):
            url = match.group(1) or match.group(2)
            if EXTERNAL.match(url):
                found.append(f"{sheet.relative_to(site)}: {url}")
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built once for this module."""
    target = tmp_path_factory.mktemp("site")
    result = build(ROOT / "mkdocs.yml", target)
    assert result.returncode == 0, result.stderr[-3000:]
    return target


def test_the_site_builds_in_strict_mode_with_a_page_for_every_guide(site: Path) -> None:
    for page in ("index", "clinician-guide", "deployment", "backup", "knowledge-pack-authoring",
                 "knowledge-packs", "date-policy", "faults", "threat-model", "performance"):  # fmt: skip
        assert (site / f"{page}.html").is_file(), page
    assert sorted(p.name for p in (site / "adr").glob("*.html")) == sorted(
        p.with_suffix(".html").name for p in (ROOT / "docs" / "adr").glob("*.md")
    )


def test_the_built_site_loads_nothing_from_another_site(site: Path) -> None:
    assert external_assets(site) == []
    assert any(site.rglob("*.css")), "the theme's styles are part of the site"


def test_the_asset_scan_finds_a_script_a_stylesheet_and_a_picture_from_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="https://cdn.example/a.css"><link rel="canonical" href="https://x.example/">'
        '<script src="//cdn.example/b.js"></script><img src="images/local.png"><a href="https://ok.example/">x</a>'
        '<img srcset="https://cdn.example/c.png 2x">'
    )
    (tmp_path / "style.css").write_text(
        "body{background:url('https://cdn.example/d.png')} i{src:url(x.woff)}"
    )

    assert external_assets(tmp_path) == [
        "page.html: https://cdn.example/a.css",
        "page.html: //cdn.example/b.js",
        "page.html: https://cdn.example/c.png",
        "style.css: https://cdn.example/d.png",
    ]


def test_a_broken_link_or_anchor_fails_the_build(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    index = tmp_path / "docs" / "index.md"
    index.write_text(
        index.read_text(encoding="utf-8")
        + "\n[gone](no-such-page.md) [moved](date-policy.md#no-such-heading)\n",
        encoding="utf-8",
    )

    result = build(tmp_path / "mkdocs.yml", tmp_path / "site")

    assert result.returncode != 0
    assert "no-such-page.md" in result.stderr
    assert "#no-such-heading" in result.stderr
    assert "Aborted with 2 warnings in strict mode" in result.stdout + result.stderr


def test_a_page_left_out_of_the_nav_fails_the_build(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "docs" / "orphan.md").write_text("# Orphan\n", encoding="utf-8")

    result = build(tmp_path / "mkdocs.yml", tmp_path / "site")

    assert result.returncode != 0
    assert "orphan.md" in result.stderr
