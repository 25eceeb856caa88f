"""The unit of work: one transaction over every repository, committed only when asked."""

from __future__ import annotations

import pytest
from db_builders import NOW, TODAY, Seed, dose, forecast

from b12care.bootstrap import App


def test_leaving_without_commit_discards_the_write_and_its_forecast(app: App, seed: Seed) -> None:
    with app.uow() as uow:
        uow.doses.add(dose(seed.patient.id))
        uow.forecasts.save(forecast(seed.patient.id, seed.clinic.id, due=TODAY), actor="x", at=NOW)

    with app.uow() as uow:
        assert uow.doses.list_for(seed.patient.id) == []
        assert uow.forecasts.get(seed.patient.id) is None


def test_a_dose_and_the_forecast_it_changes_commit_together(app: App, seed: Seed) -> None:
    updated = forecast(seed.patient.id, seed.clinic.id, due=TODAY)
    with app.uow() as uow:
        uow.doses.add(dose(seed.patient.id))
        uow.forecasts.save(updated, actor="x", at=NOW)
        uow.commit()

    with app.uow() as uow:
        assert len(uow.doses.list_for(seed.patient.id)) == 1
        assert uow.forecasts.get(seed.patient.id) == updated


def test_an_error_inside_the_block_rolls_everything_back(app: App, seed: Seed) -> None:
    def record_then_fail() -> None:
        with app.uow() as uow:
            uow.doses.add(dose(seed.patient.id))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        record_then_fail()

    with app.uow() as uow:
        assert uow.doses.list_for(seed.patient.id) == []


def test_rollback_discards_only_what_came_after_the_last_commit(app: App, seed: Seed) -> None:
    kept, dropped = dose(seed.patient.id), dose(seed.patient.id)
    with app.uow() as uow:
        uow.doses.add(kept)
        uow.commit()
        uow.doses.add(dropped)
        uow.rollback()
        assert uow.doses.list_for(seed.patient.id) == [kept]


def test_a_unit_of_work_is_used_once(app: App) -> None:
    uow = app.uow()
    with uow:
        pass
    with pytest.raises(RuntimeError, match="entered once"):
        uow.__enter__()
