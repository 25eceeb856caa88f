"""The error tree drawn in ``domain/errors.py`` is the real one, and both faces' tables cover it.

The drawing is parsed from the module docstring; the classes are found by importing every module of
b12care. The API's ``PROBLEM_TABLE`` and the CLI's ``EXIT_STATUSES`` are then run against an instance
of every drawn leaf.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console

import b12care
from b12care.domain import errors
from b12care.entrypoints.api.problems import NOT_FROM_API, PROBLEM_TABLE, install_problem_handlers
from b12care.entrypoints.cli import backup, guard

_DRAWN = re.compile(r"^(?P<lead>\s+(?:[│├└─]\s*|\s)*)(?P<name>[A-Z]\w*)(?:\s|$)")
_PRIVATE = re.compile(r"^\s+(?P<module>[a-z_.]+)\.(?P<name>_\w+)\((?P<parent>\w+)\)")
_NOT_IMPORTABLE = ("b12care.adapters.db.migrations",)  # alembic's env.py runs only under alembic


def _drawing() -> list[str]:
    """The lines of the tree: from the indented ``Exception`` root to the first blank line."""
    lines = (errors.__doc__ or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Exception")
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return lines[start:end]


def _drawn_parents() -> dict[str, str]:
    """Each drawn class name -> the name drawn as its parent (``Exception`` -> ``BaseException``)."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in _drawing():
        match = _DRAWN.match(line)
        assert match, f"a line of the drawing names no class: {line!r}"
        column, name = len(match["lead"]), match["name"]
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[name] = stack[-1][1] if stack else "BaseException"
        stack.append((column, name))
    return parents


def _drawn_private() -> dict[tuple[str, str], str]:
    """(module, name) -> parent name of the private classes the docstring lists."""
    doc = (errors.__doc__ or "").splitlines()
    return {("b12care." + m["module"], m["name"]): m["parent"] for line in doc if (m := _PRIVATE.match(line))}


def _modules() -> Iterator[str]:
    yield "b12care"
    for info in pkgutil.walk_packages(b12care.__path__, "b12care."):
        if not info.name.startswith(_NOT_IMPORTABLE):
            yield info.name


def _defined_exceptions() -> set[type[BaseException]]:
    """Every exception class defined (not imported) at the top of a module of b12care."""
    found: set[type[BaseException]] = set()
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == name:
                found.add(value)
    return found


def _drawn_class(name: str) -> type[BaseException]:
    cls = getattr(errors, name, None) or getattr(builtins, name)
    assert inspect.isclass(cls) and issubclass(cls, BaseException), name
    return cls


def _leaves() -> list[type[BaseException]]:
    parents = _drawn_parents()
    return [_drawn_class(name) for name in parents if name not in parents.values()]


def _instance(cls: type[BaseException]) -> BaseException:
    """An instance of ``cls`` built from its constructor's annotations."""
    if "__init__" not in {k for klass in cls.__mro__ if klass.__module__ != "builtins" for k in vars(klass)}:
        return cls("a message")
    arguments = []
    for parameter in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        annotation = str(parameter.annotation)
        arguments.append(3 if "int" in annotation else ["patient"] if "list" in annotation else "x")
    return cls(*arguments)


def _nearest(cls: type[BaseException], table: set[type[BaseException]]) -> type[BaseException] | None:
    """The nearest class of ``cls``'s hierarchy listed in ``table`` (the bases themselves do not count)."""
    below_the_bases = [klass for klass in cls.__mro__ if klass not in (errors.B12CareError, Exception)]
    return next((klass for klass in below_the_bases if klass in table), None)


def test_the_drawing_names_each_class_once() -> None:
    names = [m["name"] for line in _drawing() if (m := _DRAWN.match(line))]

    assert len(names) == len(set(names)) == len(_drawing())


def test_every_class_drawn_exists_with_the_parent_it_is_drawn_under() -> None:
    for name, parent in _drawn_parents().items():
        cls = _drawn_class(name)

        assert [base.__name__ for base in cls.__bases__] == [parent], name


