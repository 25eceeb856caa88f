"""Packs, citations and explain over the API."""

from __future__ import annotations

from api_helpers import World
from fastapi.testclient import TestClient

from b12care.knowledge import list_packs


def test_packs_are_listed_as_the_cli_lists_them(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/packs", headers=world.auth("viewer.a"))

    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == [p.id for p in list_packs()]


def test_a_packs_citations_carry_their_full_reference(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/packs/uk-nice-2024/citations", headers=world.auth("viewer.a"))

    assert response.status_code == 200
    assert {"id", "title", "publisher", "year", "url"} <= set(response.json()[0])


def test_a_rule_is_explained_with_values_and_sources(client: TestClient, world: World) -> None:
    response = client.get(
        "/api/v1/rules/labs.total_b12.bands?pack=uk-nice-2024", headers=world.auth("viewer.a")
    )

    assert response.status_code == 200
    [rule] = response.json()
    assert rule["id"] == "labs.total_b12.bands"
    assert rule["pack"]["id"] == "uk-nice-2024"
    assert rule["values"] and rule["citations"]


def test_an_unknown_rule_or_pack_is_404(client: TestClient, world: World) -> None:
    headers = world.auth("viewer.a")

    assert client.get("/api/v1/rules/no.such.rule", headers=headers).status_code == 404
    assert client.get("/api/v1/packs/no-such-pack/citations", headers=headers).status_code == 404
