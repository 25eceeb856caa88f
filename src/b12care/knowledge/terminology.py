"""The FHIR terminology b12care speaks: LOINC per lab test, RxNorm and ATC per drug, UCUM per unit.

Data, not code: every entry lives in ``terminology.yaml`` (outside the hash-checked packs) and cites
FACTS.md section 6. Things with no code there (folic acid, the routes) are matched by text only.

Reference: FACTS.md 6 (codes seen in sources).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from b12care.domain.errors import KnowledgeError
from b12care.domain.vocabulary import Drug, Medication, Route, Test

__all__ = [
    "DrugCode",
    "ForecastDate",
    "LabCode",
    "RouteText",
    "Systems",
    "Terminology",
    "TextOnlyMedication",
    "UnitCode",
    "load_terminology",
]

_PATH = Path(__file__).with_name("terminology.yaml")
_SOURCE = r"^FACTS\.md 6\b"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Systems(_Strict):
    """Code system URIs."""

    loinc: str
    rxnorm: str
    atc: str
    ucum: str


class LabCode(_Strict):
    """The LOINC code of one lab test; ``confirmed`` is false where only one source gives it."""

    test: Test
    loinc: str
    label: str
    source: str = Field(pattern=_SOURCE)
    confirmed: bool
    note: str | None = None


class DrugCode(_Strict):
    """RxNorm and ATC codes of one B12 drug."""

    drug: Drug
    rxnorm: str
    label: str
    atc: str
    source: str = Field(pattern=_SOURCE)


class TextOnlyMedication(_Strict):
    """A co-medication with no code in FACTS.md: recognised by these texts only."""

    medication: Medication
    texts: tuple[str, ...] = Field(min_length=1)
    source: str = Field(pattern=_SOURCE)


class RouteText(_Strict):
    """A route with no code in FACTS.md: written and recognised as text."""

    route: Route
    texts: tuple[str, ...] = Field(min_length=1)
    source: str = Field(pattern=_SOURCE)


class UnitCode(_Strict):
    """A b12care unit and its UCUM spelling; ``inbound`` false for a second spelling of one UCUM unit."""

    b12care: str
    ucum: str
    source: str = Field(pattern=_SOURCE)
    inbound: bool = True


class ForecastDate(_Strict):
    """The LOINC date-criterion code of one forecast date."""

    kind: str
    loinc: str
    label: str
    source: str = Field(pattern=_SOURCE)


class Terminology(_Strict):
    """The whole ``terminology.yaml``, with look-ups both ways."""

    systems: Systems
    labs: tuple[LabCode, ...]
    drugs: tuple[DrugCode, ...]
    text_only_medications: tuple[TextOnlyMedication, ...]
    routes: tuple[RouteText, ...]
    units: tuple[UnitCode, ...]
    forecast_dates: tuple[ForecastDate, ...]

    def lab_for_loinc(self, code: str) -> LabCode | None:
        """The lab test with this LOINC code, or None."""
        return next((lab for lab in self.labs if lab.loinc == code), None)

    def lab_for_test(self, test: str) -> LabCode | None:
        """The LOINC entry of a b12care test code, or None (e.g. reticulocytes has none in FACTS.md)."""
        return next((lab for lab in self.labs if lab.test == test), None)

    def drug_for_code(self, system: str, code: str) -> DrugCode | None:
        """The drug with this RxNorm or ATC code, or None."""
        for drug in self.drugs:
            if (system == self.systems.rxnorm and code == drug.rxnorm) or (
                system == self.systems.atc and code == drug.atc
            ):
                return drug
        return None

    def drug_for_text(self, text: str) -> DrugCode | None:
        """The drug whose name appears in ``text`` (case-insensitive), or None."""
        lowered = text.lower()
        return next((drug for drug in self.drugs if drug.drug in lowered), None)

    def drug_code(self, drug: str) -> DrugCode:
        """The codes of a b12care drug."""
        return next(entry for entry in self.drugs if entry.drug == drug)

    def medication_for_text(self, text: str) -> TextOnlyMedication | None:
        """The text-only co-medication named in ``text``, or None."""
        lowered = text.lower()
        return next(
            (m for m in self.text_only_medications if any(t.lower() in lowered for t in m.texts)), None
        )

    def route_for_text(self, text: str) -> Route | None:
        """The route named exactly (case-insensitive) by ``text``, or None."""
        lowered = text.strip().lower()
        return next((r.route for r in self.routes if lowered in (t.lower() for t in r.texts)), None)

    def ucum_for(self, unit: str) -> str | None:
        """The UCUM spelling of a b12care unit, or None."""
        return next((u.ucum for u in self.units if u.b12care == unit), None)

    def unit_for_ucum(self, ucum: str) -> str | None:
        """The b12care unit of a UCUM code, or None."""
        return next((u.b12care for u in self.units if u.inbound and u.ucum == ucum), None)

    def forecast_date(self, kind: str) -> ForecastDate | None:
        """The LOINC date-criterion of a forecast date kind (earliest, due, overdue, latest), or None."""
        return next((d for d in self.forecast_dates if d.kind == kind), None)


@lru_cache(maxsize=1)
def load_terminology() -> Terminology:
    """Read and validate ``terminology.yaml`` once."""
    try:
        data: Any = yaml.safe_load(_PATH.read_text(encoding="utf-8"))
        return Terminology.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise KnowledgeError(f"terminology.yaml: {error}") from error
