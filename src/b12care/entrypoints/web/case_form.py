"""The assessment form as a case file: form fields named by the case contract's paths, errors back.

Inputs are named as the case file's fields (``patient.birth_date``, ``labs[0].unit``), so an
InputError from the case parser or the planner names the input it belongs to. Empty lab rows are left
out; an error of a later row is mapped back to the row the user typed it in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from b12care.application.case_file import parse_case_json
from b12care.domain.case import Case
from b12care.domain.errors import InputError
from b12care.domain.knowledge import AnalyteUnits
from b12care.domain.vocabulary import Cause, Condition, Drug, Indication, Medication, Route, Test, codes_of
from b12care.knowledge import list_packs, load_pack

__all__ = [
    "CAUSES",
    "CONDITIONS",
    "DRUGS",
    "INDICATIONS",
    "LAB_ROWS",
    "MEDICATIONS",
    "ROUTES",
    "TESTS",
    "AssessmentForm",
    "FormValues",
    "read_assessment",
    "units_by_test",
]

LAB_ROWS = 4
CAUSES = codes_of(Cause)
CONDITIONS = codes_of(Condition)
MEDICATIONS = codes_of(Medication)
INDICATIONS = codes_of(Indication)
TESTS = codes_of(Test)
DRUGS = codes_of(Drug)
ROUTES = codes_of(Route)
SEXES = ("female", "male", "other", "unknown")
DIETS = ("omnivore", "vegetarian", "vegan")
_LAB_FIELD = re.compile(r"^labs\[(\d+)\](.*)$")

FormValues = Mapping[str, Any]
"""The submitted form: each name to its string (or list of strings for multi-valued inputs)."""


@dataclass
class AssessmentForm:
    """What the form holds: the values to show again, the case built from them, the errors by input."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    case_json: str = ""
    case: Case | None = None
    lab_rows: list[int] = field(default_factory=list)

    def fail(self, error: InputError) -> None:
        """Attach an InputError to the input it names (a lab error to the row it was typed in)."""
        name = error.field
        match = _LAB_FIELD.match(name)
        if match and int(match.group(1)) < len(self.lab_rows):
            name = f"labs[{self.lab_rows[int(match.group(1))]}]{match.group(2)}"
        self.errors.setdefault(name, error.message)


def _text(values: FormValues, name: str) -> str:
    value = values.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _many(values: FormValues, name: str, allowed: tuple[str, ...]) -> list[str]:
    chosen = values.get(name, [])
    items = [chosen] if isinstance(chosen, str) else list(chosen)
    return [item for item in items if item in allowed]


def _required(form: AssessmentForm, name: str, label: str) -> str:
    value = _text(form.values, name)
    if not value:
        form.errors[name] = f"{label} is required"
    return value


def read_assessment(values: FormValues, pack_ids: tuple[str, ...]) -> AssessmentForm:
    """Check the form and build its case (``case`` stays None when any input is wrong)."""
    shown: dict[str, Any] = {k: v for k, v in values.items() if k != "csrf"}
    form = AssessmentForm(shown)
    for name, label in (("reference", "Reference"), ("name", "Name"), ("clinic_id", "Clinic")):
        _required(form, name, label)
    pack = _text(values, "pack")
    if pack not in pack_ids:
        form.errors["pack"] = "choose a pack"
    data: dict[str, Any] = {
        "pack": pack,
        "start_date": _required(form, "start_date", "Start date"),
        "patient": {
            "birth_date": _required(form, "patient.birth_date", "Birth date"),
            "sex": _text(values, "patient.sex"),
            "pregnant": bool(_text(values, "patient.pregnant")),
            "breastfeeding": bool(_text(values, "patient.breastfeeding")),
        },
        "cause": _text(values, "cause"),
        "indication": _text(values, "indication") or "treatment",
        "neurological_symptoms": bool(_text(values, "neurological_symptoms")),
        "conditions": _many(values, "conditions", CONDITIONS),
        "medications": _many(values, "medications", MEDICATIONS),
        "labs": [],
    }
    if diet := _text(values, "patient.diet"):
        data["patient"]["diet"] = diet
    if _text(values, "anaemic"):
        data["anaemic"] = True
    for name in ("formulation", "route_preference"):
        if chosen := _text(values, name):
            data[name] = chosen
    for row in range(LAB_ROWS):
        value = _text(values, f"labs[{row}].value")
        if not value:
            continue
        try:
            number = Decimal(value)
        except InvalidOperation:
            form.errors[f"labs[{row}].value"] = f"{value!r} is not a number"
            continue
        form.lab_rows.append(row)
        data["labs"].append(
            {
                "test": _text(values, f"labs[{row}].test"),
                "value": str(number),
                "unit": _text(values, f"labs[{row}].unit"),
                "date": _text(values, f"labs[{row}].date") or data["start_date"],
            }
        )
    if form.errors:
        return form
    text = json.dumps(data)
    try:
        form.case = parse_case_json(text)
    except InputError as error:
        form.fail(error)
        return form
    form.case_json = text
    return form


def units_by_test() -> dict[str, list[str]]:
    """Every unit any pack accepts, per test (the unit picker; the pack in use checks the choice)."""
    found: dict[str, list[str]] = {}
    for summary in list_packs():
        pack = load_pack(summary.id)
        for test in TESTS:
            record = pack.find(f"units.{test}", AnalyteUnits)
            if record is None:
                continue
            for unit in record.values[-1][1].units:
                if unit not in found.setdefault(test, []):
                    found[test].append(unit)
    return found
