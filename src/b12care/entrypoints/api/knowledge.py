"""The knowledge packs: list them, their citations, and ``explain`` of one rule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from b12care.application.planning import Explanation, explain_rule
from b12care.domain.errors import RecordNotFoundError
from b12care.entrypoints.api.deps import KnowledgeReader
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses import CitationOut, ExplanationOut, PackOut
from b12care.entrypoints.api.views import plain
from b12care.entrypoints.cli.render import describe_value
from b12care.knowledge import list_packs, load_pack

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["knowledge"], responses=problem_responses(401, 404, 422))
PackId = Annotated[str, Path(max_length=100)]


def _known(pack_id: str) -> str:
    if pack_id not in {p.id for p in list_packs()}:
        raise RecordNotFoundError("pack", pack_id)
    return pack_id


def _explanation(item: Explanation) -> dict[str, Any]:
    record = item.record
    return {
        "pack": {"id": item.pack.id, "version": item.pack.version},
        "id": record.id,
        "kind": record.kind,
        "description": record.description,
        "unit": record.unit,
        "verification": record.verification,
        "origin": record.origin,
        "values": [{"from": day.isoformat(), "value": describe_value(value)} for day, value in record.values],
        "notes": record.notes,
        "conflicts": [{"citations": list(c.citations), "says": c.says} for c in record.conflicts],
        "citations": [plain(item.pack.citations[cid]) for cid in record.citations],
    }


@router.get("/packs", response_model=list[PackOut])
def packs(user: KnowledgeReader) -> list[dict[str, Any]]:
    """Every pack's newest version with record counts per verification grade (``b12care packs``)."""
    found: list[dict[str, Any]] = plain(list_packs())
    return found


@router.get("/packs/{pack_id}/citations", response_model=list[CitationOut])
def citations(pack_id: PackId, user: KnowledgeReader) -> list[dict[str, Any]]:
    """The full reference of every source the pack cites."""
    pack = load_pack(_known(pack_id))
    return [plain(pack.citations[cid]) for cid in sorted(pack.citations)]


@router.get("/rules/{rule_id}", response_model=list[ExplanationOut])
def explain(
    rule_id: Annotated[str, Path(max_length=200)],
    user: KnowledgeReader,
    pack: Annotated[str | None, Query(max_length=100, description="Only this pack.")] = None,
) -> list[dict[str, Any]]:
    """A rule or record as each pack defines it, its values by effective date and its sources."""
    return [_explanation(item) for item in explain_rule(rule_id, _known(pack) if pack else None)]