def test_every_exception_class_defined_in_b12care_is_drawn() -> None:
    drawn = set(_drawn_parents())
    private = _drawn_private()

    for cls in _defined_exceptions():
        if cls.__name__.startswith("_"):
            assert private.get((cls.__module__, cls.__name__)) == cls.__bases__[0].__name__, cls
        else:
            assert cls.__module__ == "b12care.domain.errors", f"{cls.__module__}.{cls.__name__}"
            assert cls.__name__ in drawn, cls.__name__


def test_every_private_class_listed_in_the_docstring_exists_with_its_parent() -> None:
    assert _drawn_private(), "the docstring lists the private classes"

    for (module, name), parent in _drawn_private().items():
        cls = getattr(importlib.import_module(module), name)

        assert [base.__name__ for base in cls.__bases__] == [parent]


def test_the_error_module_exports_exactly_the_drawn_classes() -> None:
    assert set(errors.__all__) == set(_drawn_parents()) - {"Exception"}


def test_no_error_class_derives_from_a_third_party_exception() -> None:
    for cls in _defined_exceptions():
        outside = [k for k in cls.__mro__ if k.__module__.split(".")[0] not in ("builtins", "b12care")]

        assert not outside, (cls, outside)


def test_every_drawn_leaf_has_an_http_status_or_a_reason_the_api_never_sees_it() -> None:
    answered = {error_class for error_class, _status, _handler in PROBLEM_TABLE}

    for leaf in _leaves():
        assert _nearest(leaf, answered | set(NOT_FROM_API)) is not None, leaf.__name__


def test_no_error_is_both_answered_and_declared_unreachable() -> None:
    assert not set(_API_STATUSES) & set(NOT_FROM_API)
    assert not set(guard.EXIT_STATUSES) & set(guard.NOT_FROM_CLI)


def test_every_drawn_leaf_has_an_exit_status_or_a_reason_the_cli_never_sees_it() -> None:
    for leaf in _leaves():
        assert _nearest(leaf, set(guard.EXIT_STATUSES) | set(guard.NOT_FROM_CLI)) is not None, leaf.__name__


_API_STATUSES: dict[type[BaseException], int] = {
    error_class: status for error_class, status, _handler in PROBLEM_TABLE
}
_ANSWERED_BY_API = [leaf for leaf in _leaves() if _nearest(leaf, set(_API_STATUSES))]
_EXIT_STATUSES: dict[type[BaseException], int] = dict(guard.EXIT_STATUSES.items())
_ANSWERED_BY_CLI = [leaf for leaf in _leaves() if _nearest(leaf, set(_EXIT_STATUSES))]


def _answering_app() -> TestClient:
    api = FastAPI()
    install_problem_handlers(api)
    by_name = {cls.__name__: cls for cls in _leaves()}

    @api.get("/raise/{name}")
    def raise_it(name: str) -> None:
        raise _instance(by_name[name])

    return TestClient(api, raise_server_exceptions=False)


@pytest.mark.parametrize("leaf", _ANSWERED_BY_API, ids=lambda cls: cls.__name__)
def test_the_api_answers_each_leaf_with_the_status_its_table_names(leaf: type[BaseException]) -> None:
    listed = _nearest(leaf, set(_API_STATUSES))
    assert listed is not None

    response = _answering_app().get(f"/raise/{leaf.__name__}")

    assert response.status_code == _API_STATUSES[listed]
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("leaf", _ANSWERED_BY_CLI, ids=lambda cls: cls.__name__)
def test_the_cli_exits_with_the_status_its_table_names(leaf: type[BaseException]) -> None:
    listed = _nearest(leaf, set(_EXIT_STATUSES))
    assert listed is not None

    with pytest.raises(typer.Exit) as stopped, guard.clean_errors(Console(stderr=True, quiet=True)):
        raise _instance(leaf)

    assert stopped.value.exit_code == _EXIT_STATUSES[listed]


def test_the_guard_and_the_backup_command_agree_on_the_status_of_a_failed_backup() -> None:
    assert guard.EXIT_STATUSES[errors.BackupFailedError] == backup.EXIT_FAILED
