"""The patient page: status, next dose, flags, timeline chart, history, and the recording forms.

Each form posts to its own route and redirects back with a flash; a wrong input re-renders the page
(422) with the error next to the input and everything typed kept. Each form declares its action of the
permission table and is shown only to users whose role in the patient's clinic may do it (others get
403; a review decision needs a prescriber, as over the API); a patient of another clinic is 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from markupsafe import Markup

from b12care.adapters.charts.timeline import timeline_svg
from b12care.application.accounts import Identity
from b12care.application.permissions import ACTIONS, correction_actions, review_actions
from b12care.application.planning import choose_pack
from b12care.application.ports import EntryRepository
from b12care.application.records import (
    DOSE_SOURCES,
    OVERALL_CHANGES,
    REVIEW_DECISIONS,
    DoseRecord,
    LabRecord,
    PatientRecord,
    ReviewRecord,
    SymptomCheckRecord,
)
from b12care.application.treatment import DoseInput, EntryKind, PatientView, Services
from b12care.domain.errors import (
    AlreadyEnteredInError,
    B12CareError,
    InputError,
    PageError,
    RecordNotFoundError,
    StorageFaultError,
)
from b12care.domain.history import SYMPTOMS
from b12care.domain.knowledge import AnalyteUnits, Pack
from b12care.domain.rotation import SITES, suggest_site
from b12care.entrypoints.web.session import (
    PatientForm,
    PatientPage,
    check_permission,
    patient_for,
    services_of,
)
from b12care.entrypoints.web.templating import redirect, render

__all__ = ["SITES", "next_site", "router"]

router = APIRouter(include_in_schema=False)

KINDS: Mapping[str, EntryKind] = {"dose": "dose", "lab": "lab", "symptoms": "symptoms", "review": "review"}
Text = Annotated[str, Form(max_length=500)]
_T = TypeVar("_T")


@dataclass
class Entries:
    """The patient's stored entries, oldest first (entered-in-error ones included, marked)."""

    doses: list[DoseRecord] = field(default_factory=list)
    labs: list[LabRecord] = field(default_factory=list)
    checks: list[SymptomCheckRecord] = field(default_factory=list)
    reviews: list[ReviewRecord] = field(default_factory=list)


def next_site(doses: list[DoseRecord]) -> tuple[str | None, str]:
    """The last recorded injection site and the next one in the rotation (``domain.rotation``)."""
    given = [d.site or "" for d in doses if d.status == "completed" and d.entered_in_error is None]
    hint = suggest_site(given)
    return hint.last, hint.suggested


def _entries(services: Services, patient_id: str) -> Entries:
    with services.uow() as uow:
        return Entries(
            uow.doses.list_for(patient_id),
            uow.labs.list_for(patient_id),
            uow.symptom_checks.list_for(patient_id),
            uow.reviews.list_for(patient_id),
        )


def _lab_units(pack: Pack, day: dt.date) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for record in pack.of_kind(AnalyteUnits):
        units = record.value_on(day)
        found[units.analyte] = list(units.units)
    return found


def _page(
    request: Request,
    user: Any,
    patient: PatientRecord,
    *,
    errors: Mapping[str, Mapping[str, str]] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    status: int = 200,
) -> Response:
    services = services_of(request)
    view: PatientView = services.view(patient.id)
    entries = _entries(services, patient.id)
    pack = choose_pack(None, view.plan_version.pack_id)
    plan = view.forecast.plan
    citations = {c.id: c for c in plan.citations}
    last_site, suggested = next_site(entries.doses)
    regimen = plan.selection.regimen
    today = services.today()
    defaults: dict[str, dict[str, str]] = {
        "dose": {
            "date": today.isoformat(),
            "drug": regimen.drug,
            "dose": format(regimen.dose.value, "f"),
            "unit": regimen.dose.unit,
            "route": plan.selection.route,
            "site": suggested,
            "source": "clinic",
        },
        "lab": {"date": today.isoformat(), "test": "total_b12"},
        "symptoms": {"date": today.isoformat(), "overall": "same"},
        "review": {"date": today.isoformat()},
    }
    for form_name, kept in (values or {}).items():
        defaults[form_name] = dict(kept)
    chart = timeline_svg(view, entries.doses, entries.labs, entries.checks, pack)
    context = {
        "user": user,
        "patient": patient,
        "view": view,
        "forecast": view.forecast,
        "plan": plan,
        "citations": citations,
        "entries": entries,
        "errors": errors or {},
        "v": defaults,
        "last_site": last_site,
        "suggested_site": suggested,
        "sites": SITES,
        "sources": DOSE_SOURCES,
        "routes": ("IM", "SC", "oral"),
        "drugs": ("hydroxocobalamin", "cyanocobalamin"),
        "lab_units": _lab_units(pack, today),
        "overall": OVERALL_CHANGES,
        "symptoms": SYMPTOMS,
        "decisions": REVIEW_DECISIONS,
        "chart": Markup(chart),
        "can": {action: user.may(action, patient.clinic_id) for action in ACTIONS},
    }
    return render(request, "patient.html", context, status)


