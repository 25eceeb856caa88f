"""The lock files (requirements/*.lock): complete, hashed, in step with pyproject.toml, and what tasks.py
installs - so that a changed lock reinstalls .venv. docs/adr/0007-lock-file.md says why."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "requirements" / "runtime.lock"
DEV = ROOT / "requirements" / "dev.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ;[^\\]*)? \\$")


@pytest.fixture
def tasks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tasks_under_test", ROOT / "tasks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lock: Path) -> dict[str, str]:
    matches = (PIN.match(line) for line in lock.read_text().splitlines())
    return {_canonical(m[1]): m[2] for m in matches if m}


def _declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(("lock", "extra"), [(RUNTIME, None), (DEV, None), (DEV, "dev")])
def test_every_dependency_is_pinned_in_the_lock_within_its_range(lock: Path, extra: str | None) -> None:
    pins = _pins(lock)

    outside = [
        f"{req} (locked: {pins.get(_canonical(req.name))})"
        for req in _declared(extra)
        if pins.get(_canonical(req.name)) not in req.specifier or _canonical(req.name) not in pins
    ]

    assert outside == [], "pyproject.toml changed without `python3 tasks.py lock`"


def test_the_runtime_lock_pins_the_same_releases_as_the_dev_lock() -> None:
    runtime, dev = _pins(RUNTIME), _pins(DEV)

    differing = {name: (pin, dev.get(name)) for name, pin in runtime.items() if dev.get(name) != pin}

    assert differing == {}


@pytest.mark.parametrize("lock", [RUNTIME, DEV])
def test_every_pin_carries_hashes_and_the_file_says_how_to_regenerate_it(lock: Path) -> None:
    text = lock.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 4)[-1])

    assert text.startswith("# Do not edit: regenerate with `python3 tasks.py lock`")
    assert [block.split(" ")[0] for block in blocks if "--hash=sha256:" not in block] == []
    assert len(blocks) == len(_pins(lock)) > 20


def _fake_venv(tasks: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    monkeypatch.setattr(tasks, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(tasks, "BIN", tmp_path / ".venv" / "bin")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()  # an existing venv: nothing is created
    commands: list[list[str]] = []

    def recorded(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(tasks.subprocess, "run", recorded)
    return commands


def test_the_venv_gets_the_hash_checked_lock_and_then_the_project_without_dependencies(
    tasks: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands = _fake_venv(tasks, monkeypatch, tmp_path)

    tasks.ensure_venv(tasks.RUNTIME_LOCK)

    installs = [command[command.index("install") + 1 :] for command in commands]
    assert installs == [
        ["--quiet", "--require-hashes", "-r", "requirements/runtime.lock"],
        ["--quiet", "--no-deps", "--no-build-isolation", "-e", "."],
    ]


def test_a_changed_lock_file_reinstalls_and_an_unchanged_one_does_not(
    tasks: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands = _fake_venv(tasks, monkeypatch, tmp_path)
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    lock = tmp_path / "requirements" / "runtime.lock"
    lock.parent.mkdir()
    lock.write_text("alembic==1.20.1 \\\n    --hash=sha256:00\n")

    tasks.ensure_venv(lock)
    tasks.ensure_venv(lock)
    assert len(commands) == 2  # the second call found the stamp of the same lock

    lock.write_text("alembic==1.20.2 \\\n    --hash=sha256:01\n")
    tasks.ensure_venv(lock)
    assert len(commands) == 4
