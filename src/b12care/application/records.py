"""The treatment record's stored rows as plain frozen dataclasses (no SQL, no ORM).

Repositories (``b12care.application.ports``) take and return these. Identifiers are UUID4 strings made in
Python (:func:`new_id`); every timestamp is passed in by the caller from its clock and must be
timezone-aware. Nothing is ever deleted: a wrong entry carries an :class:`EnteredInError` mark.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from b12care.domain.forecast import ForecastStatus
from b12care.domain.history import SYMPTOMS, Overall, ReviewDecision
from b12care.domain.plan import Plan
from b12care.domain.vocabulary import Drug, Route, Test, codes_of

__all__ = [
    "DOSE_SOURCES",
    "DOSE_STATUSES",
    "FORECAST_STATUSES",
    "OVERALL_CHANGES",
    "REVIEW_DECISIONS",
    "SEXES",
    "SYMPTOMS",
    "AuditDetail",
    "AuditEntry",
    "ClinicRecord",
    "DoseRecord",
    "DoseSource",
    "DoseStatus",
    "EnteredInError",
    "LabRecord",
    "OverallChange",
    "PatientRecord",
    "PlanVersionRecord",
    "RecallEntry",
    "RecallSegment",
    "ReviewDecisionCode",
    "ReviewRecord",
    "Sex",
    "StoredForecast",
    "SymptomCheckRecord",
    "new_id",
    "new_plan_version",
]

DoseSource = Literal["clinic", "self", "caregiver"]
DoseStatus = Literal["completed", "not_done"]
Sex = Literal["female", "male", "other", "unknown"]
OverallChange = Overall  # the engine's vocabularies, under the names the records use
ReviewDecisionCode = ReviewDecision
DOSE_SOURCES: tuple[str, ...] = codes_of(DoseSource)
DOSE_STATUSES: tuple[str, ...] = codes_of(DoseStatus)
SEXES: tuple[str, ...] = codes_of(Sex)
# The engine's vocabularies, so what is stored is what the domain evaluates.
OVERALL_CHANGES: tuple[str, ...] = codes_of(Overall)
REVIEW_DECISIONS: tuple[str, ...] = codes_of(ReviewDecision)
FORECAST_STATUSES: tuple[str, ...] = codes_of(ForecastStatus)
MAX_SYMPTOM_SCORE = 3

AuditDetail = Mapping[str, str | int | bool | None]


def new_id() -> str:
    """A fresh record identifier: a random UUID4 as its 36-character string."""
    return str(uuid.uuid4())


def _require_aware(name: str, value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (pass the clock's time), got {value!r}")


@dataclass(frozen=True, slots=True)
class EnteredInError:
    """Who marked an entry as entered-in-error, when and why (the entry itself is kept)."""

    at: dt.datetime
    by: str
    reason: str

    def __post_init__(self) -> None:
        _require_aware("entered_in_error.at", self.at)
        if not self.by.strip() or not self.reason.strip():
            raise ValueError("entered-in-error needs who (by) and why (reason)")


@dataclass(frozen=True, slots=True)
class ClinicRecord:
    """A clinic: every patient belongs to exactly one."""

    id: str
    name: str
    created_at: dt.datetime
    created_by: str

    def __post_init__(self) -> None:
        _require_aware("created_at", self.created_at)


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """A patient of one clinic; ``reference`` is the clinic's own identifier (e.g. hospital number)."""

    id: str
    clinic_id: str
    reference: str
    name: str
    birth_date: dt.date
    sex: Sex
    created_at: dt.datetime
    created_by: str
    entered_in_error: EnteredInError | None = None

    def __post_init__(self) -> None:
        _require_aware("created_at", self.created_at)
        if self.sex not in SEXES:
            raise ValueError(f"sex: {self.sex!r} is not one of {', '.join(SEXES)}")


@dataclass(frozen=True, slots=True)
class PlanVersionRecord:
    """One version of a patient's plan: the case it was built from and the review that caused it.

    ``case_json`` is the case file as JSON text (the README's contract); ``version`` counts from 1 per
    patient; ``review_id`` is None for the first plan. ``interval_reason`` is the clinician's reason for a
    ``maintenance_interval`` outside the regimen's licensed range (an off-licence choice), else None.
    """

    id: str
    patient_id: str
    version: int
    case_json: str
    pack_id: str
    pack_version: str
    maintenance_interval: str | None
    review_id: str | None
    created_by: str
    created_at: dt.datetime
    entered_in_error: EnteredInError | None = None
    interval_reason: str | None = None

    def __post_init__(self) -> None:
        _require_aware("created_at", self.created_at)
        if self.version < 1:
            raise ValueError(f"version: {self.version} (plan versions count from 1)")


def new_plan_version(
    patient_id: str,
    version: int,
    case_json: str,
    plan: Plan,
    *,
    maintenance_interval: str | None,
    actor: str,
    at: dt.datetime,
    interval_reason: str | None = None,
) -> PlanVersionRecord:
    """Plan version ``version`` (a new id, no review) of ``case_json``, planned as ``plan`` with its pack;
    ``interval_reason`` is the clinician's reason for an interval outside the licence."""
    return PlanVersionRecord(
        new_id(),
        patient_id,
        version,
        case_json,
        plan.pack_id,
        plan.pack_version,
        maintenance_interval,
        None,
        actor,
        at,
        interval_reason=interval_reason or None,
    )


