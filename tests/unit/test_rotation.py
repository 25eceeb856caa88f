"""Injection-site rotation: the site suggested after the sites of the doses given."""

from __future__ import annotations

from b12care.domain.rotation import SITES, SiteHint, suggest_site


def test_the_first_site_is_suggested_before_any_dose_is_given() -> None:
    assert suggest_site([]) == SiteHint(None, "left deltoid")


def test_the_site_after_the_last_one_given_is_suggested() -> None:
    assert suggest_site(["left deltoid", "right deltoid"]) == SiteHint("right deltoid", "left thigh")


def test_the_rotation_starts_over_after_its_last_site() -> None:
    assert suggest_site([SITES[-1]]) == SiteHint("right thigh", "left deltoid")


def test_doses_without_a_recorded_site_are_skipped() -> None:
    assert suggest_site(["left thigh", "", ""]) == SiteHint("left thigh", "right thigh")


def test_a_site_typed_by_hand_is_named_and_the_rotation_starts_over() -> None:
    assert suggest_site(["right deltoid", "left gluteus"]) == SiteHint("left gluteus", "left deltoid")


def test_only_blank_sites_suggest_the_first_site() -> None:
    assert suggest_site(["", ""]) == SiteHint(None, "left deltoid")
