"""Helpers of the hostile-input tests (a module of its own name, so test modules import it
unambiguously): Hypothesis strategies for arbitrary and mutated JSON, hostile strings, and row counts
of every table (to prove that a refused input stored nothing)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Engine, func, inspect, select

from b12care.adapters.db import tables_accounts, tables_calendar, tables_cds  # noqa: F401 (their tables)
from b12care.adapters.db.tables import metadata

__all__ = [
    "HOSTILE_STRINGS",
    "SQL_INJECTIONS",
    "json_values",
    "mutated",
    "row_counts",
    "table_names",
]

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
