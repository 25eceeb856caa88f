"""Logins under load (found by the soak benchmark): the argon2id password check runs outside any database
transaction, so on SQLite no writer - a dose, a CDS Hooks call, another login - queues behind it (100
users logging in at once made writers wait past the busy timeout: 503). The lock-out stays exact: failures
recorded while a password is being checked still count."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from app_helpers import PASSWORD, SECRET
from b12care.application.accounts import Accounts, RateLimit
from b12care.application.treatment import Services
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.domain.errors import AuthenticationError, RateLimitedError

CLIENT = "127.0.0.1"


class _Probe(PasswordHasher):
    """A cheap argon2id hasher that runs ``during`` inside each password check."""

    def __init__(self, during: Callable[[], None]) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.during = during

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.during()
        return super().verify(hash, password)


def _nurse(app: App, accounts: Accounts) -> None:
    clinic = Services(app.uow, app.clock).add_clinic("Riverside", "test")
    accounts.add_user("nurse.one", PASSWORD, "nurse", [clinic.id], "test")


def test_a_login_holds_no_database_write_lock_while_it_checks_the_password(tmp_path: Path) -> None:
    path = tmp_path / "b12care.db"
    written: list[str] = []

    def write_meanwhile() -> None:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)  # no waiting for a lock
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if the login held the write lock
            other.execute("ROLLBACK")
            written.append("a writer got in")
        finally:
            other.close()

    with bootstrap(Settings(database_url=f"sqlite:///{path}", secret_key=SECRET)) as app:
        accounts = Accounts(app.uow, app.clock, SECRET, hasher=_Probe(write_meanwhile))
        _nurse(app, accounts)
        token = accounts.login("nurse.one", PASSWORD, CLIENT)

        assert written == ["a writer got in"]
        assert accounts.authenticate(token).username == "nurse.one"


def test_failed_logins_recorded_during_a_password_check_still_lock_the_login_out(database_url: str) -> None:
    limit = RateLimit(max_failures=2)
    with bootstrap(Settings(database_url=database_url, secret_key=SECRET)) as app:
        plain = Accounts(app.uow, app.clock, SECRET, rate_limit=limit, hasher=_Probe(lambda: None))
        _nurse(app, plain)

        def guess_wrong_twice() -> None:
            for _ in range(limit.max_failures):
                with pytest.raises(AuthenticationError):
                    plain.login("nurse.one", "not the password", CLIENT)

        probing = Accounts(app.uow, app.clock, SECRET, rate_limit=limit, hasher=_Probe(guess_wrong_twice))

        with pytest.raises(RateLimitedError):
            probing.login("nurse.one", PASSWORD, CLIENT)
