"""Safety warnings: when each applies is decided here; wording, severity and sources are pack data.

Reference: fda-cyanocobalamin-inj (folic acid, Leber's disease, cobalt, potassium, route), mhra-2023-cobalt,
mhra-2022-metformin, smpc-hydroxocobalamin (potassium, pregnancy), cks-anaemia-b12 (specialist advice),
nice-ng239 (samples before treatment, testing in pregnancy and nitrous oxide use).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from b12care.domain.case import Case
from b12care.domain.knowledge import Pack, WarningDef
from b12care.domain.labs import Interpretation
from b12care.domain.regimen import Selection
from b12care.domain.vocabulary import Severity, Verification

__all__ = [
    "KNOWN_WARNINGS",
    "REQUIRED_WARNINGS",
    "PlanFacts",
    "SafetyWarning",
    "Sourced",
    "evaluate_safety",
    "provenance_warnings",
]


@dataclass(frozen=True, slots=True)
class SafetyWarning:
    """A problem the clinician must see, with the record it comes from."""

    code: str
    severity: Severity
    message: str
    rule_id: str
    citations: tuple[str, ...]
    verification: Verification
    origin: str = "pack"
    blocks_plan: bool = False


class Sourced(Protocol):
    """Anything that names the record it rests on."""

    @property
    def rule_id(self) -> str: ...
    @property
    def verification(self) -> Verification: ...
    @property
    def origin(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """What the plan found besides the case and the regimen: the lab picture and the clinician's
    choice of a maintenance interval outside the regimen's range (its detail), if any."""

    interpretation: Interpretation
    off_licence: str | None = None


Trigger = Callable[[Case, Selection, PlanFacts], str | None]
_RISK_MEDICINES = ("ppi", "h2_antagonist", "colchicine", "topiramate")
_B12_TESTS = ("total_b12", "active_b12")


def _when(condition: bool, detail: str = "") -> str | None:
    return detail if condition else None


def _sample_after_start(case: Case, selection: Selection, facts: PlanFacts) -> str | None:
    late = [
        f"{lab.test} on {lab.date.isoformat()}"
        for lab in case.labs
        if lab.test in _B12_TESTS and lab.date >= case.start_date
    ]
    return ", ".join(late) if late else None


def _total_b12_in_pregnancy(case: Case, selection: Selection, facts: PlanFacts) -> str | None:
    if not case.patient.pregnant:
        return None
    findings = facts.interpretation.findings
    found = [f"{f.reported} on {f.date.isoformat()}" for f in findings if f.test == "total_b12"]
    return ", ".join(found) if found else None


def _folate_low(case: Case, selection: Selection, facts: PlanFacts) -> str | None:
    latest = facts.interpretation.latest("folate")
    if latest is None or latest.band != "deficient":
        return None
    return f"{latest.reported} on {latest.date.isoformat()}"


_TRIGGERS: dict[str, Trigger] = {
    "FOLIC_ACID_WITHOUT_B12": lambda c, s, f: _when("folic_acid" in c.medications),
    "CYANOCOBALAMIN_LEBER": lambda c, s, f: _when(
        "leber_optic_atrophy" in c.conditions and "cyanocobalamin" in (s.regimen.drug, c.formulation)
    ),
    "COBALT_SENSITIVITY": lambda c, s, f: _when("cobalt_sensitivity" in c.conditions),
    "HYPOKALAEMIA_RISK": lambda c, s, f: _when(
        "severe_anaemia" in c.conditions or f.interpretation.anaemia == "severe"
    ),
    "NEURO_SPECIALIST_ADVICE": lambda c, s, f: _when(
        c.neurological_symptoms or bool(c.conditions & {"leber_optic_atrophy", "tobacco_amblyopia"})
    ),
    "IM_BLEEDING_RISK": lambda c, s, f: _when(
        s.route == "IM" and bool({"bleeding_disorder"} & c.conditions or {"anticoagulant"} & c.medications)
    ),
    "SAMPLE_AFTER_TREATMENT_START": _sample_after_start,
    "NITROUS_OXIDE_TESTING": lambda c, s, f: _when(c.cause == "nitrous_oxide"),
    "PREGNANCY": lambda c, s, f: _when(c.patient.pregnant),
    "METFORMIN_B12_MONITORING": lambda c, s, f: _when("metformin" in c.medications),
    "RISK_MEDICATION": lambda c, s, f: _when(
        bool(c.medications.intersection(_RISK_MEDICINES)),
        ", ".join(sorted(c.medications.intersection(_RISK_MEDICINES))),
    ),
    "IV_ROUTE_NOT_RECOMMENDED": lambda c, s, f: _when(c.route_preference == "IV"),
    "ROUTE_NOT_AVAILABLE": lambda c, s, f: _when(
        c.route_preference not in (None, "IV") and c.route_preference != s.route, str(c.route_preference)
    ),
    "FORMULATION_NOT_AVAILABLE": lambda c, s, f: _when(
        c.formulation is not None and c.formulation != s.regimen.drug, str(c.formulation)
    ),
    "PACK_HAS_NO_REGIMEN_FOR_SITUATION": lambda c, s, f: _when(bool(s.fallbacks), ", ".join(s.fallbacks)),
    "VEGAN_MAY_NEED_LIFELONG": lambda c, s, f: _when(c.cause == "dietary" and c.patient.diet == "vegan"),
    "NO_EXTRA_BENEFIT_FROM_HIGHER_DOSES": lambda c, s, f: _when(s.situation in ("neurological", "ocular")),
    "CAUSE_MAY_RESOLVE": lambda c, s, f: _when(c.cause in ("medication", "nitrous_oxide", "dietary")),
    "DEFICIENCY_UNLIKELY_ON_RESULT": lambda c, s, f: _when(
        c.indication == "treatment" and f.interpretation.b12_status == "unlikely"
    ),
    "DEFICIENCY_NOT_CONFIRMED": lambda c, s, f: _when(
        c.indication == "treatment" and f.interpretation.b12_status == "indeterminate"
    ),
    "NO_BASELINE_SAMPLE": lambda c, s, f: _when(
        c.indication == "treatment" and f.interpretation.b12_status == "not_tested"
    ),
    "TOTAL_B12_UNRELIABLE_IN_PREGNANCY": _total_b12_in_pregnancy,
    "CAUSE_WORK_UP": lambda c, s, f: _when(c.cause == "unknown"),
    "GASTRIC_CANCER_RISK": lambda c, s, f: _when(c.cause == "autoimmune_gastritis"),
    "FOLATE_LOW": _folate_low,
    "OUTSIDE_LICENCE": lambda c, s, f: f.off_licence,
}

