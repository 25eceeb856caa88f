"""A role is held per clinic membership; an admin manages only the clinics they administer (security probe
H1, L8, L9). Reproduced from the attacker's side over the API, on SQLite and PostgreSQL: the admin of
clinic A against ``multi``, a user who is a member of clinic A and clinic B."""

from __future__ import annotations

from typing import Any

import pytest

from app_helpers import PASSWORD, TestClient, World

HIJACKED = "Hijacked-pass-123"


@pytest.fixture
def shared(world: World) -> World:
    """Adds admin.b (admin of clinic B) and multi (nurse in clinic A, clinician in clinic B)."""
    world.accounts.add_user("admin.b", PASSWORD, "admin", [world.clinic_b], "setup")
    roles = {world.clinic_a: "nurse", world.clinic_b: "clinician"}
    world.accounts.add_user("multi", PASSWORD, None, (), "setup", roles=roles)
    return world


def _token(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in through the API as the attacker would; the bearer header, or {} when refused."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return (
        {"Authorization": f"Bearer {response.json()['access_token']}"} if response.status_code == 200 else {}
    )


def _user_rows(world: World) -> list[Any]:
    with world.services.uow() as uow:
        return [(u.username, u.password_hash, u.memberships, u.disabled) for u in uow.users.list_all()]


def test_the_probes_takeover_fails_an_admin_of_one_clinic_cannot_reset_a_user_shared_with_another(
    client: TestClient, shared: World
) -> None:
    admin_a = _token(client, "admin.a")
    before = _user_rows(shared)

    response = client.patch(
        "/api/v1/users/multi", json={"role": "admin", "password": HIJACKED}, headers=admin_a
    )

    assert response.status_code == 403
    assert response.json()["title"] == "Forbidden"
    assert _user_rows(shared) == before  # nothing changed, the role in clinic A neither
    assert _token(client, "multi", HIJACKED) == {}
    assert _token(client, "multi") != {}


@pytest.mark.parametrize("change", [{"password": HIJACKED}, {"disabled": True}])
def test_an_admin_cannot_change_the_account_of_a_user_who_is_also_in_a_clinic_they_do_not_administer(
    client: TestClient, shared: World, change: dict[str, Any]
) -> None:
    before = _user_rows(shared)

    response = client.patch("/api/v1/users/multi", json=change, headers=_token(client, "admin.a"))

    assert response.status_code == 403
    assert _user_rows(shared) == before
    assert client.get("/api/v1/auth/me", headers=_token(client, "multi")).status_code == 200


def test_an_admin_who_makes_a_shared_user_admin_of_their_clinic_grants_nothing_in_the_other(
    client: TestClient, shared: World
) -> None:
    promoted = client.patch("/api/v1/users/multi", json={"role": "admin"}, headers=_token(client, "admin.a"))
    multi = _token(client, "multi")

    assert promoted.status_code == 200
    assert promoted.json()["memberships"] == [{"clinic_id": shared.clinic_a, "role": "admin"}]
    export_b = client.get(f"/api/v1/clinics/{shared.clinic_b}/export?format=csv", headers=multi)
    plant_b = client.post(
        "/api/v1/users",
        json={"username": "planted-b", "password": "Password-planted-1", "role": "admin",
              "clinic_ids": [shared.clinic_b]},
        headers=multi,
    )  # fmt: skip
    reset_b = client.patch("/api/v1/users/admin.b", json={"password": "Hijacked-pass-456"}, headers=multi)
    assert export_b.status_code == 403  # a member of B, but a clinician there
    assert (plant_b.status_code, plant_b.json()["field"]) == (422, "clinic_ids")
    assert reset_b.status_code == 404
    assert _token(client, "admin.b") != {}
    assert shared.accounts.user("multi").roles()[shared.clinic_b] == "clinician"


def test_a_role_is_held_per_clinic_a_nurse_in_one_clinic_prescribes_in_the_other(
    client: TestClient, shared: World
) -> None:
    in_a, in_b = shared.add_patient(), shared.add_patient(clinic=shared.clinic_b)
    multi = _token(client, "multi")
    review = {"date": "2026-01-05", "decision": "continue_loading"}
    dose = {"date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"}

    assert client.post(f"/api/v1/patients/{in_a}/reviews", json=review, headers=multi).status_code == 403
    assert client.post(f"/api/v1/patients/{in_b}/reviews", json=review, headers=multi).status_code == 201
    assert client.post(f"/api/v1/patients/{in_a}/doses", json=dose, headers=multi).status_code == 201
    me = client.get("/api/v1/auth/me", headers=multi).json()
    assert sorted((m["clinic_id"], m["role"]) for m in me["memberships"]) == sorted(
        [(shared.clinic_a, "nurse"), (shared.clinic_b, "clinician")]
    )


