"""Many entries for one patient - the doses and labs of an import - stored in ONE short transaction with
ONE forecast refresh.

Each entry carries a key (who sent it and under which id). Under the patient's write claim every entry is
matched against the stored record and the entries before it in the batch:

- no entry under its key: **stored** (a lab with the same test, value, unit and day as a stored result is
  a duplicate though: the same result, typed by hand or sent by another system);
- the key is known with the same content: **duplicate**, nothing stored again;
- the key is known with other content: **conflict**, nothing stored and nothing overwritten - the caller
  reports both values so a person decides (an EHR that re-used an id, or corrected an entry);
- a field the record refuses: **rejected**, with the InputError naming it.

Everything that needs no lock (field checks, building the records) happens before the transaction opens,
so the database's write lock is held only for the reads, the inserts (one statement per table) and the
forecast. Nothing is deleted or updated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from b12care.application.planning import choose_pack
from b12care.application.records import DoseRecord, LabRecord, new_id
from b12care.application.treatment import (
    DoseInput,
    Services,
    check_amount,
    check_dose,
    check_storable,
    dose_content,
    dose_record,
    history_from,
    refresh_forecast,
    stored_forecast,
)
from b12care.domain.calendar import check_day
from b12care.domain.case import LabResult
from b12care.domain.errors import InputError
from b12care.domain.labs import validate_lab_units
from b12care.domain.vocabulary import Test

__all__ = ["BatchItem", "ItemResult", "LabInput", "Outcome", "store_batch"]

Outcome = Literal["stored", "duplicate", "conflict", "rejected"]


@dataclass(frozen=True, slots=True)
class LabInput:
    """A laboratory result as an import delivers it; ``key`` names it at its source."""

    date: dt.date
    test: Test
    value: Decimal
    unit: str
    key: str | None = None


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One entry of a batch. ``aliases`` are other keys the same entry may be stored under (the key an
    older release gave it); ``record_id`` is the id of our own record it may be (an entry of b12care's
    own export, imported again)."""

    entry: DoseInput | LabInput
    aliases: tuple[str, ...] = ()
    record_id: str | None = None

    @property
    def key(self) -> str | None:
        """The key the entry is stored under."""
        return self.entry.idempotency_key if isinstance(self.entry, DoseInput) else self.entry.key


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What became of one item: ``record`` is the stored entry (new, the duplicate's or the conflicting
    one); ``error`` says why a rejected item was refused."""

    outcome: Outcome
    record: DoseRecord | LabRecord | None = None
    error: InputError | None = None


def _dose_record(patient_id: str, dose: DoseInput, actor: str, at: dt.datetime) -> DoseRecord:
    """The dose as a record, with the checks of ``Services.record_dose`` (InputError naming the field)."""
    check_dose(dose)
    try:
        return dose_record(patient_id, dose, actor, at)
    except ValueError as error:  # a record refused its own fields: "field: message"
        field, _, message = str(error).partition(": ")
        raise InputError(field if message else "dose", message or field) from None


def _lab_record(patient_id: str, lab: LabInput, actor: str, at: dt.datetime) -> LabRecord:
    """The result as a record, with the checks of ``Services.record_lab`` but the pack's units."""
    check_day(lab.date, "date")
    check_storable(unit=lab.unit, idempotency_key=lab.key)
    check_amount("value", lab.value)
    try:
        return LabRecord(
            new_id(), patient_id, lab.test, lab.value, lab.unit, lab.date, actor, at, idempotency_key=lab.key
        )
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise InputError(field if message else "value", message or field) from None


def _lab_content(record: LabRecord) -> tuple[object, ...]:
    return (record.test, record.value, record.unit, record.date)


def _same(stored: DoseRecord | LabRecord, new: DoseRecord | LabRecord) -> bool:
    if isinstance(stored, DoseRecord) and isinstance(new, DoseRecord):
        return dose_content(stored) == dose_content(new)
    if isinstance(stored, LabRecord) and isinstance(new, LabRecord):
        return _lab_content(stored) == _lab_content(new)
    return False


