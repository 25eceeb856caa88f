"""docs/performance.md gives every benchmark figure with the command that produced it and the machine it
ran on: the page names the machine, every benchmark script is run by a command shown on it, every script
it names exists, and every section with a table of figures shows its command."""

from __future__ import annotations

import re

from tests.conftest import ROOT

PAGE = ROOT / "docs" / "performance.md"
BENCHMARKS = ROOT / "benchmarks"
SCRIPT = re.compile(r"benchmarks/([a-z_]+\.py)")
FIGURE_ROW = re.compile(r"^\|.*\d.*\|\s*$")


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) of every ``##``/``###`` section, each with the body of its subsections."""
    heads = list(re.finditer(r"^(#{2,3}) (.+)$", text, re.MULTILINE))
    found: list[tuple[str, str]] = []
    for index, head in enumerate(heads):
        level = len(head.group(1))
        end = next((h.start() for h in heads[index + 1 :] if len(h.group(1)) <= level), len(text))
        found.append((head.group(2), text[head.end() : end]))
    return found


def runnable_scripts() -> set[str]:
    """The benchmark scripts (those with a ``__main__`` guard; the rest are their shared modules)."""
    return {
        path.name
        for path in BENCHMARKS.glob("*.py")
        if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")
    }


def test_the_page_names_the_machine_the_figures_come_from() -> None:
    machine = dict(sections(PAGE.read_text(encoding="utf-8"))).get("Machine", "")

    assert re.search(r"\d+ cores", machine) and "Python 3." in machine


def test_every_benchmark_script_is_run_by_a_command_on_the_page() -> None:
    shown = set(SCRIPT.findall(PAGE.read_text(encoding="utf-8")))

    assert runnable_scripts(), "benchmarks/ holds the benchmark scripts"
    assert sorted(runnable_scripts() - shown) == []


def test_every_script_the_page_names_exists() -> None:
    shown = set(SCRIPT.findall(PAGE.read_text(encoding="utf-8")))

    assert sorted(name for name in shown if not (BENCHMARKS / name).is_file()) == []


def test_every_section_with_figures_shows_the_command_that_produced_them() -> None:
    missing = [
        heading
        for heading, body in sections(PAGE.read_text(encoding="utf-8"))
        if any(FIGURE_ROW.match(line) for line in body.splitlines())
        and not (SCRIPT.search(body) or "Same command" in body)
    ]

    assert missing == []
