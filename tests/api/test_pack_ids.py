"""A plan's ``pack`` is the id of an installed knowledge pack, never a path (security probe L3): a folder
outside the package is never read, and the answer for a path is the same whether it exists or not."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from api_helpers import World
from fastapi.testclient import TestClient

from b12care.knowledge.loader import PACKS_ROOT, load_pack, rehash


@pytest.fixture
def fake_pack(tmp_path: Path) -> Path:
    """A pack folder outside the package with its own correct SHA-256 and a 99 mg regimen dose."""
    target = tmp_path / "fakepack" / "1.1.0"
    shutil.copytree(PACKS_ROOT / "uk-nice-2024" / "1.1.0", target)
    regimens = target / "regimens.yaml"
    regimens.write_text(
        regimens.read_text().replace("dose: {value: 1, unit: mg}", "dose: {value: 99, unit: mg}")
    )
    manifest = target / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace("id: uk-nice-2024", "id: fakepack"))
    rehash(target)
    load_pack.cache_clear()
    return target.parent


def _preview(client: TestClient, world: World, case: dict[str, Any], pack: str) -> Any:
    return client.post(
        "/api/v1/plans/preview", json={"case": {**case, "pack": pack}}, headers=world.auth("viewer.a")
    )


def test_an_absolute_or_relative_path_as_the_pack_is_refused_and_never_read(
    client: TestClient, world: World, case: dict[str, Any], fake_pack: Path
) -> None:
    escapes = [
        str(fake_pack),
        f"uk-nice-2024/../../../../../../../..{fake_pack}",
        "/etc",
        "/nonexistent",
        ".",
    ]

    answers = [_preview(client, world, case, pack) for pack in escapes]

    assert [a.status_code for a in answers] == [422] * len(escapes)
    assert {a.json()["field"] for a in answers} == {"pack"}
    assert all("unknown pack" in a.json()["detail"] for a in answers)  # the same answer: no oracle
    assert all("99" not in a.text for a in answers)


def test_an_installed_pack_id_still_plans(client: TestClient, world: World, case: dict[str, Any]) -> None:
    response = _preview(client, world, case, "us-fda-label")

    assert response.status_code == 200, response.text
    assert response.json()["pack"]["id"] == "us-fda-label"
