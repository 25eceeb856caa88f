"""The knowledge-pack authoring guide, followed step by step: copy a pack into a new one, see it refused
until it is rehashed, check it, plan with it; then release a new version and see it used."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.conftest import EXAMPLE_CASE, CliResult

from b12care.knowledge import loader
from b12care.knowledge.loader import load_pack, rehash

Run = Callable[..., CliResult]
NEW = "xx-guideline-2025"


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the shipped packs folder that b12care reads instead of its own (caches cleared)."""
    root = tmp_path / "packs"
    shutil.copytree(loader.PACKS_ROOT, root)
    monkeypatch.setattr(loader, "PACKS_ROOT", root)
    load_pack.cache_clear()
    yield root
    load_pack.cache_clear()


def _copy(source: Path, target: Path, **manifest: str) -> Path:
    """``cp -r`` a pack version folder and edit manifest lines (``key: value``), as the guide says."""
    shutil.copytree(source, target)
    path = target / "manifest.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    for key, value in manifest.items():
        lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def _new_pack(packs: Path) -> Path:
    return _copy(
        packs / "uk-nice-2024" / "1.1.0",
        packs / NEW / "1.0.0",
        id=NEW,
        version="1.0.0",
        title='"XX: an example guideline (2025)"',
        jurisdiction="XX",
        default="false",
    )


def test_an_edited_pack_is_refused_until_it_is_rehashed_then_checks_ok(run_cli: Run, packs: Path) -> None:
    folder = _new_pack(packs)
    labs = folder / "labs.yaml"
    labs.write_text(
        labs.read_text(encoding="utf-8").replace("Total B12: deficiency", "Total B12 (XX): deficiency", 1)
    )

    before = run_cli("packs", "check", str(folder), width=300)
    rehash(folder)
    after = run_cli("packs", "check", str(folder), width=300)

    assert before.exit_code == 3
    assert "error: manifest.yaml: content_hash: does not match" in before.stderr
    assert after.exit_code == 0, after.stderr
    assert after.stdout.startswith(f"OK pack {NEW} 1.0.0: ")


def test_the_new_pack_is_listed_and_plans_with_its_own_id(run_cli: Run, packs: Path) -> None:
    rehash(_new_pack(packs))

    listed = run_cli("packs", width=250)
    planned = run_cli("plan", str(EXAMPLE_CASE), "--pack", NEW, "--format", "json")
    explained = run_cli("explain", "labs.total_b12.bands", "--pack", NEW, width=200)

    assert listed.exit_code == 0 and NEW in listed.stdout
    assert planned.exit_code == 0, planned.stderr
    assert json.loads(planned.stdout)["pack"]["id"] == NEW
    assert explained.exit_code == 0 and f"labs.total_b12.bands - {NEW} 1.0.0" in explained.stdout


def test_the_newest_version_of_a_pack_is_the_one_used(run_cli: Run, packs: Path) -> None:
    released = rehash(_new_pack(packs))
    newer = _copy(packs / NEW / "1.0.0", packs / NEW / "1.1.0", version="1.1.0")
    rehash(newer)

    planned = json.loads(run_cli("plan", str(EXAMPLE_CASE), "--pack", NEW, "--format", "json").stdout)

    assert planned["pack"]["version"] == "1.1.0"
    both = run_cli("packs", "check", str(packs / NEW), width=300).stdout.splitlines()
    assert [line.split(":")[0] for line in both] == [f"OK pack {NEW} 1.0.0", f"OK pack {NEW} 1.1.0"]
    assert load_pack(NEW, "1.0.0").content_hash == released
