"""The clinic dashboard (``/``): counts and lists of the recall list, filters, search, CSV export.

The counts and lists come from the stored recall timelines (index reads, never a pass over every
history); search reads the patients of the chosen clinics and matches name or reference.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from b12care.application.accounts import Identity
from b12care.application.dashboard import CATEGORIES, Category, count_dashboard, list_category
from b12care.application.export import audit_recall_export, spreadsheet_safe
from b12care.application.records import FORECAST_STATUSES, PatientRecord, RecallEntry
from b12care.application.treatment import Services
from b12care.domain.errors import PageError
from b12care.entrypoints.web.session import AnyClinicPage, services_of
from b12care.entrypoints.web.templating import render, with_security_headers

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE = 50
SEARCH_LIMIT = 50
CSV_PAGE = 1000
LIST_STATUSES = ("overdue", "due", "due_soon", "needs_review")
TITLES: dict[str, str] = {
    "all": "Everyone on the recall list",
    "overdue": "Overdue",
    "lapsed": "Lapsed maintenance",
    "due_today": "Due today",
    "due_this_week": "Due this week",
    "needs_review": "Needs review",
}
CSV_COLUMNS = ("reference", "name", "status", "earliest", "due", "overdue", "flags", "clinic", "pack")
View = Annotated[str, Query(max_length=20)]
Reader = Annotated[Identity, AnyClinicPage("read_patient")]
Text = Annotated[str, Query(max_length=100)]


@dataclass(frozen=True, slots=True)
class Filters:
    """The dashboard's filters, checked against the user's clinics and the known codes."""

    view: str
    clinic: str
    status: str
    q: str

    def clinics(self, user: Identity) -> list[str]:
        """The clinic ids to read: the chosen one, else every clinic of the user."""
        return [self.clinic] if self.clinic else user.clinics_where("read_patient")

    def query(self, **override: Any) -> str:
        """The query string of these filters (with some replaced), for links."""
        values = {"view": self.view, "clinic": self.clinic, "status": self.status, "q": self.q} | override
        return urlencode({k: v for k, v in values.items() if v not in ("", None, "all", 0)})


def _filters(user: Identity, view: str, clinic: str, status: str, q: str) -> Filters:
    if view not in ("all", *CATEGORIES):
        raise PageError(404, f"No dashboard list {view!r}.")
    if clinic and not user.sees(clinic):
        raise PageError(404, "No such clinic.")
    if clinic and not user.may("read_patient", clinic):
        raise PageError(403, "Your role in this clinic may not read its patients.")
    if status and status not in FORECAST_STATUSES:
        raise PageError(404, f"No status {status!r}.")
    return Filters(view, clinic, status, q.strip())


def _entries(
    services: Services, user: Identity, filters: Filters, limit: int, offset: int
) -> list[RecallEntry]:
    clinics = filters.clinics(user)
    as_of = services.today()
    if filters.view == "all":
        statuses = [filters.status] if filters.status else None
        return services.recall(clinics, statuses, as_of, limit, offset)
    category: Category = filters.view  # type: ignore[assignment]  # checked in _filters
    found = list_category(services.uow, category, clinic_ids=clinics, as_of=as_of, limit=limit, offset=offset)
    return [e for e in found if not filters.status or e.status == filters.status]


def _search(services: Services, user: Identity, filters: Filters) -> list[PatientRecord]:
    needle = filters.q.casefold()
    found: list[PatientRecord] = []
    for clinic_id in filters.clinics(user):
        for patient in services.patients(clinic_id):
            if patient.entered_in_error is None and (
                needle in patient.name.casefold() or needle in patient.reference.casefold()
            ):
                found.append(patient)
                if len(found) >= SEARCH_LIMIT:
                    return found
    return found


def _clinic_names(services: Services, user: Identity) -> dict[str, str]:
    with services.uow() as uow:
        return {clinic_id: uow.clinics.get(clinic_id).name for clinic_id in sorted(user.clinic_ids)}


@router.get("/")
def dashboard(
    request: Request,
    *,
    user: Reader,
    view: View = "all",
    clinic: Text = "",
    status: Text = "",
    q: Text = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Counts per category, the chosen list (50 a page), and search results when searching."""
    services = services_of(request)
    filters = _filters(user, view, clinic, status, q)
    entries = _entries(services, user, filters, PAGE + 1, offset)
    clinics = _clinic_names(services, user)
    context = {
        "user": user,
        "filters": filters,
        "titles": TITLES,
        "categories": CATEGORIES,
        "statuses": LIST_STATUSES,
        "clinics": clinics,
        "counts": count_dashboard(services.uow, filters.clinics(user), services.today()),
        "entries": entries[:PAGE],
        "more": len(entries) > PAGE,
        "offset": offset,
        "page": PAGE,
        "matches": _search(services, user, filters) if filters.q else None,
    }
    template = "_recall.html" if request.headers.get("HX-Request") == "true" else "dashboard.html"
    return render(request, template, context)


def _csv_rows(services: Services, user: Identity, filters: Filters, clinics: dict[str, str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    offset = 0
    while True:
        page = _entries(services, user, filters, CSV_PAGE, offset)
        for e in page:
            writer.writerow(
                spreadsheet_safe(str(cell))
                for cell in (
                    e.reference,
                    e.name,
                    e.status,
                    e.earliest or "",
                    e.due or "",
                    e.overdue or "",
                    " ".join(e.flags),
                    clinics.get(e.clinic_id, e.clinic_id),
                    f"{e.pack_id} {e.pack_version}",
                )
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(page) < CSV_PAGE:
            return
        offset += CSV_PAGE


@router.get("/recall.csv")
def recall_csv(
    request: Request,
    user: Reader,
    view: View = "all",
    clinic: Text = "",
    status: Text = "",
) -> Response:
    """The recall list (with the dashboard's filters) as CSV, every line."""
    services = services_of(request)
    filters = _filters(user, view, clinic, status, "")
    detail: dict[str, str | int] = {"format": "csv", "list": "recall", "view": view, "status": status}
    audit_recall_export(
        services.uow, services.clock, actor=user.username, clinic_ids=filters.clinics(user), detail=detail
    )
    rows = _csv_rows(services, user, filters, _clinic_names(services, user))
    name = f"recall-{services.today().isoformat()}.csv"
    response = StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
    return with_security_headers(response)
