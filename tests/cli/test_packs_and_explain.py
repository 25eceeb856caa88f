"""``b12care packs`` and ``b12care explain``."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CliResult

Run = Callable[..., CliResult]


def test_packs_lists_each_pack_with_version_and_grade_counts(run_cli: Run) -> None:
    result = run_cli("packs", width=200)
    assert result.exit_code == 0
    assert "uk-nice-2024 (default)" in result.stdout
    assert "1.1.0" in result.stdout
    assert "secondary" in result.stdout and "unconfirmed 1" in result.stdout


def test_explain_shows_values_sources_and_other_sources(run_cli: Run) -> None:
    result = run_cli("explain", "labs.total_b12.bands", "--pack", "uk-nice-2024", width=200)
    assert result.exit_code == 0
    assert "labs.total_b12.bands - uk-nice-2024 1.1.0" in result.stdout
    assert "From 2024-03-06" in result.stdout
    assert "[nice-ng239] Vitamin B12 deficiency in over 16s" in result.stdout
    assert "Other source (bsh-2014)" in result.stdout


def test_explain_of_an_unknown_rule_exits_non_zero_with_one_line(run_cli: Run) -> None:
    result = run_cli("explain", "labs.nothing.here")
    assert result.exit_code == 3
    assert result.stderr.strip() == "error: unknown rule id: labs.nothing.here"
