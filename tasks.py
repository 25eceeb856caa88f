#!/usr/bin/env python3
"""The project's two commands, runnable on a fresh machine with only Python 3.11+.

    python3 tasks.py run    # set up .venv and start the web app with the demo clinic (embedded SQLite)
    python3 tasks.py test   # set up .venv with the dev tools and run every check and test
    python3 tasks.py check  # the fast inner loop: lint, types, import contracts, engine and scenario tests
    python3 tasks.py lock   # rewrite requirements/*.lock after a change to the dependencies in pyproject.toml

.venv is installed from a lock file with hashes (requirements/runtime.lock for run, requirements/dev.lock for
test and check), then the project itself is installed editable without dependencies (docs/adr/0007).
Standard library only: this file is what creates the environment everything else runs in.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import venv
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


REQUIREMENTS = ROOT / "requirements"
RUNTIME_LOCK = REQUIREMENTS / "runtime.lock"  # what `run` installs: the [project] dependencies
DEV_LOCK = REQUIREMENTS / "dev.lock"  # what `test` and `check` install: the same pins plus the dev extra
LOCKS = (RUNTIME_LOCK, DEV_LOCK)
UV = "uv==0.13.9"  # the resolver `tasks.py lock` puts into .venv; nothing else uses it
LOCK_HEADER = (
    "# Do not edit: regenerate with `python3 tasks.py lock` (from pyproject.toml and requirements/build.in;\n"
    "# add --upgrade, or --upgrade-package NAME, to move pins to newer releases). It runs uv as below.\n"
)


def _stamp(lock: Path) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(lock.read_bytes())
    digest.update(lock.name.encode())
    return digest.hexdigest()


def _create_venv() -> None:
    if not (BIN / "python").exists():
        print("tasks: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)  # bundled pip: the lock then installs its pin


def ensure_venv(lock: Path) -> None:
    """Install ``lock`` into .venv (hash-checked) and then the project itself (editable, no dependencies),
    when pyproject.toml or the lock changed. A venv set up from the dev lock also serves the runtime one."""
    stamp_file = VENV / ".b12care-stamp"
    wanted = _stamp(lock)
    if stamp_file.exists() and stamp_file.read_text() in {wanted, _stamp(DEV_LOCK)}:
        return
    _create_venv()
    python = str(BIN / "python")
    print(f"tasks: installing {lock.relative_to(ROOT)} and the project into .venv", flush=True)
    run([python, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", str(lock.relative_to(ROOT))])
    # The build backend (hatchling) is pinned in the lock too, so the editable build needs no download.
    run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", "."])
    stamp_file.write_text(wanted)


def task_lock(uv_options: list[str] | None = None) -> None:
    """Write both lock files with uv: the dev lock first, then the runtime lock constrained to its pins, so
    the two agree on every shared release. Existing pins are kept unless ``uv_options`` say --upgrade."""
    _create_venv()
    run([str(BIN / "python"), "-m", "pip", "install", "--quiet", UV])
    sources = ["pyproject.toml", "requirements/build.in"]
    target = ["--universal", "--python-version", "3.11", "--generate-hashes", "--quiet", *(uv_options or [])]
    dev, runtime = (str(lock.relative_to(ROOT)) for lock in (DEV_LOCK, RUNTIME_LOCK))
    run([str(BIN / "uv"), "pip", "compile", *sources, "--extra", "dev", *target, "-o", dev])
    run([str(BIN / "uv"), "pip", "compile", *sources, "-c", dev, *target, "-o", runtime])
    for lock in LOCKS:
        lock.write_text(LOCK_HEADER + lock.read_text().removeprefix(LOCK_HEADER))


def run(command: list[str]) -> None:
    """Run one step; stop the whole task with its exit code when it fails."""
    print("$", " ".join(command), flush=True)
    completed = subprocess.run(command, cwd=ROOT, check=False)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def task_run() -> None:
    """The web app on the embedded SQLite default, with the demo clinic; prints the URL and a login."""
    ensure_venv(RUNTIME_LOCK)
    run([str(BIN / "b12care"), "serve", "--demo"])


UNIFONT = Path("/usr/share/fonts/opentype/unifont/unifont.otf")


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium (never a browser download): install it where missing."""
    ensure_debian_package("chromium", shutil.which("chromium") is not None, "the browser tests")


