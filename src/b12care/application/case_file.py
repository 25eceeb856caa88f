"""The case-file contract (JSON) validated at the edge and turned into the domain Case.

Errors become one InputError naming the field (``labs[0].unit``), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError

from b12care.domain.calendar import EARLIEST_DAY, LATEST_DAY, parse_interval
from b12care.domain.case import Case, LabResult, Patient
from b12care.domain.errors import InputError
from b12care.domain.history import AdministeredDose, History, Review, ReviewDecision, Symptom, SymptomCheck
from b12care.domain.quantity import Quantity
from b12care.domain.vocabulary import (
    CAUSE_ALIASES,
    Cause,
    Condition,
    Drug,
    Indication,
    Medication,
    Route,
    Test,
)

__all__ = ["CaseModel", "ForecastCaseModel", "parse_case", "parse_case_json", "parse_forecast_case_json"]

StrictDate = Annotated[dt.date, Strict(), Field(ge=EARLIEST_DAY, le=LATEST_DAY)]  # see calendar.LATEST_DAY
StrictBool = Annotated[bool, Strict()]
MAX_CASE_BYTES = 1_000_000


def _alias_cause(value: Any) -> Any:
    return CAUSE_ALIASES.get(value, value) if isinstance(value, str) else value


class _Edge(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuantityModel(_Edge):
    value: Annotated[Decimal, Field(gt=0, allow_inf_nan=False, max_digits=18)]
    unit: Annotated[str, Field(min_length=1, max_length=32)]


class PatientModel(_Edge):
    birth_date: StrictDate
    sex: Literal["female", "male", "other", "unknown"]
    pregnant: StrictBool = False
    breastfeeding: StrictBool = False
    diet: Literal["vegan", "vegetarian", "omnivore"] | None = None


class LabModel(_Edge):
    test: Test
    value: Annotated[Decimal, Field(ge=0, allow_inf_nan=False, max_digits=18)]
    unit: Annotated[str, Field(min_length=1, max_length=32)]
    date: StrictDate


class CaseModel(_Edge):
    """The plan input: see README "The JSON contract"."""

    pack: str | None = None
    start_date: StrictDate
    patient: PatientModel
    cause: Annotated[Cause, BeforeValidator(_alias_cause)]
    indication: Indication = "treatment"
    neurological_symptoms: StrictBool = False
    conditions: Annotated[list[Condition], Field(max_length=20)] = []
    medications: Annotated[list[Medication], Field(max_length=20)] = []
    labs: Annotated[list[LabModel], Field(max_length=200)] = []
    formulation: Drug | None = None
    route_preference: Route | None = None
    anaemic: StrictBool | None = None
    regimen: str | None = None

    def to_domain(self) -> Case:
        """The frozen domain Case."""
        p = self.patient
        return Case(
            start_date=self.start_date,
            patient=Patient(p.birth_date, p.sex, p.pregnant, p.breastfeeding, p.diet),
            cause=self.cause,
            indication=self.indication,
            neurological_symptoms=self.neurological_symptoms,
            conditions=frozenset(self.conditions),
            medications=frozenset(self.medications),
            labs=tuple(LabResult(lab.test, lab.value, lab.unit, lab.date) for lab in self.labs),
            formulation=self.formulation,
            route_preference=self.route_preference,
            pack=self.pack,
            anaemic=self.anaemic,
            regimen=self.regimen,
        )


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part.startswith(("function-", "literal[")):
            text += f".{part}" if text else part
    return text or "case"


def _first_error(error: ValidationError) -> InputError:
    first = error.errors(include_url=False)[0]
    field = _location(tuple(first["loc"]))
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] == "missing":
        message = "is required"
    elif first["type"] == "json_invalid":
        return InputError("case", f"malformed JSON ({first['ctx'].get('error', message)})")
    elif "input" in first and not isinstance(first["input"], dict | list):
        message = f"{first['input']!r}: {message}"
    return InputError(field, message)


def parse_case_json(text: str | bytes) -> Case:
    """Validate a JSON case file; raise InputError naming the first offending field."""
    if len(text) > MAX_CASE_BYTES:
        raise InputError("case", f"larger than {MAX_CASE_BYTES} bytes")
    if not text.strip():
        raise InputError("case", "empty input: expected a JSON object")
    try:
        return CaseModel.model_validate_json(text).to_domain()
    except ValidationError as error:
        raise _first_error(error) from None


def parse_case(data: dict[str, Any]) -> Case:
    """Validate an already-decoded case (e.g. a scenario file); raise InputError naming the field."""
    return parse_case_json(json.dumps(data, default=str))


class DoseModel(_Edge):
    date: StrictDate
    dose: QuantityModel | None = None
    route: Route | None = None
    drug: Drug | None = None
    status: Literal["completed", "not_done"] = "completed"
    entered_in_error: StrictBool = False


class SymptomCheckModel(_Edge):
    date: StrictDate
    overall: Literal["better", "same", "worse"]
    scores: dict[Symptom, Annotated[int, Field(ge=0, le=3)]] = {}


class ReviewModel(_Edge):
    date: StrictDate
    decision: ReviewDecision
    interval: Annotated[str, Field(pattern=r"^\d{1,3}[dwm]$")] | None = None
    reason: Annotated[str, Field(max_length=2000)] = ""


class HistoryModel(_Edge):
    doses: Annotated[list[DoseModel], Field(max_length=2000)] = []
    labs: Annotated[list[LabModel], Field(max_length=2000)] = []
    symptom_checks: Annotated[list[SymptomCheckModel], Field(max_length=2000)] = []
    reviews: Annotated[list[ReviewModel], Field(max_length=2000)] = []

    def to_domain(self) -> History:
        """The frozen domain History."""
        return History(
            doses=tuple(
                AdministeredDose(
                    d.date,
                    Quantity(d.dose.value, d.dose.unit) if d.dose else None,
                    d.route,
                    d.drug,
                    d.status,
                    d.entered_in_error,
                )
                for d in self.doses
            ),
            labs=tuple(LabResult(lab.test, lab.value, lab.unit, lab.date) for lab in self.labs),
            symptom_checks=tuple(
                SymptomCheck(c.date, c.overall, dict(c.scores)) for c in self.symptom_checks
            ),
            reviews=tuple(
                Review(r.date, r.decision, parse_interval(r.interval) if r.interval else None, r.reason)
                for r in self.reviews
            ),
        )


class ForecastCaseModel(CaseModel):
    """The plan input plus ``history``: the database-free forecast contract."""

    history: HistoryModel = HistoryModel()


def parse_forecast_case_json(text: str | bytes) -> tuple[Case, History]:
    """Validate a forecast case file (case + history); raise InputError naming the first bad field."""
    if len(text) > MAX_CASE_BYTES:
        raise InputError("case", f"larger than {MAX_CASE_BYTES} bytes")
    if not text.strip():
        raise InputError("case", "empty input: expected a JSON object")
    try:
        model = ForecastCaseModel.model_validate_json(text)
    except ValidationError as error:
        raise _first_error(error) from None
    return model.to_domain(), model.history.to_domain()
