"""Commands: one frozen dataclass per write use case, validated once, declaring its permission.

A face (API route, web form, CLI command, import) builds a command from what it received; building it
runs every field rule (:mod:`b12care.application.fields`) and raises
:class:`~b12care.domain.errors.InputError` with the field's path, so every face answers the same bad
value with the same field and message. The use case (``application/<capability>.py``) takes the built
command and its ports (:class:`~b12care.application.ports.Deps`) and checks only what needs the stored
record (the patient exists, a stop has something to confirm, units fit the patient's pack).

``permission`` is the action of the permission table (:mod:`b12care.application.permissions`) the
command needs; ``permissions()`` lists every action when that depends on the content (a review that
stops treatment or changes the interval, the correction of a review).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Literal, Protocol

from b12care.application.fields import check_amount, check_code, check_day, check_scores, check_storable
from b12care.application.permissions import Action, correction_actions, review_actions
from b12care.application.records import DoseSource
from b12care.domain.calendar import Interval, parse_interval
from b12care.domain.errors import InputError
from b12care.domain.history import Overall, ReviewDecision
from b12care.domain.vocabulary import Drug, Route, Test, codes_of

__all__ = [
    "ENTRY_KINDS",
    "AddClinic",
    "AddPatient",
    "Command",
    "DoseFields",
    "DoseInput",
    "EntryKind",
    "MarkEnteredInError",
    "NewPlanVersion",
    "RecordDose",
    "RecordLab",
    "RecordReview",
    "RecordSymptoms",
    "check_dose",
]

EntryKind = Literal["dose", "lab", "symptoms", "review"]
ENTRY_KINDS: tuple[str, ...] = codes_of(EntryKind)


class Command:
    """Base of the commands: the permission each declares (``permissions()`` for all it needs)."""

    __slots__ = ()
    permission: ClassVar[Action]

    def permissions(self) -> tuple[Action, ...]:
        """Every action of the permission table this command is (most need only ``permission``)."""
        return (self.permission,)


class DoseFields(Protocol):
    """What :func:`check_dose` reads: a :class:`DoseInput` or a :class:`RecordDose`."""

    @property
    def date(self) -> dt.date: ...
    @property
    def drug(self) -> Drug | None: ...
    @property
    def dose(self) -> Decimal | None: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def route(self) -> Route | None: ...
    @property
    def site(self) -> str | None: ...
    @property
    def lot(self) -> str | None: ...
    @property
    def given_by(self) -> str | None: ...
    @property
    def not_done_reason(self) -> str | None: ...
    @property
    def idempotency_key(self) -> str | None: ...
    @property
    def source(self) -> DoseSource: ...


def check_dose(dose: DoseFields) -> None:
    """Refuse, naming the field, a dose the record cannot hold (every dose, typed or imported, passes
    here: :class:`RecordDose` on building, an import batch per item)."""
    check_day(dose.date, "date")
    check_storable(
        unit=dose.unit,
        site=dose.site,
        lot=dose.lot,
        given_by=dose.given_by,
        not_done_reason=dose.not_done_reason,
        idempotency_key=dose.idempotency_key,
    )
    check_amount("dose", dose.dose)
    check_code("drug", dose.drug, Drug)
    check_code("route", dose.route, Route)
    check_code("source", dose.source, DoseSource)


@dataclass(frozen=True, slots=True)
class DoseInput:
    """A dose as a nurse records it or an import delivers it (not checked until recorded: an import
    reports each refused dose beside the others)."""

    date: dt.date
    drug: Drug | None = None
    dose: Decimal | None = None
    unit: str | None = None
    route: Route | None = None
    site: str | None = None
    lot: str | None = None
    given_by: str | None = None
    source: DoseSource = "clinic"
    not_done_reason: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class AddClinic(Command):
    """Create a clinic."""

    permission: ClassVar[Action] = "add_clinic"
    name: str
    actor: str

    def __post_init__(self) -> None:
        check_storable(name=self.name, actor=self.actor)


@dataclass(frozen=True, slots=True)
class AddPatient(Command):
    """Create a patient of ``clinic_id`` with plan version 1 from a case file (JSON text).

    ``interval_reason`` is the clinician's reason for a ``maintenance_interval`` outside the regimen's
    licensed range (planning refuses such an interval without one). The case itself is checked when it
    is planned (its field paths start with the case file's own: ``patient.birth_date``, ``labs[0].unit``).
    """

    permission: ClassVar[Action] = "create_patient"
    clinic_id: str
    reference: str
    name: str
    case_json: str
    actor: str
    maintenance_interval: str | None = None
    interval_reason: str | None = None

    def __post_init__(self) -> None:
        check_storable(
            reference=self.reference, name=self.name, actor=self.actor, interval_reason=self.interval_reason
        )

    @property
    def reason(self) -> str | None:
        """The interval reason without surrounding blanks; None when there is none."""
        return (self.interval_reason or "").strip() or None


@dataclass(frozen=True, slots=True)
class NewPlanVersion(Command):
    """Plan ``case_json`` (a new case: new labs, a new cause) as the patient's next plan version."""

    permission: ClassVar[Action] = "change_plan"
    patient_id: str
    case_json: str
    actor: str
    maintenance_interval: str | None = None
    interval_reason: str | None = None

    def __post_init__(self) -> None:
        check_storable(interval_reason=self.interval_reason, actor=self.actor)

    @property
    def reason(self) -> str | None:
        """The interval reason without surrounding blanks; None when there is none."""
        return (self.interval_reason or "").strip() or None


@dataclass(frozen=True, slots=True)
class RecordDose(Command):
    """Record a dose given (drug, dose, unit, route) or not done (``not_done_reason``); a repeated
    ``idempotency_key`` stores one dose."""

    permission: ClassVar[Action] = "record_dose"
    patient_id: str
    date: dt.date
    actor: str
    drug: Drug | None = None
    dose: Decimal | None = None
    unit: str | None = None
    route: Route | None = None
    site: str | None = None
    lot: str | None = None
    given_by: str | None = None
    source: DoseSource = "clinic"
    not_done_reason: str | None = None
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        check_dose(self)
        check_storable(actor=self.actor)

    @classmethod
    def of(cls, patient_id: str, dose: DoseInput, actor: str) -> RecordDose:
        """The command recording ``dose`` (a face's or an import's input) for the patient."""
        return cls(
            patient_id,
            dose.date,
            actor,
            dose.drug,
            dose.dose,
            dose.unit,
            dose.route,
            dose.site,
            dose.lot,
            dose.given_by,
            dose.source,
            dose.not_done_reason,
            dose.idempotency_key,
        )


@dataclass(frozen=True, slots=True)
class RecordLab(Command):
    """Record a laboratory result in the unit the lab reported (checked against the patient's pack)."""

    permission: ClassVar[Action] = "record_lab"
    patient_id: str
    test: Test
    value: Decimal
    unit: str
    date: dt.date
    actor: str

    def __post_init__(self) -> None:
        check_day(self.date, "date")
        check_storable(unit=self.unit)
        check_amount("value", self.value)
        check_code("test", self.test, Test)
        check_storable(actor=self.actor)


@dataclass(frozen=True, slots=True)
class RecordSymptoms(Command):
    """Record a symptom check: scores 0-3 per symptom asked about and the overall direction."""

    permission: ClassVar[Action] = "record_symptoms"
    patient_id: str
    date: dt.date
    overall: Overall
    actor: str
    scores: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_day(self.date, "date")
        check_storable(actor=self.actor)
        check_code("overall", self.overall, Overall)
        check_scores("scores", self.scores)


@dataclass(frozen=True, slots=True)
class RecordReview(Command):
    """Record a clinical review; ``new_interval`` (``2m``) with an interval decision is a new plan
    version. Overrides need the reason in ``note`` (checked against the plan by the use case)."""

    permission: ClassVar[Action] = "record_review"
    patient_id: str
    date: dt.date
    decision: ReviewDecision
    actor: str
    note: str = ""
    new_interval: str | None = None

    def __post_init__(self) -> None:
        check_day(self.date, "date")
        check_storable(note=self.note)
        check_code("decision", self.decision, ReviewDecision)
        if self.new_interval is not None:
            parse_interval(self.new_interval, "new_interval")
        check_storable(actor=self.actor)

    def permissions(self) -> tuple[Action, ...]:
        """``record_review``; a stop also ``confirm_stop``, an interval change also ``change_plan``."""
        return review_actions(self.decision, self.new_interval)

    @property
    def interval(self) -> Interval | None:
        """The new interval, parsed."""
        return parse_interval(self.new_interval, "new_interval") if self.new_interval is not None else None

    @property
    def reason(self) -> str:
        """The note without surrounding blanks: the clinician's reason for an override."""
        return self.note.strip()


@dataclass(frozen=True, slots=True)
class MarkEnteredInError(Command):
    """Mark a dose, lab, symptom check or review entered-in-error (kept, audited), saying why."""

    permission: ClassVar[Action] = "mark_entered_in_error"
    kind: EntryKind
    entry_id: str
    reason: str
    actor: str

    def __post_init__(self) -> None:
        check_storable(reason=self.reason, actor=self.actor)
        check_code("kind", self.kind, EntryKind)
        if not self.reason.strip():
            raise InputError("reason", "entered-in-error needs who (by) and why (reason)")

    def permissions(self) -> tuple[Action, ...]:
        """``mark_entered_in_error``; a review also ``record_review`` (it undoes a prescriber's decision)."""
        return correction_actions(self.kind)
