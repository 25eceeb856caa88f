"""Response models of the plan and forecast JSON (``plan_json.plan_to_dict``,
``forecasting.forecast_to_dict``: the contract the CLI prints too).

That contract adds names and never renames them, so the two top-level models allow members they do not
name yet (``extra="allow"``: served after the named ones); every nested object is typed. Dates are ISO
strings and amounts exact decimal strings, as the builders write them (see ``responses.py``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

__all__ = ["ConflictOut", "ForecastOut", "PlanOut"]

_Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


class _Out(BaseModel):
    model_config = ConfigDict(strict=True)


class QuantityOut(_Out):
    """An amount and its unit: ``{"value": "1", "unit": "mg"}`` (the value exact text, never a float)."""

    value: str
    unit: str


class QuantityRangeOut(_Out):
    """The least and the most of an amount."""

    min: QuantityOut
    max: QuantityOut


class OverlayOut(_Out):
    """The site or lab overlay applied on the pack, and the records it replaced."""

    id: str
    version: str
    records: list[str]


class PlanPackOut(_Out):
    """The knowledge pack the plan was made with, its content hash and overlay."""

    id: str
    version: str
    content_hash: str
    overlay: OverlayOut | None


class GeneratedByOut(_Out):
    """The program that made the plan."""

    name: str
    version: str


class FindingOut(_Out):
    """One laboratory result as the plan reads it."""

    test: str
    date: _Day
    value: QuantityOut
    converted: QuantityOut | None
    band: str
    used_for_diagnosis: bool
    message: str
    rule_id: str | None
    citations: list[str]
    verification: str | None


class NextTestOut(_Out):
    """Tests the pack advises next."""

    tests: list[str]
    message: str
    rule_id: str
    citations: list[str]
    verification: str


class InterpretationOut(_Out):
    """The B12 status the results give, each result's reading and the tests advised next."""

    b12_status: str
    findings: list[FindingOut]
    next_tests: list[NextTestOut]


class RegimenOut(_Out):
    """The regimen chosen for the case."""

    id: str
    drug: str
    form: str
    route: str
    dose: QuantityOut
    dose_range: QuantityRangeOut | None
    summary: str
    administration: str | None
    situation: str
    citations: list[str]
    verification: str


class IntervalOut(_Out):
    """A whole number of days, weeks or calendar months."""

    value: int
    unit: str


class IntervalRangeOut(_Out):
    """The shortest and the longest interval allowed."""

    min: IntervalOut | None
    max: IntervalOut | None


class PlannedDoseOut(_Out):
    """One dated dose of a phase."""

    date: _Day
    dose: QuantityOut
    route: str


class PhaseOut(_Out):
    """A phase of the plan with its dated doses."""

    kind: str
    end: str
    doses: list[PlannedDoseOut]
    interval: IntervalOut | None
    interval_range: IntervalRangeOut | None
    times_per_week: int | None
    provisional: bool
    review_checkpoint: _Day | None
    source_wording: str
    condition: str | None


class MilestoneOut(_Out):
    """A dated check: a lab test, a symptom review or a clinical review."""

    date: _Day
    due_by: _Day | None
    kind: str
    what: str
    rule_id: str
    citations: list[str]
    verification: str


class WarningOut(_Out):
    """A safety warning of the plan."""

    code: str
    severity: str
    message: str
    rule_id: str
    citations: list[str]
    verification: str
    blocks_plan: bool


class ConflictOut(_Out):
    """What another source says about the same decision."""

    citations: list[str]
    says: str


class ReasonOut(_Out):
    """One decision of the plan and the record it rests on."""

    decision: str
    because: str
    rule_id: str
    citations: list[str]
    verification: str
    origin: str
    conflicts: list[ConflictOut]


class AlternativeOut(_Out):
    """Another regimen the pack allows for the case."""

    id: str
    summary: str
    citations: list[str]
    verification: str


class PlanCitationOut(_Out):
    """A source the plan cites (keyed by its id)."""

    title: str
    publisher: str
    year: int
    url: str


class PlanOut(_Out):
    """The plan: pack, interpretation of the labs, regimen, dated phases, milestones, warnings and the
    reasons for each decision with their sources (``b12care plan --format json``)."""

    model_config = ConfigDict(strict=True, extra="allow")

    pack: PlanPackOut
    generated_by: GeneratedByOut
    start_date: _Day
    blocked_by: list[str]
    interpretation: InterpretationOut
    regimen: RegimenOut
    lifelong: bool
    phases: list[PhaseOut]
    milestones: list[MilestoneOut]
    warnings: list[WarningOut]
    rationale: list[ReasonOut]
    alternatives: list[AlternativeOut]
    citations: dict[str, PlanCitationOut]


class NextDoseOut(_Out):
    """The next dose's earliest, due and overdue dates (docs/date-policy.md); null with no next dose."""

    earliest: _Day | None
    due: _Day | None
    overdue: _Day | None


class EvaluationOut(_Out):
    """How one recorded dose counted."""

    date: _Day
    status: str
    phase: str
    reason: str


class FlagOut(_Out):
    """A forecast flag: a reason to look at the patient."""

    code: str
    severity: str
    message: str
    rule_id: str
    citations: list[str]
    verification: str


class ForecastOut(_Out):
    """The forecast on ``as_of``: status, next dose, evaluated doses, flags and the plan
    (``b12care forecast PATIENT --format json``)."""

    model_config = ConfigDict(strict=True, extra="allow")

    pack: PlanPackOut
    as_of: _Day
    status: str
    phase: str | None
    next_dose: NextDoseOut
    evaluations: list[EvaluationOut]
    flags: list[FlagOut]
    plan: PlanOut = Field(description="The plan the forecast follows.")
