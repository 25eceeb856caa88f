"""The plan: interpret labs -> select regimen -> date the schedule -> milestones, warnings, rationale.

Every decision in the result names the pack record it rests on; the faces only render it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from b12care.domain.calendar import Interval
from b12care.domain.case import Case, age_on
from b12care.domain.errors import InputError
from b12care.domain.explain import Reason, reason_from
from b12care.domain.knowledge import Citation, Codes, OverlayInfo, Pack, Record, RegimenDef, WeeklyPattern
from b12care.domain.labs import Interpretation, interpret_labs, validate_lab_units
from b12care.domain.milestones import REVIEW_CHECKPOINT_RULE, Milestone, plan_milestones
from b12care.domain.quantity import Quantity
from b12care.domain.regimen import Selection, select_regimen
from b12care.domain.safety import PlanFacts, SafetyWarning, evaluate_safety, provenance_warnings
from b12care.domain.schedule import PlannedPhase, Schedule, build_schedule, within_range

__all__ = ["LIFELONG_RULE", "MINIMUM_AGE_RULE", "Plan", "PlanOptions", "build_plan", "off_licence_detail"]

LIFELONG_RULE = "regimen.lifelong_causes"
MINIMUM_AGE_RULE = "scope.minimum_age"
_PATTERN_PREFIX = "schedule.weekly_pattern."


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """Clinician choices that are not part of the assessment; ``interval_reason`` says why a maintenance
    interval outside the regimen's range was chosen."""

    maintenance_interval: Interval | None = None
    interval_reason: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """A specific, dated, explained plan for one case."""

    pack_id: str
    pack_version: str
    pack_hash: str
    overlay: OverlayInfo | None
    case: Case
    interpretation: Interpretation
    selection: Selection
    phases: tuple[PlannedPhase, ...]
    lifelong: bool
    milestones: tuple[Milestone, ...]
    warnings: tuple[SafetyWarning, ...]
    rationale: tuple[Reason, ...]
    citations: tuple[Citation, ...]
    interval_reason: str = ""
    """The clinician's reason for a maintenance interval outside the regimen's range (empty if none)."""

    @property
    def blocked_by(self) -> tuple[str, ...]:
        """Codes of contraindications of the chosen product: do not start without a clinician decision."""
        return tuple(w.code for w in self.warnings if w.blocks_plan)


def _used_citations(pack: Pack, items: list[Reason | Milestone | SafetyWarning]) -> tuple[Citation, ...]:
    ids: set[str] = set()
    for item in items:
        ids.update(item.citations)
        if isinstance(item, Reason):
            ids.update(c for conflict in item.conflicts for c in conflict.citations)
    return tuple(pack.citations[cid] for cid in sorted(ids) if cid in pack.citations)


def _check_scope(case: Case, pack: Pack) -> None:
    record = pack.record(MINIMUM_AGE_RULE, Quantity)
    minimum = record.value_on(case.start_date).value
    if case.patient.birth_date > case.start_date:
        raise InputError("patient.birth_date", "is after start_date")
    if Decimal(age_on(case.patient.birth_date, case.start_date)) < minimum:
        raise InputError(
            "patient.birth_date",
            f"the patient is under {minimum} on start_date; every b12care pack covers adults "
            f"{minimum} and over only (refer to paediatric care)",
        )


def _patterns(pack: Pack, day: date) -> tuple[dict[int, WeeklyPattern], dict[int, Record[WeeklyPattern]]]:
    records = {r.value_on(day).times_per_week: r for r in pack.of_kind(WeeklyPattern)}
    return {n: r.value_on(day) for n, r in records.items()}, records


def _describe(phase: PlannedPhase) -> str:
    doses = phase.doses
    if phase.kind == "oral" and doses:
        return f"oral: {doses[0].dose} daily from {doses[0].date.isoformat()}, {phase.end.replace('_', ' ')}"
    span = f"{doses[0].date.isoformat()} to {doses[-1].date.isoformat()}" if doses else "not dated"
    cadence = f"{phase.times_per_week} times a week" if phase.times_per_week else f"every {phase.interval}"
    dose = f"{doses[0].dose} {doses[0].route}" if doses else ""
    text = f"{phase.kind}: {dose} {cadence}, {len(doses)} dated dose(s) {span}"
    if phase.review_checkpoint is not None:
        text += f", review checkpoint {phase.review_checkpoint.isoformat()}"
    return text + (" (provisional)" if phase.provisional else "")


def _phase_reasons(
    pack: Pack,
    case: Case,
    *,
    selection: Selection,
    schedule: Schedule,
    options: PlanOptions,
    lifelong: bool,
) -> list[Reason]:
    day = case.start_date
    regimen = selection.record
    reasons: list[Reason] = []
    _, pattern_records = _patterns(pack, day)
    for planned in schedule.phases:
        reasons.append(reason_from(regimen, _describe(planned), planned.wording or regimen.description))
        if planned.times_per_week is not None:
            pattern = pattern_records[planned.times_per_week]
            offsets = ", ".join(str(o) for o in pattern.value_on(day).day_offsets)
            reasons.append(
                reason_from(
                    pattern,
                    f"'{planned.times_per_week} times a week' dated on days {offsets} of each week",
                    pattern.description,
                )
            )
        if planned.review_checkpoint is not None:
            checkpoint = pack.record(REVIEW_CHECKPOINT_RULE, Interval)
            reasons.append(
                reason_from(
                    checkpoint,
                    f"open-ended phase reviewed every {checkpoint.value_on(day)}",
                    checkpoint.description,
                )
            )
        if planned.kind == "maintenance" and planned.interval is not None:
            reasons.append(_interval_reason(regimen, planned, options))
    lifelong_record = pack.record(LIFELONG_RULE, Codes)
    if lifelong:
        because = f"{case.cause} is an irreversible cause: replacement is not stopped"
    else:
        because = f"{case.cause} is not listed as irreversible: review whether the cause has resolved"
    ends = "lifelong" if lifelong else "open-ended, reviewed"
    reasons.append(reason_from(lifelong_record, f"replacement is {ends}", because))
    return reasons


