"""The packs with a base load exactly what the self-contained packs loaded before (issue 13).

The fixtures were written from the packs before ``_base`` existed (tests/knowledge/pack_canonical.py). Only
``content_hash`` is left out: it is the SHA-256 of the pack's files and now also names its base.
"""

from __future__ import annotations

import json

import pytest
from pack_canonical import FIXTURES, PACK_IDS, canonical

from b12care.knowledge import load_pack


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_a_national_pack_loads_the_same_knowledge_as_before_it_extended_the_base(pack_id: str) -> None:
    before = json.loads((FIXTURES / f"loaded-{pack_id}.json").read_text(encoding="utf-8"))

    after = json.loads(json.dumps(canonical(load_pack(pack_id))))

    assert after == before  # records compared in pack order: lists, not dicts


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_plans_still_name_the_pack_id_and_version_1_1_0(pack_id: str) -> None:
    pack = load_pack(pack_id)

    assert (pack.id, pack.version) == (pack_id, "1.1.0")
    assert pack.label == f"{pack_id} 1.1.0"
