"""CDS Hooks cards from a patient's plan and forecast: pure rendering, no HTTP.

``patient_view_cards`` turns a forecast into cards (overdue or lapsed maintenance, each flag that asks
for review, the plan's safety warnings); ``order_cards`` words the findings of ``domain.orders`` on draft
B12 and folic acid orders (a dose before the earliest date, folic acid before B12 has started,
cyanocobalamin with Leber's disease, another product or route than the plan's) as cards with
suggestions: the decisions are the domain's. The wording, severity and citations come
from the plan, the forecast and the knowledge pack; this module adds no clinical number. Every card
names the pack id and version and says when it rests on an ``unconfirmed`` record.

Reference: b12care-local-policy (timing); bnf-hydroxocobalamin, fda-cyanocobalamin-inj, cks-anaemia-b12
(folic acid, Leber's disease, through the pack's safety records).
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from b12care.application.treatment import PatientView
from b12care.domain.forecast import Flag
from b12care.domain.knowledge import Citation, Pack, Record, WarningDef
from b12care.domain.orders import (
    DraftOrder,
    OffPlan,
    OrderFinding,
    SafetyRecordFinding,
    TooEarly,
    check_orders,
)
from b12care.domain.safety import SafetyWarning
from b12care.domain.vocabulary import Severity, Verification

__all__ = [
    "OVERRIDE_REASONS",
    "OVERRIDE_SYSTEM",
    "TOPIC_SYSTEM",
    "Action",
    "Card",
    "Coding",
    "Link",
    "Source",
    "Suggestion",
    "card_to_json",
    "order_cards",
    "patient_view_cards",
]

TOPIC_SYSTEM = "urn:b12care:cds-topic"
OVERRIDE_SYSTEM = "urn:b12care:cds-override-reason"
_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}
# ATC codes of the two B12 products (FACTS.md section 6), used when a suggestion creates an order.
_ATC = {"cyanocobalamin": "B03BA01", "hydroxocobalamin": "B03BA03"}
_ATC_SYSTEM = "http://www.whocc.no/atc"


@dataclass(frozen=True, slots=True)
class Coding:
    """A FHIR Coding as CDS Hooks uses it (topics, override reasons)."""

    system: str
    code: str
    display: str


OVERRIDE_REASONS = (
    Coding(OVERRIDE_SYSTEM, "clinical-judgement", "Clinical judgement: proceed as ordered"),
    Coding(OVERRIDE_SYSTEM, "patient-preference", "Patient preference"),
    Coding(OVERRIDE_SYSTEM, "record-out-of-date", "The b12care record is out of date"),
    Coding(OVERRIDE_SYSTEM, "already-addressed", "Already addressed"),
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a card's advice comes from: pack and citation."""

    label: str
    url: str | None
    topic: Coding


@dataclass(frozen=True, slots=True)
class Link:
    """A link the EHR shows on the card."""

    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"


