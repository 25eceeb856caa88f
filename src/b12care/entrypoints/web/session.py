"""The web session: the login cookie, the CSRF token of every form, and who may see and post what.

The cookie holds the Accounts service's signed, expiring access token (HttpOnly, SameSite=Strict,
Secure over https); every request checks it afresh, so a disabled user is out at once. Every POST form
carries a CSRF token: after login it is an HMAC of the session token (it changes with each login and
needs no server-side store); the login form itself uses a random double-submit cookie.

Pages answer like the API's deps: a patient of another clinic is 404, exactly as one that does not
exist; a user whose role in the patient's clinic may not do the page's action (the permission table,
``service/permissions.py``) is 403; no valid session redirects to ``/login``. Each page declares its
action with ``PatientPage``/``PatientForm`` (the patient's clinic) or ``AnyClinicPage``/``AnyClinicForm``
(at least one clinic; the page checks the clinic it acts in) - the route test finds them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, Form, Request

from b12care.application.accounts import Identity
from b12care.application.permissions import Action, DeclaredAction
from b12care.application.records import PatientRecord
from b12care.domain.errors import AuthenticationError, LoginRequiredError, PageError, RecordNotFoundError
from b12care.entrypoints.app_state import accounts_of, services_of

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "AnyClinicForm",
    "AnyClinicPage",
    "CsrfField",
    "PagePermission",
    "PageUser",
    "PatientForm",
    "PatientPage",
    "accounts_of",
    "check_csrf",
    "check_permission",
    "csrf_token",
    "patient_for",
    "secure_cookies",
    "services_of",
    "session_token",
]

SESSION_COOKIE = "b12care_session"
CSRF_COOKIE = "b12care_login_csrf"
CsrfField = Annotated[str, Form(max_length=200)]


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure when the page is served over https."""
    return request.url.scheme == "https"


def session_token(request: Request) -> str | None:
    """The session cookie's token, if any."""
    return request.cookies.get(SESSION_COOKIE) or None


def csrf_token(secret: str, token: str) -> str:
    """The CSRF token of a session: an HMAC of its (signed, expiring) access token."""
    return hmac.new(secret.encode(), b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    """A random token for the login form's double-submit cookie."""
    return secrets.token_urlsafe(32)


def page_user(request: Request) -> Identity:
    """The user of the session cookie; LoginRequiredError (a redirect to /login) without a valid one."""
    token = session_token(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if token is None:
        raise LoginRequiredError(here)
    try:
        return accounts_of(request).authenticate(token)
    except AuthenticationError:
        raise LoginRequiredError(here) from None


PageUser = Annotated[Identity, Depends(page_user)]


def check_csrf(request: Request, submitted: str) -> None:
    """Refuse (403) a form whose CSRF token is not the session's."""
    token = session_token(request)
    expected = csrf_token(accounts_of(request).secret, token) if token else ""
    if not expected or not hmac.compare_digest(expected, submitted):
        raise PageError(403, "The form has expired or did not come from this site. Reload and try again.")


def check_permission(user: Identity, action: Action, clinic_id: str) -> None:
    """Refuse (403 page) unless the user's role in ``clinic_id`` may do ``action``."""
    if not user.may(action, clinic_id):
        role = user.role_in(clinic_id) or "no"
        raise PageError(403, f"The {role} role in this clinic may not {action.replace('_', ' ')}.")


class PagePermission(DeclaredAction):
    """A page's declared action of the permission table; a FastAPI dependency that checks it."""


class _PatientPage(PagePermission):
    def __call__(self, request: Request, patient_id: str, user: PageUser) -> Identity:
        check_permission(user, self.action, patient_for(request, patient_id, user).clinic_id)
        return user


class _PatientForm(PagePermission):
    def __call__(self, request: Request, patient_id: str, user: PageUser, csrf: CsrfField = "") -> Identity:
        check_csrf(request, csrf)
        check_permission(user, self.action, patient_for(request, patient_id, user).clinic_id)
        return user


class _AnyClinicPage(PagePermission):
    def __call__(self, user: PageUser) -> Identity:
        if not user.may_somewhere(self.action):
            raise PageError(403, f"None of your roles may {self.action.replace('_', ' ')}.")
        return user


class _AnyClinicForm(PagePermission):
    def __call__(self, request: Request, user: PageUser, csrf: CsrfField = "") -> Identity:
        check_csrf(request, csrf)
        return _AnyClinicPage(self.action)(user)


def PatientPage(action: Action) -> Any:  # noqa: N802 - reads as a type in Annotated[...]
    """``Annotated[Identity, PatientPage(action)]``: a page of the path's ``{patient_id}`` (404 for a
    patient of another clinic, 403 when the user's role in its clinic may not ``action``)."""
    return Depends(_PatientPage(action))


def PatientForm(action: Action) -> Any:  # noqa: N802
    """As ``PatientPage``, for a form posted with the session's CSRF token (403 without it)."""
    return Depends(_PatientForm(action))


def AnyClinicPage(action: Action) -> Any:  # noqa: N802
    """``Annotated[Identity, AnyClinicPage(action)]``: the user may do ``action`` in at least one of
    their clinics (the page checks the clinic it acts in)."""
    return Depends(_AnyClinicPage(action))


def AnyClinicForm(action: Action) -> Any:  # noqa: N802
    """As ``AnyClinicPage``, for a form posted with the session's CSRF token (403 without it)."""
    return Depends(_AnyClinicForm(action))


def patient_for(request: Request, patient_id: str, user: Identity) -> PatientRecord:
    """The patient if the user is a member of its clinic; 404 otherwise (also for unknown ids)."""
    try:
        with services_of(request).uow() as uow:
            patient = uow.patients.get(patient_id)
    except RecordNotFoundError:
        raise PageError(404, "No such patient.") from None
    if not user.sees(patient.clinic_id):
        raise PageError(404, "No such patient.")
    return patient
