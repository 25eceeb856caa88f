"""Data exchange: FHIR R4 export and import, and each patient's calendar feed (staff and share link)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, Response

from b12care.adapters.fhir.importer import MAX_IMPORT_ENTRIES, import_bundle
from b12care.adapters.fhir.outbound import export_patient_record
from b12care.application.calendar import calendar_for
from b12care.bootstrap import App
from b12care.domain.errors import TooManyEntriesError
from b12care.entrypoints.api._params import AsOf
from b12care.entrypoints.api.deps import CurrentUser, InScope, OfClinic, ServicesDep, SharedPatientId
from b12care.entrypoints.api.problems import problem, problem_responses
from b12care.entrypoints.api.responses_exchange import FhirBundle, ImportReportOut

__all__ = ["router"]

router = APIRouter(tags=["exchange"], responses=problem_responses(401, 404, 422))

FHIR_JSON = "application/fhir+json"
CALENDAR = "text/calendar; charset=utf-8"


class FhirJsonResponse(JSONResponse):
    """JSON served (and documented in the OpenAPI) as ``application/fhir+json``."""

    media_type = FHIR_JSON


def _calendar(request: Request, patient_id: str, actor: str) -> Response:
    app: App = request.app.state.app
    body = calendar_for(app, patient_id, app.clock(), public_url=app.settings.public_url, actor=actor)
    return Response(body, media_type=CALENDAR, headers={"Cache-Control": "no-store"})


@router.get("/api/v1/patients/{patient_id}/fhir", response_class=FhirJsonResponse, response_model=FhirBundle)
def export_fhir(
    patient: InScope, user: CurrentUser, services: ServicesDep, as_of: AsOf = None
) -> JSONResponse:
    """The patient as a FHIR R4 Bundle: Patient, CarePlan, MedicationRequest (loading then maintenance
    dosages), MedicationAdministration and Observation; every resource validated before it is sent.
    Audited as an export (``record.export``: who, which patient, ``fhir``)."""
    bundle = export_patient_record(services, patient.id, as_of, actor=user.username)
    return FhirJsonResponse(bundle)


@router.post("/api/v1/fhir/import", response_model=ImportReportOut)
def import_fhir(
    bundle: Annotated[
        dict[str, Any], Body(description="A FHIR R4 Bundle (collection, transaction, batch, searchset).")
    ],
    clinic: Annotated[str, OfClinic("import_fhir", source="query")],
    user: CurrentUser,
    services: ServicesDep,
    source: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The importing EHR (e.g. its FHIR base URL): the source of entry ids whose fullUrl"
            " and meta.source name none (default: the clinic).",
        ),
    ] = None,
) -> Any:
    """Import a Bundle's Observations, MedicationAdministrations and MedicationStatements for the
    clinic's patients (matched by identifier). Every entry is reported: imported, duplicate, conflict
    (its source and id are stored with other content: both shown, nothing stored or overwritten), or an
    issue (unknown code, unknown patient, unsupported resource) - nothing is dropped silently. At most
    MAX_IMPORT_ENTRIES (4,000) entries per request: more is 413, nothing stored."""
    if (count := _entry_count(bundle)) > MAX_IMPORT_ENTRIES:  # refused before any validation
        error = TooManyEntriesError(count, MAX_IMPORT_ENTRIES)
        return problem(413, str(error), field=error.field, max_entries=error.limit)
    return import_bundle(
        services, bundle, clinic, user.username, source=source, max_entries=MAX_IMPORT_ENTRIES
    ).to_dict()


def _entry_count(bundle: dict[str, Any]) -> int:
    entries = bundle.get("entry")
    return len(entries) if isinstance(entries, list) else 0


@router.get("/api/v1/patients/{patient_id}/calendar.ics", response_class=Response)
def staff_calendar(patient: InScope, request: Request, user: CurrentUser) -> Response:
    """The patient's calendar (RFC 5545): next 12 months of doses and review milestones."""
    return _calendar(request, patient.id, user.username)


@router.get("/share/{token}/calendar.ics", response_class=Response, tags=["share"])
def shared_calendar(patient_id: SharedPatientId, request: Request) -> Response:
    """The calendar feed a patient subscribes to with their signed, expiring, read-only share link."""
    return _calendar(request, patient_id, "share-link")
