"""Response models of the API: the OpenAPI schema of every JSON answer (issue 13, "Presentation").

The routes still build their bodies as they did (``views.py``, ``plan_json.plan_to_dict``,
``forecasting.forecast_to_dict``, the FHIR import report); these models declare them, field for field
in the order the builders write them, so FastAPI's validation gives back the same bytes:

- dates and times stay the ISO strings the builders wrote (:data:`Day`, :data:`Moment`: a ``datetime``
  field would rewrite ``+00:00`` as ``Z``), Decimals the exact strings (:data:`DecimalText`);
- ``strict`` validation: a value of another type is an error, never converted (``"3"`` is not ``3``);
- every field is written by its builder (``null`` where it has no value), so nothing is added or left
  out; the CDS Hooks cards, whose optional members are absent rather than ``null``, are served with
  ``response_model_exclude_unset`` (``responses_exchange.py``).

``tests/api/test_response_shapes.py`` holds the bodies recorded before these models and checks each
model gives its body back byte for byte. Plans and forecasts are in ``responses_plan.py``; FHIR, CDS
Hooks and the import report in ``responses_exchange.py``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from b12care.entrypoints.api.responses_plan import ConflictOut, ForecastOut, PlanOut

__all__ = [
    "CitationOut",
    "ClinicOut",
    "Day",
    "DecimalText",
    "DoseOut",
    "EnteredInErrorOut",
    "EntryMarkedOut",
    "ExplanationOut",
    "HistoryOut",
    "LabOut",
    "MeOut",
    "Moment",
    "Out",
    "PackOut",
    "PatientOut",
    "PatientPageOut",
    "PatientShownOut",
    "PlanVersionOut",
    "RecallItemOut",
    "RecallOut",
    "ReviewOut",
    "ShareLinkOut",
    "SymptomCheckOut",
    "TokenOut",
    "UserOut",
]

Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
"""A calendar date, ISO 8601 (``2026-01-05``)."""
Moment = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
"""A timezone-aware time, ISO 8601 (``2026-01-05T09:30:00+00:00``)."""
DecimalText = Annotated[
    str, WithJsonSchema({"type": "string", "description": "A decimal number as exact text (never a float)."})
]


class Out(BaseModel):
    """A response body: strict (no conversions), members in the order the body is written."""

    model_config = ConfigDict(strict=True)


class TokenOut(Out):
    """A bearer token (OAuth2 password flow)."""

    access_token: str
    token_type: str = Field(description="Always ``bearer``.")
    expires_in: int = Field(description="Seconds the token is valid for.")


class MembershipOut(Out):
    """A user's role in one clinic."""

    clinic_id: str
    role: str


class MeOut(Out):
    """The user of the token."""

    username: str
    clinic_ids: list[str]
    memberships: list[MembershipOut]


class UserOut(Out):
    """A user without the password hash (only the memberships of clinics the admin administers)."""

    id: str
    username: str
    memberships: list[MembershipOut]
    clinic_ids: list[str]
    disabled: bool
    created_at: Moment
    created_by: str


class ClinicOut(Out):
    """A clinic."""

    id: str
    name: str
    created_at: Moment
    created_by: str


class EnteredInErrorOut(Out):
    """Who marked an entry entered-in-error, when and why."""

    at: Moment
    by: str
    reason: str


class PatientOut(Out):
    """A patient (name and reference: only for users of the patient's clinic)."""

    id: str
    clinic_id: str
    reference: str
    name: str
    birth_date: Day
    sex: str
    created_at: Moment
    created_by: str
    entered_in_error: EnteredInErrorOut | None


class PlanVersionOut(Out):
    """A plan version (its case text left out: the plan is served from it)."""

    id: str
    patient_id: str
    version: int
    pack_id: str
    pack_version: str
    maintenance_interval: str | None
    review_id: str | None
    created_by: str
    created_at: Moment
    entered_in_error: EnteredInErrorOut | None
    interval_reason: str | None


class DoseOut(Out):
    """A dose as recorded (a not-done dose names its reason)."""

    id: str
    patient_id: str
    date: Day
    drug: str | None
    product: str | None
    dose: DecimalText | None
    dose_unit: str | None
    route: str | None
    site: str | None
    lot: str | None
    given_by: str | None
    source: str
    status: str
    not_done_reason: str | None
    idempotency_key: str | None
    recorded_by: str
    recorded_at: Moment
    entered_in_error: EnteredInErrorOut | None


class LabOut(Out):
    """A laboratory result in the unit the lab reported."""

    id: str
    patient_id: str
    test: str
    value: DecimalText
    unit: str
    date: Day
    recorded_by: str
    recorded_at: Moment
    entered_in_error: EnteredInErrorOut | None
    idempotency_key: str | None


class SymptomCheckOut(Out):
    """A symptom check: scores 0-3 by symptom, and the overall direction."""

    id: str
    patient_id: str
    date: Day
    overall: str
    recorded_by: str
    recorded_at: Moment
    scores: dict[str, int]
    entered_in_error: EnteredInErrorOut | None


class ReviewOut(Out):
    """A clinical review and its decision."""

    id: str
    patient_id: str
    date: Day
    decision: str
    note: str
    reviewed_by: str
    recorded_at: Moment
    new_interval: str | None
    entered_in_error: EnteredInErrorOut | None


class EntryMarkedOut(Out):
    """The entry marked entered-in-error, and its patient."""

    kind: str
    entry_id: str
    patient_id: str


class PatientPageOut(Out):
    """A page of patients; ``total`` counts them all."""

    items: list[PatientOut]
    total: int
    limit: int
    offset: int


class PatientShownOut(Out):
    """The patient, the plan version in force, its plan and the forecast."""

    patient: PatientOut
    plan_version: PlanVersionOut
    plan: PlanOut
    forecast: ForecastOut


class HistoryOut(Out):
    """Every stored entry of a patient, oldest first."""

    patient_id: str
    plan_versions: list[PlanVersionOut]
    doses: list[DoseOut]
    labs: list[LabOut]
    symptom_checks: list[SymptomCheckOut]
    reviews: list[ReviewOut]


class ShareLinkOut(Out):
    """A signed, expiring, read-only link to the patient's own schedule."""

    token: str
    url: str
    calendar_url: str
    expires: Moment


class RecallItemOut(Out):
    """One line of the recall list (``b12care recall --format json``)."""

    patient_id: str
    clinic_id: str
    reference: str
    name: str
    status: str
    urgency: int
    earliest: Day | None
    due: Day | None
    overdue: Day | None
    flags: list[str]
    pack_id: str
    pack_version: str


class RecallOut(Out):
    """The recall list on ``as_of``, most urgent first."""

    as_of: Day
    items: list[RecallItemOut]
    limit: int
    offset: int


class PackOut(Out):
    """A knowledge pack's newest version (``b12care packs``)."""

    id: str
    version: str
    title: str
    jurisdiction: str
    default: bool
    records_by_grade: dict[str, int]


class CitationOut(Out):
    """The full reference of a source."""

    id: str
    title: str
    publisher: str
    year: int
    url: str


class PackRefOut(Out):
    """A pack and its version."""

    id: str
    version: str


class DatedValueOut(Out):
    """A record's value from an effective date on."""

    from_: Day = Field(alias="from")
    value: str


class ExplanationOut(Out):
    """A rule or record as one pack defines it, its values by effective date and its sources."""

    pack: PackRefOut
    id: str
    kind: str
    description: str
    unit: str | None
    verification: str
    origin: str
    values: list[DatedValueOut]
    notes: str
    conflicts: list[ConflictOut]
    citations: list[CitationOut]