@dataclass(frozen=True, slots=True)
class Action:
    """One change to the EHR's resources: create, update or delete."""

    type: Literal["create", "update", "delete"]
    description: str
    resource: Mapping[str, Any] | None = None
    resource_id: str | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A set of actions the clinician can accept with one click."""

    label: str
    uuid: str
    actions: tuple[Action, ...]
    is_recommended: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """One CDS Hooks card (2.0)."""

    uuid: str
    summary: str
    indicator: Severity
    source: Source
    detail: str
    links: tuple[Link, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    override_reasons: tuple[Coding, ...] = ()

    @property
    def selection_behavior(self) -> str | None:
        """``at-most-one`` when the card has suggestions (required by the spec then), else None."""
        return "at-most-one" if self.suggestions else None


@dataclass(frozen=True, slots=True)
class _Basis:
    """The pack record a card rests on."""

    rule_id: str
    citations: tuple[str, ...]
    verification: Verification
    origin: str = "pack"


@dataclass(frozen=True)
class _Cards:
    """What every card of one response shares: pack, patient, hook instance."""

    view: PatientView
    pack: Pack
    public_url: str
    hook_instance: str

    def uuid(self, key: str) -> str:
        """A card or suggestion id, stable within one hook call (fixtures and feedback can name it)."""
        name = f"{self.hook_instance}/{self.view.patient.id}/{key}"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))

    def citation(self, ids: Iterable[str]) -> Citation | None:
        return next((self.pack.citations[c] for c in ids if c in self.pack.citations), None)

    def source(self, basis: _Basis, topic: str, topic_display: str) -> Source:
        cited = self.citation(basis.citations)
        label = f"b12care, {self.pack.label}"
        if cited is not None:
            label += f": {cited.publisher} {cited.year}"
        url = cited.url if cited is not None and cited.url.startswith(("http://", "https://")) else None
        return Source(label, url, Coding(TOPIC_SYSTEM, topic, topic_display))

    def detail(self, message: str, basis: _Basis, extra: Sequence[str] = ()) -> str:
        lines = [message, "", *extra]
        if extra:
            lines.append("")
        lines.append(f"Knowledge pack **{self.pack.label}**, rule `{basis.rule_id}` ({basis.verification}).")
        if basis.verification == "unconfirmed":
            lines.append(
                f"**Rests on an unconfirmed record** (`{basis.rule_id}`): no source confirms it; "
                "check it against local policy."
            )
        if basis.origin != "pack":
            lines.append(f"Value from the site overlay `{basis.origin}`.")
        sources = [self.pack.citations[c] for c in basis.citations if c in self.pack.citations]
        if sources:
            lines.append("")
            lines.append("Sources:")
            lines.extend(f"- {_cite(c)}" for c in sources)
        return "\n".join(lines)

    def links(self) -> tuple[Link, ...]:
        url = f"{self.public_url.rstrip('/')}/patients/{self.view.patient.id}"
        return (Link("Open the B12 plan in b12care", url),)

    def card(
        self,
        key: str,
        *,
        summary: str,
        indicator: Severity,
        basis: _Basis,
        topic: tuple[str, str],
        message: str,
        extra: Sequence[str] = (),
        suggestions: tuple[Suggestion, ...] = (),
        overridable: bool = False,
    ) -> Card:
        return Card(
            uuid=self.uuid(key),
            summary=_short(summary),
            indicator=indicator,
            source=self.source(basis, *topic),
            detail=self.detail(message, basis, extra),
            links=self.links(),
            suggestions=suggestions,
            override_reasons=OVERRIDE_REASONS if overridable else (),
        )


def _cite(citation: Citation) -> str:
    text = f"{citation.title} ({citation.publisher}, {citation.year})"
    if citation.url.startswith(("http://", "https://")):
        return f"[{text}]({citation.url})"
    return f"{text}, {citation.url}"


def _short(text: str, limit: int = 139) -> str:
    """The spec asks for a summary under 140 characters: cut at a word and mark the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "..."


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("." if dot else "")


def _regimen_basis(view: PatientView) -> _Basis:
    record = view.forecast.plan.selection.record
    return _Basis(record.id, record.citations, record.verification, record.origin)


def _flag_basis(flag: Flag | SafetyWarning) -> _Basis:
    return _Basis(flag.rule_id, flag.citations, flag.verification, flag.origin)


def _plan_line(view: PatientView) -> str:
    selection = view.forecast.plan.selection
    return f"Plan (version {view.plan_version.version}): {selection.regimen.summary} ({selection.route})."


def _overdue_card(cards: _Cards) -> Card | None:
    forecast = cards.view.forecast
    nxt = forecast.next_dose
    if forecast.status != "overdue" or nxt is None:
        return None
    if any(f.code == "MAINTENANCE_LAPSED" for f in forecast.flags):
        return None  # the lapsed card says more
    phase = nxt.phase
    return cards.card(
        "overdue",
        summary=f"B12 {phase} dose overdue: due {nxt.due}, overdue from {nxt.overdue}",
        indicator="warning",
        basis=_regimen_basis(cards.view),
        topic=("dose-overdue", "B12 dose overdue"),
        message=(
            f"The next {phase} dose was due on {nxt.due.isoformat()} and counts as overdue from "
            f"{nxt.overdue.isoformat()} (forecast on {forecast.as_of.isoformat()})."
        ),
        extra=[_plan_line(cards.view)],
    )


def _flag_card(cards: _Cards, flag: Flag) -> Card:
    return cards.card(
        f"flag/{flag.code}",
        summary=_first_sentence(flag.message),
        indicator=flag.severity,
        basis=_flag_basis(flag),
        topic=("plan-review", "B12 plan needs review"),
        message=flag.message,
        extra=[_plan_line(cards.view), f"Forecast flag `{flag.code}` on {cards.view.forecast.as_of}."],
    )


def _warning_card(cards: _Cards, warning: SafetyWarning) -> Card:
    return cards.card(
        f"warning/{warning.code}",
        summary=_first_sentence(warning.message),
        indicator=warning.severity,
        basis=_flag_basis(warning),
        topic=("safety-warning", "B12 plan safety warning"),
        message=warning.message,
        extra=[_plan_line(cards.view)],
    )


def _sorted(found: Iterable[Card]) -> list[Card]:
    return sorted(found, key=lambda c: _ORDER[c.indicator])


