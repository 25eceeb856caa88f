"""Draft-order checks: a draft B12 or folic acid order against the patient's plan and forecast.

Each check that applies gives a finding (:data:`OrderFinding`: a code, the facts and what a face needs
to suggest a fix); faces word them (CDS Hooks cards). The checks, per order and in this order:

- ``too_early``: a B12 dose dated before the forecast's earliest date for the next dose;
- ``folic_acid_before_b12``: folic acid while no B12 dose is recorded as given and none is among the
  draft orders (pack record ``safety.FOLIC_ACID_WITHOUT_B12``);
- ``cyanocobalamin_leber``: cyanocobalamin for a patient with Leber's optic atrophy (pack record
  ``safety.CYANOCOBALAMIN_LEBER``);
- ``off_plan``: a B12 product or route other than the plan's (not asked when the Leber's check applies:
  it says more).

A check resting on a pack's safety record applies only when the pack defines that record.

Reference: b12care-local-policy (earliest date); bnf-hydroxocobalamin; cks-anaemia-b12;
fda-cyanocobalamin-inj (folic acid and Leber's disease, through the pack's safety records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from b12care.domain.evaluation import NextDose
from b12care.domain.forecast import Forecast
from b12care.domain.knowledge import Pack, Record, WarningDef
from b12care.domain.quantity import Quantity
from b12care.domain.vocabulary import Route

__all__ = [
    "B12_DRUGS",
    "DraftOrder",
    "OffPlan",
    "OrderCheck",
    "OrderDrug",
    "OrderFinding",
    "SafetyRecordFinding",
    "TooEarly",
    "check_orders",
]

OrderDrug = Literal["hydroxocobalamin", "cyanocobalamin", "folic_acid", "other"]
OrderCheck = Literal["too_early", "folic_acid_before_b12", "cyanocobalamin_leber", "off_plan"]
B12_DRUGS: frozenset[str] = frozenset({"hydroxocobalamin", "cyanocobalamin"})
_COUNTED = frozenset({"valid", "within_grace", "off_plan"})


@dataclass(frozen=True, slots=True)
class DraftOrder:
    """A draft MedicationRequest reduced to what the checks read; ``resource`` is the FHIR JSON."""

    id: str
    drug: OrderDrug
    date: dt.date | None = None
    dose: Quantity | None = None
    route: Route | None = None
    text: str = ""
    resource: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TooEarly:
    """A B12 dose dated ``date``, before ``next_dose.earliest`` (the forecast's next dose)."""

    order: DraftOrder
    date: dt.date
    next_dose: NextDose
    code: Literal["too_early"] = "too_early"

    @property
    def detail(self) -> str:
        """The facts in words."""
        return f"dated {self.date.isoformat()}, earliest {self.next_dose.earliest.isoformat()}"


@dataclass(frozen=True, slots=True)
class SafetyRecordFinding:
    """A check resting on the pack's safety ``record`` (``warning`` is its wording in force).

    ``folic_acid_before_b12``: ``next_dose`` is the plan's next (first) B12 dose, None when none is due.
    ``cyanocobalamin_leber``: ``suggest_plan_product`` when the plan's product is not cyanocobalamin.
    """

    order: DraftOrder
    code: Literal["folic_acid_before_b12", "cyanocobalamin_leber"]
    warning: WarningDef
    record: Record[WarningDef]
    next_dose: NextDose | None = None
    suggest_plan_product: bool = False

    @property
    def detail(self) -> str:
        """The facts in words."""
        if self.code == "folic_acid_before_b12":
            return "folic acid with no B12 dose given or ordered"
        return "cyanocobalamin with Leber's optic atrophy"


@dataclass(frozen=True, slots=True)
class OffPlan:
    """A B12 order whose product or route (``ordered``) differs from the plan's (``planned``)."""

    order: DraftOrder
    ordered: str
    planned: str
    code: Literal["off_plan"] = "off_plan"

    @property
    def detail(self) -> str:
        """The facts in words."""
        return f"ordered {self.ordered}, planned {self.planned}"


OrderFinding = TooEarly | SafetyRecordFinding | OffPlan


def _b12_started(forecast: Forecast) -> bool:
    return any(e.status in _COUNTED for e in forecast.evaluations)


def _too_early(forecast: Forecast, order: DraftOrder) -> OrderFinding | None:
    nxt = forecast.next_dose
    if order.drug not in B12_DRUGS or order.date is None or nxt is None or order.date >= nxt.earliest:
        return None
    return TooEarly(order, order.date, nxt)


def _pack_warning(forecast: Forecast, pack: Pack, code: str) -> tuple[WarningDef, Record[WarningDef]] | None:
    record = pack.find(f"safety.{code}", WarningDef)
    if record is None:
        return None
    return record.value_on(forecast.plan.case.start_date), record


def _folic_acid(
    forecast: Forecast, order: DraftOrder, orders: Sequence[DraftOrder], pack: Pack
) -> OrderFinding | None:
    if order.drug != "folic_acid" or any(o.drug in B12_DRUGS for o in orders) or _b12_started(forecast):
        return None
    found = _pack_warning(forecast, pack, "FOLIC_ACID_WITHOUT_B12")
    if found is None:
        return None
    return SafetyRecordFinding(order, "folic_acid_before_b12", *found, next_dose=forecast.next_dose)


def _leber(forecast: Forecast, order: DraftOrder, pack: Pack) -> OrderFinding | None:
    if order.drug != "cyanocobalamin" or "leber_optic_atrophy" not in forecast.plan.case.conditions:
        return None
    found = _pack_warning(forecast, pack, "CYANOCOBALAMIN_LEBER")
    if found is None:
        return None
    replace = forecast.plan.selection.regimen.drug != "cyanocobalamin"
    return SafetyRecordFinding(order, "cyanocobalamin_leber", *found, suggest_plan_product=replace)


def _off_plan(forecast: Forecast, order: DraftOrder) -> OrderFinding | None:
    selection = forecast.plan.selection
    if order.drug not in B12_DRUGS:
        return None
    other_drug = order.drug != selection.regimen.drug
    other_route = order.route is not None and order.route != selection.route
    if not (other_drug or other_route):
        return None
    return OffPlan(
        order, f"{order.drug} {order.route or ''}".strip(), f"{selection.regimen.drug} {selection.route}"
    )


def check_orders(forecast: Forecast, orders: Sequence[DraftOrder], pack: Pack) -> list[OrderFinding]:
    """Every check that applies to ``orders``, order by order, in the order the module docstring lists.

    Reference: b12care-local-policy; bnf-hydroxocobalamin; cks-anaemia-b12; fda-cyanocobalamin-inj.
    """
    found: list[OrderFinding] = []
    for order in orders:
        leber = _leber(forecast, order, pack)
        checks = [
            _too_early(forecast, order),
            _folic_acid(forecast, order, orders, pack),
            leber,
            None if leber is not None else _off_plan(forecast, order),
        ]
        found.extend(finding for finding in checks if finding is not None)
    return found
