"""``GET /api/v1/clinics/{clinic_id}/export?format=csv|fhir``: a whole clinic's record, for admins.

The same export as ``b12care export --clinic`` (docs/backup.md): CSV with a row per recorded entry
(formulas defused), or one FHIR R4 Bundle. Admins of the clinic only (``export_clinic``: other roles
in the clinic 403; a clinic the user is not a member of: 404, as everywhere). Every export is in the
audit log; responses are ``no-store``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from b12care.application.export import csv_chunks, patients_to_export
from b12care.entrypoints.api._params import AsOf
from b12care.entrypoints.api.deps import CurrentUser, OfClinic, ServicesDep
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses_exchange import FHIR_BUNDLE_SCHEMA

__all__ = ["router"]

router = APIRouter(tags=["exchange"], responses=problem_responses(401, 403, 404, 422))

FHIR_JSON = "application/fhir+json"
ExportFormat = Annotated[
    Literal["csv", "fhir"], Query(alias="format", description="csv (a row per entry) or fhir (one Bundle).")
]


@router.get(
    "/api/v1/clinics/{clinic_id}/export",
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string", "description": "A row per recorded entry."}},
                FHIR_JSON: {"schema": FHIR_BUNDLE_SCHEMA},
            }
        }
    },
    response_class=Response,
)
def export_clinic(
    clinic_id: Annotated[str, OfClinic("export_clinic")],
    admin: CurrentUser,
    services: ServicesDep,
    output: ExportFormat = "csv",
    as_of: AsOf = None,
) -> Response:
    """Every patient of the clinic and every recorded entry, entered-in-error ones marked."""
    patients = patients_to_export(
        services.uow, services.clock, actor=admin.username, output=output, clinic_id=clinic_id
    )
    headers = {"Cache-Control": "no-store"}
    if output == "fhir":
        from b12care.adapters.fhir.bulk import bundle_chunks

        return StreamingResponse(
            bundle_chunks(services, patients, as_of), media_type=FHIR_JSON, headers=headers
        )
    name = f"clinic-{clinic_id}-{services.today().isoformat()}.csv"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return StreamingResponse(
        csv_chunks(services.uow, patients), media_type="text/csv; charset=utf-8", headers=headers
    )
