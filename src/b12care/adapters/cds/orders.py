"""Draft MedicationRequests (``context.draftOrders``) as the small DraftOrder the order checks read.

The drug comes from RxNorm/ATC codes or the drug's name (terminology.yaml, FACTS.md 6); folic acid and
the routes have no code there and are matched by text. A request that names none of them is ``other``.
The date is the first of ``dosageInstruction[0].timing.event``, ``timing.repeat.boundsPeriod.start``,
``dispenseRequest.validityPeriod.start``, ``authoredOn``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from b12care.domain.errors import InputError
from b12care.domain.orders import DraftOrder, OrderDrug
from b12care.domain.quantity import Quantity
from b12care.domain.vocabulary import Route
from b12care.knowledge.terminology import Terminology, load_terminology

__all__ = ["draft_orders"]


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _drug(resource: Mapping[str, Any], terms: Terminology) -> tuple[OrderDrug, str]:
    concept = _dict(resource.get("medicationCodeableConcept"))
    codings = [_dict(c) for c in _list(concept.get("coding"))]
    texts = [str(concept.get("text") or "")] + [str(c.get("display") or "") for c in codings]
    label = next((t for t in texts if t), "")
    for coding in codings:
        hit = terms.drug_for_code(str(coding.get("system") or ""), str(coding.get("code") or ""))
        if hit is not None:
            return hit.drug, label or hit.drug
    for text in texts:
        named = terms.drug_for_text(text)
        if named is not None:
            return named.drug, label
        other = terms.medication_for_text(text) if text else None
        if other is not None and other.medication == "folic_acid":
            return "folic_acid", label
    return "other", label


def _day(value: object, field: str) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise InputError(field, f"{value!r} is not a date") from None


def _date(resource: Mapping[str, Any], field: str) -> dt.date | None:
    dosage = _dict((_list(resource.get("dosageInstruction")) or [{}])[0])
    timing = _dict(dosage.get("timing"))
    events = _list(timing.get("event"))
    candidates = [
        (events[0] if events else None, "dosageInstruction[0].timing.event[0]"),
        (_dict(_dict(timing.get("repeat")).get("boundsPeriod")).get("start"), "timing.repeat.boundsPeriod"),
        (_dict(_dict(resource.get("dispenseRequest")).get("validityPeriod")).get("start"), "dispenseRequest"),
        (resource.get("authoredOn"), "authoredOn"),
    ]
    for value, where in candidates:
        day = _day(value, f"{field}.{where}")
        if day is not None:
            return day
    return None


def _dose(dosage: Mapping[str, Any]) -> Quantity | None:
    rate = _dict((_list(dosage.get("doseAndRate")) or [{}])[0])
    quantity = _dict(rate.get("doseQuantity"))
    value, unit = quantity.get("value"), quantity.get("unit") or quantity.get("code")
    if value is None or not unit:
        return None
    try:
        return Quantity(Decimal(str(value)), str(unit))
    except InvalidOperation:
        return None


def _route(dosage: Mapping[str, Any], terms: Terminology) -> Route | None:
    concept = _dict(dosage.get("route"))
    texts = [str(concept.get("text") or "")]
    for coding in _list(concept.get("coding")):
        texts += [str(_dict(coding).get("display") or ""), str(_dict(coding).get("code") or "")]
    return next((r for t in texts if t and (r := terms.route_for_text(t)) is not None), None)


def _resources(bundle: object) -> list[Mapping[str, Any]]:
    if isinstance(bundle, Mapping) and bundle.get("resourceType") == "Bundle":
        return [_dict(_dict(e).get("resource")) for e in _list(bundle.get("entry"))]
    return []


def draft_orders(bundle: object, selections: Sequence[str] | None = None) -> list[DraftOrder]:
    """The MedicationRequests of a draftOrders Bundle (only ``selections`` when given, e.g. order-select)."""
    terms = load_terminology()
    found: list[DraftOrder] = []
    for index, resource in enumerate(_resources(bundle)):
        if resource.get("resourceType") != "MedicationRequest":
            continue
        rid = str(resource.get("id") or f"draft-{index}")
        if selections and f"MedicationRequest/{rid}" not in selections:
            continue
        field = f"context.draftOrders.entry[{index}].resource"
        drug, label = _drug(resource, terms)
        dosage = _dict((_list(resource.get("dosageInstruction")) or [{}])[0])
        found.append(
            DraftOrder(
                id=rid,
                drug=drug,
                date=_date(resource, field),
                dose=_dose(dosage),
                route=_route(dosage, terms),
                text=label,
                resource=resource,
            )
        )
    return found
