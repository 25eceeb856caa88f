"""What actually happened after the plan: doses given, labs, symptom checks and clinical reviews."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from b12care.domain.calendar import Interval
from b12care.domain.case import LabResult
from b12care.domain.quantity import Quantity
from b12care.domain.vocabulary import Drug, Route, codes_of

__all__ = [
    "SYMPTOMS",
    "AdministeredDose",
    "History",
    "Overall",
    "Review",
    "ReviewDecision",
    "Symptom",
    "SymptomCheck",
]

ReviewDecision = Literal[
    "continue_loading",
    "no_further_improvement",
    "shorten_interval",
    "lengthen_interval",
    "switch_to_oral",
    "stop_cause_resolved",
    "confirm_stop",
    "reassess_diagnosis",
    "refer_specialist",
]
Overall = Literal["better", "same", "worse"]
Symptom = Literal["fatigue", "pins_and_needles", "balance", "memory", "mood", "sore_tongue", "vision"]
SYMPTOMS = codes_of(Symptom)


@dataclass(frozen=True, slots=True)
class AdministeredDose:
    """A dose as recorded: given (completed) or not done, possibly marked entered-in-error."""

    date: dt.date
    dose: Quantity | None = None
    route: Route | None = None
    drug: Drug | None = None
    status: Literal["completed", "not_done"] = "completed"
    entered_in_error: bool = False

    @property
    def counts(self) -> bool:
        """True for a dose that was really given and is not marked entered-in-error."""
        return self.status == "completed" and not self.entered_in_error


@dataclass(frozen=True, slots=True)
class SymptomCheck:
    """Symptom scores 0-3 and the overall direction since the last check."""

    date: dt.date
    overall: Overall
    scores: Mapping[Symptom, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Review:
    """A clinician's review decision; ``interval`` is the new maintenance interval when it changes;
    ``reason`` is the clinician's note (required by the record for overrides: stopping lifelong
    replacement, an interval outside the licence)."""

    date: dt.date
    decision: ReviewDecision
    interval: Interval | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class History:
    """Everything recorded for one patient, in any order."""

    doses: tuple[AdministeredDose, ...] = ()
    labs: tuple[LabResult, ...] = ()
    symptom_checks: tuple[SymptomCheck, ...] = ()
    reviews: tuple[Review, ...] = ()
    last_entry: dt.date | None = field(init=False, default=None, compare=False, repr=False)
    """The latest date of any entry (set once, at construction)."""
    counted_doses: tuple[AdministeredDose, ...] = field(init=False, default=(), compare=False, repr=False)
    """The doses that count (given, not entered in error) by date, input order kept within a day (set once:
    every forecast of this history reads them, so they are sorted once)."""
    entry_days: tuple[dt.date, ...] = field(init=False, default=(), compare=False, repr=False)
    """The dates of every entry, sorted (set once)."""
    checks_by_date: tuple[SymptomCheck, ...] = field(init=False, default=(), compare=False, repr=False)
    """The symptom checks by date (set once)."""
    reviews_by_date: tuple[Review, ...] = field(init=False, default=(), compare=False, repr=False)
    """The reviews by date (set once)."""

    def __post_init__(self) -> None:
        days = sorted(
            [
                *(d.date for d in self.doses),
                *(x.date for x in self.labs),
                *(c.date for c in self.symptom_checks),
                *(r.date for r in self.reviews),
            ]
        )
        object.__setattr__(self, "last_entry", days[-1] if days else None)
        object.__setattr__(self, "entry_days", tuple(days))
        counted = sorted((d for d in self.doses if d.counts), key=lambda d: d.date)
        object.__setattr__(self, "counted_doses", tuple(counted))
        object.__setattr__(self, "checks_by_date", tuple(sorted(self.symptom_checks, key=lambda c: c.date)))
        object.__setattr__(self, "reviews_by_date", tuple(sorted(self.reviews, key=lambda r: r.date)))
