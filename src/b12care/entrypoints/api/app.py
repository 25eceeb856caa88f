"""The app factory: ``create_app(app)`` serves the use cases of a bootstrapped App over HTTP.

``app`` is the container (:mod:`b12care.bootstrap`): the routes read what they need from it through
``api.state.app`` (the account use cases, the CDS Hooks runtime, the calendar renderer); nothing is
wired here.

OpenAPI at ``/openapi.json``, interactive docs at ``/docs``, liveness at ``/health``. Routers are one
per noun; another face adds its router to ``ROUTERS`` (e.g. FHIR export and import, the calendar feed
at ``/share/{token}/calendar.ics`` using ``deps.SharedPatientId``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from b12care import __version__
from b12care.application.treatment import Services
from b12care.bootstrap import App
from b12care.entrypoints.api import (
    apidocs,
    auth,
    cds_hooks,
    clinics,
    entries,
    exchange,
    export,
    knowledge,
    patients,
    plans,
    recall,
    users,
)
from b12care.entrypoints.api.headers import install_security_headers
from b12care.entrypoints.api.limits import install_limits
from b12care.entrypoints.api.links import install_openapi_links
from b12care.entrypoints.api.problems import install_problem_handlers
from b12care.entrypoints.web import install_web
from b12care.entrypoints.web import router as web_router

__all__ = ["ROUTERS", "create_app"]

ROUTERS: tuple[APIRouter, ...] = (
    apidocs.router,
    auth.router,
    users.router,
    clinics.router,
    patients.router,
    entries.router,
    plans.router,
    recall.router,
    knowledge.router,
    cds_hooks.router,
    exchange.router,
    export.router,
    web_router,
)


def create_app(app: App, *, close_on_shutdown: bool = False) -> FastAPI:
    """The FastAPI app over ``app``'s database and clock; ``close_on_shutdown`` closes ``app`` at exit."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if close_on_shutdown:
                app.close()

    settings = app.settings
    api = FastAPI(
        title="b12care",
        version=__version__,
        summary="Vitamin B12 therapy plans, treatment record, forecasts and recall lists.",
        docs_url=None,  # /docs is apidocs.router: Swagger UI from vendored files, not a CDN
        openapi_url="/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    api.state.app = app
    api.state.services = Services(app.uow, app.clock)
    api.state.accounts = app.accounts  # the container's: hasher, token signing key, login limits
    install_problem_handlers(api)
    install_web(api)
    install_limits(api, settings)  # 413 oversized, 422 too deeply nested bodies
    install_security_headers(api)  # on every response, 500s too: after the problem handlers

    @api.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers (no database round trip)."""
        return {"status": "ok"}

    for router in ROUTERS:
        api.include_router(router)
    install_openapi_links(api)  # OpenAPI links: how the operations' ids chain
    return api
