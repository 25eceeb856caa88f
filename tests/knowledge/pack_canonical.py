"""A canonical JSON form of a loaded pack, to prove that restructuring pack files changes nothing loaded.

Records keep the pack's order (``Pack.of_kind`` answers in it); citations are sorted by id (every reader
looks them up by id or sorts them). ``content_hash`` is left out: it is the SHA-256 of the files, which a
restructuring changes by design. Run ``python tests/knowledge/pack_canonical.py`` to write the fixtures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from b12care.domain.knowledge import Pack

__all__ = ["FIXTURES", "PACK_IDS", "canonical", "canonical_text"]

FIXTURES = Path(__file__).parent / "fixtures"
PACK_IDS = ("uk-nice-2024", "us-fda-label", "nl-nhg-2014")
EXCLUDED = frozenset({"content_hash", "_by_kind"})


def _plain(value: Any) -> Any:
    """JSON-able form that keeps types apart (a Decimal is not a float, a tuple keeps its order)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__type__": type(value).__name__, **{k: v for k, v in fields.items() if k not in EXCLUDED}}
    if isinstance(value, Mapping):
        return [[_plain(k), _plain(v)] for k, v in value.items()]
    if isinstance(value, (frozenset, set)):
        return {"__set__": sorted(_plain(item) for item in value)}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return {"__decimal__": str(value)}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    return value


def canonical(pack: Pack) -> dict[str, Any]:
    """The loaded pack as plain data; citations sorted by id, records in pack order."""
    plain = _plain(pack)
    plain["citations"] = sorted(plain["citations"], key=lambda pair: pair[0])
    return dict(plain)


def canonical_text(pack: Pack) -> str:
    """``canonical`` as indented JSON with a final newline."""
    return json.dumps(canonical(pack), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - writes the fixtures once, before a restructuring
    from b12care.knowledge import load_pack

    for pack_id in PACK_IDS:
        (FIXTURES / f"loaded-{pack_id}.json").write_text(canonical_text(load_pack(pack_id)), encoding="utf-8")
