"""The composition root: settings -> engine -> migrations -> unit of work factory and clock.

Faces (CLI, API, jobs) call :func:`bootstrap` once and pass the pieces of the returned :class:`App`
to the use cases; nothing else builds settings or engines::

    with bootstrap() as app:
        with app.uow() as uow:
            ...
            uow.commit()
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self

from b12care.application.ports import Clock, UnitOfWorkFactory
from b12care.config import Settings

if TYPE_CHECKING:  # SQLAlchemy and Alembic load on the first bootstrap(), not on import (CLI start-up)
    from sqlalchemy import Engine

__all__ = ["App", "bootstrap", "system_clock"]


def system_clock() -> dt.datetime:
    """The current time in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class App:
    """What the faces need: settings, the unit of work factory and the clock. Close it when done."""

    settings: Settings
    database_url: str
    engine: Engine
    uow: UnitOfWorkFactory
    clock: Clock

    def close(self) -> None:
        """Close every pooled database connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def bootstrap(settings: Settings | None = None, clock: Clock = system_clock) -> App:
    """Read settings (from the environment unless given), open the database and migrate it to head.

    The embedded SQLite file and its folder are created on first use; no set-up step.
    """
    from b12care.adapters.db import create_database_engine, sql_unit_of_work_factory, upgrade_to_head

    settings = settings if settings is not None else Settings()
    url = settings.resolved_database_url()
    engine = create_database_engine(url)
    try:
        upgrade_to_head(engine)
    except BaseException:
        engine.dispose()
        raise
    return App(settings, url, engine, sql_unit_of_work_factory(engine), clock)
