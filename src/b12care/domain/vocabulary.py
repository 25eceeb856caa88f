"""The closed vocabularies of the case-file contract and the packs (stable codes; never renamed)."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "CAUSE_ALIASES",
    "Cause",
    "Condition",
    "Drug",
    "Indication",
    "Medication",
    "PhaseEnd",
    "PhaseKind",
    "Route",
    "Severity",
    "Status",
    "Test",
    "Verification",
    "codes_of",
]

Cause = Literal[
    "autoimmune_gastritis",
    "gastrectomy",
    "bariatric_surgery",
    "ileal_resection",
    "crohns_disease",
    "coeliac_disease",
    "medication",
    "nitrous_oxide",
    "dietary",
    "unknown",
]
CAUSE_ALIASES: dict[str, str] = {"pernicious_anaemia": "autoimmune_gastritis"}
Indication = Literal["treatment", "prophylaxis"]
Condition = Literal[
    "leber_optic_atrophy", "tobacco_amblyopia", "bleeding_disorder", "cobalt_sensitivity", "severe_anaemia"
]
Medication = Literal[
    "folic_acid", "metformin", "ppi", "h2_antagonist", "colchicine", "topiramate", "anticoagulant"
]
Test = Literal[
    "total_b12",
    "active_b12",
    "mma",
    "homocysteine",
    "folate",
    "haemoglobin",
    "mcv",
    "potassium",
    "reticulocytes",
    "platelets",
]
Drug = Literal["hydroxocobalamin", "cyanocobalamin"]
Route = Literal["IM", "SC", "oral", "IV"]
PhaseKind = Literal["loading", "maintenance", "oral"]
PhaseEnd = Literal["fixed", "on_no_further_improvement", "lifelong", "open"]
Severity = Literal["info", "warning", "critical"]
Status = Literal["deficient", "indeterminate", "unlikely", "not_tested"]
Verification = Literal[
    "publisher", "copy", "secondary", "lab_reference", "derived", "local_policy", "unconfirmed"
]


def codes_of(vocabulary: object) -> tuple[str, ...]:
    """The codes of a Literal vocabulary, in declaration order."""
    return tuple(str(code) for code in get_args(vocabulary))
