"""A demo clinic: synthetic patients at every stage of treatment, for trying b12care out.

Every patient is made from a case file and doses dated by its own plan, so the demo exercises the same
code as real use. Names are invented ("Demo Patient 0001"); nothing here is clinical data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from b12care.application.accounts import Accounts
from b12care.application.case_file import parse_case_json
from b12care.application.planning import choose_pack
from b12care.application.ports import UnitOfWork
from b12care.application.records import DoseRecord, ReviewRecord, SymptomCheckRecord, new_id
from b12care.application.treatment import Services, refresh_forecast
from b12care.domain.plan import Plan, build_plan
from b12care.domain.schedule import Dose

__all__ = ["DEMO_USERS", "STAGES", "DemoLogin", "ensure_demo", "seed_demo"]


@dataclass(frozen=True, slots=True)
class _Stage:
    name: str
    start_days_ago: int
    stop_days_ago: int  # no doses recorded in the last N days
    case: dict[str, Any]
    review: str | None = None
    symptoms_worse: bool = False


STAGES = (
    _Stage("loading", 6, 0, {}),
    _Stage("maintenance on time", 200, 0, {}),
    _Stage("maintenance overdue", 200, 40, {}),
    _Stage("maintenance lapsed", 330, 250, {}),
    _Stage("neurological under review", 30, 0, {"neurological_symptoms": True}),
    _Stage("not started", -7, 0, {}),
    _Stage(
        "stopped: cause resolved",
        200,
        0,
        {"cause": "medication", "medications": ["metformin"]},
        "stop_cause_resolved",
    ),
    _Stage("symptoms returning", 200, 0, {}, symptoms_worse=True),
)


def _case(stage: _Stage, start: dt.date, rng: random.Random) -> dict[str, Any]:
    birth = dt.date(rng.randint(1935, 2000), rng.randint(1, 12), rng.randint(1, 28))
    case: dict[str, Any] = {
        "pack": "uk-nice-2024",
        "start_date": start.isoformat(),
        "patient": {"birth_date": birth.isoformat(), "sex": rng.choice(["female", "male"])},
        "cause": "autoimmune_gastritis",
        "labs": [
            {
                "test": "total_b12",
                "value": rng.randint(60, 170),
                "unit": "ng/L",
                "date": (start - dt.timedelta(days=3)).isoformat(),
            }
        ],
    }
    return case | stage.case


def seed_demo(services: Services, *, count: int, as_of: dt.date, seed: int = 12) -> Iterator[str]:
    """Create a demo clinic with ``count`` patients spread over every stage; yield each patient id."""
    rng = random.Random(seed)
    clinic = services.add_clinic("Demo clinic", "demo")
    for index in range(count):
        stage = STAGES[index % len(STAGES)]
        start = as_of - dt.timedelta(days=stage.start_days_ago + rng.randint(0, 20))
        case_json = json.dumps(_case(stage, start, rng))
        patient = services.add_patient(
            clinic_id=clinic.id,
            reference=f"DEMO-{index + 1:04d}",
            name=f"Demo Patient {index + 1:04d}",
            case_json=case_json,
            actor="demo",
        )
        _record(services, patient.id, case_json, stage, as_of)
        yield patient.id


def _demo_dose(patient_id: str, plan: Plan, planned: Dose, at: dt.datetime) -> DoseRecord:
    return DoseRecord(
        id=new_id(),
        patient_id=patient_id,
        date=planned.date,
        drug=plan.selection.regimen.drug,
        product=None,
        dose=Decimal(planned.dose.value),
        dose_unit=planned.dose.unit,
        route=planned.route,
        site="left deltoid",
        lot="DEMO1",
        given_by="demo",
        source="clinic",
        status="completed",
        not_done_reason=None,
        idempotency_key=None,
        recorded_by="demo",
        recorded_at=at,
    )


def _record_checks(
    uow: UnitOfWork,
    patient_id: str,
    plan: Plan,
    stage: _Stage,
    *,
    cutoff: dt.date,
    as_of: dt.date,
    at: dt.datetime,
) -> None:
    for milestone in plan.milestones:  # the first review was held while the patient still came
        if milestone.kind == "symptom_review" and milestone.anchor == "start" and milestone.date <= cutoff:
            uow.symptom_checks.add(
                SymptomCheckRecord(
                    new_id(), patient_id, milestone.date, "better", "demo", at, {"fatigue": 0, "balance": 0}
                )
            )
    if stage.review is not None:
        review_day = as_of - dt.timedelta(days=10)
        uow.reviews.add(ReviewRecord(new_id(), patient_id, review_day, stage.review, "demo", "demo", at))  # type: ignore[arg-type]
    if stage.symptoms_worse:
        uow.symptom_checks.add(
            SymptomCheckRecord(
                new_id(),
                patient_id,
                as_of - dt.timedelta(days=3),
                "worse",
                "demo",
                at,
                {"fatigue": 3, "pins_and_needles": 2},
            )
        )


def _record(services: Services, patient_id: str, case_json: str, stage: _Stage, as_of: dt.date) -> None:
    case = parse_case_json(case_json)
    plan = build_plan(case, choose_pack(case.pack))
    cutoff = as_of - dt.timedelta(days=stage.stop_days_ago)
    at = services.clock()
    with services.uow() as uow:
        for phase in plan.phases:
            for planned in phase.doses:
                if planned.date <= cutoff and planned.date <= as_of:
                    uow.doses.add(_demo_dose(patient_id, plan, planned, at))
        _record_checks(uow, patient_id, plan, stage, cutoff=cutoff, as_of=as_of, at=at)
        refresh_forecast(uow, uow.patients.get(patient_id), as_of, actor="demo", at=at)
        uow.commit()


DEMO_USERS = (("demo.nurse", "nurse"), ("demo.doctor", "clinician"))


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """The demo clinic and the accounts that log in to it."""

    clinic_id: str
    usernames: tuple[str, ...]
    password: str
    new_patients: int


def ensure_demo(
    services: Services, accounts: Accounts, *, as_of: dt.date, count: int, password: str
) -> DemoLogin:
    """The demo clinic with its accounts, created on first use; later runs only set the password anew.

    Demo data only: synthetic patients, and accounts whose password is printed when the server starts.
    """
    known = {user.username: user for user in accounts.users()}
    first_name = DEMO_USERS[0][0]
    created = 0
    if first_name in known:
        clinic_id = known[first_name].clinic_ids[0]
    else:
        patient_ids = list(seed_demo(services, count=count, as_of=as_of))
        created = len(patient_ids)
        clinic_id = services.view(patient_ids[0], as_of).patient.clinic_id
    for username, role in DEMO_USERS:
        if username in known:
            accounts.update_user(username, "demo", password=password, disabled=False)
        else:
            accounts.add_user(username, password, role, [clinic_id], "demo")
    return DemoLogin(clinic_id, tuple(name for name, _ in DEMO_USERS), password, created)
