"""The composition root: settings -> engine -> migrations -> the container every face is given.

The container keeps the name :class:`App`. Faces (CLI, API, web, jobs) call :func:`bootstrap` once and
read what they need from it - the unit of work factory, the clock, the knowledge catalogue, the password
hasher, the account use cases with their token signing key, the calendar renderer and the CDS Hooks
runtime (JWT verifier, EHR client); nothing else builds settings, engines or these objects::

    with bootstrap() as app:
        with app.uow() as uow:
            ...
            uow.commit()

The heavier pieces are built on first use and then kept (the signing key, the account use cases, the
CDS runtime), so a CLI command that needs none of them pays nothing for them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Self

from b12care.application.ports import Clock, UnitOfWorkFactory
from b12care.config import Settings

if TYPE_CHECKING:  # SQLAlchemy and Alembic load on the first bootstrap(), not on import (CLI start-up)
    from argon2 import PasswordHasher
    from sqlalchemy import Engine

    from b12care.adapters.cds.runtime import CdsRuntime
    from b12care.application.accounts import Accounts
    from b12care.application.feed_ports import CalendarRenderer
    from b12care.knowledge.catalogue import KnowledgeCatalogue

__all__ = ["App", "bootstrap", "system_clock"]


def system_clock() -> dt.datetime:
    """The current time in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class App:
    """The container: settings, database, unit of work factory, clock and the objects built from them.

    Close it when done.
    """

    settings: Settings
    database_url: str
    engine: Engine
    uow: UnitOfWorkFactory
    clock: Clock
    _cds: dict[str, CdsRuntime] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def catalogue(self) -> KnowledgeCatalogue:
        """The knowledge packs and terminology."""
        from b12care.knowledge.catalogue import KnowledgeCatalogue

        return KnowledgeCatalogue()

    @cached_property
    def hasher(self) -> PasswordHasher:
        """The password hasher (argon2id, RFC 9106 defaults)."""
        from argon2 import PasswordHasher

        return PasswordHasher()

    @cached_property
    def token_secret(self) -> str:
        """The key that signs login and share-link tokens (``Settings.resolved_secret_key``)."""
        return self.settings.resolved_secret_key(self.database_url)

    @cached_property
    def accounts(self) -> Accounts:
        """The account use cases: users, logins, token signing and verification."""
        from b12care.application.accounts import Accounts, RateLimit

        settings = self.settings
        return Accounts(
            self.uow,
            self.clock,
            self.token_secret,
            token_lifetime=dt.timedelta(minutes=settings.token_lifetime_minutes),
            rate_limit=RateLimit(
                settings.login_max_failures, dt.timedelta(minutes=settings.login_window_minutes)
            ),
            hasher=self.hasher,
        )

    @cached_property
    def calendar_renderer(self) -> CalendarRenderer:
        """Renders a patient's calendar feed (RFC 5545) and its sequence state."""
        from b12care.adapters.calendar.feed import render_calendar

        return render_calendar

    def cds_runtime(self, default_public_url: str) -> CdsRuntime:
        """The CDS Hooks runtime (issuers, JWT verifier, EHR HTTP client, serialized store), built on
        first use from ``cds_issuers_file``; ``default_public_url`` when the settings name none.
        InputError or ValueError when the issuers file cannot be used (then nothing is kept)."""
        found = self._cds.get("runtime")
        if found is not None:
            return found
        from b12care.adapters.cds.runtime import cds_runtime
        from b12care.adapters.cds.settings import CdsSettings, load_cds_settings

        configured = getattr(self.settings, "public_url", None)
        public_url = configured if isinstance(configured, str) else default_public_url
        path = getattr(self.settings, "cds_issuers_file", None)
        settings = load_cds_settings(path, public_url) if path is not None else CdsSettings(public_url, {})
        built = self._cds.setdefault("runtime", cds_runtime(settings, engine=self.engine, clock=self.clock))
        return built

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