def patient_view_cards(view: PatientView, pack: Pack, *, public_url: str, hook_instance: str) -> list[Card]:
    """The patient-view cards: overdue or lapsed maintenance, each review flag, each safety warning.

    Reference: b12care-local-policy; nice-ng239-summary; nice-ng239 (through the forecast flags).
    """
    cards = _Cards(view, pack, public_url, hook_instance)
    found: list[Card] = []
    overdue = _overdue_card(cards)
    if overdue is not None:
        found.append(overdue)
    found.extend(_flag_card(cards, flag) for flag in view.forecast.flags)
    found.extend(_warning_card(cards, warning) for warning in view.forecast.plan.warnings)
    return _sorted(found)


def _redated(order: DraftOrder, day: dt.date) -> dict[str, Any]:
    resource = copy.deepcopy(dict(order.resource))
    dosage = resource.setdefault("dosageInstruction", [{}])
    if not dosage:
        dosage.append({})
    dosage[0].setdefault("timing", {})["event"] = [day.isoformat()]
    return resource


def _json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number (an integer stays an integer)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _reference(order: DraftOrder) -> str:
    return f"MedicationRequest/{order.id}"


def _plan_order(view: PatientView, order: DraftOrder, day: dt.date | None) -> dict[str, Any]:
    """The draft order rewritten to the plan's product, dose and route (everything else kept)."""
    selection = view.forecast.plan.selection
    regimen = selection.regimen
    resource = copy.deepcopy(dict(order.resource))
    resource.pop("id", None)
    resource["medicationCodeableConcept"] = {
        "coding": [{"system": _ATC_SYSTEM, "code": _ATC[regimen.drug], "display": regimen.drug}],
        "text": regimen.drug,
    }
    dosage: dict[str, Any] = {
        "text": regimen.summary,
        "route": {"text": selection.route},
        "doseAndRate": [
            {"doseQuantity": {"value": _json_number(regimen.dose.value), "unit": regimen.dose.unit}}
        ],
    }
    if day is not None:
        dosage["timing"] = {"event": [day.isoformat()]}
    resource["dosageInstruction"] = [dosage]
    return resource


def _replace_suggestion(cards: _Cards, order: DraftOrder, key: str) -> Suggestion:
    regimen = cards.view.forecast.plan.selection.regimen
    route = cards.view.forecast.plan.selection.route
    return Suggestion(
        label=_short(f"Replace with the plan's {regimen.drug} {regimen.dose} {route}", 80),
        uuid=cards.uuid(f"{key}/replace"),
        actions=(
            Action(
                "delete", f"Remove the draft {order.text or order.drug} order", resource_id=_reference(order)
            ),
            Action(
                "create",
                f"Order {regimen.summary}",
                resource=_plan_order(cards.view, order, order.date),
            ),
        ),
        is_recommended=True,
    )


def _too_early_card(cards: _Cards, finding: TooEarly) -> Card:
    order, nxt = finding.order, finding.next_dose
    key = f"order/{order.id}/too-early"
    suggestions = [
        Suggestion(
            f"Give on {nxt.earliest.isoformat()} (earliest date of the plan)",
            cards.uuid(f"{key}/earliest"),
            (Action("update", f"Date the dose {nxt.earliest.isoformat()}", _redated(order, nxt.earliest)),),
            is_recommended=nxt.earliest == nxt.due,
        )
    ]
    if nxt.due != nxt.earliest:
        suggestions.append(
            Suggestion(
                f"Give on {nxt.due.isoformat()} (due date of the plan)",
                cards.uuid(f"{key}/due"),
                (Action("update", f"Date the dose {nxt.due.isoformat()}", _redated(order, nxt.due)),),
                is_recommended=True,
            )
        )
    return cards.card(
        key,
        summary=f"B12 dose on {finding.date.isoformat()} is too early: the plan's earliest date is "
        f"{nxt.earliest.isoformat()}",
        indicator="warning",
        basis=_regimen_basis(cards.view),
        topic=("order-timing", "B12 order timing"),
        message=(
            f"The draft order dates a {nxt.phase} dose on {finding.date.isoformat()}. From the doses "
            f"recorded, the next one may be given from {nxt.earliest.isoformat()} and is due on "
            f"{nxt.due.isoformat()} (overdue from {nxt.overdue.isoformat()})."
        ),
        extra=[_plan_line(cards.view)],
        suggestions=tuple(suggestions),
        overridable=True,
    )


def _record_basis(record: Record[WarningDef]) -> _Basis:
    return _Basis(record.id, record.citations, record.verification, record.origin)


