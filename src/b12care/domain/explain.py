"""Explanations: every decision names its rule, citations, verification grade and origin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from b12care.domain.knowledge import Conflict, Record
from b12care.domain.vocabulary import Verification

__all__ = ["Reason", "reason_from"]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the plan says what it says: one decision and the record it rests on."""

    decision: str
    because: str
    rule_id: str
    citations: tuple[str, ...]
    verification: Verification
    origin: str = "pack"
    conflicts: tuple[Conflict, ...] = ()


def reason_from(record: Record[Any], decision: str, because: str) -> Reason:
    """A Reason carrying ``record``'s id, citations, grade, origin and conflicting sources."""
    return Reason(
        decision=decision,
        because=because,
        rule_id=record.id,
        citations=record.citations,
        verification=record.verification,
        origin=record.origin,
        conflicts=record.conflicts,
    )
