"""Login, tokens and the failed-login rate limit."""

from __future__ import annotations

import dataclasses

import jwt
from api_helpers import PASSWORD, SECRET, MovableClock, World
from fastapi.testclient import TestClient

from b12care.entrypoints.api.app import create_app


def _login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object], dict[str, str]]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return response.status_code, response.json(), dict(response.headers)


def test_a_user_logs_in_and_the_token_names_them(client: TestClient, world: World) -> None:
    status, body, _ = _login(client, "nurse.a", PASSWORD)

    assert status == 200
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "username": "nurse.a",
        "clinic_ids": [world.clinic_a],
        "memberships": [{"clinic_id": world.clinic_a, "role": "nurse"}],
    }


def test_a_wrong_password_is_401_problem_json_with_a_bearer_challenge(
    client: TestClient, world: World
) -> None:
    status, body, headers = _login(client, "nurse.a", "not the password")

    assert status == 401
    assert headers["content-type"] == "application/problem+json"
    assert headers["www-authenticate"] == "Bearer"
    assert body["status"] == 401


def test_a_request_without_a_token_is_401(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/patients")

    assert response.status_code == 401
    assert response.json()["detail"] == "no bearer token"


def test_an_expired_token_is_401(client: TestClient, world: World, clock: MovableClock) -> None:
    headers = world.auth("nurse.a")
    clock.advance(minutes=61)

    response = client.get("/api/v1/auth/me", headers=headers)

    assert response.status_code == 401
    assert response.json()["detail"] == "token expired"


def test_a_token_signed_with_another_key_is_401(client: TestClient, world: World) -> None:
    good = world.accounts.issue_token("admin.a")
    claims = jwt.decode(good, SECRET, algorithms=["HS256"], options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-key-of-32-characters!!", algorithm="HS256")

    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401
    assert response.json()["detail"] == "invalid token"


def test_an_unsigned_token_is_401(client: TestClient, world: World) -> None:
    good = world.accounts.issue_token("admin.a")
    claims = jwt.decode(good, SECRET, algorithms=["HS256"], options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")

    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {unsigned}"})

    assert response.status_code == 401


def test_a_disabled_users_token_stops_working(client: TestClient, world: World) -> None:
    headers = world.auth("nurse.a")
    world.accounts.update_user("nurse.a", "admin.a", disabled=True)

    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert _login(client, "nurse.a", PASSWORD)[0] == 401


def test_five_failed_logins_lock_the_pair_out_even_for_the_right_password(
    client: TestClient, world: World
) -> None:
    for _ in range(5):
        assert _login(client, "nurse.a", "wrong password!")[0] == 401

    status, body, headers = _login(client, "nurse.a", PASSWORD)

    assert status == 429
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["retry-after"]) > 0
    assert body["retry_after"] == int(headers["retry-after"])
    assert _login(client, "viewer.a", PASSWORD)[0] == 200  # another username is not locked


def test_the_lock_out_ends_when_the_window_passes(
    client: TestClient, world: World, clock: MovableClock
) -> None:
    for _ in range(5):
        _login(client, "nurse.a", "wrong password!")
    clock.advance(minutes=16)

    assert _login(client, "nurse.a", PASSWORD)[0] == 200


def test_a_success_resets_the_failure_count(client: TestClient, world: World) -> None:
    for _ in range(4):
        _login(client, "nurse.a", "wrong password!")
    assert _login(client, "nurse.a", PASSWORD)[0] == 200

    for _ in range(4):
        assert _login(client, "nurse.a", "wrong password!")[0] == 401


def test_another_worker_process_sees_the_same_lock_out(client: TestClient, world: World) -> None:
    for _ in range(5):
        _login(client, "nurse.a", "wrong password!")
    other = create_app(world.api.state.app)  # a second app on the same database, as a second worker
    other.state.accounts = dataclasses.replace(other.state.accounts, hasher=world.accounts.hasher)

    with TestClient(other) as second:
        assert _login(second, "nurse.a", PASSWORD)[0] == 429


def test_passwords_are_stored_as_argon2id_hashes(world: World) -> None:
    user = world.accounts.user("nurse.a")

    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