def _folic_acid_card(cards: _Cards, finding: SafetyRecordFinding) -> Card:
    order, definition, nxt = finding.order, finding.warning, finding.next_dose
    key = f"order/{order.id}/folic-acid"
    suggestions = [
        Suggestion(
            "Remove the folic acid order until B12 has started",
            cards.uuid(f"{key}/remove"),
            (Action("delete", "Remove the draft folic acid order", resource_id=_reference(order)),),
        )
    ]
    if nxt is not None:
        regimen = cards.view.forecast.plan.selection.regimen
        suggestions.insert(
            0,
            Suggestion(
                _short(f"Order the plan's first B12 dose ({regimen.drug}) on {nxt.due.isoformat()}", 80),
                cards.uuid(f"{key}/order-b12"),
                (Action("create", f"Order {regimen.summary}", _plan_order(cards.view, order, nxt.due)),),
                is_recommended=True,
            ),
        )
    return cards.card(
        key,
        summary=f"Folic acid ordered before B12 has started: {definition.message.partition(': ')[2]}",
        indicator=definition.severity,
        basis=_record_basis(finding.record),
        topic=("order-folic-acid", "Folic acid before B12"),
        message=definition.message,
        extra=[
            "No B12 dose is recorded as given and none is in the draft orders.",
            _plan_line(cards.view),
        ],
        suggestions=tuple(suggestions),
        overridable=True,
    )


def _leber_card(cards: _Cards, finding: SafetyRecordFinding) -> Card:
    definition = finding.warning
    key = f"order/{finding.order.id}/leber"
    suggestions = (_replace_suggestion(cards, finding.order, key),) if finding.suggest_plan_product else ()
    return cards.card(
        key,
        summary=_first_sentence(definition.message),
        indicator=definition.severity,
        basis=_record_basis(finding.record),
        topic=("order-leber", "Cyanocobalamin in Leber's disease"),
        message=definition.message,
        extra=["The b12care record lists Leber's optic atrophy.", _plan_line(cards.view)],
        suggestions=suggestions,
        overridable=True,
    )


def _off_plan_card(cards: _Cards, finding: OffPlan) -> Card:
    selection = cards.view.forecast.plan.selection
    key = f"order/{finding.order.id}/off-plan"
    return cards.card(
        key,
        summary=f"Order ({finding.ordered}) differs from the B12 plan ({finding.planned})",
        indicator="warning",
        basis=_regimen_basis(cards.view),
        topic=("order-off-plan", "B12 order differs from the plan"),
        message=(
            f"The draft order is {finding.ordered}; the plan is {selection.regimen.summary} "
            f"({finding.planned}). Change the order, or review the plan in b12care so the record and the "
            "order agree."
        ),
        extra=[_plan_line(cards.view)],
        suggestions=(_replace_suggestion(cards, finding.order, key),),
        overridable=True,
    )


def _order_card(cards: _Cards, finding: OrderFinding) -> Card:
    if isinstance(finding, TooEarly):
        return _too_early_card(cards, finding)
    if isinstance(finding, OffPlan):
        return _off_plan_card(cards, finding)
    if finding.code == "folic_acid_before_b12":
        return _folic_acid_card(cards, finding)
    return _leber_card(cards, finding)


def order_cards(
    view: PatientView,
    orders: Sequence[DraftOrder],
    pack: Pack,
    *,
    public_url: str,
    hook_instance: str,
) -> list[Card]:
    """The order-select / order-sign cards: one per finding of ``domain.orders.check_orders``.

    Reference: b12care-local-policy (earliest date); bnf-hydroxocobalamin; cks-anaemia-b12;
    fda-cyanocobalamin-inj (folic acid and Leber's disease, through the pack's safety records).
    """
    cards = _Cards(view, pack, public_url, hook_instance)
    return _sorted(_order_card(cards, finding) for finding in check_orders(view.forecast, orders, pack))


def _coding_json(coding: Coding) -> dict[str, str]:
    return {"system": coding.system, "code": coding.code, "display": coding.display}


def _action_json(action: Action) -> dict[str, Any]:
    data: dict[str, Any] = {"type": action.type, "description": action.description}
    if action.resource is not None:
        data["resource"] = dict(action.resource)
    if action.resource_id is not None:
        data["resourceId"] = action.resource_id
    return data


def card_to_json(card: Card) -> dict[str, Any]:
    """The card as CDS Hooks 2.0 JSON."""
    source: dict[str, Any] = {"label": card.source.label, "topic": _coding_json(card.source.topic)}
    if card.source.url is not None:
        source["url"] = card.source.url
    data: dict[str, Any] = {
        "uuid": card.uuid,
        "summary": card.summary,
        "indicator": card.indicator,
        "detail": card.detail,
        "source": source,
    }
    if card.suggestions:
        data["suggestions"] = [
            {
                "label": s.label,
                "uuid": s.uuid,
                "isRecommended": s.is_recommended,
                "actions": [_action_json(a) for a in s.actions],
            }
            for s in card.suggestions
        ]
        data["selectionBehavior"] = card.selection_behavior
    if card.override_reasons:
        data["overrideReasons"] = [_coding_json(c) for c in card.override_reasons]
    if card.links:
        data["links"] = [{"label": link.label, "url": link.url, "type": link.type} for link in card.links]
    return data
