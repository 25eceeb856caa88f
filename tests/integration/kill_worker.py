"""A stream of dose writes for test_kill_during_writes, run as its own process and SIGKILLed mid-stream.

``python kill_worker.py DATABASE_URL PATIENT_ID FIRST`` records doses FIRST, FIRST + 1, ... (below
MAX_DOSES) for the patient, one use case call (one transaction) each, and after each call has returned -
the transaction committed - prints the dose's idempotency key on a line of its own and flushes: a
printed key is an acknowledged write. Dose ``n`` is always the same dose with the same key, so starting
again at the first unacknowledged one is a client retrying what it was never told was stored.
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal

from b12care.application.treatment import DoseInput, Services
from b12care.bootstrap import bootstrap
from b12care.config import Settings

MAX_DOSES = 400
FIRST_DAY = dt.date(2026, 1, 5)
# A dose every 13 weeks (the maintenance interval or more), all before the clock's day: every dose
# moves the stored forecast's next due date, so a forecast one dose behind the record would show.
DOSE_EVERY = dt.timedelta(weeks=13)
AT = dt.datetime(2126, 1, 5, 9, 30, tzinfo=dt.UTC)
ACTOR = "kill.worker"


def key_for(n: int) -> str:
    """The idempotency key of the ``n``-th dose (sorts in writing order)."""
    return f"kill-{n:04d}"


def dose_input(n: int) -> DoseInput:
    """The ``n``-th dose: 1 mg hydroxocobalamin IM, DOSE_EVERY after the previous one."""
    return DoseInput(
        date=FIRST_DAY + n * DOSE_EVERY,
        drug="hydroxocobalamin",
        dose=Decimal("1.000"),
        unit="mg",
        route="IM",
        site="left deltoid",
        lot="LOT-42A",
        given_by=ACTOR,
        idempotency_key=key_for(n),
    )


def main(url: str, patient_id: str, first: int) -> None:
    with bootstrap(Settings(database_url=url), clock=lambda: AT) as app:
        services = Services(app.uow, app.clock)
        for n in range(first, MAX_DOSES):
            services.record_dose(patient_id, dose_input(n), ACTOR)
            print(key_for(n), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