def _interval_reason(regimen: Record[RegimenDef], planned: PlannedPhase, options: PlanOptions) -> Reason:
    allowed = planned.interval_range
    shown = f" (pack range {allowed[0]} to {allowed[1]})" if allowed else ""
    chosen = options.maintenance_interval
    if chosen is not None and allowed is not None and not within_range(chosen, allowed):
        why = options.interval_reason.strip() or "no reason recorded"
        because = f"the clinician chose {chosen} outside the licensed range{shown} (off-label): {why}"
    elif chosen is not None:
        because = f"the clinician chose {chosen} inside the pack's range{shown}"
    elif allowed is not None and allowed[0] != allowed[1]:
        because = f"the pack's default{shown}; the clinician may choose inside the range"
    else:
        because = "the interval the source states"
    return reason_from(regimen, f"maintenance every {planned.interval}", because)


def _milestone_reasons(milestones: tuple[Milestone, ...]) -> list[Reason]:
    seen: dict[str, Reason] = {}
    for item in milestones:
        seen.setdefault(
            item.rule_id,
            Reason(
                f"milestone: {item.what}",
                f"first on {item.date.isoformat()}",
                item.rule_id,
                item.citations,
                item.verification,
                item.origin,
            ),
        )
    return list(seen.values())


def build_plan(case: Case, pack: Pack, options: PlanOptions | None = None) -> Plan:
    """Build the specific, dated, explained plan for ``case`` with ``pack``.

    Raises InputError (naming the field) for a patient outside the pack's scope, a lab unit that does
    not fit its test or an unknown regimen id. A maintenance interval outside the regimen's range is an
    off-licence choice: allowed, and always warned (OUTSIDE_LICENCE).

    Reference: nice-ng239; bnf-hydroxocobalamin; fda-cyanocobalamin-inj; nhg-2014 (through the pack).
    """
    options = options or PlanOptions()
    _check_scope(case, pack)
    validate_lab_units(case.labs, pack, case.start_date)
    day = case.start_date
    interpretation = interpret_labs(case, pack)
    selection = select_regimen(case, pack)
    lifelong = case.cause in pack.record(LIFELONG_RULE, Codes).value_on(day).codes
    patterns, _ = _patterns(pack, day)
    schedule = build_schedule(
        selection.regimen,
        day,
        selection.route,
        lifelong=lifelong,
        review_every=pack.record(REVIEW_CHECKPOINT_RULE, Interval).value_on(day),
        patterns=patterns,
        maintenance_interval=options.maintenance_interval,
    )
    milestones = plan_milestones(case, pack, selection, schedule, interpretation)
    rationale = [
        *interpretation.reasons,
        *selection.reasons,
        *_phase_reasons(
            pack, case, selection=selection, schedule=schedule, options=options, lifelong=lifelong
        ),
        *_milestone_reasons(milestones),
    ]
    facts = PlanFacts(interpretation, _off_licence(schedule, options))
    warnings = evaluate_safety(case, pack, selection, facts)
    warnings += provenance_warnings(case, pack, [*rationale, *warnings, *milestones])
    warnings.sort(key=lambda w: {"critical": 0, "warning": 1, "info": 2}[w.severity])
    return Plan(
        pack_id=pack.id,
        pack_version=pack.version,
        pack_hash=pack.content_hash,
        overlay=pack.overlay,
        case=case,
        interpretation=interpretation,
        selection=selection,
        phases=schedule.phases,
        lifelong=lifelong,
        milestones=milestones,
        warnings=tuple(warnings),
        rationale=tuple(rationale),
        citations=_used_citations(pack, [*rationale, *milestones, *warnings]),
        interval_reason=options.interval_reason.strip(),
    )


def off_licence_detail(chosen: Interval, allowed: tuple[Interval, Interval], reason: str) -> str | None:
    """The OUTSIDE_LICENCE detail when ``chosen`` lies outside ``allowed``, else None.

    Reference: nice-ng239-summary (frequency changed in line with the manufacturer's product information).
    """
    if within_range(chosen, allowed):
        return None
    why = reason.strip() or "no reason recorded"
    return f"{chosen}; licensed {allowed[0]} to {allowed[1]}; reason: {why}"


def _off_licence(schedule: Schedule, options: PlanOptions) -> str | None:
    chosen = options.maintenance_interval
    if chosen is None:
        return None
    for phase in schedule.phases:
        if phase.kind == "maintenance" and phase.interval_range is not None:
            return off_licence_detail(chosen, phase.interval_range, options.interval_reason)
    return None