def ensure_unifont() -> None:
    """The handout's fallback font for names in any script (fonts-unifont): install it where missing."""
    ensure_debian_package("fonts-unifont", UNIFONT.is_file(), "the handout tests of names in other scripts")


def ensure_debian_package(package: str, present: bool, needed_by: str) -> None:
    """Install a Debian package where missing (apt-get as root); say what fails without it."""
    if present:
        return
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        print(f"tasks: {package} is missing and cannot be installed here (apt-get as root);", flush=True)
        print(f"tasks: {needed_by} fail under CI and are skipped otherwise", flush=True)
        return
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    print("$", " ".join(install), flush=True)
    if subprocess.run(install, env=env, check=False).returncode != 0:
        run(["apt-get", "update"])
        run(install)


# Known vulnerabilities accepted on purpose (pip-audit --ignore-vuln): ID -> why it cannot harm b12care and
# what would end the exception. Empty: every finding fails `tasks.py test` until its package is upgraded.
AUDIT_ACCEPTED: dict[str, str] = {}
AUDIT_TIMEOUT = 600  # seconds for the whole pip-audit run: a PyPI outage fails the step instead of hanging it
PYPI_TIMEOUT = 20  # seconds per request to PyPI
PYPI_PROJECT = "https://pypi.org/pypi/{}/json"


