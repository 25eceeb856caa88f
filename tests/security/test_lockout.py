"""The failed-login lock-out stops the guesser's address, not the user at their own machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_helpers import FAST_HASHER, PASSWORD, MovableClock
from b12care.application.accounts import Accounts
from b12care.application.treatment import Services
from b12care.bootstrap import App
from b12care.domain.errors import AuthenticationError, RateLimitedError


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the lock-out itself is tested on both databases in tests/api."""
    return f"sqlite:///{tmp_path / 'db' / 'b12care.db'}"


def test_a_lock_out_stops_the_guessing_address_and_not_the_user_elsewhere(
    booted: App, clock: MovableClock
) -> None:
    clinic = Services(booted.uow, clock).add_clinic("Riverside Surgery", "setup").id
    accounts = Accounts(booted.uow, clock, "s" * 40, hasher=FAST_HASHER)
    accounts.add_user("nurse.a", PASSWORD, "nurse", [clinic], "setup")
    for _ in range(accounts.rate_limit.max_failures):
        with pytest.raises(AuthenticationError):
            accounts.login("nurse.a", "a guess at it", "203.0.113.7")

    with pytest.raises(RateLimitedError):
        accounts.login("nurse.a", PASSWORD, "203.0.113.7")
    assert accounts.login("nurse.a", PASSWORD, "10.1.2.3")  # the nurse at the clinic's own machine
