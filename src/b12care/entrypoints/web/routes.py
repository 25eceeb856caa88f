"""The web app's router and its installation on the FastAPI app (static files, error pages).

``router`` joins the page routers (one per noun); ``install_web(api)`` mounts ``/static`` and turns
the pages' own errors into HTML: a missing session redirects to ``/login``, a page error is an error
page with its status, and a storage fault (database unreachable, full or read-only) is a 503 error page
that says nothing was changed and who must act - for the pages only: API requests keep their problem
JSON (``problems.storage_fault_problem``).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from b12care.domain.errors import LoginRequiredError, PageError, StorageFaultError
from b12care.entrypoints.api.problems import log_storage_fault, storage_fault_headers, storage_fault_problem
from b12care.entrypoints.web import dashboard, handout, knowledge, login, patient, planner
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

_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Invalid input",
    503: "The record cannot be used just now",
}
_PAGES = __name__.rpartition(".")[0] + "."  # b12care.entrypoints.web.


async def _login_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequiredError)
    if request.headers.get("HX-Request") == "true":  # htmx swaps fragments: make it load the whole page
        return forget_session(Response(status_code=204, headers={"HX-Redirect": error.location}))
    return forget_session(redirect(error.location))


async def _page_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, PageError)
    context = {"status": error.status, "title": _TITLES.get(error.status, "Error"), "message": error.message}
    return render(request, "error.html", context, error.status)


async def _storage_fault(request: Request, error: Exception) -> Response:
    assert isinstance(error, StorageFaultError)
    endpoint = request.scope.get("endpoint")
    if not getattr(endpoint, "__module__", "").startswith(_PAGES):  # the API's, CDS Hooks', FHIR's
        return storage_fault_problem(request, error)
    log_storage_fault(request, error)
    context = {"status": 503, "title": _TITLES[503], "message": str(error)}
    response = render(request, "error.html", context, 503)
    response.headers.update(storage_fault_headers(error))
    return response


def install_web(api: FastAPI) -> None:
    """Mount the static files (CSS, vendored htmx) and the pages' error handlers on ``api``.

    Call it after ``install_problem_handlers``: its storage-fault handler replaces the API's (one
    handler per exception class) and hands every request that is not a page back to it.
    """
    api.mount("/static", StaticFiles(directory=STATIC), name="static")
    api.add_exception_handler(LoginRequiredError, _login_required)
    api.add_exception_handler(PageError, _page_error)
    api.add_exception_handler(StorageFaultError, _storage_fault)
