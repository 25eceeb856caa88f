"""The web pages import on their own (no import cycle through the API package)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["b12care.entrypoints.web.session", "b12care.entrypoints.web"])
def test_a_web_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )

    assert completed.returncode == 0, completed.stderr
