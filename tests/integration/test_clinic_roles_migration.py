"""Migration 0008_clinic_roles: each clinic membership gets its account's role; accounts get a token
version. Upgraded from 0007 with real rows (accounts of every role, active and ended memberships, login
attempts), on SQLite and PostgreSQL; and back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from b12care.adapters.db.migrate import current_revision, downgrade_to, upgrade_to, upgrade_to_head
from b12care.adapters.db.unit_of_work import sql_unit_of_work_factory
from b12care.application.accounts import Accounts

AT = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
# (user id, username, account-wide role at 0007, clinics with whether the membership is active)
ACCOUNTS = (
    ("u-1", "admin.a", "admin", {"c-a": True}),
    ("u-2", "multi", "nurse", {"c-a": True, "c-b": True}),
    ("u-3", "moved", "clinician", {"c-a": False, "c-b": True}),
    ("u-4", "viewer.b", "viewer", {"c-b": True}),
)


def _account(connection: Connection, user_id: str, name: str, role: str, clinics: dict[str, bool]) -> None:
    connection.execute(
        text(
            "INSERT INTO users (id, username, role, password_hash, disabled, created_at, created_by,"
            " updated_at, updated_by) VALUES (:id, :name, :role, '$argon2id$x', :off, :at, 'setup', :at,"
            " 'setup')"
        ),
        {"id": user_id, "name": name, "role": role, "off": False, "at": AT},
    )
    for clinic_id, active in clinics.items():
        connection.execute(
            text(
                "INSERT INTO clinic_memberships (user_id, clinic_id, active, changed_at, changed_by)"
                " VALUES (:user, :clinic, :active, :at, 'setup')"
            ),
            {"user": user_id, "clinic": clinic_id, "active": active, "at": AT},
        )


def _seed_at_0007(engine: Engine) -> None:
    """Two clinics, four accounts with their memberships and a failed login attempt (at 0007)."""
    upgrade_to(engine, "0007_stop_override")
    with engine.begin() as connection:
        for clinic_id in ("c-a", "c-b"):
            connection.execute(
                text("INSERT INTO clinics (id, name, created_at, created_by) VALUES (:id, :id, :at, 'a')"),
                {"id": clinic_id, "at": AT},
            )
        for account in ACCOUNTS:
            _account(connection, *account)
        connection.execute(
            text(
                "INSERT INTO login_attempts (username, client, at, succeeded) VALUES ('multi', 'x', :at, :ok)"
            ),
            {"at": AT, "ok": False},
        )


def _memberships(engine: Engine) -> list[tuple[str, str, bool, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT user_id, clinic_id, active, role FROM clinic_memberships ORDER BY user_id, clinic_id"
            )
        ).all()
    return [(u, c, bool(a), r) for u, c, a, r in rows]


def test_upgrading_from_0007_gives_each_membership_its_accounts_role(engine: Engine) -> None:
    _seed_at_0007(engine)

    upgrade_to(engine, "0008_clinic_roles")

    assert current_revision(engine) == "0008_clinic_roles"
    assert _memberships(engine) == [
        ("u-1", "c-a", True, "admin"),
        ("u-2", "c-a", True, "nurse"),
        ("u-2", "c-b", True, "nurse"),
        ("u-3", "c-a", False, "clinician"),
        ("u-3", "c-b", True, "clinician"),
        ("u-4", "c-b", True, "viewer"),
    ]


def test_after_0008_every_account_is_kept_at_token_version_0_without_an_account_wide_role(
    engine: Engine,
) -> None:
    _seed_at_0007(engine)

    upgrade_to(engine, "0008_clinic_roles")

    assert "role" not in {c["name"] for c in inspect(engine).get_columns("users")}
    with engine.connect() as connection:
        users = connection.execute(text("SELECT id, username, token_version FROM users ORDER BY id")).all()
        attempts = connection.execute(text("SELECT count(*) FROM login_attempts")).scalar_one()
    assert [tuple(u) for u in users] == [(i, name, 0) for i, name, _, _ in ACCOUNTS]
    assert attempts == 1


def test_after_0008_the_database_refuses_a_membership_without_a_known_role(engine: Engine) -> None:
    _seed_at_0007(engine)
    upgrade_to(engine, "0008_clinic_roles")

    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE clinic_memberships SET role = 'superuser' WHERE user_id = 'u-2'"))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clinic_memberships (user_id, clinic_id, active, changed_at, changed_by)"
                " VALUES ('u-1', 'c-b', :on, :at, 'x')"
            ),
            {"on": True, "at": AT},
        )


def test_the_rebuilt_users_table_keeps_its_keys_and_the_memberships_still_reference_it(
    engine: Engine,
) -> None:
    _seed_at_0007(engine)
    upgrade_to(engine, "0008_clinic_roles")

    schema = inspect(engine)
    assert schema.get_pk_constraint("users")["constrained_columns"] == ["id"]
    assert [u["column_names"] for u in schema.get_unique_constraints("users")] == [["username"]]
    assert ("users", ["user_id"]) in [
        (f["referred_table"], f["constrained_columns"]) for f in schema.get_foreign_keys("clinic_memberships")
    ]
    with pytest.raises(IntegrityError), engine.begin() as connection:  # the foreign key still holds
        connection.execute(
            text(
                "INSERT INTO clinic_memberships (user_id, clinic_id, active, changed_at, changed_by, role)"
                " VALUES ('no-such-user', 'c-a', :on, :at, 'x', 'nurse')"
            ),
            {"on": True, "at": AT},
        )


def test_downgrading_gives_each_account_the_least_privileged_role_of_its_memberships(engine: Engine) -> None:
    _seed_at_0007(engine)
    upgrade_to(engine, "0008_clinic_roles")
    with engine.begin() as connection:  # per-clinic roles only 0008 can hold
        connection.execute(
            text(
                "UPDATE clinic_memberships SET role = 'clinician' WHERE user_id = 'u-2' AND clinic_id = 'c-b'"
            )
        )
        connection.execute(
            text("UPDATE clinic_memberships SET role = 'viewer' WHERE user_id = 'u-3' AND clinic_id = 'c-a'")
        )
        connection.execute(text("UPDATE users SET token_version = 3 WHERE id = 'u-2'"))

    downgrade_to(engine, "0007_stop_override")

    assert current_revision(engine) == "0007_stop_override"
    with engine.connect() as connection:
        roles = connection.execute(text("SELECT username, role FROM users ORDER BY id")).all()
    assert [tuple(r) for r in roles] == [
        ("admin.a", "admin"),
        ("multi", "nurse"),  # nurse in A, clinician in B: never more than held anywhere
        ("moved", "clinician"),  # the ended membership's role does not count over an active one
        ("viewer.b", "viewer"),
    ]
    assert "role" not in {c["name"] for c in inspect(engine).get_columns("clinic_memberships")}
    assert "token_version" not in {c["name"] for c in inspect(engine).get_columns("users")}


def test_an_account_migrated_from_0007_logs_in_and_holds_its_old_role_in_each_of_its_clinics(
    engine: Engine,
) -> None:
    _seed_at_0007(engine)
    accounts = Accounts(sql_unit_of_work_factory(engine), lambda: AT, secret="s" * 32)
    with engine.begin() as connection:  # a real password of the account, as 0007 stored it
        connection.execute(
            text("UPDATE users SET password_hash = :hash WHERE id = 'u-2'"),
            {"hash": accounts.hasher.hash("a long enough password")},
        )

    upgrade_to_head(engine)
    identity = accounts.authenticate(accounts.login("multi", "a long enough password", "test"))

    assert dict(identity.roles) == {"c-a": "nurse", "c-b": "nurse"}
    assert identity.may("record_dose", "c-b") and not identity.may("record_review", "c-b")
