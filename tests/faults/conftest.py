"""Fixtures of the fault tests: one private PostgreSQL cluster for the whole session (stopped and removed
at the end), shared by the tests that stop, restart or make read-only a database of their own on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fault_places import PrivateCluster, private_cluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[PrivateCluster]:
    """A private PostgreSQL cluster (never the shared one on 5432); each test makes its own database."""
    with private_cluster() as started:
        yield started
