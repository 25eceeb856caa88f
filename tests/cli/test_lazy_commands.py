"""The lazily registered command table: ``b12care --help`` lists every command without importing its
module, the table's help matches the commands', and ``b12care plan`` starts without the database, web or
document libraries (docs/performance.md, cold start)."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from collections import defaultdict
from typing import Any

import pytest
import typer
from tests.conftest import EXAMPLE_CASE, ROOT
from typer.testing import CliRunner

from b12care.entrypoints.cli.app import COMMANDS, create_app
from b12care.entrypoints.cli.guard import clean_errors
from b12care.entrypoints.cli.lazy import LazyCommands, load_module

HEAVY = ("sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "httpx", "fhir", "fpdf", "matplotlib")
"""Libraries only some commands need: none of them loads for ``plan`` or ``--help``."""

_REPORT = """
import json, sys
sys.argv = ["b12care", *json.loads(sys.argv[1])]
from b12care.entrypoints.cli.app import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_loaded_by(*args: str) -> tuple[str, set[str]]:
    """What a fresh ``b12care ARGS`` process prints, and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", _REPORT, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100"},
    )
    return done.stdout, set(json.loads(done.stderr.splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def _group_modules() -> set[str]:
    return {entry.module for entry in COMMANDS}


def test_b12care_plan_imports_no_database_web_or_document_library() -> None:
    printed, modules = _modules_loaded_by("plan", str(EXAMPLE_CASE), "--format", "json")

    assert json.loads(printed)["pack"]["id"] == "uk-nice-2024"
    assert _heavy(modules) == []
    assert "b12care.entrypoints.cli.planning" in modules
    assert sorted(_group_modules() & modules) == ["b12care.entrypoints.cli.planning"]


def test_b12care_help_lists_every_command_without_importing_any_command_module() -> None:
    printed, modules = _modules_loaded_by("--help")

    panel = printed.split("─ Commands ")[1].splitlines()
    listed = [line.split()[1] for line in panel if line.startswith("│ ") and line[2] != " "]
    assert listed == [entry.name for entry in COMMANDS]
    assert _group_modules() & modules == set()
    assert _heavy(modules) == []


def test_the_help_shows_each_command_with_the_first_paragraph_of_its_own_help() -> None:
    root: Any = typer.main.get_command(create_app())
    assert isinstance(root.commands, LazyCommands)

    for entry in COMMANDS:
        command = root.commands[entry.name]
        assert inspect.cleandoc(command.help).split("\n\n")[0].replace("\n", " ") == entry.summary, entry.name


def test_each_command_module_registers_exactly_the_commands_the_table_gives_it() -> None:
    table: dict[str, list[str]] = defaultdict(list)
    for entry in COMMANDS:
        table[entry.module].append(entry.name)

    for module, names in table.items():
        registered = load_module(module, lambda stderr: pytest.fail("no command runs"), clean_errors)
        assert sorted(registered) == sorted(names), module


def test_registering_every_command_imports_no_database_web_or_document_library() -> None:
    code = (
        "import sys, typer\n"
        "from b12care.entrypoints.cli.app import create_app\n"
        "root = typer.main.get_command(create_app())\n"
        "assert all(root.commands[name] for name in list(root.commands))\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in sys.argv[1:])))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *HEAVY], capture_output=True, text=True, check=True)

    assert done.stdout.split() == []


def test_every_command_module_loads_only_when_its_command_is_resolved() -> None:
    root: Any = typer.main.get_command(create_app())
    commands = root.commands

    assert [name for name in commands if commands.is_loaded(name)] == []
    assert "patient" in commands and "no-such-command" not in commands
    commands["patient"]
    assert {name for name in commands if commands.is_loaded(name)} == {
        entry.name for entry in COMMANDS if entry.module.endswith(".record")
    }


def test_an_unknown_command_is_refused_and_a_close_one_suggested() -> None:
    result = CliRunner().invoke(create_app(), ["paln"])

    assert result.exit_code == 2
    assert "No such command 'paln'" in result.output
    assert "Did you mean 'plan'" in result.output


@pytest.mark.parametrize("module", sorted({entry.module for entry in COMMANDS}))
def test_each_command_module_imports_on_its_own(module: str) -> None:
    assert callable(importlib.import_module(module).register)
