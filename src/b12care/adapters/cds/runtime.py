"""The CDS Hooks pieces wired together: settings, JWT verifier, store, HTTP client (built by the
container, :meth:`b12care.bootstrap.App.cds_runtime`; tests build one with :func:`cds_runtime` to inject
a clock and an ``httpx`` transport)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
import httpx
from sqlalchemy import Engine

from b12care.adapters.cds.auth import JwksCache, JwtVerifier
from b12care.adapters.cds.settings import CdsSettings
from b12care.adapters.cds.store import SqlCdsStore
from b12care.application.ports import UnitOfWorkFactory

__all__ = ["CdsContext", "CdsRuntime", "cds_runtime"]


@dataclass(frozen=True)
class CdsContext:
    """What a hook call needs besides the request: store, unit of work, clock, HTTP client, public URL."""

    store: SqlCdsStore
    uow: UnitOfWorkFactory
    clock: Callable[[], dt.datetime]
    http: httpx.Client
    public_url: str


@dataclass(frozen=True)
class CdsRuntime:
    """The CDS Hooks settings, the JWT verifier and what a hook call needs."""

    settings: CdsSettings
    verifier: JwtVerifier
    context: CdsContext
    fetching: dict[str, anyio.Event] = field(default_factory=dict)  # JWK Set URL -> its fetch finished


def cds_runtime(
    settings: CdsSettings,
    *,
    engine: Engine,
    clock: Callable[[], dt.datetime],
    uow: UnitOfWorkFactory | None = None,
    http: httpx.Client | None = None,
) -> CdsRuntime:
    """Wire the CDS Hooks pieces; ``http`` serves both JWK Sets and EHR FHIR servers. Hook calls read
    through ``uow`` when given, else through the store's serialized unit of work factory."""
    client = http if http is not None else httpx.Client(timeout=10.0, follow_redirects=False)
    store = SqlCdsStore(engine)
    verifier = JwtVerifier(settings, store, clock, JwksCache(client))
    context = CdsContext(store, uow if uow is not None else store.uow, clock, client, settings.public_url)
    return CdsRuntime(settings, verifier, context)
