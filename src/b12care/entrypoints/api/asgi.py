"""The ASGI entry for servers that import the app by name (``b12care serve --workers N``)::

    uvicorn --factory b12care.entrypoints.api.asgi:create_from_environment

Each worker process bootstraps from the ``B12CARE_*`` environment and closes its database at shutdown.
"""

from __future__ import annotations

from fastapi import FastAPI

from b12care.bootstrap import bootstrap
from b12care.entrypoints.api.app import create_app

__all__ = ["create_from_environment"]


def create_from_environment() -> FastAPI:
    """Bootstrap from the environment and build the API over it."""
    booted = bootstrap()
    try:
        return create_app(booted, close_on_shutdown=True)
    except BaseException:
        booted.close()
        raise
