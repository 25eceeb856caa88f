"""The web app's router and its installation on the FastAPI app (static files, error pages).

``router`` joins the page routers (one per noun); ``install_web(api)`` mounts ``/static`` and turns
the pages' own errors into HTML: a missing session redirects to ``/login``, a page error is an error
page with its status.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from b12care.entrypoints.web import dashboard, handout, knowledge, login, patient, planner
from b12care.entrypoints.web.session import LoginRequiredError, PageError
from b12care.entrypoints.web.templating import STATIC, forget_session, redirect, render

__all__ = ["install_web", "router"]

router = APIRouter(include_in_schema=False)
for _pages in (
    login.router,
    dashboard.router,
    planner.router,
    patient.router,
    handout.router,
    knowledge.router,
):
    router.include_router(_pages)

_TITLES = {400: "Bad request", 403: "Not allowed", 404: "Not found", 409: "Conflict", 422: "Invalid input"}


async def _login_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequiredError)
    if request.headers.get("HX-Request") == "true":  # htmx swaps fragments: make it load the whole page
        return forget_session(Response(status_code=204, headers={"HX-Redirect": error.location}))
    return forget_session(redirect(error.location))


async def _page_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, PageError)
    context = {"status": error.status, "title": _TITLES.get(error.status, "Error"), "message": error.message}
    return render(request, "error.html", context, error.status)


def install_web(api: FastAPI) -> None:
    """Mount the static files (CSS, vendored htmx) and the pages' error handlers on ``api``."""
    api.mount("/static", StaticFiles(directory=STATIC), name="static")
    api.add_exception_handler(LoginRequiredError, _login_required)
    api.add_exception_handler(PageError, _page_error)
