"""Milestones: the dated lab tests and reviews that show whether the plan works.

Reference: nhs-lothian-refhelp (reticulocytes and FBC), smpc-hydroxocobalamin (potassium, platelets),
fda-cyanocobalamin-inj (potassium in the first 48 hours; haematocrit and reticulocytes day 5 to 7),
nice-ng239-summary (review at 3 months, 1 month in pregnancy), local-policy (open-phase review checkpoint).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from b12care.domain.calendar import add_interval
from b12care.domain.case import Case
from b12care.domain.knowledge import MilestoneDef, Pack, Record
from b12care.domain.labs import Interpretation
from b12care.domain.regimen import Selection
from b12care.domain.schedule import Schedule
from b12care.domain.vocabulary import Verification

__all__ = ["REVIEW_CHECKPOINT_RULE", "Milestone", "plan_milestones"]

REVIEW_CHECKPOINT_RULE = "monitoring.open_phase.review_every"


def _severe(case: Case, found: Interpretation) -> bool:
    return "severe_anaemia" in case.conditions or found.anaemia == "severe"


_PREDICATES: dict[str, Callable[[Case, Selection, Interpretation], bool]] = {
    "always": lambda case, sel, found: True,
    "anaemic": lambda case, sel, found: (
        bool(case.anaemic) or _severe(case, found) or found.anaemia is not None
    ),
    "severe_anaemia": lambda case, sel, found: _severe(case, found),
    "pernicious_anaemia": lambda case, sel, found: case.cause == "autoimmune_gastritis",
    "pernicious_or_severe_anaemia": lambda case, sel, found: (
        case.cause == "autoimmune_gastritis" or _severe(case, found)
    ),
    "pregnant_or_breastfeeding": lambda case, sel, found: case.patient.pregnant or case.patient.breastfeeding,
    "not_pregnant_or_breastfeeding": lambda case, sel, found: (
        not (case.patient.pregnant or case.patient.breastfeeding)
    ),
    "loading": lambda case, sel, found: any(p.kind == "loading" for p in sel.regimen.phases),
    "maintenance": lambda case, sel, found: any(p.kind == "maintenance" for p in sel.regimen.phases),
    "injection": lambda case, sel, found: sel.regimen.form == "injection",
    "oral": lambda case, sel, found: sel.regimen.form == "oral",
    "treatment": lambda case, sel, found: case.indication == "treatment",
}
MILESTONE_CONDITIONS = frozenset(_PREDICATES)


@dataclass(frozen=True, slots=True)
class Milestone:
    """A dated check: a lab test, a symptom review or a clinical review."""

    date: dt.date
    kind: Literal["lab", "symptom_review", "review"]
    what: str
    rule_id: str
    citations: tuple[str, ...]
    verification: Verification
    origin: str = "pack"
    due_by: dt.date | None = None
    anchor: str = "start"


def _applies(definition: MilestoneDef, case: Case, selection: Selection, found: Interpretation) -> bool:
    return all(_PREDICATES[name](case, selection, found) for name in definition.when)


def _dated(record: Record[Any], definition: MilestoneDef, anchor: dt.date) -> Milestone:
    day = add_interval(anchor, definition.offset)
    due_by = add_interval(anchor, definition.window) if definition.window is not None else None
    return Milestone(
        date=day,
        kind=definition.kind,
        what=definition.what,
        rule_id=record.id,
        citations=record.citations,
        verification=record.verification,
        origin=record.origin,
        due_by=due_by,
        anchor=definition.anchor,
    )


def plan_milestones(
    case: Case, pack: Pack, selection: Selection, schedule: Schedule, picture: Interpretation
) -> tuple[Milestone, ...]:
    """Date every milestone the pack defines that applies to this case, its labs and regimen, oldest first.

    Anaemia is the clinician's tick or derived from the baseline haemoglobin (who-anaemia-2011).
    """
    anchors: dict[str, tuple[dt.date, ...]] = {
        "start": (case.start_date,),
        "loading_end": schedule.loading_ends,
        "maintenance_start": () if schedule.maintenance_start is None else (schedule.maintenance_start,),
    }
    found: list[Milestone] = []
    start_reviews: list[dt.date] = []
    deferred: list[tuple[Record[MilestoneDef], MilestoneDef]] = []
    for record in pack.of_kind(MilestoneDef):
        definition = record.value_on(case.start_date)
        if not _applies(definition, case, selection, picture):
            continue
        if definition.anchor == "first_review":
            deferred.append((record, definition))
            continue
        for anchor in anchors[definition.anchor]:
            found.append(_dated(record, definition, anchor))
            if definition.anchor == "start" and definition.kind == "symptom_review":
                start_reviews.append(found[-1].date)
    first_review = min(start_reviews, default=None)
    for record, definition in deferred:
        if first_review is not None:
            found.append(_dated(record, definition, first_review))
    for phase in schedule.phases:
        if phase.review_checkpoint is not None:
            found.append(_checkpoint(pack, phase.wording, phase.review_checkpoint))
    return tuple(sorted(found, key=lambda m: (m.date, m.kind, m.rule_id)))


def _checkpoint(pack: Pack, wording: str, day: dt.date) -> Milestone:
    record = pack.records[REVIEW_CHECKPOINT_RULE]
    what = (
        f"Review the open-ended phase ({wording}): improving still -> continue for another checkpoint; "
        "no further improvement -> record it and start maintenance"
    )
    return Milestone(
        day,
        "review",
        what,
        record.id,
        record.citations,
        record.verification,
        record.origin,
        anchor="checkpoint",
    )
