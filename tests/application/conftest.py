"""Fixtures of the application tier: use cases on a fake unit of work and a fixed clock, no database."""

from __future__ import annotations

import pytest
from use_case_world import World, make_world


@pytest.fixture
def world() -> World:
    """A fake store with one clinic and one patient, over a fixed clock."""
    return make_world()
