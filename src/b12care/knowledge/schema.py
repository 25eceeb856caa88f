"""The file format of packs and overlays, validated at the boundary (pydantic), then frozen into domain types.

Grammar of a record (YAML)::

    - id: labs.total_b12.bands          # stable dotted id, unique in the pack
      kind: bands                       # one of KINDS
      description: ...
      unit: ng/L                        # a unit of units.yaml, or null
      citations: [nice-ng239]           # ids of citations.yaml (or of the overlay's citations)
      verification: secondary           # publisher | copy | secondary | lab_reference | derived |
                                        # local_policy | unconfirmed
      conflicts: [{citations: [bsh-2014], says: "..."}]   # other sources, shown beside the choice
      values:                           # effective date -> value of the kind
        2024-03-06: {direction: low, lower: 180, upper: 350}
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from b12care.domain.vocabulary import Drug, PhaseKind, Route, Severity, Verification

__all__ = [
    "KINDS",
    "CitationFile",
    "ManifestFile",
    "OverlayFile",
    "RecordFile",
    "RecordsFile",
]

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+$")]
IntervalText = Annotated[str, StringConstraints(pattern=r"^\d{1,3}[dwm]$")]
# ``_base@1.0.0``: a base pack (its folder name starts with ``_``) at an exact version, never a path.
BaseRef = Annotated[str, StringConstraints(pattern=r"^_[a-z0-9][a-z0-9-]*@\d+(\.\d+)*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CitationModel(_Strict):
    id: str
    title: str
    publisher: str
    year: int
    url: str


class CitationFile(_Strict):
    citations: list[CitationModel]


class ConflictModel(_Strict):
    citations: list[str]
    says: str


class QuantityModel(_Strict):
    value: Decimal = Field(gt=0)
    unit: str


class FactorFromMolarMass(_Strict):
    per_molar_mass: str
    scale: Decimal


class UnitGroupModel(_Strict):
    canonical: str
    factors: dict[str, Decimal | FactorFromMolarMass]


class AnalyteUnitsModel(_Strict):
    groups: list[UnitGroupModel] = Field(min_length=1)


class BandsModel(_Strict):
    direction: Literal["low", "high"]
    lower: Decimal = Field(ge=0)
    upper: Decimal = Field(ge=0)
    boundaries_verified: bool = True


class PhaseModel(_Strict):
    kind: PhaseKind
    until: Literal["fixed", "on_no_further_improvement", "cause"]
    interval: IntervalText | None = None
    times_per_week: int | None = Field(default=None, ge=1, le=7)
    count: int | None = Field(default=None, ge=1)
    duration: IntervalText | None = None
    dose: QuantityModel | None = None
    interval_range: tuple[IntervalText, IntervalText] | None = None
    source_wording: str = ""
    condition: str = ""


class RegimenModel(_Strict):
    drug: Drug
    form: Literal["injection", "oral"]
    routes: list[Route] = Field(min_length=1)
    dose: QuantityModel
    dose_range: tuple[QuantityModel, QuantityModel] | None = None
    phases: list[PhaseModel] = Field(min_length=1)
    use_for: list[str] = []
    alternative_for: list[str] = []
    summary: str
    administration: str = ""


class MilestoneModel(_Strict):
    kind: Literal["lab", "symptom_review", "review"]
    what: str
    anchor: Literal["start", "loading_end", "maintenance_start", "first_review"]
    offset: IntervalText
    window: IntervalText | None = None
    when: list[str] = []


class WarningModel(_Strict):
    severity: Severity
    message: str
    blocks_plan: bool = False


class NextTestModel(_Strict):
    tests: list[str] = Field(min_length=1)
    message: str


class WeeklyPatternModel(_Strict):
    times_per_week: int = Field(ge=1, le=7)
    day_offsets: list[int]


class RuleModel(_Strict):
    statement: str


class CodesModel(_Strict):
    codes: list[str]


KINDS: dict[str, type[BaseModel] | None] = {
    "quantity": None,
    "interval": None,
    "analyte_units": AnalyteUnitsModel,
    "bands": BandsModel,
    "regimen": RegimenModel,
    "milestone": MilestoneModel,
    "warning": WarningModel,
    "next_test": NextTestModel,
    "weekly_pattern": WeeklyPatternModel,
    "rule": RuleModel,
    "codes": CodesModel,
}


class RecordFile(_Strict):
    id: RuleId
    kind: Literal[
        "quantity",
        "interval",
        "analyte_units",
        "bands",
        "regimen",
        "milestone",
        "warning",
        "next_test",
        "weekly_pattern",
        "rule",
        "codes",
    ]
    description: str = Field(min_length=1)
    unit: str | None = None
    citations: list[str] = Field(min_length=1)
    verification: Verification
    conflicts: list[ConflictModel] = []
    notes: str = ""
    values: dict[dt.date, Any] = Field(min_length=1)


class RecordsFile(_Strict):
    records: list[RecordFile]


class ManifestFile(_Strict):
    id: str
    version: str
    title: str
    jurisdiction: str
    default: bool = False
    extends: BaseRef | None = None  # the base pack whose records this pack adds to or overrides
    base_hash: Annotated[str, BeforeValidator(str)] | None = None  # the base's content_hash, as reviewed
    files: list[str] = Field(min_length=1)
    content_hash: Annotated[str, BeforeValidator(str)]


class OverlayHeader(_Strict):
    id: str
    version: str
    pack: str | None = None
    description: str = ""


class OverlayFile(_Strict):
    overlay: OverlayHeader
    citations: list[CitationModel] = []
    records: list[RecordFile] = Field(min_length=1)
