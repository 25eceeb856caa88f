"""Forecast flags as a table of rules: every flag code has one row (or is the stopped plan's flag)."""

from __future__ import annotations

from b12care.domain.flags import FLAG_RULES
from b12care.domain.forecast import FLAG_CODES


def test_every_flag_code_is_a_row_of_the_rule_table_or_the_stopped_plans_flag() -> None:
    assert set(FLAG_CODES) == {*FLAG_RULES, "STOPPED_BY_OVERRIDE"}


def test_the_rule_table_lists_each_flag_once_in_the_order_flags_are_shown() -> None:
    assert list(FLAG_RULES)[:3] == ["POST_TREATMENT_B12_LEVEL", "LOADING_OVERRUN", "MISSED_LOADING_DOSES"]
    assert list(FLAG_RULES)[-1] == "ANNUAL_REVIEW_DUE"
