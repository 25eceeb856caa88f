"""Use case: a new plan version for an existing patient from a new case (e.g. new labs, a new cause).

The case is planned first (a case that cannot be planned is refused before anything is written); the
version number is the latest + 1; the repository audits the write and the patient's stored forecast
is refreshed in the same unit of work, as every other write.
"""

from __future__ import annotations

from b12care.application.case_file import parse_case_json
from b12care.application.commands import NewPlanVersion
from b12care.application.history import refresh_forecast
from b12care.application.planning import plan_case
from b12care.application.ports import Clock, Deps, UnitOfWorkFactory
from b12care.application.records import PlanVersionRecord, new_plan_version
from b12care.domain.errors import InputError

__all__ = ["add_plan_version", "change_plan"]


def change_plan(command: NewPlanVersion, deps: Deps) -> PlanVersionRecord:
    """Store the plan built from the command's case as the patient's next version; return it.

    ``interval_reason`` is the clinician's reason for a ``maintenance_interval`` outside the regimen's
    licensed range (required then; stored on the version).

    Raises:
        InputError: the case is invalid, cannot be planned, or is for another birth date.
        RecordNotFoundError: no such patient.
        ConstraintError: another writer stored the same version number first (retry).
    """
    c = command
    reason = c.reason
    case = parse_case_json(c.case_json)
    plan = plan_case(case, maintenance_interval=c.maintenance_interval, interval_reason=reason)
    at = deps.clock()
    with deps.uow() as uow:
        patient = uow.patients.claim(c.patient_id)  # writers to one patient take turns
        if case.patient.birth_date != patient.birth_date:
            raise InputError("case.patient.birth_date", "differs from the patient's recorded birth date")
        # After every version ever stored, including one marked entered-in-error.
        number = max((v.version for v in uow.plans.list_for(c.patient_id)), default=0) + 1
        version = new_plan_version(
            c.patient_id,
            number,
            c.case_json,
            plan,
            maintenance_interval=c.maintenance_interval,
            interval_reason=reason,
            actor=c.actor,
            at=at,
        )
        uow.plans.add(version)
        refresh_forecast(uow, patient, at.date(), actor=c.actor, at=at)
        uow.commit()
    return version


def add_plan_version(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    patient_id: str,
    case_json: str,
    actor: str,
    maintenance_interval: str | None = None,
    interval_reason: str | None = None,
) -> PlanVersionRecord:
    """:func:`change_plan` with keyword arguments: a facade for faces not yet switched; to be removed."""
    command = NewPlanVersion(patient_id, case_json, actor, maintenance_interval, interval_reason)
    return change_plan(command, Deps(uow_factory, clock))