@dataclass(frozen=True, slots=True)
class DoseRecord:
    """An administered (or not done) dose as recorded.

    A completed dose names drug, dose and route; a not-done dose names its reason. Recording a dose
    again with the same ``idempotency_key`` for the same patient returns the stored one.
    """

    id: str
    patient_id: str
    date: dt.date
    drug: Drug | None
    product: str | None
    dose: Decimal | None
    dose_unit: str | None
    route: Route | None
    site: str | None
    lot: str | None
    given_by: str | None
    source: DoseSource
    status: DoseStatus
    not_done_reason: str | None
    idempotency_key: str | None
    recorded_by: str
    recorded_at: dt.datetime
    entered_in_error: EnteredInError | None = None

    def __post_init__(self) -> None:
        _require_aware("recorded_at", self.recorded_at)
        if self.source not in DOSE_SOURCES:
            raise ValueError(f"source: {self.source!r} is not one of {', '.join(DOSE_SOURCES)}")
        if self.status not in DOSE_STATUSES:
            raise ValueError(f"status: {self.status!r} is not one of {', '.join(DOSE_STATUSES)}")
        if self.status == "completed" and None in (self.drug, self.dose, self.dose_unit, self.route):
            raise ValueError("a completed dose needs drug, dose, dose_unit and route")
        if self.status == "not_done" and not self.not_done_reason:
            raise ValueError("a dose that was not done needs not_done_reason")
        if (self.dose is None) != (self.dose_unit is None):
            raise ValueError("dose and dose_unit go together")
        if self.dose is not None and not self.dose.is_finite():
            raise ValueError(f"dose: {self.dose} is not a finite number")


@dataclass(frozen=True, slots=True)
class LabRecord:
    """A laboratory result in the unit the lab reported (units as in the engine's packs).

    ``idempotency_key`` names an imported result at its source (``fhir:<source>|Observation/<id>``): a
    patient holds one result per key. Results typed in by staff have none.
    """

    id: str
    patient_id: str
    test: Test
    value: Decimal
    unit: str
    date: dt.date
    recorded_by: str
    recorded_at: dt.datetime
    entered_in_error: EnteredInError | None = None
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        _require_aware("recorded_at", self.recorded_at)
        if not self.value.is_finite():
            raise ValueError(f"value: {self.value} is not a finite number")


@dataclass(frozen=True, slots=True)
class SymptomCheckRecord:
    """Symptom scores 0-3 (keys from :data:`SYMPTOMS`; a symptom not asked about is left out)."""

    id: str
    patient_id: str
    date: dt.date
    overall: OverallChange
    recorded_by: str
    recorded_at: dt.datetime
    scores: Mapping[str, int] = field(default_factory=dict)
    entered_in_error: EnteredInError | None = None

    def __post_init__(self) -> None:
        _require_aware("recorded_at", self.recorded_at)
        if self.overall not in OVERALL_CHANGES:
            raise ValueError(f"overall: {self.overall!r} is not one of {', '.join(OVERALL_CHANGES)}")
        for symptom, score in self.scores.items():
            if symptom not in SYMPTOMS:
                raise ValueError(f"scores: unknown symptom {symptom!r} (use {', '.join(SYMPTOMS)})")
            if isinstance(score, bool) or not 0 <= score <= MAX_SYMPTOM_SCORE:
                raise ValueError(f"scores.{symptom}: {score!r} is not a score 0-{MAX_SYMPTOM_SCORE}")


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """A clinician's review and its decision; ``new_interval`` (e.g. ``2m``) when the interval changes."""

    id: str
    patient_id: str
    date: dt.date
    decision: ReviewDecisionCode
    note: str
    reviewed_by: str
    recorded_at: dt.datetime
    new_interval: str | None = None
    entered_in_error: EnteredInError | None = None

    def __post_init__(self) -> None:
        _require_aware("recorded_at", self.recorded_at)
        if self.decision not in REVIEW_DECISIONS:
            raise ValueError(f"decision: {self.decision!r} is not one of {', '.join(REVIEW_DECISIONS)}")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One write to the record: who, when, what. ``detail`` holds ids and codes, never patient names."""

    id: str
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: AuditDetail = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_aware("at", self.at)


@dataclass(frozen=True, slots=True)
class StoredForecast:
    """A patient's current forecast, kept beside the record so the recall list is an index query.

    Fields are the domain Forecast's (``b12care.domain.forecast``): ``earliest``/``due``/``overdue``
    follow docs/date-policy.md (overdue is the first overdue day) and are None when there is no next
    dose; ``flags`` are flag codes. The store derives the recall urgency from status and flags.
    """

    patient_id: str
    clinic_id: str
    status: ForecastStatus
    earliest: dt.date | None
    due: dt.date | None
    overdue: dt.date | None
    flags: tuple[str, ...]
    as_of: dt.date
    pack_id: str
    pack_version: str
    timeline: tuple[RecallSegment, ...] = ()
    """The spans of days, from ``as_of`` on, in which the patient is on the recall list (if nothing new
    is recorded): the recall list of any date reads them."""

    def __post_init__(self) -> None:
        if self.status not in FORECAST_STATUSES:
            raise ValueError(f"status: {self.status!r} is not one of {', '.join(FORECAST_STATUSES)}")


@dataclass(frozen=True, slots=True)
class RecallSegment:
    """From ``valid_from`` up to (not including) ``valid_to`` the patient's forecast is this one.

    The first segment of a stored timeline starts at ``dt.date.min`` (the forecast stored at a write
    also answers for earlier dates) and the last ends at ``dt.date.max``.
    """

    valid_from: dt.date
    valid_to: dt.date
    status: ForecastStatus
    earliest: dt.date | None
    due: dt.date | None
    overdue: dt.date | None
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RecallEntry:
    """One line of the recall list: the patient and their forecast on the list's date."""

    patient_id: str
    clinic_id: str
    reference: str
    name: str
    status: ForecastStatus
    urgency: int
    earliest: dt.date | None
    due: dt.date | None
    overdue: dt.date | None
    flags: tuple[str, ...]
    pack_id: str
    pack_version: str