class AuditIncompleteError(Exception):
    """The dependency audit could not finish: PyPI unreachable or too slow, or an unreadable answer."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pypi_project(name: str) -> dict[str, Any]:
    """PyPI's JSON page of a project (its latest release and that release's known vulnerabilities)."""
    try:
        with urllib.request.urlopen(PYPI_PROJECT.format(name), timeout=PYPI_TIMEOUT) as answer:
            page: dict[str, Any] = json.load(answer)
    except urllib.error.HTTPError as error:
        if error.code == 404:  # not on PyPI at all: nothing to read, so the distribution stays unaudited
            return {}
        raise AuditIncompleteError(f"PyPI did not answer for {name}: {error}") from None
    except (OSError, ValueError) as error:
        raise AuditIncompleteError(f"PyPI did not answer for {name}: {error}") from None
    return page


def audit_findings(
    report: dict[str, Any], pinned: dict[str, str], project: Callable[[str], dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """The known vulnerabilities of a pip-audit JSON ``report`` and the distributions it could not audit.

    pip-audit reads each locked release's vulnerabilities from PyPI (``/pypi/NAME/VERSION/json``). A
    distribution it skips as not found there (a PyPI mirror that serves only project pages answers so for
    every one) is looked up on its project page, ``project(name)``, whose ``vulnerabilities`` are those of
    the project's latest release: they apply when that is the ``pinned`` version; otherwise the
    distribution is returned as not audited. Withdrawn advisories and AUDIT_ACCEPTED ids do not count.
    """
    findings: list[str] = []
    unaudited: list[str] = []
    lookups: list[tuple[str, str]] = []
    for dependency in report.get("dependencies", []):
        name, reason = dependency["name"], dependency.get("skip_reason")
        if reason is None:
            findings += [
                f"{name} {dependency['version']}: {_advisory(v, 'fix_versions')}" for v in dependency["vulns"]
            ]
        elif "not found on PyPI" in reason and _canonical(name) in pinned:
            lookups.append((name, pinned[_canonical(name)]))
        else:
            unaudited.append(f"{name}: {reason}")
    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(project, [name for name, _ in lookups]))
    for (name, version), page in zip(lookups, pages, strict=True):
        latest = page.get("info", {}).get("version")
        if latest != version:
            unaudited.append(
                f"{name} {version}: only the advisories of the latest release ({latest}) could be read"
            )
            continue
        for advisory in page.get("vulnerabilities") or []:
            ids = {advisory["id"], *advisory.get("aliases", [])}
            if not advisory.get("withdrawn") and not ids & AUDIT_ACCEPTED.keys():
                findings.append(f"{name} {version}: {_advisory(advisory, 'fixed_in')}")
    return findings, unaudited


def _advisory(advisory: dict[str, Any], fixed_key: str) -> str:
    fixed = ", ".join(advisory.get(fixed_key) or []) or "no fixed release yet"
    return f"{advisory['id']} (fixed in {fixed})"


def _audit_report() -> dict[str, Any]:
    """Run pip-audit over the lock files' pinned releases and read its report.

    ``--require-hashes --disable-pip``: the locks are complete and hashed, so pip-audit neither resolves nor
    builds a throwaway environment; it audits exactly the releases `tasks.py` installs, whatever .venv holds.
    """
    accepted = [option for vuln in sorted(AUDIT_ACCEPTED) for option in ("--ignore-vuln", vuln)]
    locks = [option for lock in LOCKS for option in ("--requirement", str(lock.relative_to(ROOT)))]
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "audit.json"
        command = [
            str(BIN / "pip-audit"), *locks, "--require-hashes", "--disable-pip",
            "--vulnerability-service", "pypi",
            "--timeout", str(PYPI_TIMEOUT), "--progress-spinner", "off",
            "--format", "json", "--output", str(output), *accepted,
        ]  # fmt: skip
        print("$", " ".join(command), flush=True)
        try:
            completed = subprocess.run(command, cwd=ROOT, check=False, timeout=AUDIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AuditIncompleteError(f"pip-audit did not finish within {AUDIT_TIMEOUT} s") from None
        if not output.exists():
            raise AuditIncompleteError(
                f"pip-audit stopped with exit code {completed.returncode} and no report"
            )
        report: dict[str, Any] = json.loads(output.read_text())
    return report


PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def _locked() -> dict[str, str]:
    """The pinned release of every distribution in the lock files: canonical name -> version."""
    return {_canonical(name): version for lock in LOCKS for name, version in PIN.findall(lock.read_text())}


def audit_dependencies() -> None:
    """Fail on a known vulnerability of any locked dependency (pip-audit, PyPI's advisories).

    An audit that cannot finish (PyPI down or too slow) fails the task under CI and only warns elsewhere,
    so an offline developer can still run the tests; distributions that could not be audited are listed.
    """
    try:
        findings, unaudited = audit_findings(_audit_report(), _locked(), _pypi_project)
    except AuditIncompleteError as error:
        if os.environ.get("CI"):
            print(f"tasks: the dependency audit could not finish: {error}", file=sys.stderr, flush=True)
            sys.exit(1)
        print(f"tasks: WARNING: dependency audit skipped: {error}", file=sys.stderr, flush=True)
        return
    for entry in unaudited:
        print(f"tasks: not audited: {entry}", flush=True)
    if findings:
        print("tasks: known vulnerabilities (python3 tasks.py lock --upgrade-package NAME):", file=sys.stderr)
        for finding in findings:
            print(f"  {finding}", file=sys.stderr, flush=True)
        sys.exit(1)
    print("tasks: dependency audit: no known vulnerabilities", flush=True)


def task_test() -> None:
    ensure_venv(DEV_LOCK)
    ensure_chromium()
    ensure_unifont()
    tool = lambda name: str(BIN / name)  # noqa: E731
    run([tool("ruff"), "check", "src", "tests", "benchmarks", "tasks.py"])
    run([tool("ruff"), "format", "--check", "src", "tests", "benchmarks", "tasks.py"])
    run([tool("mypy")])
    run([tool("lint-imports")])
    run([tool("mkdocs"), "build", "--strict"])  # docs/ -> site/; not --quiet: it hides the strict failure
    audit_dependencies()  # pip-audit over the lock files: a known vulnerability of a pin fails the task
    run([tool("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"])


FAST_TESTS = ["tests/unit", "tests/property", "tests/knowledge", "tests/scenarios", "tests/application"]


def task_check() -> None:
    """The fast inner loop: lint, types, import contracts and the tests that need no database server,
    browser, root or network (the clinical engine, its properties, the packs and the scenario suite)."""
    ensure_venv(DEV_LOCK)
    tool = lambda name: str(BIN / name)  # noqa: E731
    run([tool("ruff"), "check", "src", "tests", "benchmarks", "tasks.py"])
    run([tool("ruff"), "format", "--check", "src", "tests", "benchmarks", "tasks.py"])
    run([tool("mypy")])
    run([tool("lint-imports")])
    run([tool("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *FAST_TESTS])


TASKS: dict[str, Callable[[], None]] = {"run": task_run, "test": task_test, "check": task_check}
TASKS["lock"] = task_lock  # the one task that takes options: uv's, such as --upgrade

if __name__ == "__main__":
    name, options = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if name not in TASKS or (options and name != "lock"):
        print(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}} (lock [uv options])", file=sys.stderr)
        sys.exit(2)
    if name == "lock":
        task_lock(options)
    else:
        TASKS[name]()
