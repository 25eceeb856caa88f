"""The text plan, exactly: a change in layout or content must be seen and accepted on purpose.

Regenerate after an intended change with ``B12CARE_UPDATE_GOLDEN=1 pytest tests/cli/test_golden_output.py``
and read the diff before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import EXAMPLE_CASE, ROOT, CliResult

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("pernicious-anaemia-uk.txt", ("plan", str(EXAMPLE_CASE))),
        ("packs.txt", ("packs",)),
    ],
)
def test_text_output_matches_the_reviewed_golden_file(
    run_cli: Callable[..., CliResult], name: str, args: tuple[str, ...]
) -> None:
    result = run_cli(*args, width=100)
    assert result.exit_code == 0
    output = result.stdout.replace(str(ROOT), "<repo>")
    golden = GOLDEN / name
    if os.environ.get("B12CARE_UPDATE_GOLDEN"):
        golden.write_text(output)
    assert output == golden.read_text()
