"""The ASGI entry for servers that import the app by name (``b12care serve --workers N``)::

    uvicorn --factory b12care.entrypoints.api.asgi:create_from_environment

Each worker process bootstraps from the ``B12CARE_*`` environment and closes its database at shutdown.
"""

from __future__ import annotations

import sys

from fastapi import FastAPI

from b12care.bootstrap import bootstrap
from b12care.entrypoints.api.app import create_app

__all__ = ["SWITCH_INTERVAL_SECONDS", "create_from_environment"]

SWITCH_INTERVAL_SECONDS = 0.001
"""How long a thread of the server may hold Python's interpreter lock while another waits (CPython's default
is 5 ms). A request thread gives the lock up at every database round trip and then waits for it behind any
CPU-bound request - a FHIR import validating thousands of resources - up to the interval each time: with
5 ms, other users' requests took 0.23 s at the median during imports, with 1 ms 0.08 s
(docs/performance.md, "FHIR import")."""


def create_from_environment() -> FastAPI:
    """Bootstrap from the environment and build the API over it (in each worker process)."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    booted = bootstrap()
    try:
        return create_app(booted, close_on_shutdown=True)
    except BaseException:
        booted.close()
        raise
