"""Helpers of the hostile-input tests (a module of its own name, so test modules import it
unambiguously): Hypothesis strategies for arbitrary and mutated JSON, hostile strings, row counts of
every table (to prove that a refused input stored nothing), and the fake EHR of the CDS tests with a
FHIR server that can answer garbage."""

from __future__ import annotations

import copy
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st
from sqlalchemy import Engine, func, inspect, select

from b12care.adapters.db import tables_accounts, tables_calendar, tables_cds  # noqa: F401 (their tables)
from b12care.adapters.db.tables import metadata

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cds"))  # the CDS tests' builders
from cds_builders import EHR, JWKS_URL, NOW, PUBLIC_URL, FakeEhr, Keys, load_request, seed_clinic, token

__all__ = [
    "CDS_NOW",
    "CDS_PUBLIC_URL",
    "EHR",
    "HOSTILE_STRINGS",
    "JWKS_URL",
    "SQL_INJECTIONS",
    "CdsCall",
    "EhrWithGarbage",
    "Keys",
    "json_values",
    "load_request",
    "mutated",
    "row_counts",
    "seed_clinic",
    "table_names",
    "token",
]

CDS_NOW, CDS_PUBLIC_URL = NOW, PUBLIC_URL  # the CDS tests' clock and b12care's public URL

CdsCall = Callable[[str, Any], httpx.Response]
"""POST a body (JSON-encoded unless bytes) to a CDS Hooks path with a freshly signed JWT."""


class EhrWithGarbage(FakeEhr):
    """The fake EHR of the CDS tests; ``garbage`` makes its FHIR server answer 200 with that body."""

    garbage: bytes | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.garbage is not None and str(request.url) != JWKS_URL:
            self.requests.append(request)
            return httpx.Response(
                200, content=self.garbage, headers={"Content-Type": "application/fhir+json"}
            )
        return super().handle(request)


SQL_INJECTIONS = (
    "'; DROP TABLE patients; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM doses WHERE ('1'='1",
    "1; UPDATE audit_log SET actor='x' --",
    "%' OR name LIKE '%",
    "\\'; SELECT pg_sleep(5); --",
)
"""SQL that must be stored and shown back as the text it is."""

HOSTILE_STRINGS = (
    *SQL_INJECTIONS,
    "<script>window.__xss=1</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "${jndi:ldap://127.0.0.1/x}",
    '=HYPERLINK("http://127.0.0.1")',
    "\u202eevil\u202c",
    "\ud7ff\ue000\U0010ffff",
    "\x00",
    "a\x00b",
    "\r\n\t",
    "",
    " ",
    "é" * 300,
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "1e400",
    "-0",
    "NaN",
)
"""Strings that have broken parsers, templates, spreadsheets and databases elsewhere."""

_DATES = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat)
_NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 1e308, -1e308, 5e-324, 10**30, 0.1]),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    _NUMBERS,
    st.text(max_size=12),
    st.sampled_from(HOSTILE_STRINGS),
    _DATES,
)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars (dates, extreme numbers, hostile strings) in nested lists and objects."""
    return st.recursive(
        _SCALARS,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(
                st.one_of(st.text(max_size=8), st.sampled_from(HOSTILE_STRINGS)), children, max_size=4
            ),
        ),
        max_leaves=max_leaves,
    )


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, (*prefix, index))


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated(
    draw: st.DrawFn,
    base: Any,
    *,
    vocabulary: tuple[Any, ...] = (),
    max_mutations: int = 3,
) -> Any:
    """``base`` (deep-copied) with 1..``max_mutations`` changes at random places: a value replaced
    (by any JSON value, a hostile string, or a value of ``vocabulary`` - valid words in the wrong
    place), a key or list item removed, an unknown key added, or a list item repeated."""
    doc = copy.deepcopy(base)
    values = st.one_of(
        json_values(6),
        st.sampled_from(HOSTILE_STRINGS),
        *([st.sampled_from(vocabulary)] if vocabulary else []),
    )
    for _ in range(draw(st.integers(1, max_mutations))):
        path = draw(st.sampled_from(list(_paths(doc))))
        action = draw(st.sampled_from(("replace", "replace", "remove", "add", "repeat")))
        if not path:
            if action == "replace":
                doc = draw(values)
            continue
        parent = _parent(doc, path)
        key = path[-1]
        if action == "replace":
            parent[key] = draw(values)
        elif action == "remove":
            del parent[key]
        elif action == "add" and isinstance(parent[key], dict):
            parent[key][draw(st.text(min_size=1, max_size=8))] = draw(values)
        elif action == "repeat" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
    return doc


def table_names(engine: Engine) -> set[str]:
    """The tables that exist in the database (to see that none was dropped)."""
    return set(inspect(engine).get_table_names())


def row_counts(engine: Engine) -> dict[str, int]:
    """The number of rows of every b12care table."""
    with engine.connect() as connection:
        return {
            name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in metadata.tables.items()
        }
