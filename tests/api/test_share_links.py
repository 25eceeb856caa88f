"""Share links: a signed, expiring, read-only token per patient, and the route that makes one."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import PUBLIC_URL, MovableClock, World
from fastapi.testclient import TestClient

from b12care.domain.errors import AuthenticationError


def test_a_share_link_names_the_patient_and_is_audited(
    client: TestClient, world: World, patient_id: str
) -> None:
    response = client.post(
        f"/api/v1/patients/{patient_id}/share-links", json={"days": 7}, headers=world.auth("nurse.a")
    )

    link = response.json()
    assert response.status_code == 201
    assert link["url"] == f"{PUBLIC_URL}/share/{link['token']}"
    assert link["calendar_url"] == f"{link['url']}/calendar.ics"
    assert link["expires"] == "2026-01-12T09:30:00+00:00"
    assert world.accounts.verify_share_token(link["token"]) == patient_id
    with world.services.uow() as uow:
        audit = uow.audit.for_entity("patient", patient_id)
    assert ("patient.share_link", "nurse.a") in [(e.action, e.actor) for e in audit]


def test_a_viewer_cannot_make_a_share_link(client: TestClient, world: World, patient_id: str) -> None:
    response = client.post(f"/api/v1/patients/{patient_id}/share-links", headers=world.auth("viewer.a"))

    assert response.status_code == 403


def test_an_expired_share_token_is_refused(world: World, clock: MovableClock) -> None:
    token = world.accounts.create_share_token("p-1", clock() + dt.timedelta(days=1))
    clock.advance(days=1)

    with pytest.raises(AuthenticationError, match="expired"):
        world.accounts.verify_share_token(token)


def test_a_tampered_share_token_is_refused(world: World, clock: MovableClock) -> None:
    token = world.accounts.create_share_token("p-1", clock() + dt.timedelta(days=1))
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"

    with pytest.raises(AuthenticationError):
        world.accounts.verify_share_token(tampered)


def test_a_login_token_is_not_a_share_token_nor_the_reverse(world: World, clock: MovableClock) -> None:
    share = world.accounts.create_share_token("p-1", clock() + dt.timedelta(days=1))

    with pytest.raises(AuthenticationError):
        world.accounts.verify_share_token(world.accounts.issue_token("nurse.a"))
    with pytest.raises(AuthenticationError):
        world.accounts.authenticate(share)
