"""``b12care packs check DIR|OVERLAY.yaml``: OK with a summary and exit 0, or every problem and exit 3."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import ROOT, CliResult

from b12care.knowledge.loader import PACKS_ROOT, rehash

Run = Callable[..., CliResult]
EXAMPLE_OVERLAY = ROOT / "examples" / "overlays" / "local-lab.yaml"


@pytest.fixture
def uk_copy(tmp_path: Path) -> Path:
    """A copy of the UK pack's version folder, ``<tmp>/uk-nice-2024/1.1.0``, to break."""
    target = tmp_path / "uk-nice-2024" / "1.1.0"
    shutil.copytree(PACKS_ROOT / "uk-nice-2024" / "1.1.0", target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _errors(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def test_every_shipped_pack_checks_ok_with_its_records_per_grade(run_cli: Run) -> None:
    result = run_cli("packs", "check", str(PACKS_ROOT), width=200)

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[2] for line in lines] == ["nl-nhg-2014", "uk-nice-2024", "us-fda-label"]
    uk = next(line for line in lines if "uk-nice-2024" in line)
    assert uk.startswith("OK pack uk-nice-2024 1.1.0: ")
    assert "unconfirmed 2" in uk and "secondary" in uk  # MMA 0.45 and the IM haematoma rule (FACTS 8)


def test_an_untouched_copy_of_a_pack_checks_ok(run_cli: Run, uk_copy: Path) -> None:
    result = run_cli("packs", "check", str(uk_copy), width=200)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("OK pack uk-nice-2024 1.1.0: ")


def test_a_file_changed_after_hashing_fails_the_manifest_hash(run_cli: Run, uk_copy: Path) -> None:
    _edit(uk_copy / "labs.yaml", "lower: 180, upper: 350", "lower: 170, upper: 350")

    result = run_cli("packs", "check", str(uk_copy), width=300)

    assert result.exit_code == 3
    errors = _errors(result)
    assert len(errors) == 1, errors
    assert errors[0].startswith("error: manifest.yaml: content_hash: does not match the files it lists")
    assert "FAILED pack uk-nice-2024 1.1.0: 1 problem" in result.stderr
    assert result.stdout == ""


def test_a_bad_field_is_named_with_its_file_record_and_effective_date(run_cli: Run, uk_copy: Path) -> None:
    _edit(uk_copy / "labs.yaml", "lower: 180, upper: 350", "lower: -180, upper: 350")
    rehash(uk_copy)

    result = run_cli("packs", "check", str(uk_copy), width=300)

    assert result.exit_code == 3
    assert _errors(result) == [
        "error: labs.yaml: labs.total_b12.bands: values.2024-03-06.lower: "
        "Input should be greater than or equal to 0"
    ]


def test_every_broken_record_is_reported_not_only_the_first(run_cli: Run, uk_copy: Path) -> None:
    _edit(
        uk_copy / "labs.yaml",
        '    verification: secondary\n    notes: "Whether 180',
        '    verification: sure\n    notes: "Whether 180',
    )
    _edit(uk_copy / "safety.yaml", "citations: [nice-ng239, smpc-hydroxocobalamin, nasgp-ng239, bnssg-b12]",
          "citations: [nice-ng239, no-such-source]")  # fmt: skip
    rehash(uk_copy)

    result = run_cli("packs", "check", str(uk_copy), width=300)

    assert result.exit_code == 3
    errors = _errors(result)
    assert len(errors) == 2, errors
    assert errors[0].startswith("error: labs.yaml: labs.total_b12.bands: verification: Input should be ")
    assert (
        errors[1] == "error: safety.yaml: safety.PREGNANCY: citations: unknown citation id(s) no-such-source"
    )
    assert "2 problems" in result.stderr


def test_a_missing_required_record_and_an_unknown_warning_code_are_named(run_cli: Run, uk_copy: Path) -> None:
    _edit(uk_copy / "safety.yaml", "  - id: safety.PREGNANCY\n", "  - id: safety.PREGNANT\n")
    rehash(uk_copy)

    result = run_cli("packs", "check", str(uk_copy), width=300)

    assert result.exit_code == 3
    assert sorted(_errors(result)) == [
        "error: safety.PREGNANCY: required record is missing",
        "error: safety.yaml: safety.PREGNANT: id: not a warning or flag code the engine can raise",
    ]


def test_a_file_the_manifest_does_not_list_is_reported(run_cli: Run, uk_copy: Path) -> None:
    (uk_copy / "notes.yaml").write_text("records: []\n", encoding="utf-8")

    result = run_cli("packs", "check", str(uk_copy), width=300)

    assert result.exit_code == 3
    assert _errors(result) == [
        "error: notes.yaml: not listed in manifest.yaml files: it is neither loaded nor hashed"
    ]


def test_a_file_that_is_not_yaml_is_reported_once_without_its_records_counted_missing(
    run_cli: Run, uk_copy: Path
) -> None:
    with (uk_copy / "labs.yaml").open("a", encoding="utf-8") as labs:
        labs.write("  - [unclosed\n")
    rehash(uk_copy)

    result = run_cli("packs", "check", str(uk_copy), width=300)

    assert result.exit_code == 3
    errors = _errors(result)
    assert len(errors) == 1, errors
    assert errors[0].startswith("error: labs.yaml: labs.yaml is not valid YAML")


def test_the_example_overlay_checks_ok_on_its_pack(run_cli: Run) -> None:
    result = run_cli("packs", "check", str(EXAMPLE_OVERLAY), width=300)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        "OK overlay example-local-lab 2025.1 (on pack uk-nice-2024 1.1.0): 2 records "
        "(lab_reference 1, local_policy 1)"
    )


