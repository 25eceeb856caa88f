"""The soak benchmark in small: a real ``b12care serve`` on SQLite, a handful of clients for a few seconds.

Speed is not asserted here (figures live in docs/performance.md); what is asserted is what the long run
must also show: no error of any kind, every kind of request made, every acknowledged dose stored once.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import soak


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("soak")
    options = soak.Options(clients=4, seconds=3.0, warmup=1.0, patients=16, sample_every=1.0)
    found: dict[str, Any] = soak.soak(f"sqlite:///{folder / 'soak.db'}", options, folder, quiet=True)
    return found


def test_a_short_soak_on_sqlite_answers_every_request_without_an_error(summary: dict[str, Any]) -> None:
    assert summary["errors"]["count"] == 0
    assert summary["errors"]["first_messages"] == {}
    assert summary["logins"] == {"total": 12, "errors": 0}
    assert summary["server_log_problems"] == []


def test_a_short_soak_makes_every_kind_of_request(summary: dict[str, Any]) -> None:
    made = {kind: row["total"] for kind, row in summary["kinds"].items()}

    assert set(made) == set(soak.KINDS)
    assert all(count > 0 for count in made.values()), made


def test_every_dose_the_soak_saw_acknowledged_is_stored_once(summary: dict[str, Any]) -> None:
    doses = summary["doses"]

    assert doses["acknowledged"] > 0
    assert doses["missing"] == doses["duplicated"] == 0
    assert doses["stored"] == doses["acknowledged"]


def test_the_soak_samples_the_server_memory_and_judges_it(summary: dict[str, Any]) -> None:
    memory = summary["memory"]

    assert len(memory["samples_mib"]) >= 2
    assert all(mib > 0 for _, mib in memory["samples_mib"])
    assert isinstance(memory["flat"], bool)
    assert summary["verdict"]["line"].startswith("PASS" if summary["verdict"]["passed"] else "FAIL")


def _samples(first: float, last: float) -> list[tuple[float, int]]:
    """RSS samples every 10 s over a 60 s warm-up and a 600 s window, from ``first`` to ``last`` MiB."""
    return [(t, round((first + (last - first) * t / 660) * 2**20)) for t in range(0, 661, 10)]


def test_memory_that_grows_within_the_limit_is_flat() -> None:
    judged = soak.memory_summary(_samples(200, 210), warmup=60, seconds=600, max_growth=10)

    assert judged["flat"] is True
    assert 0 < judged["growth_percent"] < 10
    assert judged["slope_mib_per_min"] == pytest.approx(10 / 11, rel=1e-3)
    assert judged["slope_first_half_mib_per_min"] == pytest.approx(judged["slope_second_half_mib_per_min"])


def test_memory_that_grows_past_the_limit_is_not_flat() -> None:
    judged = soak.memory_summary(_samples(200, 300), warmup=60, seconds=600, max_growth=10)

    assert judged["flat"] is False
    assert judged["growth_percent"] > 10


def test_a_run_without_samples_in_the_window_is_not_called_flat() -> None:
    judged = soak.memory_summary([(0.0, 2**28)], warmup=60, seconds=600, max_growth=10)

    assert judged["flat"] is False


@pytest.mark.parametrize("mix", ["dashboard=1,teapot=2", "dose=1,dose=2", "forecast=x", "cds=0"])
def test_a_mix_with_an_unknown_kind_a_repeat_a_bad_weight_or_no_weight_is_refused(mix: str) -> None:
    with pytest.raises(ValueError, match="--mix"):
        soak.parse_mix(mix)


def test_each_client_starts_with_one_request_of_every_kind_in_the_mix() -> None:
    deck = soak.deck_of(soak.parse_mix(soak.DEFAULT_MIX), random.Random(1))

    assert sorted(deck[: len(soak.KINDS)]) == sorted(soak.KINDS)
    assert len(deck) == sum(soak.parse_mix(soak.DEFAULT_MIX).values())
