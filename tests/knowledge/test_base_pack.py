"""The ``_base`` pack: shared records a national pack extends, merged by id and pinned by hash."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from b12care.domain.errors import InputError, KnowledgeError
from b12care.knowledge import list_packs, loader
from b12care.knowledge.check import check_pack_folder, check_path
from b12care.knowledge.loader import load_pack, load_pack_folder, pack_directory, rehash

BASE = Path("_base") / "1.0.0"
UK = Path("uk-nice-2024") / "1.1.0"
NEW_UNIT = """  - id: units.xyz
    kind: analyte_units
    description: A unit record the base does not have
    citations: [ucum]
    verification: derived
    values: {2024-03-06: {groups: [{canonical: fL, factors: {fL: 1}}]}}
"""


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the shipped packs folder that b12care reads instead of its own (caches cleared)."""
    root = tmp_path / "packs"
    shutil.copytree(loader.PACKS_ROOT, root)
    monkeypatch.setattr(loader, "PACKS_ROOT", root)
    load_pack.cache_clear()
    yield root
    load_pack.cache_clear()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_base_is_neither_listed_nor_a_pack_a_case_can_choose() -> None:
    assert [s.id for s in list_packs()] == ["nl-nhg-2014", "uk-nice-2024", "us-fda-label"]
    with pytest.raises(InputError, match="unknown pack '_base'"):
        pack_directory("_base")


def test_a_changed_base_file_fails_the_verification_of_every_pack_that_extends_it(packs: Path) -> None:
    _edit(packs / BASE / "units.yaml", "Mean cell volume in fL", "Mean cell volume (fL)")

    for pack_id in ("uk-nice-2024", "us-fda-label", "nl-nhg-2014"):
        with pytest.raises(KnowledgeError, match=r"base pack _base@1\.0\.0: content hash does not match"):
            load_pack_folder(packs / pack_id / "1.1.0")
    report = check_pack_folder(packs / UK)
    assert [(p.file, p.field) for p in report.problems] == [("manifest.yaml", "extends")]


def test_a_rehashed_base_still_fails_each_pack_until_the_pack_is_rehashed(packs: Path) -> None:
    _edit(packs / BASE / "units.yaml", "Mean cell volume in fL", "Mean cell volume (fL)")
    base_hash = rehash(packs / BASE)

    with pytest.raises(KnowledgeError, match=r"not the base_hash \w+ this pack records"):
        load_pack_folder(packs / UK)
    assert [p.field for p in check_pack_folder(packs / UK).problems] == ["base_hash"]
    rehash(packs / UK)
    pack = load_pack_folder(packs / UK)

    assert f"base_hash: {base_hash}" in (packs / UK / "manifest.yaml").read_text()
    assert pack.records["units.mcv"].description == "Mean cell volume (fL)"
    assert check_pack_folder(packs / UK).ok


def test_a_pack_record_overrides_the_base_record_in_its_place_and_a_new_one_follows(packs: Path) -> None:
    shipped = list(load_pack_folder(packs / UK).records)
    units = (packs / BASE / "units.yaml").read_text(encoding="utf-8")
    start = units.index("  - id: units.mcv")
    mcv = units[start : units.index("  - id: units.potassium")].replace("Mean cell volume in fL", "MCV (fL)")
    (packs / UK / "units.yaml").write_text(f"records:\n{NEW_UNIT}{mcv}", encoding="utf-8")
    rehash(packs / UK)

    pack = load_pack_folder(packs / UK)

    assert pack.records["units.mcv"].description == "MCV (fL)"
    last_unit = shipped.index("units.platelets")
    assert list(pack.records) == [*shipped[: last_unit + 1], "units.xyz", *shipped[last_unit + 1 :]]


def test_a_listed_file_neither_the_pack_nor_its_base_has_is_refused(packs: Path) -> None:
    (packs / UK / "labs.yaml").unlink()

    with pytest.raises(
        KnowledgeError, match=r"labs\.yaml: listed, but neither the pack nor _base@1\.0\.0 has it"
    ):
        load_pack_folder(packs / UK)
    assert "labs.yaml is listed but there is no such file" in str(check_pack_folder(packs / UK).problems[0])


def test_the_base_checks_ok_alone_and_a_packs_folder_checks_the_national_packs(packs: Path) -> None:
    base = check_pack_folder(packs / BASE)

    assert base.ok, base.problems
    assert (base.id, base.version) == ("_base", "1.0.0")
    assert [report.id for report in check_path(packs)] == ["nl-nhg-2014", "uk-nice-2024", "us-fda-label"]
