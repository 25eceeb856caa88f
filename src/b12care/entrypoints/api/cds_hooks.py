"""CDS Hooks 2.0 routes: discovery, the three services and their feedback endpoint.

``create_app`` includes ``router``. The routes read ``request.app.state.cds`` (a :class:`CdsRuntime`);
when it is absent they take the container's (``request.app.state.app.cds_runtime``, built on first use
from the settings' ``cds_issuers_file``). Tests set ``state.cds`` themselves with :func:`cds_runtime`
to inject a clock and an ``httpx`` transport. A hook call is read by the CDS adapter and answered by
the use case :func:`b12care.application.cds.answer_hook`.

Errors: a call that is not from a trusted EHR -> 401, a malformed request -> 400 naming the field, an
unknown service -> 404, data neither prefetched nor readable from ``fhirServer`` -> 412 (a generic
reason: what the EHR's server answered is logged, never returned), an issuers file that cannot be loaded
-> 503 with a generic reason (the problem is logged; ``b12care serve`` refuses to start with it); all
RFC 9457 problem JSON.

A call is authenticated before it takes any worker slot (security probe M2): the token's claims and
its signature (with the keys in memory) are checked on the event loop without I/O; only when no key
verifies and the issuer's JWK Set is due a fetch (see ``adapters/cds/auth.py``: at most once a minute
per issuer, never for a ``kid`` it holds), one fetch per key set runs in a thread while the other calls
that need it wait on the event loop, and the signature is checked again. Only
a call whose signature verified goes on to the worker slots (replay check, database, forecast), so
anonymous calls never queue ahead of an EHR's.

A hook call's blocking work (replay check, database, forecast) runs in one worker thread, at most
``CONCURRENT_CALLS`` at once per process: the work holds the GIL, so more threads add no throughput, only
waiting for the GIL while holding a database connection (or, on SQLite, the store's lock); further
calls wait on the event loop. Measured in benchmarks/api_load.py (docs/performance.md); revisited after
the call got cheaper (relaxed replay insert, one read transaction, lighter prefetch validation): 1 or 4
made no measurable difference, so 4 stays.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from b12care.adapters.cds.auth import Claimed
from b12care.adapters.cds.feedback import parse_feedback
from b12care.adapters.cds.hooks import SERVICES, ServiceDef, discovery, parse_hook_request, read_hook_call
from b12care.adapters.cds.runtime import CdsRuntime, cds_runtime
from b12care.application import cds
from b12care.domain.errors import CdsAuthError, DataUnavailableError, InputError
from b12care.entrypoints.api.limits import json_depth
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses_exchange import CdsCardsOut, CdsDiscoveryOut, CdsFeedbackOut

__all__ = ["CONCURRENT_CALLS", "CdsRuntime", "cds_runtime", "router"]

CONCURRENT_CALLS = 4

router = APIRouter(tags=["CDS Hooks"], responses=problem_responses(400, 401, 404, 412, 503))
_PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    404: "Not found",
    412: "Precondition failed",
    503: "Service unavailable",
}
_UNAVAILABLE = "CDS Hooks are not available on this server; its operator has been told why"
_DEFAULT_DEPTH = 64
_log = logging.getLogger("b12care.cds")


class _NotConfiguredError(Exception):
    """The issuers file could not be loaded (the reason is logged, never shown to the caller)."""


def _runtime(request: Request) -> CdsRuntime:
    state = request.app.state
    found = getattr(state, "cds", None)
    if isinstance(found, CdsRuntime):
        return found
    try:
        built = state.app.cds_runtime(str(request.base_url))
    except (InputError, ValueError) as error:
        _log.error("CDS Hooks: the issuers file cannot be used: %s", error)
        raise _NotConfiguredError from None
    if not isinstance(built, CdsRuntime):  # pragma: no cover - the container builds one
        raise TypeError("the container's CDS runtime is not a CdsRuntime")
    state.cds = built
    return built


def _problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": _TITLES[status], "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=_PROBLEM, headers=headers)


def _parsed(request: Request, body: bytes) -> object:
    """The body as JSON whatever its Content-Type (CDS Hooks clients send JSON): the depth limit of
    the app applies here too, as the limits middleware does not scan a form-encoded body."""
    limit = getattr(
        getattr(getattr(request.app.state, "app", None), "settings", None), "max_json_depth", None
    )
    if json_depth(body) > (limit if isinstance(limit, int) else _DEFAULT_DEPTH):
        raise InputError("body", "is nested too deeply")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise InputError("body", "is not JSON") from None


def _limiter(request: Request) -> anyio.CapacityLimiter:
    """The worker slots of the hook calls (authenticated calls only)."""
    state = request.app.state
    found = getattr(state, "cds_limiter", None)
    if not isinstance(found, anyio.CapacityLimiter):
        found = anyio.CapacityLimiter(CONCURRENT_CALLS)
        state.cds_limiter = found
    return found


def _service(service_id: str) -> ServiceDef | None:
    return SERVICES.get(service_id)


async def _authenticated(runtime: CdsRuntime, request: Request, service_id: str) -> Claimed:
    """The call's token once its claims and signature verify; CdsAuthError otherwise. Holds no worker
    slot: the only I/O, a due JWK Set fetch, runs once per key set while other callers wait here."""
    verifier = runtime.verifier
    endpoint = f"{runtime.settings.discovery_url}/{service_id}"
    claimed = verifier.check_claims(request.headers.get("Authorization"), endpoint)
    try:
        return verifier.check_signature(claimed)
    except CdsAuthError:
        if not verifier.needs_key_fetch(claimed):
            raise
    url = claimed.issuer.jwks_url or ""
    running = runtime.fetching.get(url)
    if running is not None:
        await running.wait()
    else:
        done = runtime.fetching[url] = anyio.Event()
        try:
            await anyio.to_thread.run_sync(verifier.fetch_keys, claimed)
        finally:
            del runtime.fetching[url]
            done.set()
    return verifier.check_signature(claimed)


@router.get("/cds-services", summary="CDS Hooks discovery", response_model=CdsDiscoveryOut)
def list_services() -> dict[str, Any]:
    """The b12care CDS services and their prefetch templates."""
    return discovery()


@router.post(
    "/cds-services/{service_id}",
    summary="Call a CDS service",
    response_model=None,
    responses={200: {"model": CdsCardsOut, "description": "The cards (CDS Hooks 2.0)."}},
)
async def call_service(service_id: str, request: Request) -> JSONResponse | dict[str, Any]:
    """Cards for one hook call (JWT-verified)."""
    service = _service(service_id)
    if service is None:
        return _problem(404, f"no CDS service {service_id!r}")
    try:
        runtime = _runtime(request)
        claimed = await _authenticated(runtime, request, service_id)
        body = await request.body()

        def answer() -> dict[str, Any]:
            caller = runtime.verifier.admit(claimed)
            parsed = parse_hook_request(_parsed(request, body), service)
            context = runtime.context
            call = read_hook_call(context.http, parsed, caller)
            return cds.answer_hook(context.uow, context.clock, call, public_url=context.public_url)

        # Database and FHIR server calls block: keep them off the event loop.
        return await anyio.to_thread.run_sync(answer, limiter=_limiter(request))
    except _NotConfiguredError:
        return _problem(503, _UNAVAILABLE)
    except CdsAuthError as error:
        return _problem(401, error.reason)
    except InputError as error:
        return _problem(400, error.message, field=error.field)
    except DataUnavailableError as error:
        return _problem(412, f"FHIR data unavailable: {error}", prefetch=error.keys)


@router.post(
    "/cds-services/{service_id}/feedback",
    summary="Feedback on cards",
    response_model=None,
    responses={200: {"model": CdsFeedbackOut, "description": "How many entries were stored."}},
)
async def send_feedback(service_id: str, request: Request) -> JSONResponse | dict[str, Any]:
    """Store accepted / overridden outcomes (audited), as the EHR reports them."""
    service = _service(service_id)
    if service is None:
        return _problem(404, f"no CDS service {service_id!r}")
    try:
        runtime = _runtime(request)
        claimed = await _authenticated(runtime, request, service_id)
        body = await request.body()

        def store() -> dict[str, Any]:
            caller = runtime.verifier.admit(claimed)
            entries = parse_feedback(_parsed(request, body), service.id)
            context = runtime.context
            ids = cds.record_feedback(
                context.store.uow, entries, issuer=caller.issuer.iss, actor=caller.actor, at=context.clock()
            )
            return {"stored": len(ids)}

        return await anyio.to_thread.run_sync(store, limiter=_limiter(request))
    except _NotConfiguredError:
        return _problem(503, _UNAVAILABLE)
    except CdsAuthError as error:
        return _problem(401, error.reason)
    except InputError as error:
        return _problem(400, error.message, field=error.field)