class _Index:
    """The patient's stored entries (then the batch's new ones) by key, by id and, for labs, by content."""

    def __init__(self, doses: Sequence[DoseRecord], labs: Sequence[LabRecord]) -> None:
        self.by_key: dict[tuple[str, str], DoseRecord | LabRecord] = {}
        self.by_id: dict[str, DoseRecord | LabRecord] = {}
        self.lab_results: dict[tuple[object, ...], LabRecord] = {}
        records: list[DoseRecord | LabRecord] = [*doses, *labs]
        for record in records:
            self.add(record)

    def add(self, record: DoseRecord | LabRecord) -> None:
        kind = "dose" if isinstance(record, DoseRecord) else "lab"
        if record.idempotency_key is not None:
            self.by_key.setdefault((kind, record.idempotency_key), record)
        self.by_id[record.id] = record
        if isinstance(record, LabRecord) and record.entered_in_error is None:
            self.lab_results.setdefault(_lab_content(record), record)

    def match(self, item: BatchItem, new: DoseRecord | LabRecord) -> DoseRecord | LabRecord | None:
        """The stored entry ``item`` names: by key (or an alias), by our own record id, else - for a
        lab - the same result."""
        kind = "dose" if isinstance(new, DoseRecord) else "lab"
        for key in (item.key, *item.aliases):
            if key is not None and (kind, key) in self.by_key:
                return self.by_key[kind, key]
        if item.record_id is not None and type(self.by_id.get(item.record_id)) is type(new):
            return self.by_id[item.record_id]
        if isinstance(new, LabRecord):
            return self.lab_results.get(_lab_content(new))
        return None


def _check_units(records: list[tuple[int, LabRecord]], pack_id: str, results: list[ItemResult]) -> None:
    """Refuse (as rejected) each lab whose unit does not fit its test in the patient's pack."""
    if not records:
        return
    pack = choose_pack(None, pack_id)
    for index, record in records:
        try:
            validate_lab_units(
                (LabResult(record.test, record.value, record.unit, record.date),), pack, record.date
            )
        except InputError as error:
            results[index] = ItemResult("rejected", error=error)


def store_batch(
    services: Services, patient_id: str, items: Sequence[BatchItem], actor: str
) -> list[ItemResult]:
    """Store the items for the patient in one transaction with one forecast refresh; one result per item,
    in order. Raises RecordNotFoundError for an unknown patient, a StorageError when the database fails
    (then nothing of the batch is stored)."""
    check_storable(actor=actor)
    at = services.clock()
    results: list[ItemResult] = [ItemResult("rejected")] * len(items)
    built: list[tuple[int, DoseRecord | LabRecord]] = []
    for index, item in enumerate(items):
        try:
            entry = item.entry
            new = (
                _dose_record(patient_id, entry, actor, at)
                if isinstance(entry, DoseInput)
                else _lab_record(patient_id, entry, actor, at)
            )
        except InputError as error:
            results[index] = ItemResult("rejected", error=error)
            continue
        built.append((index, new))
    with services.uow() as uow:
        patient = uow.patients.claim(patient_id)  # writers to one patient take turns
        doses, labs = uow.doses.list_for(patient_id), uow.labs.list_for(patient_id)
        index_of = _Index(doses, labs)
        version = uow.plans.latest(patient_id)
        if version is not None:
            _check_units([(i, r) for i, r in built if isinstance(r, LabRecord)], version.pack_id, results)
        new_doses: list[DoseRecord] = []
        new_labs: list[LabRecord] = []
        for index, record in built:
            if results[index].error is not None:
                continue
            stored = index_of.match(items[index], record)
            if stored is not None:
                results[index] = ItemResult("duplicate" if _same(stored, record) else "conflict", stored)
                continue
            index_of.add(record)
            results[index] = ItemResult("stored", record)
            if isinstance(record, DoseRecord):
                new_doses.append(record)
            else:
                new_labs.append(record)
        if new_doses or new_labs:
            uow.doses.add_many(new_doses)
            uow.labs.add_many(new_labs)
            if version is None:  # refuses: a patient without a plan has no forecast
                refresh_forecast(uow, patient, at.date(), actor=actor, at=at)
            # The record as now written, from what was read and added (not read again: the lock is held)
            history = history_from(
                [*doses, *new_doses],
                [*labs, *new_labs],
                uow.symptom_checks.list_for(patient_id),
                uow.reviews.list_for(patient_id),
            )
            assert version is not None
            uow.forecasts.save(stored_forecast(patient, version, history, at.date()), actor=actor, at=at)
            uow.commit()
    return results
