"""The dependency audit step of `tasks.py test`: what fails it, what only warns, and that it cannot hang.

It audits the lock files (requirements/*.lock), not whatever .venv holds. The step's decisions are tested
on made-up pip-audit reports and PyPI project pages: no network here.
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tasks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tasks_under_test", ROOT / "tasks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _advisory(vuln_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": vuln_id, "aliases": [f"CVE-{vuln_id}"], "fixed_in": ["9.9"], **extra}


def _page(latest: str, *advisories: dict[str, Any]) -> dict[str, Any]:
    return {"info": {"version": latest}, "vulnerabilities": list(advisories)}


NOT_FOUND = "Dependency not found on PyPI and could not be audited: {}"
REPORT = {
    "dependencies": [
        {"name": "jinja2", "version": "3.1.6", "vulns": []},
        {"name": "fastapi", "skip_reason": NOT_FOUND.format("fastapi (0.165.0)")},
    ]
}


def test_a_vulnerability_pip_audit_reports_is_a_finding(tasks: ModuleType) -> None:
    report = {
        "dependencies": [
            {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-1", "fix_versions": ["3.1.3"]}]},
        ]
    }

    findings, unaudited = tasks.audit_findings(report, {}, pytest.fail)  # nothing to look up

    assert findings == ["jinja2 3.1.2: GHSA-1 (fixed in 3.1.3)"]
    assert unaudited == []


def test_a_skipped_distribution_that_is_not_in_the_lock_is_listed_as_not_audited(tasks: ModuleType) -> None:
    report = {"dependencies": [{"name": "mystery", "skip_reason": NOT_FOUND.format("mystery (1.0)")}]}

    findings, unaudited = tasks.audit_findings(report, {}, pytest.fail)  # no pinned version to look up

    assert findings == []
    assert unaudited == [f"mystery: {NOT_FOUND.format('mystery (1.0)')}"]


def test_a_release_pypi_has_no_page_for_is_judged_by_its_projects_latest_release(tasks: ModuleType) -> None:
    pages = {"fastapi": _page("0.165.0", _advisory("PYSEC-1"), _advisory("PYSEC-2", withdrawn="2026-01-01"))}

    findings, unaudited = tasks.audit_findings(REPORT, {"fastapi": "0.165.0"}, pages.__getitem__)

    assert findings == ["fastapi 0.165.0: PYSEC-1 (fixed in 9.9)"]  # the withdrawn advisory does not count
    assert unaudited == []


def test_an_accepted_advisory_does_not_fail_the_audit(
    tasks: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "AUDIT_ACCEPTED", {"CVE-PYSEC-1": "why it cannot harm b12care"})
    pages = {"fastapi": _page("0.165.0", _advisory("PYSEC-1"))}

    findings, _ = tasks.audit_findings(REPORT, {"fastapi": "0.165.0"}, pages.__getitem__)

    assert findings == []


def test_an_older_release_whose_advisories_cannot_be_read_is_listed_as_not_audited(tasks: ModuleType) -> None:
    pages = {"fastapi": _page("0.166.0", _advisory("PYSEC-1"))}

    findings, unaudited = tasks.audit_findings(REPORT, {"fastapi": "0.165.0"}, pages.__getitem__)

    assert findings == []
    assert unaudited == ["fastapi 0.165.0: only the advisories of the latest release (0.166.0) could be read"]


def _stub_audit(tasks: ModuleType, monkeypatch: pytest.MonkeyPatch, report: dict[str, Any]) -> None:
    monkeypatch.setattr(tasks, "_audit_report", lambda: report)
    monkeypatch.setattr(tasks, "_locked", lambda: {"fastapi": "0.165.0"})


def test_a_finding_fails_the_test_task(
    tasks: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stub_audit(tasks, monkeypatch, REPORT)
    monkeypatch.setattr(tasks, "_pypi_project", lambda name: _page("0.165.0", _advisory("PYSEC-7")))

    with pytest.raises(SystemExit) as stopped:
        tasks.audit_dependencies()

    assert stopped.value.code == 1
    assert "fastapi 0.165.0: PYSEC-7" in capsys.readouterr().err


def test_a_clean_audit_passes(tasks: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub_audit(tasks, monkeypatch, REPORT)
    monkeypatch.setattr(tasks, "_pypi_project", lambda name: _page("0.165.0"))

    tasks.audit_dependencies()  # returns: no SystemExit


@pytest.mark.parametrize(("ci", "stops"), [("true", True), ("", False)])
def test_an_audit_that_cannot_finish_fails_under_ci_and_only_warns_elsewhere(
    tasks: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    ci: str,
    stops: bool,
) -> None:
    _stub_audit(tasks, monkeypatch, REPORT)

    def unreachable(name: str) -> dict[str, Any]:
        raise tasks.AuditIncompleteError(f"PyPI did not answer for {name}: timed out")

    monkeypatch.setattr(tasks, "_pypi_project", unreachable)
    monkeypatch.setenv("CI", ci)

    if stops:
        with pytest.raises(SystemExit) as stopped:
            tasks.audit_dependencies()
        assert stopped.value.code == 1
        assert "could not finish: PyPI did not answer for fastapi" in capsys.readouterr().err
    else:
        tasks.audit_dependencies()
        assert "WARNING: dependency audit skipped" in capsys.readouterr().err


def test_pip_audit_runs_under_a_time_limit_and_overrunning_it_is_an_unfinished_audit(
    tasks: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits: list[float] = []

    def hanging(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        limits.append(options["timeout"])
        raise subprocess.TimeoutExpired(command, options["timeout"])

    monkeypatch.setattr(tasks.subprocess, "run", hanging)

    with pytest.raises(tasks.AuditIncompleteError, match="did not finish within"):
        tasks._audit_report()
    assert limits and 0 < limits[0] <= 900


def test_the_audit_reads_both_lock_files_hash_checked_without_resolving_and_uses_pypis_advisories(
    tasks: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []

    def recorded(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        Path(command[command.index("--output") + 1]).write_text('{"dependencies": []}')
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(tasks.subprocess, "run", recorded)

    assert tasks._audit_report() == {"dependencies": []}
    command = commands[0]
    audited = [command[i + 1] for i, option in enumerate(command) if option == "--requirement"]
    assert audited == ["requirements/runtime.lock", "requirements/dev.lock"]
    assert {"--require-hashes", "--disable-pip"} <= set(command)  # hashed pins: no resolution, no venv
    assert "--local" not in command  # the lock, not the environment, is what is audited
    assert command[command.index("--vulnerability-service") + 1] == "pypi"
    assert "--timeout" in command


def test_the_audit_judges_each_distribution_by_its_release_pinned_in_the_lock(tasks: ModuleType) -> None:
    pinned = tasks._locked()

    assert pinned["fastapi"] == _lock_pins(ROOT / "requirements" / "runtime.lock")["fastapi"]
    assert pinned["psycopg-binary"]  # a pin with an environment marker is read too
    assert "b12care" not in pinned  # the project itself is installed editable, never from the lock


def _lock_pins(lock: Path) -> dict[str, str]:
    pins = [line.split(" ")[0].split("==") for line in lock.read_text().splitlines() if "==" in line]
    return {name.lower(): version for name, version in pins if not name.startswith("#")}