@router.get("/patients/{patient_id}")
def patient_page(
    request: Request, patient_id: str, user: Annotated[Identity, PatientPage("read_patient")]
) -> Response:
    """The patient: status banner, next dose, flags, chart, history and forms."""
    return _page(request, user, patient_for(request, patient_id, user))


def _day(value: str, field_name: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors[field_name] = "enter a date (YYYY-MM-DD)"
        return None


def _decimal(value: str, field_name: str, errors: dict[str, str]) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        errors[field_name] = f"{value!r} is not a number"
        return None
    if not number.is_finite() or number < 0:
        errors[field_name] = "must be a number of zero or more"
        return None
    return number


def _given(value: _T | None) -> _T:
    """A parsed value a form's write uses: only called when the form had no errors, so it is set."""
    assert value is not None
    return value


@dataclass
class _Form:
    """One posted recording form of a patient: parse its values, then save and redirect with a flash,
    or show the page again (422) with the errors next to the inputs and the values kept."""

    request: Request
    user: Any
    patient: PatientRecord
    name: str
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        return services_of(self.request)

    def day(self) -> dt.date | None:
        """The form's ``date`` field."""
        return _day(self.values.get("date", ""), "date", self.errors)

    def save(self, write: Callable[[], object]) -> Response:
        """Run ``write`` when the form is right; else the page again with the errors and values."""
        if not self.errors:
            try:
                write()
            except InputError as error:
                self.errors[error.field.split(".")[-1]] = error.message
            except StorageFaultError:
                raise  # not the form's fault: the 503 page (web/routes.py)
            except B12CareError as error:
                self.errors["form"] = str(error)
            else:
                return redirect(f"/patients/{self.patient.id}?done={self.name}#history")
        return _page(
            self.request,
            self.user,
            self.patient,
            errors={self.name: self.errors},
            values={self.name: self.values},
            status=422,
        )


def _form(request: Request, patient_id: str, user: Any, name: str, values: dict[str, str]) -> _Form:
    """The form ``name`` posted for a patient the user may see (404 otherwise)."""
    return _Form(request, user, patient_for(request, patient_id, user), name, values)


@router.post("/patients/{patient_id}/doses")
def record_dose(
    request: Request,
    *,
    patient_id: str,
    user: Annotated[Identity, PatientForm("record_dose")],
    date: Text = "",
    drug: Text = "",
    dose: Text = "",
    unit: Text = "",
    route: Text = "",
    site: Text = "",
    lot: Text = "",
    given_by: Text = "",
    source: Text = "clinic",
    not_done_reason: Text = "",
) -> Response:
    """Record a dose given (or not done, with its reason)."""
    values = {
        "date": date,
        "drug": drug,
        "dose": dose,
        "unit": unit,
        "route": route,
        "site": site,
        "lot": lot,
        "given_by": given_by,
        "source": source,
        "not_done_reason": not_done_reason,
    }
    form = _form(request, patient_id, user, "dose", values)
    day = form.day()
    not_done = not_done_reason.strip() or None
    amount = _decimal(dose, "dose", form.errors) if dose.strip() and not not_done else None
    if source not in DOSE_SOURCES:
        form.errors["source"] = f"choose one of {', '.join(DOSE_SOURCES)}"
    if not not_done:
        for name, value in (("drug", drug), ("dose", dose), ("unit", unit), ("route", route)):
            if not value.strip():
                form.errors.setdefault(name, "required for a dose given (or give a reason it was not done)")

    def write() -> None:
        form.services.record_dose(
            form.patient.id,
            DoseInput(
                date=_given(day),
                drug=cast(Any, drug) if not not_done else None,
                dose=amount,
                unit=unit.strip() or None if amount is not None else None,
                route=cast(Any, route) if not not_done else None,
                site=site.strip() or None,
                lot=lot.strip() or None,
                given_by=given_by.strip() or None,
                source=cast(Any, source),
                not_done_reason=not_done,
            ),
            user.username,
        )

    return form.save(write)


@router.post("/patients/{patient_id}/labs")
def record_lab(
    request: Request,
    *,
    patient_id: str,
    user: Annotated[Identity, PatientForm("record_lab")],
    date: Text = "",
    test: Text = "",
    value: Text = "",
    unit: Text = "",
) -> Response:
    """Record a laboratory result (the unit must be one the patient's pack accepts for the test)."""
    form = _form(request, patient_id, user, "lab", {"date": date, "test": test, "value": value, "unit": unit})
    day = form.day()
    number = _decimal(value, "value", form.errors)
    return form.save(
        lambda: form.services.record_lab(
            form.patient.id,
            test=cast(Any, test),
            value=_given(number),
            unit=unit,
            day=_given(day),
            actor=user.username,
        )
    )


@router.post("/patients/{patient_id}/symptoms")
async def record_symptoms(
    request: Request, patient_id: str, user: Annotated[Identity, PatientForm("record_symptoms")]
) -> Response:
    """Record a symptom check: each symptom asked about scored 0-3, and the overall direction."""
    form = await request.form()
    values = {"date": "", "overall": ""} | {k: str(v) for k, v in form.items() if k != "csrf"}
    return await run_in_threadpool(_record_symptoms, request, patient_id, user, values)


def _record_symptoms(request: Request, patient_id: str, user: Any, values: dict[str, str]) -> Response:
    form = _form(request, patient_id, user, "symptoms", values)
    day = form.day()
    overall = values.get("overall", "")
    if overall not in OVERALL_CHANGES:
        form.errors["overall"] = f"choose one of {', '.join(OVERALL_CHANGES)}"
    scores: dict[str, int] = {}
    for symptom in SYMPTOMS:
        raw = values.get(f"score.{symptom}", "").strip()
        if not raw:
            continue
        if raw not in ("0", "1", "2", "3"):
            form.errors[f"score.{symptom}"] = "a score from 0 (none) to 3 (severe)"
        else:
            scores[symptom] = int(raw)
    return form.save(
        lambda: form.services.record_symptoms(
            form.patient.id, _given(day), cast(Any, overall), scores, user.username
        )
    )


@router.post("/patients/{patient_id}/reviews")
def record_review(
    request: Request,
    *,
    patient_id: str,
    user: Annotated[Identity, PatientForm("record_review")],
    date: Text = "",
    decision: Text = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    new_interval: Text = "",
) -> Response:
    """Record a review decision (an interval change becomes a new plan version)."""
    values = {"date": date, "decision": decision, "note": note, "new_interval": new_interval}
    form = _form(request, patient_id, user, "review", values)
    for action in review_actions(decision, new_interval.strip() or None):  # a stop, a plan change
        check_permission(user, action, form.patient.clinic_id)
    day = form.day()
    if decision not in REVIEW_DECISIONS:
        form.errors["decision"] = "choose a decision"
    return form.save(
        lambda: form.services.record_review(
            form.patient.id,
            day=_given(day),
            decision=cast(Any, decision),
            actor=user.username,
            note=note.strip(),
            new_interval=new_interval.strip() or None,
        )
    )


@router.post("/patients/{patient_id}/entries/{kind}/{entry_id}/entered-in-error")
def mark_entered_in_error(
    request: Request,
    *,
    patient_id: str,
    kind: str,
    entry_id: str,
    user: Annotated[Identity, PatientForm("mark_entered_in_error")],
    reason: Text = "",
) -> Response:
    """Mark one entry entered-in-error (kept and audited, left out of the forecast); a review only by a
    prescriber (it undoes their decision)."""
    patient = patient_for(request, patient_id, user)
    if kind not in KINDS:
        raise PageError(404, "No such entry.")
    for action in correction_actions(kind):
        check_permission(user, action, patient.clinic_id)
    services = services_of(request)
    try:
        with services.uow() as uow:
            stores: dict[str, EntryRepository[Any]] = {
                "dose": uow.doses,
                "lab": uow.labs,
                "symptoms": uow.symptom_checks,
                "review": uow.reviews,
            }
            owner = stores[kind].get(entry_id).patient_id
    except RecordNotFoundError:
        raise PageError(404, "No such entry.") from None
    if owner != patient.id:
        raise PageError(404, "No such entry.")
    if not reason.strip():
        errors = {f"eie-{entry_id}": "give the reason it was entered in error"}
        return _page(request, user, patient, errors={"eie": errors}, status=422)
    try:
        services.mark_entered_in_error(KINDS[kind], entry_id, reason.strip(), user.username)
    except AlreadyEnteredInError:
        raise PageError(409, "That entry is already marked entered-in-error.") from None
    return redirect(f"/patients/{patient.id}?done=error#history")
