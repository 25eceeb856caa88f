"""The plan builder: new patient -> assessment form -> plan preview -> accept creates the patient.

One page: the form stays filled in above the preview, so nothing typed is lost on an error or when
the clinician changes the maintenance interval and previews again. The interval is picked inside the
pack's range, or typed outside it together with the prescriber's reason (an off-licence decision: the
plan then carries the OUTSIDE_LICENCE warning; without a reason the error shows beside the reason).
Accept re-plans the same case and creates the patient with plan version 1: only in a clinic where the
user's role may ``create_patient`` (a prescriber; the permission table), and only such clinics are offered.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import FormData

from b12care.application.accounts import Identity
from b12care.application.plan_json import plan_to_dict
from b12care.application.planning import plan_case
from b12care.application.treatment import Services
from b12care.domain.calendar import parse_interval
from b12care.domain.errors import B12CareError, InputError, StorageFaultError
from b12care.entrypoints.web import case_form
from b12care.entrypoints.web.session import AnyClinicForm, AnyClinicPage, services_of
from b12care.entrypoints.web.templating import redirect, render
from b12care.knowledge import list_packs

__all__ = ["chosen_interval", "interval_choices", "router"]

router = APIRouter(include_in_schema=False)
_MULTI = ("conditions", "medications")
_UNIT_LETTER = {"day": "d", "week": "w", "month": "m"}
_OTHER = "maintenance_interval_other"
"""The form field for an interval outside the pack's range (typed, with ``interval_reason``)."""
_INTERVAL_FIELDS = ("maintenance_interval", "interval_reason")
Planner = Annotated[Identity, AnyClinicPage("create_patient")]
PlannerForm = Annotated[Identity, AnyClinicForm("create_patient")]


def interval_choices(plan: dict[str, Any]) -> list[str]:
    """The maintenance intervals the clinician may pick: every whole step inside the pack's range."""
    for phase in plan["phases"]:
        if phase["kind"] != "maintenance" or not phase["interval_range"]:
            continue
        low, high = phase["interval_range"]["min"], phase["interval_range"]["max"]
        if low["unit"] == high["unit"]:
            letter = _UNIT_LETTER[low["unit"]]
            return [f"{n}{letter}" for n in range(low["value"], high["value"] + 1)]
        return [f"{x['value']}{_UNIT_LETTER[x['unit']]}" for x in (low, high)]
    return []


def _context(services: Services, user: Identity, form: case_form.AssessmentForm) -> dict[str, Any]:
    with services.uow() as uow:
        clinics = {cid: uow.clinics.get(cid).name for cid in user.clinics_where("create_patient")}
    return {
        "user": user,
        "form": form,
        "v": form.values,
        "errors": form.errors,
        "clinics": clinics,
        "packs": list_packs(),
        "causes": case_form.CAUSES,
        "conditions": case_form.CONDITIONS,
        "medications": case_form.MEDICATIONS,
        "indications": case_form.INDICATIONS,
        "tests": case_form.TESTS,
        "drugs": case_form.DRUGS,
        "routes": case_form.ROUTES,
        "sexes": case_form.SEXES,
        "diets": case_form.DIETS,
        "units": case_form.units_by_test(),
        "lab_rows": range(case_form.LAB_ROWS),
        "plan": None,
        "intervals": [],
        "choose_interval": False,
    }


def _values(form: FormData) -> dict[str, Any]:
    return {k: (form.getlist(k) if k in _MULTI else form.get(k)) for k in form}


def _text(values: dict[str, Any], name: str) -> str | None:
    return str(values.get(name) or "").strip() or None


def chosen_interval(values: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """(interval, reason, the field that holds the interval): a typed interval outside the range wins
    over the one picked from the range."""
    other = _text(values, _OTHER)
    picked = other or _text(values, "maintenance_interval")
    return picked, _text(values, "interval_reason"), _OTHER if other else "maintenance_interval"


def _offered(case: Any) -> dict[str, Any] | None:
    """The pack's own plan for ``case`` (no chosen interval), to offer the intervals again."""
    try:
        return plan_to_dict(plan_case(case))
    except B12CareError:
        return None


def _previewed(services: Services, user: Identity, values: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The form checked and, when it is right, planned: (page context, the plan or None)."""
    form = case_form.read_assessment(values, tuple(p.id for p in list_packs()))
    clinic = str(values.get("clinic_id") or "")
    if clinic and not user.may("create_patient", clinic):
        form.errors["clinic_id"] = "not one of your clinics where you may start a plan"
    interval, reason, interval_field = chosen_interval(values)
    plan = None
    offered = None
    if form.case is not None and not form.errors:
        try:
            if interval:
                parse_interval(interval, "maintenance_interval")
            plan = plan_case(form.case, maintenance_interval=interval, interval_reason=reason)
        except InputError as error:
            if error.field in _INTERVAL_FIELDS:  # beside its field; the choice stays on the page
                name = interval_field if error.field == "maintenance_interval" else error.field
                form.errors.setdefault(name, error.message)
                offered = _offered(form.case)
            else:
                form.fail(error)
        except B12CareError as error:
            form.errors["case"] = str(error)
    context = _context(services, user, form)
    if plan is not None:
        offered = plan_to_dict(plan)
        context["plan"] = offered
    if offered is not None:
        context["intervals"] = interval_choices(offered)
        context["choose_interval"] = any(p["kind"] == "maintenance" for p in offered["phases"])
    return context, plan


@router.get("/patients/new")
def new_patient(request: Request, user: Planner) -> Response:
    """The empty assessment form (start date today)."""
    services = services_of(request)
    values = {
        "start_date": services.today().isoformat(),
        "pack": next((p.id for p in list_packs() if p.default), ""),
        "indication": "treatment",
    }
    if len(user.clinics_where("create_patient")) == 1:
        values["clinic_id"] = user.clinics_where("create_patient")[0]
    form = case_form.read_assessment({}, ())
    form.values, form.errors = values, {}
    return render(request, "planner.html", _context(services, user, form))


@router.post("/patients/new")
async def preview(request: Request, user: PlannerForm) -> Response:
    """Check the form and show the plan under it (errors inline, every value kept)."""
    form = await request.form()
    services = services_of(request)
    context, plan = await run_in_threadpool(_previewed, services, user, _values(form))
    return render(request, "planner.html", context, 200 if plan is not None else 422)


@router.post("/patients/new/accept")
async def accept(request: Request, user: PlannerForm) -> Response:
    """Create the patient with plan version 1 from the previewed case and the chosen interval."""
    form = await request.form()
    services = services_of(request)
    values = _values(form)
    context, plan = await run_in_threadpool(_previewed, services, user, values)
    if plan is None or plan.blocked_by:
        return render(request, "planner.html", context, 422)
    checked: case_form.AssessmentForm = context["form"]
    interval, reason, interval_field = chosen_interval(values)

    def create() -> str:
        patient = services.add_patient(
            clinic_id=str(values["clinic_id"]),
            reference=str(values["reference"]).strip(),
            name=str(values["name"]).strip(),
            case_json=checked.case_json,
            actor=user.username,
            maintenance_interval=interval,
            interval_reason=reason,
        )
        return patient.id

    try:
        patient_id = await run_in_threadpool(create)
    except StorageFaultError:
        raise  # not the form's fault: the 503 page (web/routes.py)
    except B12CareError as error:
        field = getattr(error, "field", "case")
        checked.errors[interval_field if field == "maintenance_interval" else field] = getattr(
            error, "message", str(error)
        )
        return render(request, "planner.html", context, 422)
    return redirect(f"/patients/{patient_id}?done=created")
