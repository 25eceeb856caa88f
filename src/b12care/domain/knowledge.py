"""Frozen knowledge-pack types: cited records whose values are keyed by effective date.

A pack is data (``knowledge/packs``); the loader validates it and builds these types. The core reads
knowledge only through them, so every value it uses carries its rule id, citations and grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar, cast

from b12care.domain.calendar import Interval
from b12care.domain.errors import KnowledgeError, UnknownRuleError
from b12care.domain.quantity import Quantity
from b12care.domain.vocabulary import Drug, PhaseKind, Route, Severity, Verification

__all__ = [
    "AnalyteUnits",
    "Bands",
    "Citation",
    "Codes",
    "Conflict",
    "MilestoneDef",
    "NextTestDef",
    "Pack",
    "PhaseDef",
    "Record",
    "RegimenDef",
    "RuleText",
    "WarningDef",
    "WeeklyPattern",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Citation:
    """A source a record rests on."""

    id: str
    title: str
    publisher: str
    year: int
    url: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """What another source says about the same decision; shown beside the pack's choice, never hidden."""

    citations: tuple[str, ...]
    says: str


@dataclass(frozen=True, slots=True)
class Record(Generic[T]):
    """One cited fact of a pack: ``values`` holds (effective date, value) pairs, oldest first."""

    id: str
    kind: str
    description: str
    unit: str | None
    values: tuple[tuple[date, T], ...]
    citations: tuple[str, ...]
    verification: Verification
    origin: str = "pack"
    conflicts: tuple[Conflict, ...] = ()
    notes: str = ""

    def value_on(self, day: date) -> T:
        """The value in effect on ``day``: the newest one whose effective date is not after it.

        A day before the first effective date uses the first value: the pack is the best knowledge
        available, and the rationale still names the record.
        """
        chosen = self.values[0][1]
        for effective, value in self.values:
            if effective <= day:
                chosen = value
            else:
                break
        return chosen

    @property
    def from_overlay(self) -> bool:
        """True when a site overlay supplied this record."""
        return self.origin != "pack"


@dataclass(frozen=True, slots=True)
class UnitGroup:
    """Units of one analyte that convert into each other: canonical value = value x factor."""

    canonical: str
    factors: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class AnalyteUnits:
    """The units an analyte may be reported in, grouped by what converts into what."""

    analyte: str
    groups: tuple[UnitGroup, ...]

    @property
    def units(self) -> tuple[str, ...]:
        """Every accepted unit, in pack order."""
        return tuple(unit for group in self.groups for unit in group.factors)


@dataclass(frozen=True, slots=True)
class Bands:
    """Cut-offs that band a result: deficient / indeterminate / unlikely.

    ``low`` direction: value < lower is deficient, value > upper is unlikely, else indeterminate.
    ``high`` direction (MMA, homocysteine): value > upper is deficient, value < lower is unlikely.
    """

    analyte: str
    unit: str
    direction: Literal["low", "high"]
    lower: Decimal
    upper: Decimal
    boundaries_verified: bool = True


@dataclass(frozen=True, slots=True)
class PhaseDef:
    """One phase of a regimen as the source words it."""

    kind: PhaseKind
    until: Literal["fixed", "on_no_further_improvement", "cause"]
    interval: Interval | None = None
    times_per_week: int | None = None
    count: int | None = None
    duration: Interval | None = None
    dose: Quantity | None = None
    interval_range: tuple[Interval, Interval] | None = None
    source_wording: str = ""
    condition: str = ""


@dataclass(frozen=True, slots=True)
class RegimenDef:
    """A product, dose and route with its phases, and the clinical situations it serves."""

    drug: Drug
    form: Literal["injection", "oral"]
    routes: tuple[Route, ...]
    dose: Quantity
    phases: tuple[PhaseDef, ...]
    use_for: tuple[str, ...]
    summary: str
    dose_range: tuple[Quantity, Quantity] | None = None
    alternative_for: tuple[str, ...] = ()
    administration: str = ""


@dataclass(frozen=True, slots=True)
class MilestoneDef:
    """A lab test or review dated from an anchor of the plan, applied when all of ``when`` hold."""

    kind: Literal["lab", "symptom_review", "review"]
    what: str
    anchor: Literal["start", "loading_end", "maintenance_start", "first_review"]
    offset: Interval
    when: tuple[str, ...] = ()
    window: Interval | None = None


@dataclass(frozen=True, slots=True)
class WarningDef:
    """The wording and severity of a safety warning; the engine decides when it applies."""

    code: str
    severity: Severity
    message: str
    blocks_plan: bool = False


@dataclass(frozen=True, slots=True)
class NextTestDef:
    """A further or first test to consider in a situation (``indeterminate``, ``pregnancy`` ...)."""

    situation: str
    tests: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class WeeklyPattern:
    """Which days of each week carry a dose for an 'N times a week' phase (day 0 = phase start)."""

    times_per_week: int
    day_offsets: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RuleText:
    """A rule of reasoning stated in words (no number), cited like any other record."""

    statement: str


@dataclass(frozen=True, slots=True)
class Codes:
    """A set of vocabulary codes, e.g. the causes that make replacement lifelong."""

    codes: frozenset[str]


@dataclass(frozen=True, slots=True)
class OverlayInfo:
    """The site overlay applied on top of a pack."""

    id: str
    version: str
    replaced: tuple[str, ...]


@dataclass(frozen=True)
class Pack:
    """A validated knowledge pack, possibly with a site overlay applied."""

    id: str
    version: str
    title: str
    jurisdiction: str
    content_hash: str
    citations: Mapping[str, Citation]
    records: Mapping[str, Record[Any]]
    overlay: OverlayInfo | None = None
    _by_kind: dict[type, tuple[Record[Any], ...]] = field(default_factory=dict, compare=False, repr=False)

    def record(self, rule_id: str, kind: type[T]) -> Record[T]:
        """The record ``rule_id`` whose values are of ``kind``; raise if absent or of another kind."""
        found = self.find(rule_id, kind)
        if found is None:
            raise UnknownRuleError(rule_id)
        return found

    def find(self, rule_id: str, kind: type[T]) -> Record[T] | None:
        """The record ``rule_id`` of ``kind``, or None when the pack does not define it."""
        found = self.records.get(rule_id)
        if found is None:
            return None
        if not isinstance(found.values[0][1], kind):
            raise KnowledgeError(f"{rule_id} is a {found.kind} record, not {kind.__name__}")
        return cast(Record[T], found)

    def of_kind(self, kind: type[T]) -> tuple[Record[T], ...]:
        """Every record whose values are of ``kind``, in pack order."""
        cached = self._by_kind.get(kind)
        if cached is None:
            cached = tuple(r for r in self.records.values() if isinstance(r.values[0][1], kind))
            self._by_kind[kind] = cached
        return cast(tuple[Record[T], ...], cached)

    @property
    def label(self) -> str:
        """``id version`` plus the overlay, as every output names it."""
        text = f"{self.id} {self.version}"
        if self.overlay is not None:
            text += f" + overlay {self.overlay.id} {self.overlay.version}"
        return text
