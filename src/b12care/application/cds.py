"""The CDS Hooks use cases: a verified hook call -> cards, and card feedback -> stored and audited.

A hook call: the b12care patient of the issuer's clinic whose ``reference`` is the EHR patient id or one
of its identifiers -> that patient's latest plan and history, read in one unit of work -> the EHR's doses
and labs that b12care has not recorded added to the history -> forecast -> cards. The wire formats (the
request, the EHR's FHIR data, draft orders) are the adapter's: it hands a :class:`HookInput` whose EHR
history and draft orders are parsed only when a patient was found (most patients an EHR opens are not
on B12 treatment, and get no cards and no parsing).

An EHR patient b12care does not know, or one without a plan, gets no cards: the hook fires for every
patient the EHR opens, so a card saying "not in b12care" would be noise on every chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from b12care.application.case_file import parse_case_json
from b12care.application.cds_cards import card_to_json, order_cards, patient_view_cards
from b12care.application.feed_ports import Feedback
from b12care.application.forecasting import forecast_case
from b12care.application.planning import choose_pack
from b12care.application.ports import Clock, UnitOfWorkFactory
from b12care.application.records import PatientRecord, PlanVersionRecord
from b12care.application.treatment import PatientView, load_history
from b12care.domain.case import LabResult
from b12care.domain.history import AdministeredDose, History
from b12care.domain.orders import DraftOrder

__all__ = [
    "HookInput",
    "PatientRecordSet",
    "answer_hook",
    "merged_history",
    "patient_record",
    "record_feedback",
]


class HookInput(Protocol):
    """A verified hook call as the adapter read it."""

    @property
    def hook(self) -> str:
        """``patient-view``, ``order-select`` or ``order-sign``."""
        ...

    @property
    def hook_instance(self) -> str: ...

    @property
    def clinic_id(self) -> str:
        """The clinic of the calling EHR (its issuer)."""
        ...

    @property
    def references(self) -> Sequence[str]:
        """The patient references to look up, most specific first."""
        ...

    def ehr_history(self) -> tuple[list[AdministeredDose], list[LabResult]]:
        """The EHR's B12 doses and labs (the ones that could be used)."""
        ...

    def draft_orders(self) -> list[DraftOrder]:
        """The orders to check (order hooks); InputError names a bad field."""
        ...


@dataclass(frozen=True, slots=True)
class PatientRecordSet:
    """What a hook call reads about one b12care patient, read in one transaction."""

    patient: PatientRecord
    plan: PlanVersionRecord
    history: History


def patient_record(
    uow_factory: UnitOfWorkFactory, clinic_id: str, references: Sequence[str]
) -> PatientRecordSet | None:
    """The clinic's patient found by ``references`` (the first found), with its latest plan and its
    history, in one unit of work; None when there is no such patient or it has no plan."""
    if not references:
        return None
    with uow_factory(read_only=True) as uow:
        patient_id = uow.ehr_links.find_patient(clinic_id, references)
        if patient_id is None:
            return None
        plan = uow.plans.latest(patient_id)
        if plan is None:
            return None
        return PatientRecordSet(uow.patients.get(patient_id), plan, load_history(uow, patient_id))


def merged_history(history: History, doses: list[AdministeredDose], labs: list[LabResult]) -> History:
    """The b12care history plus EHR entries it lacks (same day and drug / same day and test)."""
    known_doses = {(d.date, d.drug) for d in history.doses if not d.entered_in_error}
    new_doses = [
        d for d in doses if (d.date, d.drug) not in known_doses and (d.date, None) not in known_doses
    ]
    known_labs = {(x.date, x.test) for x in history.labs}
    new_labs = [x for x in labs if (x.date, x.test) not in known_labs]
    return History(
        history.doses + tuple(new_doses),
        history.labs + tuple(new_labs),
        history.symptom_checks,
        history.reviews,
    )


def _view(uow_factory: UnitOfWorkFactory, clock: Clock, call: HookInput) -> PatientView | None:
    as_of = clock().date()
    found = patient_record(uow_factory, call.clinic_id, call.references)
    if found is None:
        return None
    doses, labs = call.ehr_history()
    version = found.plan
    forecast = forecast_case(
        parse_case_json(version.case_json),
        merged_history(found.history, doses, labs),
        as_of=as_of,
        pack_id=version.pack_id,
        maintenance_interval=version.maintenance_interval,
        interval_reason=version.interval_reason,
    )
    return PatientView(found.patient, version, forecast)


def answer_hook(
    uow_factory: UnitOfWorkFactory, clock: Clock, call: HookInput, *, public_url: str
) -> dict[str, Any]:
    """The CDS Hooks response (``{"cards": [...]}``) for one verified call."""
    view = _view(uow_factory, clock, call)
    if view is None:
        return {"cards": []}
    pack = choose_pack(None, view.forecast.plan.pack_id)
    if call.hook == "patient-view":
        cards = patient_view_cards(view, pack, public_url=public_url, hook_instance=call.hook_instance)
    else:
        cards = order_cards(
            view, call.draft_orders(), pack, public_url=public_url, hook_instance=call.hook_instance
        )
    return {"cards": [card_to_json(card) for card in cards]}


def record_feedback(
    uow_factory: UnitOfWorkFactory,
    entries: Sequence[Feedback],
    *,
    issuer: str,
    actor: str,
    at: dt.datetime,
) -> list[str]:
    """Store feedback entries as the EHR reported them, each audited, in one unit of work; their ids."""
    with uow_factory() as uow:
        ids = [uow.cds_feedback.add(entry, issuer=issuer, actor=actor, at=at) for entry in entries]
        uow.commit()
    return ids
