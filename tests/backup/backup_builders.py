"""Builders for the backup and export tests: a varied treatment record, a dump of every table, and a
writer that keeps committing (a module of its own name, so test modules import it unambiguously)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from app_helpers import EXAMPLE_CASE, FAST_HASHER, NOW, SECRET, MovableClock
from b12care.adapters.cds.store import Feedback, SqlCdsStore
from b12care.application.accounts import Accounts
from b12care.application.calendar import calendar_for
from b12care.application.records import EnteredInError
from b12care.application.treatment import DoseInput, Services
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.domain.errors import AuthenticationError

Rows = dict[str, list[tuple[object, ...]]]
FORMULA_NAME = '=HYPERLINK("http://127.0.0.1/x","click")'
FORMULA_REASON = "+1 wrong patient; -2 @sum(A1)"


@dataclass
class VariedRecord:
    """What :func:`build_varied_record` made (ids), for the tests to look up."""

    clinic_ids: list[str] = field(default_factory=list)
    patient_ids: list[str] = field(default_factory=list)
    entries_per_patient: dict[str, int] = field(default_factory=dict)


def open_app(url: str, clock: Callable[[], dt.datetime] | None = None) -> App:
    """The app on ``url`` (migrated to head) with a movable clock."""
    return bootstrap(Settings(database_url=url, secret_key=SECRET), clock=clock or MovableClock(NOW))


def _case(**changes: object) -> str:
    case = json.loads(EXAMPLE_CASE.read_text())
    case.update(changes)
    return json.dumps(case)


def build_varied_record(app: App) -> VariedRecord:
    """Two clinics; patients with plan versions (one changed by a review), doses given and not done,
    labs, symptom checks, reviews; entered-in-error marks on a dose, a lab, a symptom check, a review
    and a patient; users, clinic memberships, a failed login, a share link, calendar state, a CDS
    Hooks jti and feedback - and the audit log of all of it."""
    clock = MovableClock(NOW)
    services = Services(app.uow, clock)
    made = VariedRecord()
    for name in ("Riverside Surgery", "Zoë's Clinic, Hill Road"):
        made.clinic_ids.append(services.add_clinic(name, "admin").id)
    names = [("H-001", "Ann Example"), ("H-002", FORMULA_NAME), ("H-003", "O'Brien, Séan"), ("H-004", "Bo")]
    for number, (reference, name) in enumerate(names):
        patient = services.add_patient(
            clinic_id=made.clinic_ids[number // 3], reference=reference, name=name, case_json=_case(),
            actor="dr.smith",
        )  # fmt: skip
        made.patient_ids.append(patient.id)
        made.entries_per_patient[patient.id] = 1  # plan version 1
    _record_entries(services, clock, made)
    with app.uow() as uow:
        mark = EnteredInError(clock(), "admin", "duplicate registration")
        uow.patients.mark_entered_in_error(made.patient_ids[3], mark)
        uow.commit()
    _add_accounts_and_exchange(app, clock, made)
    return made


def _record_entries(services: Services, clock: MovableClock, made: VariedRecord) -> None:
    ann, formula, obrien, _ = made.patient_ids
    day = dt.date(2026, 1, 5)
    for offset in range(0, 15, 2):
        clock.advance(hours=1)
        dose = DoseInput(
            day + dt.timedelta(days=offset), "hydroxocobalamin", Decimal("1"), "mg", "IM",
            site="left deltoid", lot="L1", idempotency_key=f"ann-{offset}",
        )  # fmt: skip
        services.record_dose(ann, dose, "nurse.jones")
    not_done = DoseInput(day, not_done_reason="=cmd|' /C calc'!A0", site="-left arm")
    services.record_dose(formula, not_done, "nurse.jones")
    wrong_dose = services.record_dose(
        obrien, DoseInput(day, "hydroxocobalamin", Decimal("1"), "mg", "IM"), "nurse.jones"
    )
    services.record_lab(
        ann, test="total_b12", value=Decimal("120.5"), unit="ng/L", day=dt.date(2026, 1, 2), actor="nurse"
    )
    wrong_lab = services.record_lab(
        obrien, test="total_b12", value=Decimal("95"), unit="ng/L", day=day, actor="nurse"
    )
    check = services.record_symptoms(
        ann, dt.date(2026, 2, 1), "better", {"fatigue": 1, "balance": 0}, "nurse"
    )
    clock.advance(days=30)
    services.record_review(
        ann, day=dt.date(2026, 2, 4), decision="shorten_interval", actor="dr.smith",
        note="@risk: tired again", new_interval="2m",
    )  # fmt: skip
    other = services.record_review(obrien, day=dt.date(2026, 2, 4), decision="refer_specialist", actor="dr")
    clock.advance(hours=2)
    services.mark_entered_in_error("dose", wrong_dose.id, FORMULA_REASON, "dr.smith")
    services.mark_entered_in_error("lab", wrong_lab.id, "wrong patient", "dr.smith")
    services.mark_entered_in_error("symptoms", check.id, "entered twice", "nurse")
    services.mark_entered_in_error("review", other.id, "wrong patient", "dr.smith")
    made.entries_per_patient[ann] += 8 + 1 + 1 + 2  # doses, lab, symptom check, review + plan version 2
    made.entries_per_patient[formula] += 1
    made.entries_per_patient[obrien] += 3


def _add_accounts_and_exchange(app: App, clock: MovableClock, made: VariedRecord) -> None:
    accounts = Accounts(app.uow, clock, secret=SECRET, hasher=FAST_HASHER)
    accounts.add_user("admin.a", "correct horse battery", "admin", made.clinic_ids, "setup")
    accounts.add_user("nurse.a", "correct horse battery", "nurse", made.clinic_ids[:1], "setup")
    with contextlib.suppress(AuthenticationError):
        accounts.login("nurse.a", "wrong password entirely", "127.0.0.1")
    ann = made.patient_ids[0]
    accounts.share_patient(ann, clock() + dt.timedelta(days=30), "nurse.a")
    calendar_for(app, ann, clock())
    store = SqlCdsStore(app.engine)
    issuer = "https://ehr.example.org"
    store.remember_jti(issuer, "jti-1", expires_at=clock() + dt.timedelta(minutes=5), seen_at=clock())
    feedback = Feedback(
        "b12care-patient-view", "3f1c5f7e-0000-4000-8000-000000000001", "accepted", ("a",), None, None,
        None, "ok", clock(),
    )  # fmt: skip
    store.record_feedback([feedback], issuer=issuer, actor="ehr", at=clock())


def table_rows(url: str) -> Rows:
    """Every row of every table, each table's rows sorted: two databases with equal dumps hold the
    same record."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            return {
                name: sorted(
                    (tuple(row) for row in connection.execute(text(f'SELECT * FROM "{name}"'))), key=repr
                )
                for name in names
            }
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """Records a lab for one patient again and again (at most ``limit`` times) until stopped; after
    each commit it dumps every table, so ``states[k]`` is the database after its k-th commit."""

    def __init__(self, app: App, url: str, patient_id: str, limit: int = 300) -> None:
        super().__init__(daemon=True)
        self.clock = MovableClock(NOW + dt.timedelta(days=60))
        self.services = Services(app.uow, self.clock)
        self.url = url
        self.patient_id = patient_id
        self.limit = limit
        self.states: list[Rows] = [table_rows(url)]
        self.stop = threading.Event()
        self.committed = threading.Condition()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for number in range(1, self.limit + 1):
                if self.stop.is_set():
                    return
                self.clock.advance(minutes=1)
                self.services.record_lab(
                    self.patient_id, test="total_b12", value=Decimal(200 + number), unit="ng/L",
                    day=dt.date(2026, 3, 1), actor="writer",
                )  # fmt: skip
                state = table_rows(self.url)
                with self.committed:
                    self.states.append(state)
                    self.committed.notify_all()
        except BaseException as error:  # the test reports it
            self.error = error
            with self.committed:
                self.committed.notify_all()

    def wait_for(self, commits: int, timeout: float = 30.0) -> None:
        """Block until the writer has committed ``commits`` times in all (or stopped)."""
        with self.committed:
            self.committed.wait_for(
                lambda: len(self.states) > commits or self.error is not None or not self.is_alive(), timeout
            )
        assert self.error is None, self.error
        assert len(self.states) > commits, f"the writer made only {len(self.states) - 1} commits"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"
