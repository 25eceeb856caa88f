"""The dating engine (``b12care.domain.projection``) and the forecast, against their oracles.

- Golden: ``fixtures/dating_golden.jsonl`` holds the forecast and the projection of 300 seeded histories
  (``projection_samples.golden_samples``), written by the code before issue 13 moved the projection into
  the domain (the old ``adapters/calendar/projection.py``) and split the forecast flags into a table.
- Invariants (Hypothesis) over generated histories: dates inside ``[as_of, until)`` and strictly
  increasing, dose numbers counting on from the doses given, the first coming dose the forecast's next
  due date (or ``as_of`` when overdue), nothing dated for a stopped plan.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from projection_samples import (
    PACK,
    Sample,
    forecast_summary,
    golden_samples,
    plan_of,
    samples,
    summary,
)

from b12care.domain.calendar import add_interval
from b12care.domain.forecast import forecast_plan
from b12care.domain.projection import HORIZON, project

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "dating_golden.jsonl"


def _golden() -> list[dict[str, object]]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]


def test_the_forecast_and_projection_of_every_seeded_history_match_the_golden_file() -> None:
    expected = _golden()
    found = golden_samples()
    assert len(found) == len(expected)

    for (which, history, as_of), want in zip(found, expected, strict=True):
        forecast = forecast_plan(plan_of(which), history, PACK, as_of)
        got = {
            "case": which,
            "as_of": as_of.isoformat(),
            "forecast": forecast_summary(which, history, as_of),
            "projection": summary(project(forecast, history, PACK)),
        }
        assert json.loads(json.dumps(got)) == want, (which, as_of)


@pytest.mark.parametrize("status", ["stopped", "overdue", "needs_review", "on_track"])
def test_the_golden_file_covers_each_forecast_status(status: str) -> None:
    assert any(row["forecast"]["status"] == status for row in _golden())  # type: ignore[index]


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=samples())
def test_coming_dates_lie_in_the_next_twelve_months_in_order_and_count_on_from_the_doses_given(
    sample: Sample,
) -> None:
    which, history, as_of = sample
    forecast = forecast_plan(plan_of(which), history, PACK, as_of)

    projection = project(forecast, history, PACK)

    assert projection.until == add_interval(as_of, HORIZON)
    days = [d.date for d in projection.doses]
    assert all(as_of <= day < projection.until for day in days)
    assert days == sorted(set(days))
    assert [d.number for d in projection.doses] == list(
        range(projection.given + 1, projection.given + 1 + len(days))
    )
    assert all(as_of <= m.date < projection.until for m in projection.milestones)
    assert len({m.key for m in projection.milestones}) == len(projection.milestones)
    nxt = forecast.next_dose
    if forecast.status == "stopped" or nxt is None:
        assert projection.doses == ()
    elif max(nxt.due, as_of) < projection.until:
        assert days[0] == max(nxt.due, as_of)
        assert (projection.doses[0].overdue_since is not None) == (nxt.due < as_of)
    assert all(d.overdue_since is None for d in projection.doses[1:])
