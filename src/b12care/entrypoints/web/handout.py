"""The patient handout: a printable page (``/patients/{id}/handout``) and its PDF (``.../handout.pdf``).

Both carry the patient's calendar link: a signed, expiring share link (audited as made by the user)
to ``/share/{token}/calendar.ics``. A user whose role in the patient's clinic may not
``share_patient`` (a viewer) gets a handout without a link (making one is a write).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from b12care.adapters.handout.coming import coming_dates
from b12care.adapters.handout.pdf import handout_pdf
from b12care.application.accounts import Identity
from b12care.application.handout import Handout, build_handout
from b12care.application.planning import choose_pack
from b12care.application.treatment import load_history
from b12care.config import Settings
from b12care.entrypoints.web.session import PatientPage, accounts_of, patient_for, services_of
from b12care.entrypoints.web.templating import render, with_security_headers

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Reader = Annotated[Identity, PatientPage("read_patient")]


def _handout(request: Request, patient_id: str, user: Identity) -> Handout:
    patient = patient_for(request, patient_id, user)
    services = services_of(request)
    settings: Settings = request.app.state.app.settings
    view = services.view(patient.id)
    pack = choose_pack(None, view.plan_version.pack_id)
    with services.uow() as uow:
        history = load_history(uow, patient.id)
    calendar_url = None
    if user.may("share_patient", patient.clinic_id):
        users = accounts_of(request)
        expires = users.clock() + dt.timedelta(days=settings.share_link_days)
        token = users.share_patient(patient.id, expires, user.username)
        calendar_url = f"{settings.public_url}/share/{token}/calendar.ics"
    return build_handout(
        view,
        today=services.today(),
        calendar_url=calendar_url,
        pack=pack,
        coming=coming_dates(view.forecast, history, pack),
    )


@router.get("/patients/{patient_id}/handout")
def handout_page(request: Request, patient_id: str, user: Reader) -> Response:
    """The handout as a printable page."""
    handout = _handout(request, patient_id, user)
    return render(request, "handout.html", {"user": user, "handout": handout, "patient_id": patient_id})


@router.get("/patients/{patient_id}/handout.pdf")
def handout_pdf_file(request: Request, patient_id: str, user: Reader) -> Response:
    """The handout as a PDF (A4)."""
    handout = _handout(request, patient_id, user)
    name = f"b12-handout-{handout.made_on.isoformat()}.pdf"
    response = Response(
        handout_pdf(handout),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
    return with_security_headers(response)
