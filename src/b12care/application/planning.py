"""Use cases of the clinical engine: plan a case, list packs, explain a rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from b12care.domain.calendar import parse_interval
from b12care.domain.case import Case
from b12care.domain.errors import InputError, UnknownRuleError
from b12care.domain.knowledge import Pack, Record
from b12care.domain.plan import Plan, PlanOptions, build_plan
from b12care.domain.schedule import within_range
from b12care.knowledge import DEFAULT_PACK, apply_overlay, list_packs, load_overlay, load_pack

__all__ = ["Explanation", "choose_pack", "explain_rule", "plan_case"]


def choose_pack(case_pack: str | None, pack_id: str | None = None, overlay: Path | None = None) -> Pack:
    """The pack: the command's ``pack_id``, else the case's, else the default; overlay applied."""
    pack = load_pack(pack_id or case_pack or DEFAULT_PACK)
    if overlay is not None:
        pack = apply_overlay(pack, load_overlay(overlay))
    return pack


def plan_case(
    case: Case,
    *,
    pack_id: str | None = None,
    overlay: Path | None = None,
    maintenance_interval: str | None = None,
    interval_reason: str | None = None,
) -> Plan:
    """Build the plan for ``case``; ``maintenance_interval`` is ``N{d,w,m}``.

    An interval outside the regimen's licensed range is a prescriber's off-licence decision: it needs
    ``interval_reason`` (else InputError on that field) and the plan always carries OUTSIDE_LICENCE.

    Reference: nice-ng239-summary (frequency in line with the manufacturer's product information).
    """
    pack = choose_pack(case.pack, pack_id, overlay)
    chosen = parse_interval(maintenance_interval, "maintenance_interval") if maintenance_interval else None
    reason = (interval_reason or "").strip()
    plan = build_plan(case, pack, PlanOptions(maintenance_interval=chosen, interval_reason=reason))
    if chosen is not None and not reason:
        for phase in plan.phases:
            allowed = phase.interval_range
            if phase.kind == "maintenance" and allowed is not None and not within_range(chosen, allowed):
                raise InputError(
                    "interval_reason",
                    f"{chosen} is outside the licensed range for this regimen ({allowed[0]} to "
                    f"{allowed[1]}): an off-licence interval needs the prescriber's reason",
                )
    return plan


@dataclass(frozen=True, slots=True)
class Explanation:
    """A record as one pack defines it, with that pack's citations for it."""

    pack: Pack
    record: Record[Any]


def explain_rule(rule_id: str, pack_id: str | None = None, overlay: Path | None = None) -> list[Explanation]:
    """Every pack's definition of ``rule_id`` (or just ``pack_id``'s); raise UnknownRuleError if none."""
    packs = (
        [choose_pack(None, pack_id, overlay)]
        if pack_id or overlay
        else [load_pack(p.id) for p in list_packs()]
    )
    found = [Explanation(pack, pack.records[rule_id]) for pack in packs if rule_id in pack.records]
    if not found:
        raise UnknownRuleError(rule_id)
    return found
