"""CDS Hooks 2.0 routes: discovery, the three services and their feedback endpoint.

``create_app`` includes ``router``. The routes read ``request.app.state.cds`` (a :class:`CdsRuntime`);
when it is absent they build one from ``request.app.state.app`` (the bootstrapped App: settings with
``cds_issuers_file``, engine, unit of work, clock) on first use. Tests set ``state.cds`` themselves with
:func:`cds_runtime` to inject a clock and an ``httpx`` transport.

Errors: a call that is not from a trusted EHR -> 401, a malformed request -> 400 naming the field, an
unknown service -> 404, data neither prefetched nor readable from ``fhirServer`` -> 412; all RFC 9457
problem JSON.

A hook call's blocking work (JWT check, database, forecast) runs in one worker thread, at most
``CONCURRENT_CALLS`` at once per process: the work holds the GIL, so more threads add no throughput, only
waiting for the GIL while holding a database connection (or, on SQLite, the store's lock); further
calls wait on the event loop. Measured in benchmarks/api_load.py (docs/performance.md); revisited after
the call got cheaper (relaxed replay insert, one read transaction, lighter prefetch validation): 1 or 4
made no measurable difference, so 4 stays.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from b12care.adapters.cds.auth import Caller, CdsAuthError, JwksCache, JwtVerifier
from b12care.adapters.cds.ehr import DataUnavailableError
from b12care.adapters.cds.hooks import (
    SERVICES,
    CdsContext,
    ServiceDef,
    answer_hook,
    discovery,
    parse_feedback,
    parse_hook_request,
)
from b12care.adapters.cds.settings import CdsSettings, load_cds_settings
from b12care.adapters.cds.store import SqlCdsStore
from b12care.domain.errors import InputError
from b12care.entrypoints.api.problems import problem_responses
from b12care.service.ports import UnitOfWorkFactory

__all__ = ["CONCURRENT_CALLS", "CdsRuntime", "cds_runtime", "router"]

CONCURRENT_CALLS = 4

router = APIRouter(tags=["CDS Hooks"], responses=problem_responses(400, 401, 404, 412))
_PROBLEM = "application/problem+json"
_TITLES = {400: "Bad request", 401: "Not authenticated", 404: "Not found", 412: "Precondition failed"}


@dataclass(frozen=True)
class CdsRuntime:
    """The CDS Hooks settings, the JWT verifier and what a hook call needs."""

    settings: CdsSettings
    verifier: JwtVerifier
    context: CdsContext


def cds_runtime(
    settings: CdsSettings,
    *,
    engine: Engine,
    uow: UnitOfWorkFactory,
    clock: Callable[[], dt.datetime],
    http: httpx.Client | None = None,
) -> CdsRuntime:
    """Wire the CDS Hooks pieces; ``http`` serves both JWK Sets and EHR FHIR servers."""
    client = http if http is not None else httpx.Client(timeout=10.0, follow_redirects=False)
    store = SqlCdsStore(engine)
    verifier = JwtVerifier(settings, store, clock, JwksCache(client))
    return CdsRuntime(settings, verifier, CdsContext(store, uow, clock, client, settings.public_url))


def _runtime(request: Request) -> CdsRuntime:
    state = request.app.state
    found = getattr(state, "cds", None)
    if isinstance(found, CdsRuntime):
        return found
    app = state.app
    configured = getattr(app.settings, "public_url", None)
    public_url = configured if isinstance(configured, str) else str(request.base_url)
    path = getattr(app.settings, "cds_issuers_file", None)
    settings = load_cds_settings(path, public_url) if path is not None else CdsSettings(public_url, {})
    built = cds_runtime(settings, engine=app.engine, uow=app.uow, clock=app.clock)
    state.cds = built
    return built


def _problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": _TITLES[status], "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=_PROBLEM, headers=headers)


async def _json(request: Request) -> object:
    try:
        return await request.json()
    except ValueError:
        raise InputError("body", "is not JSON") from None


def _limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    found = getattr(state, "cds_limiter", None)
    if not isinstance(found, anyio.CapacityLimiter):
        found = anyio.CapacityLimiter(CONCURRENT_CALLS)
        state.cds_limiter = found
    return found


def _service(service_id: str) -> ServiceDef | None:
    return SERVICES.get(service_id)


def _verify(runtime: CdsRuntime, request: Request, service_id: str) -> Caller:
    endpoint = f"{runtime.settings.discovery_url}/{service_id}"
    return runtime.verifier.verify(request.headers.get("Authorization"), endpoint)


@router.get("/cds-services", summary="CDS Hooks discovery")
def list_services() -> dict[str, Any]:
    """The b12care CDS services and their prefetch templates."""
    return discovery()


@router.post("/cds-services/{service_id}", summary="Call a CDS service", response_model=None)
async def call_service(service_id: str, request: Request) -> JSONResponse | dict[str, Any]:
    """Cards for one hook call (JWT-verified)."""
    service = _service(service_id)
    if service is None:
        return _problem(404, f"no CDS service {service_id!r}")
    runtime = _runtime(request)
    body = await request.body()

    def answer() -> dict[str, Any]:
        caller = _verify(runtime, request, service_id)
        try:
            parsed = json.loads(body)
        except ValueError:
            raise InputError("body", "is not JSON") from None
        return answer_hook(runtime.context, service, parse_hook_request(parsed, service), caller)

    try:
        # Database and FHIR server calls block: keep them off the event loop.
        return await anyio.to_thread.run_sync(answer, limiter=_limiter(request))
    except CdsAuthError as error:
        return _problem(401, error.reason)
    except InputError as error:
        return _problem(400, error.message, field=error.field)
    except DataUnavailableError as error:
        return _problem(412, f"FHIR data unavailable: {error}", prefetch=error.keys)


@router.post("/cds-services/{service_id}/feedback", summary="Feedback on cards", response_model=None)
async def send_feedback(service_id: str, request: Request) -> JSONResponse | dict[str, Any]:
    """Store accepted / overridden outcomes (audited), as the EHR reports them."""
    service = _service(service_id)
    if service is None:
        return _problem(404, f"no CDS service {service_id!r}")
    runtime = _runtime(request)
    try:
        caller = await run_in_threadpool(_verify, runtime, request, service_id)
        entries = parse_feedback(await _json(request), service)
    except CdsAuthError as error:
        return _problem(401, error.reason)
    except InputError as error:
        return _problem(400, error.message, field=error.field)
    context = runtime.context
    ids = context.store.record_feedback(
        entries, issuer=caller.issuer.iss, actor=caller.actor, at=context.clock()
    )
    return {"stored": len(ids)}
