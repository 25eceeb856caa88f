"""The deployment guide's settings reference lists every ``B12CARE_*`` setting b12care reads, and names no
setting that does not exist (besides the two the tests read)."""

from __future__ import annotations

import re

from tests.conftest import ROOT

from b12care.config import Settings

GUIDE = ROOT / "docs" / "deployment.md"
READ_BY_THE_TESTS_ONLY = {"B12CARE_TEST_POSTGRES_URL", "B12CARE_UPDATE_SCREENSHOTS"}


def settings_variables() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


def test_every_setting_is_in_the_settings_reference() -> None:
    reference = GUIDE.read_text(encoding="utf-8").split("## Settings reference", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `(B12CARE_[A-Z_]+)` \|", reference, re.MULTILINE))

    assert sorted(settings_variables() - rows) == []
    assert sorted(rows - settings_variables()) == []


def test_the_guides_name_no_setting_that_does_not_exist() -> None:
    named: set[str] = set()
    for page in (ROOT / "docs").rglob("*.md"):
        named |= set(re.findall(r"\bB12CARE_[A-Z_]*[A-Z]\b", page.read_text(encoding="utf-8")))

    assert sorted(named - settings_variables() - READ_BY_THE_TESTS_ONLY) == []
