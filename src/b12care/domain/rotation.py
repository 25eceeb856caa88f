"""Injection-site rotation: the next site to suggest after the sites of the doses given so far.

The rotation is a prompt to rotate, not a clinical rule: the nurse chooses the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SITES", "SiteHint", "suggest_site"]

SITES = ("left deltoid", "right deltoid", "left thigh", "right thigh")
"""The rotation the site hint follows, starting over after the last."""


@dataclass(frozen=True, slots=True)
class SiteHint:
    """The site of the last dose given (None before the first) and the site suggested next."""

    last: str | None
    suggested: str


def suggest_site(given_sites: Sequence[str]) -> SiteHint:
    """The next site after the last of ``given_sites`` (the recorded sites of doses given, oldest first;
    blank entries skipped): the following one in :data:`SITES`, or the first when the last site is not
    in the rotation (a site typed by hand) or no site has been recorded. A hint, not a clinical rule:
    no citation.
    """
    recorded = [site for site in given_sites if site]
    if not recorded:
        return SiteHint(None, SITES[0])
    last = recorded[-1]
    if last in SITES:
        return SiteHint(last, SITES[(SITES.index(last) + 1) % len(SITES)])
    return SiteHint(last, SITES[0])