REQUIRED_WARNINGS = (
    "FOLIC_ACID_WITHOUT_B12",
    "CYANOCOBALAMIN_LEBER",
    "COBALT_SENSITIVITY",
    "HYPOKALAEMIA_RISK",
    "NEURO_SPECIALIST_ADVICE",
    "IM_BLEEDING_RISK",
    "SAMPLE_AFTER_TREATMENT_START",
    "NITROUS_OXIDE_TESTING",
    "PREGNANCY",
    "UNCONFIRMED_SOURCE",
    "LOCAL_OVERLAY_APPLIED",
)
KNOWN_WARNINGS = frozenset(_TRIGGERS) | frozenset(REQUIRED_WARNINGS)


# A pack may mark a warning as blocking (a contraindication of the chosen product); these say when the
# chosen regimen is the one it contraindicates.
_BLOCKS_ONLY_IF: dict[str, Callable[[Selection], bool]] = {
    "CYANOCOBALAMIN_LEBER": lambda s: s.regimen.drug == "cyanocobalamin",
}


def _warning(pack: Pack, code: str, detail: str, case: Case) -> SafetyWarning | None:
    record = pack.find(f"safety.{code}", WarningDef)
    if record is None:
        return None
    definition = record.value_on(case.start_date)
    message = definition.message.replace("{detail}", detail).strip()
    return SafetyWarning(
        code,
        definition.severity,
        message,
        record.id,
        record.citations,
        record.verification,
        record.origin,
        definition.blocks_plan,
    )


def evaluate_safety(case: Case, pack: Pack, selection: Selection, facts: PlanFacts) -> list[SafetyWarning]:
    """Every warning whose trigger holds and whose wording the pack defines, in trigger order.

    Reference: fda-cyanocobalamin-inj; smpc-hydroxocobalamin; nice-ng239; bsh-2014 (treatment not delayed
    against a discordant result); bnssg-b12 (total B12 in pregnancy); nasgp-ng239 (cause work-up);
    who-anaemia-2011 (severe anaemia from haemoglobin).
    """
    found: list[SafetyWarning] = []
    for code, trigger in _TRIGGERS.items():
        detail = trigger(case, selection, facts)
        if detail is not None:
            warning = _warning(pack, code, detail, case)
            if warning is not None:
                applies = _BLOCKS_ONLY_IF[code](selection) if code in _BLOCKS_ONLY_IF else True
                found.append(replace(warning, blocks_plan=warning.blocks_plan and applies))
    return found


def provenance_warnings(case: Case, pack: Pack, used: Iterable[Sourced]) -> list[SafetyWarning]:
    """UNCONFIRMED_SOURCE and LOCAL_OVERLAY_APPLIED, naming the rule ids behind them."""
    items = list(used)
    unconfirmed = sorted({item.rule_id for item in items if item.verification == "unconfirmed"})
    overlay = sorted({item.rule_id for item in items if item.origin != "pack"})
    found: list[SafetyWarning] = []
    for code, ids in (("UNCONFIRMED_SOURCE", unconfirmed), ("LOCAL_OVERLAY_APPLIED", overlay)):
        if ids:
            warning = _warning(pack, code, ", ".join(ids), case)
            if warning is not None:
                found.append(warning)
    return found