def test_a_broken_overlay_names_each_bad_field(run_cli: Run, tmp_path: Path) -> None:
    overlay = tmp_path / "lab.yaml"
    shutil.copy(EXAMPLE_OVERLAY, overlay)
    _edit(overlay, "    unit: ng/L\n", "    unit: mg/dL\n")
    _edit(overlay, "    values: {2025-01-01: 4w}", "    values: {2025-01-01: 4 weeks}")

    result = run_cli("packs", "check", str(overlay), width=300)

    assert result.exit_code == 3
    assert sorted(_errors(result)) == [
        "error: lab.yaml: labs.total_b12.bands: unit: "
        "'mg/dL' is not a unit of total_b12 (pmol/L, ng/L, pg/mL)",
        "error: lab.yaml: monitoring.open_phase.review_every: values.2025-01-01: "
        "'4 weeks' is not an interval; use a whole number and d, w or m, e.g. 2m",
    ]


def test_an_overlay_record_of_another_kind_than_the_packs_is_refused(run_cli: Run, tmp_path: Path) -> None:
    overlay = tmp_path / "lab.yaml"
    shutil.copy(EXAMPLE_OVERLAY, overlay)
    _edit(overlay, "  - id: monitoring.open_phase.review_every\n    kind: interval",
          "  - id: monitoring.open_phase.review_every\n    kind: quantity")  # fmt: skip

    result = run_cli("packs", "check", str(overlay), width=300)

    assert result.exit_code == 3
    assert (
        "error: lab.yaml: monitoring.open_phase.review_every: kind: "
        "the pack's record of this id is of kind interval, not quantity" in _errors(result)
    )


def test_an_overlay_checked_on_another_pack_than_its_own_is_refused(run_cli: Run) -> None:
    result = run_cli("packs", "check", str(EXAMPLE_OVERLAY), "--pack", "us-fda-label", width=300)

    assert result.exit_code == 3
    assert "error: local-lab.yaml: overlay.pack: the overlay is for pack uk-nice-2024, not us-fda-label" in (
        _errors(result)
    )


def test_a_path_that_is_neither_a_pack_nor_an_overlay_exits_2(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("packs", "check", str(tmp_path), width=300)

    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: DIR: {tmp_path} is neither an overlay file nor a pack version folder"
    )


def test_packs_list_lists_the_packs_as_bare_packs_does(run_cli: Run) -> None:
    listed = run_cli("packs", "list", width=200)

    assert listed.exit_code == 0
    assert listed.stdout == run_cli("packs", width=200).stdout
    assert "uk-nice-2024 (default)" in listed.stdout
