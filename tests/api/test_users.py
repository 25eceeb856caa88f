"""User management: admin only, within the admin's clinics; clinics."""

from __future__ import annotations

from api_helpers import World
from fastapi.testclient import TestClient

NEW_USER = {"username": "nurse.c", "password": "a long enough password", "role": "nurse"}


def test_an_admin_adds_a_user_who_can_then_log_in(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/users", json={**NEW_USER, "clinic_ids": [world.clinic_a]}, headers=world.auth("admin.a")
    )

    assert response.status_code == 201
    assert "password" not in response.text
    assert response.json()["clinic_ids"] == [world.clinic_a]
    login = client.post("/api/v1/auth/token", data={"username": "nurse.c", "password": NEW_USER["password"]})
    assert login.status_code == 200
    with world.services.uow() as uow:
        audit = uow.audit.for_entity("user", response.json()["id"])
    assert [(e.action, e.actor) for e in audit] == [("user.add", "admin.a")]


def test_only_an_admin_manages_users(client: TestClient, world: World) -> None:
    body = {**NEW_USER, "clinic_ids": [world.clinic_a]}

    for role in ("clinician", "nurse", "viewer"):
        assert client.post("/api/v1/users", json=body, headers=world.auth(f"{role}.a")).status_code == 403
        assert client.get("/api/v1/users", headers=world.auth(f"{role}.a")).status_code == 403


def test_an_admin_cannot_give_access_to_another_clinic(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/users", json={**NEW_USER, "clinic_ids": [world.clinic_b]}, headers=world.auth("admin.a")
    )

    assert response.status_code == 422
    assert response.json()["field"] == "clinic_ids"


def test_an_admin_sees_only_users_of_their_clinics(client: TestClient, world: World) -> None:
    listed = client.get("/api/v1/users", headers=world.auth("admin.a")).json()

    assert "nurse.b" not in {u["username"] for u in listed}
    assert client.get("/api/v1/users/nurse.b", headers=world.auth("admin.a")).status_code == 404


def test_an_admin_changes_a_role_and_disables_a_user(client: TestClient, world: World) -> None:
    promoted = client.patch(
        "/api/v1/users/nurse.a", json={"role": "clinician"}, headers=world.auth("admin.a")
    )
    disabled = client.patch("/api/v1/users/viewer.a", json={"disabled": True}, headers=world.auth("admin.a"))

    assert promoted.json()["memberships"] == [{"clinic_id": world.clinic_a, "role": "clinician"}]
    assert disabled.json()["disabled"] is True
    assert client.get("/api/v1/auth/me", headers=world.auth("viewer.a")).status_code == 401


def test_a_short_password_or_a_taken_username_is_422_naming_the_field(
    client: TestClient, world: World
) -> None:
    short = client.post(
        "/api/v1/users",
        json={**NEW_USER, "password": "short", "clinic_ids": [world.clinic_a]},
        headers=world.auth("admin.a"),
    )
    taken = client.post(
        "/api/v1/users",
        json={**NEW_USER, "username": "nurse.a", "clinic_ids": [world.clinic_a]},
        headers=world.auth("admin.a"),
    )

    assert (short.status_code, short.json()["field"]) == (422, "password")
    assert (taken.status_code, taken.json()["field"]) == (422, "username")


def test_an_admin_creates_a_clinic_and_becomes_its_member(client: TestClient, world: World) -> None:
    created = client.post("/api/v1/clinics", json={"name": "Lakeside"}, headers=world.auth("admin.a"))

    assert created.status_code == 201
    mine = client.get("/api/v1/clinics", headers=world.auth("admin.a")).json()
    assert created.json()["id"] in {c["id"] for c in mine}
    assert (
        client.post("/api/v1/clinics", json={"name": "X"}, headers=world.auth("clinician.a")).status_code
        == 403
    )
