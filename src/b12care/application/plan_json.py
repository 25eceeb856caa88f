"""The plan as JSON (the contract other tools depend on: names are added to, never renamed)."""

from __future__ import annotations

from typing import Any

from b12care import __version__
from b12care.domain.calendar import Interval
from b12care.domain.explain import Reason
from b12care.domain.knowledge import Conflict
from b12care.domain.milestones import Milestone
from b12care.domain.plan import Plan
from b12care.domain.quantity import Quantity, format_decimal
from b12care.domain.safety import SafetyWarning
from b12care.domain.schedule import PlannedPhase

__all__ = ["plan_to_dict", "quantity_json"]


def quantity_json(quantity: Quantity) -> dict[str, str]:
    """``{"value": "1", "unit": "mg"}``: Decimal as a string, never a float."""
    return {"value": format_decimal(quantity.value), "unit": quantity.unit}


def _interval(interval: Interval | None) -> dict[str, Any] | None:
    return None if interval is None else {"value": interval.value, "unit": interval.unit}


def _conflicts(conflicts: tuple[Conflict, ...]) -> list[dict[str, Any]]:
    return [{"citations": list(c.citations), "says": c.says} for c in conflicts]


def _reason(reason: Reason) -> dict[str, Any]:
    return {
        "decision": reason.decision,
        "because": reason.because,
        "rule_id": reason.rule_id,
        "citations": list(reason.citations),
        "verification": reason.verification,
        "origin": reason.origin,
        "conflicts": _conflicts(reason.conflicts),
    }


def _pack_json(plan: Plan) -> dict[str, Any]:
    overlay = plan.overlay
    return {
        "id": plan.pack_id,
        "version": plan.pack_version,
        "content_hash": plan.pack_hash,
        "overlay": None
        if overlay is None
        else {"id": overlay.id, "version": overlay.version, "records": list(overlay.replaced)},
    }


def _interpretation_json(plan: Plan) -> dict[str, Any]:
    interpretation = plan.interpretation
    return {
        "b12_status": interpretation.b12_status,
        "findings": [
            {
                "test": f.test,
                "date": f.date.isoformat(),
                "value": quantity_json(f.reported),
                "converted": quantity_json(f.converted) if f.converted else None,
                "band": f.band,
                "used_for_diagnosis": f.counted,
                "message": f.message,
                "rule_id": f.rule_id,
                "citations": list(f.citations),
                "verification": f.verification,
            }
            for f in interpretation.findings
        ],
        "next_tests": [
            {
                "tests": list(t.tests),
                "message": t.message,
                "rule_id": t.rule_id,
                "citations": list(t.citations),
                "verification": t.verification,
            }
            for t in interpretation.next_tests
        ],
    }


def _regimen_json(plan: Plan) -> dict[str, Any]:
    selection = plan.selection
    regimen = selection.regimen
    return {
        "id": selection.record.id,
        "drug": regimen.drug,
        "form": regimen.form,
        "route": selection.route,
        "dose": quantity_json(regimen.dose),
        "dose_range": None
        if regimen.dose_range is None
        else {"min": quantity_json(regimen.dose_range[0]), "max": quantity_json(regimen.dose_range[1])},
        "summary": regimen.summary,
        "administration": regimen.administration or None,
        "situation": selection.situation,
        "citations": list(selection.record.citations),
        "verification": selection.record.verification,
    }


def _phase_json(phase: PlannedPhase) -> dict[str, Any]:
    return {
        "kind": phase.kind,
        "end": phase.end,
        "doses": [
            {"date": d.date.isoformat(), "dose": quantity_json(d.dose), "route": d.route} for d in phase.doses
        ],
        "interval": _interval(phase.interval),
        "interval_range": None
        if phase.interval_range is None
        else {"min": _interval(phase.interval_range[0]), "max": _interval(phase.interval_range[1])},
        "times_per_week": phase.times_per_week,
        "provisional": phase.provisional,
        "review_checkpoint": phase.review_checkpoint.isoformat() if phase.review_checkpoint else None,
        "source_wording": phase.wording,
        "condition": phase.condition or None,
    }


def _milestone_json(m: Milestone) -> dict[str, Any]:
    return {
        "date": m.date.isoformat(),
        "due_by": m.due_by.isoformat() if m.due_by else None,
        "kind": m.kind,
        "what": m.what,
        "rule_id": m.rule_id,
        "citations": list(m.citations),
        "verification": m.verification,
    }


def _warning_json(w: SafetyWarning) -> dict[str, Any]:
    return {
        "code": w.code,
        "severity": w.severity,
        "message": w.message,
        "rule_id": w.rule_id,
        "citations": list(w.citations),
        "verification": w.verification,
        "blocks_plan": w.blocks_plan,
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Render ``plan`` as the JSON contract."""
    return {
        "pack": _pack_json(plan),
        "generated_by": {"name": "b12care", "version": __version__},
        "start_date": plan.case.start_date.isoformat(),
        "blocked_by": list(plan.blocked_by),
        "interpretation": _interpretation_json(plan),
        "regimen": _regimen_json(plan),
        "lifelong": plan.lifelong,
        "phases": [_phase_json(phase) for phase in plan.phases],
        "milestones": [_milestone_json(m) for m in plan.milestones],
        "warnings": [_warning_json(w) for w in plan.warnings],
        "rationale": [_reason(r) for r in plan.rationale],
        "alternatives": [
            {
                "id": a.id,
                "summary": a.value_on(plan.case.start_date).summary,
                "citations": list(a.citations),
                "verification": a.verification,
            }
            for a in plan.selection.alternatives
        ],
        "citations": {
            c.id: {"title": c.title, "publisher": c.publisher, "year": c.year, "url": c.url}
            for c in plan.citations
        },
    }
