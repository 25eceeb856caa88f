#!/usr/bin/env python3
"""The project's two commands, runnable on a fresh machine with only Python 3.11+.

    python3 tasks.py run    # set up .venv and start the web app with the demo clinic (embedded SQLite)
    python3 tasks.py test   # set up .venv with the dev tools and run every check and test

Standard library only: this file is what creates the environment everything else runs in.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _stamp(extras: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(extras.encode())
    return digest.hexdigest()


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project (editable) when pyproject.toml or the extras changed."""
    stamp_file = VENV / ".b12care-stamp"
    wanted = _stamp(extras)
    if stamp_file.exists() and stamp_file.read_text() in {wanted, _stamp("dev")}:
        return
    if not (BIN / "python").exists():
        print("tasks: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    target = f".[{extras}]" if extras else "."
    print(f"tasks: installing {target} into .venv", flush=True)
    run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", target])
    stamp_file.write_text(wanted)


def run(command: list[str]) -> None:
    """Run one step; stop the whole task with its exit code when it fails."""
    print("$", " ".join(command), flush=True)
    completed = subprocess.run(command, cwd=ROOT, check=False)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def task_run() -> None:
    """The web app on the embedded SQLite default, with the demo clinic; prints the URL and a login."""
    ensure_venv("")
    run([str(BIN / "b12care"), "serve", "--demo"])


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium (never a browser download): install it where missing."""
    if shutil.which("chromium"):
        return
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        print("tasks: chromium is missing and cannot be installed here (apt-get as root);", flush=True)
        print("tasks: the browser tests fail under CI and are skipped otherwise", flush=True)
        return
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    print("$", " ".join(install), flush=True)
    if subprocess.run(install, env=env, check=False).returncode != 0:
        run(["apt-get", "update"])
        run(install)


def task_test() -> None:
    ensure_venv("dev")
    ensure_chromium()
    tool = lambda name: str(BIN / name)  # noqa: E731
    run([tool("ruff"), "check", "src", "tests", "benchmarks", "tasks.py"])
    run([tool("ruff"), "format", "--check", "src", "tests", "benchmarks", "tasks.py"])
    run([tool("mypy")])
    run([tool("lint-imports")])
    run([tool("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"])


TASKS = {"run": task_run, "test": task_test}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in TASKS:
        print(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}}", file=sys.stderr)
        sys.exit(2)
    TASKS[sys.argv[1]]()
