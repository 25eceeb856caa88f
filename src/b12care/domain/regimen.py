"""Regimen selection: which product, dose and route, from the cause, symptoms, conditions and preferences.

Reference: bnf-hydroxocobalamin, nice-ng239, nhs-uk-b12 (UK); fda-cyanocobalamin-inj (US); nhg-2014 (NL).
Each pack tags its regimens with the situations they serve (``use_for``); this module only decides which
situation the case is in, in order of preference, and takes the pack's regimen for the first one it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from b12care.domain.case import Case
from b12care.domain.errors import InputError
from b12care.domain.explain import Reason, reason_from
from b12care.domain.knowledge import Pack, Record, RegimenDef
from b12care.domain.vocabulary import Route

__all__ = ["SITUATIONS", "Selection", "select_regimen", "situations_for"]

_OCULAR = frozenset({"leber_optic_atrophy", "tobacco_amblyopia"})
_INJECTED: frozenset[Route | None] = frozenset({"IM", "SC", "IV"})

_SITUATION_WORDS = {
    "prophylaxis": "prophylaxis (no deficiency to treat yet)",
    "ocular": "Leber's optic atrophy or tobacco amblyopia",
    "neurological": "neurological involvement",
    "dietary_oral": "diet-related deficiency without neurological symptoms",
    "dietary_injection": "diet-related deficiency, injections preferred",
    "oral": "oral treatment preferred",
    "injection": "injections preferred",
    "standard": "deficiency without neurological involvement",
}
SITUATIONS = frozenset(_SITUATION_WORDS)


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen regimen, its route, the situation that chose it and the alternatives left."""

    record: Record[RegimenDef]
    regimen: RegimenDef
    route: Route
    situation: str
    reasons: tuple[Reason, ...]
    alternatives: tuple[Record[RegimenDef], ...]
    fallbacks: tuple[str, ...]


def situations_for(case: Case) -> tuple[str, ...]:
    """The clinical situations of ``case``, most specific first; the last is always ``standard``."""
    if case.indication == "prophylaxis":
        return ("prophylaxis", "standard")
    if case.conditions & _OCULAR:
        return ("ocular", "neurological", "standard")
    if case.neurological_symptoms:
        return ("neurological", "standard")
    if case.cause == "dietary":
        if case.route_preference in _INJECTED:
            return ("dietary_injection", "injection", "standard")
        return ("dietary_oral", "oral", "standard")
    if case.route_preference == "oral":
        return ("oral", "standard")
    if case.route_preference in _INJECTED:
        return ("injection", "standard")
    return ("standard",)


def _candidates(pack: Pack, situation: str, day: date) -> list[Record[RegimenDef]]:
    return [r for r in pack.of_kind(RegimenDef) if situation in r.value_on(day).use_for]


def _prefer_formulation(found: list[Record[RegimenDef]], case: Case) -> Record[RegimenDef]:
    if case.formulation is not None:
        for record in found:
            if record.value_on(case.start_date).drug == case.formulation:
                return record
    return found[0]


def _explicit(case: Case, pack: Pack) -> Record[RegimenDef]:
    record = pack.records.get(case.regimen or "")
    if record is None or not isinstance(record.values[0][1], RegimenDef):
        known = ", ".join(r.id for r in pack.of_kind(RegimenDef))
        raise InputError(
            "regimen", f"{case.regimen!r} is not a regimen of pack {pack.id} (choose one of {known})"
        )
    return pack.record(record.id, RegimenDef)


def _route(regimen: RegimenDef, preference: Route | None) -> Route:
    if preference is not None and preference in regimen.routes:
        return preference
    return regimen.routes[0]


def select_regimen(case: Case, pack: Pack) -> Selection:
    """Choose the pack's regimen for the first situation of the case that the pack serves.

    Dietary cause: the pack's oral option by default; injections when the clinician prefers them or
    neurological symptoms are present. An explicit ``regimen`` id in the case overrides the choice.

    Reference: bnf-hydroxocobalamin; nhs-uk-b12; nice-ng239; fda-cyanocobalamin-inj; nhg-2014.
    """
    day = case.start_date
    situations = situations_for(case)
    fallbacks: list[str] = []
    natural: Record[RegimenDef] | None = None
    situation = situations[-1]
    for situation in situations:
        found = _candidates(pack, situation, day)
        if found:
            natural = _prefer_formulation(found, case)
            break
        fallbacks.append(situation)
    if natural is None:
        natural = pack.of_kind(RegimenDef)[0]
    if fallbacks:
        missing = " or ".join(_SITUATION_WORDS.get(s, s) for s in fallbacks)
        because = (
            f"the case is {_SITUATION_WORDS[situations[0]]}, but the pack has no regimen for {missing}; "
            f"its regimen for {_SITUATION_WORDS.get(situation, situation)} is used"
        )
    else:
        because = f"the case is {_SITUATION_WORDS.get(situation, situation)}"
    chosen = natural
    if case.regimen is not None:
        chosen = _explicit(case, pack)
        because = f"the clinician chose {chosen.id} (the pack's choice for this case: {natural.id})"
        fallbacks = []
    regimen = chosen.value_on(day)
    route = _route(regimen, case.route_preference)
    decision = f"{regimen.summary} ({regimen.drug}, {route})"
    reasons = [reason_from(chosen, f"regimen: {decision}", because)]
    if regimen.dose_range is not None:
        low, high = regimen.dose_range
        reasons.append(
            reason_from(
                chosen,
                f"dose {regimen.dose} inside the stated range {low} to {high}",
                chosen.notes or "the pack's default dose; the clinician may choose inside the range",
            )
        )
    alternatives = tuple(
        r
        for r in pack.of_kind(RegimenDef)
        if r.id != chosen.id
        and (situation in r.value_on(day).alternative_for or situation in r.value_on(day).use_for)
    )
    return Selection(chosen, regimen, route, situation, tuple(reasons), alternatives, tuple(fallbacks))
