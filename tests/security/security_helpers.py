"""Helpers of the security tests (a module of its own name, so test modules import it unambiguously):
every route of an app or router, found from the app itself, so a route added later is covered too."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, MetaData, func, select

__all__ = ["fill_path", "http_routes", "row_counts"]


def _contexts(routes: Sequence[Any]) -> list[Any]:
    try:  # FastAPI >= 0.16x keeps included routers as such; this flattens them with their prefixes
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI: the app's routes are already flat
        return list(routes)
    return list(iter_route_contexts(routes))


def http_routes(routes: Sequence[Any]) -> list[tuple[str, str]]:
    """Every (method, path template) of ``routes`` (HEAD and mounts such as /static left out), sorted."""
    found = {
        (method, route.path)
        for route in _contexts(routes)
        for method in (getattr(route, "methods", None) or ())
        if method != "HEAD"
    }
    return sorted(found)


def fill_path(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{name}`` (or ``{name:converter}``) replaced by ``values[name]``, else "x"."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda match: values.get(match.group(1), "x"), template)


def row_counts(engine: Engine) -> dict[str, int]:
    """The number of rows in every table of the database: a write anywhere changes it."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in sorted(metadata.tables.items())
        }