def test_users_and_clinic_ids_outside_the_admins_clinics_are_never_listed(
    client: TestClient, shared: World
) -> None:
    admin_a = _token(client, "admin.a")

    listed = client.get("/api/v1/users", headers=admin_a)
    shown = client.get("/api/v1/users/multi", headers=admin_a)

    assert {u["username"] for u in listed.json()} == {
        "admin.a",
        "clinician.a",
        "nurse.a",
        "viewer.a",
        "multi",
    }
    for response in (listed, shown):
        assert shared.clinic_b not in response.text
    assert shown.json()["clinic_ids"] == [shared.clinic_a]
    assert client.get("/api/v1/users/admin.b", headers=admin_a).status_code == 404


def test_an_admin_changes_a_shared_users_memberships_only_in_their_own_clinics(
    client: TestClient, shared: World
) -> None:
    admin_a = _token(client, "admin.a")

    ended = client.patch("/api/v1/users/multi", json={"memberships": []}, headers=admin_a)
    foreign = client.patch(
        "/api/v1/users/nurse.a",
        json={"memberships": [{"clinic_id": shared.clinic_b, "role": "admin"}]},
        headers=admin_a,
    )

    assert ended.status_code == 422  # at least one membership (min_length), and only of clinic A
    assert (foreign.status_code, foreign.json()["field"]) == (422, "memberships[0]")
    moved = client.patch("/api/v1/users/multi", json={"clinic_ids": [], "role": "viewer"}, headers=admin_a)
    assert moved.status_code == 422
    assert shared.accounts.user("multi").roles() == {shared.clinic_a: "nurse", shared.clinic_b: "clinician"}
    assert shared.accounts.user("nurse.a").roles() == {shared.clinic_a: "nurse"}


def test_an_admin_of_every_clinic_of_the_user_may_reset_the_password(
    client: TestClient, shared: World
) -> None:
    shared.accounts.grant("admin.a", shared.clinic_b, "admin", "setup")

    response = client.patch(
        "/api/v1/users/multi", json={"password": HIJACKED}, headers=_token(client, "admin.a")
    )

    assert response.status_code == 200
    assert _token(client, "multi", HIJACKED) != {}


def test_an_admin_who_is_only_a_nurse_in_another_clinic_does_not_manage_its_users(
    client: TestClient, shared: World
) -> None:
    shared.accounts.grant("admin.a", shared.clinic_b, "nurse", "setup")
    admin_a = _token(client, "admin.a")

    listed = {u["username"] for u in client.get("/api/v1/users", headers=admin_a).json()}
    added = client.post(
        "/api/v1/users",
        json={"username": "new.b", "password": PASSWORD, "role": "nurse", "clinic_ids": [shared.clinic_b]},
        headers=admin_a,
    )

    assert "admin.b" not in listed
    assert (added.status_code, added.json()["field"]) == (422, "clinic_ids")
    assert client.get(f"/api/v1/clinics/{shared.clinic_b}/export", headers=admin_a).status_code == 403


def test_the_audit_of_a_password_reset_says_the_password_changed_and_never_the_hash(
    client: TestClient, world: World
) -> None:
    response = client.patch(
        "/api/v1/users/viewer.a", json={"password": HIJACKED}, headers=_token(client, "admin.a")
    )
    renamed = client.patch(
        "/api/v1/users/nurse.a", json={"role": "clinician"}, headers=_token(client, "admin.a")
    )

    with world.services.uow() as uow:
        reset = uow.audit.for_entity("user", response.json()["id"])[-1]
        other = uow.audit.for_entity("user", renamed.json()["id"])[-1]
        password_hash = uow.users.find("viewer.a").password_hash  # type: ignore[union-attr]
    assert (reset.action, reset.actor, reset.detail["password_changed"]) == ("user.update", "admin.a", True)
    assert other.detail["password_changed"] is False
    assert other.detail["memberships"] == f"{world.clinic_a}:clinician"
    assert password_hash not in str(reset.detail) and "argon2" not in str(reset.detail)
