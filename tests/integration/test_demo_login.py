"""The demo clinic behind `b12care serve --demo`: created once, its accounts' password set anew each start."""

from __future__ import annotations

import datetime as dt

from b12care.application.accounts import Accounts
from b12care.application.demo import ensure_demo
from b12care.application.treatment import Services
from b12care.bootstrap import App


def test_the_demo_clinic_is_created_once_and_its_login_works_with_the_latest_password(app: App) -> None:
    services = Services(app.uow, app.clock)
    accounts = Accounts(app.uow, app.clock, secret="s" * 40)
    day = dt.date(2026, 1, 5)

    first = ensure_demo(services, accounts, as_of=day, count=12, password="first-password-1")
    second = ensure_demo(services, accounts, as_of=day, count=12, password="second-password-2")

    assert (first.new_patients, second.new_patients) == (12, 0)
    assert first.clinic_id == second.clinic_id
    assert len(services.patients(first.clinic_id)) == 12
    token = accounts.login("demo.nurse", "second-password-2", client="test")
    assert accounts.authenticate(token).clinic_ids == frozenset({first.clinic_id})
