"""The knowledge page: every pack and version, every record with its citations and verification grade,
and the site overlays in force."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from b12care.application.accounts import Identity
from b12care.entrypoints.cli.render import describe_value
from b12care.entrypoints.web.session import AnyClinicPage
from b12care.entrypoints.web.templating import render
from b12care.knowledge import list_packs, load_pack

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/knowledge")
def knowledge(request: Request, user: Annotated[Identity, AnyClinicPage("read_knowledge")]) -> Response:
    """Packs, their records (value in force today, citations, grade) and overlays."""
    packs = [load_pack(summary.id) for summary in list_packs()]
    today = request.app.state.services.today()
    rows = {
        pack.id: [
            (record, describe_value(record.value_on(today)))
            for record in sorted(pack.records.values(), key=lambda r: r.id)
        ]
        for pack in packs
    }
    return render(
        request,
        "knowledge.html",
        {"user": user, "summaries": list_packs(), "packs": packs, "rows": rows},
    )
