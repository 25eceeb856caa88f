"""Forecast flags as a table of rules: each flag code with the small detector that decides it.

Adding a flag is adding a row to :data:`FLAG_RULES` (and its wording to the packs' ``forecast.<CODE>``
records). A detector reads :class:`FlagFacts` and returns the detail for the flag's message, or None
when the flag does not apply. Rows are checked in table order, which is the order flags are shown in.
Detectors compare ``as_of`` with dates through :class:`Thresholds`, which remembers the dates still
ahead: the days the forecast will change (``Forecast.changes_on``).

Reference: b12care-local-policy (timing), nice-ng239-summary (review and symptom rules), nice-ng239
(post-treatment B12 levels, lifelong replacement), bnf-hydroxocobalamin (loading phases),
nasgp-ng239 (first review).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from b12care.domain.calendar import Interval, add_interval
from b12care.domain.evaluation import NextDose, PhaseTiming, Progress
from b12care.domain.history import History, Review, SymptomCheck
from b12care.domain.knowledge import MilestoneDef, Pack
from b12care.domain.plan import Plan, off_licence_detail
from b12care.domain.schedule import PlannedPhase

__all__ = ["FLAG_RULES", "FlagDetector", "FlagFacts", "Thresholds", "detect_flags", "stopped_by_override"]

_INTERVAL_CHANGES = ("shorten_interval", "lengthen_interval")
_ANNUAL_RULE = "monitoring.review.annual"
_CHECKPOINT_RULE = "monitoring.open_phase.review_every"
_B12 = ("total_b12", "active_b12")
_DAY = dt.timedelta(days=1)
_BY_DATE = attrgetter("date")


class Thresholds:
    """Collects the dates a rule compares ``as_of`` with: the ones still ahead are when things change."""

    __slots__ = ("ahead", "as_of")

    def __init__(self, as_of: dt.date) -> None:
        self.as_of = as_of
        self.ahead: set[dt.date] = set()

    def reached(self, day: dt.date) -> bool:
        """``as_of >= day``, remembering ``day`` when it is still ahead."""
        if self.as_of >= day:
            return True
        self.ahead.add(day)
        return False


@dataclass(frozen=True, slots=True)
class FlagFacts:
    """What the detectors read: the plan, the history up to ``as_of`` and where the patient is.

    ``reviews`` are all reviews by date; ``checks`` the symptom checks up to ``as_of`` by date;
    ``last_review`` the latest review date up to ``as_of``; ``shift`` how far the first dose moved the
    plan's dates (0 before it); ``first_review`` the plan's first symptom-review milestone.
    """

    plan: Plan
    pack: Pack
    history: History
    as_of: dt.date
    progress: Progress
    timings: tuple[PhaseTiming, ...]
    timing: PhaseTiming
    next_dose: NextDose | None
    thresholds: Thresholds
    reviews: tuple[Review, ...]
    checks: tuple[SymptomCheck, ...]
    last_review: dt.date | None
    shift: dt.timedelta
    first_review: dt.date | None

    @classmethod
    def gather(
        cls,
        plan: Plan,
        pack: Pack,
        history: History,
        *,
        progress: Progress,
        timings: tuple[PhaseTiming, ...],
        timing: PhaseTiming,
        next_dose: NextDose | None,
        thresholds: Thresholds,
    ) -> FlagFacts:
        """The facts on ``thresholds.as_of``."""
        as_of = thresholds.as_of
        reviews = history.reviews_by_date
        by_date = history.checks_by_date
        checks = by_date[: bisect_right(by_date, as_of, key=_BY_DATE)]
        last_review = max((r.date for r in reviews if r.date <= as_of), default=None)
        first = progress.first_dose
        shift = (first - plan.case.start_date) if first is not None else dt.timedelta(0)
        starts = [m.date for m in plan.milestones if m.kind == "symptom_review" and m.anchor == "start"]
        return cls(
            plan, pack, history, as_of, progress, timings, timing, next_dose, thresholds,
            reviews, checks, last_review, shift, min(starts, default=None),
        )  # fmt: skip


FlagDetector = Callable[[FlagFacts], str | None]


def _post_treatment_level(f: FlagFacts) -> str | None:
    """B12 measured on or after the first dose (levels after treatment has started mislead).

    Reference: nice-ng239.
    """
    first = f.progress.first_dose
    if first is None:
        return None
    late = [
        f"{lab.test} {lab.date.isoformat()}"
        for lab in f.history.labs
        if lab.test in _B12 and lab.date >= first
    ]
    return ", ".join(late) or None


def _fixed_loading(phase: PlannedPhase) -> bool:
    return phase.kind == "loading" and phase.end == "fixed" and bool(phase.doses)


def _loading_overrun(f: FlagFacts) -> str | None:
    """A fixed loading phase still running the day after its planned end (moved with the first dose).

    Reference: bnf-hydroxocobalamin.
    """
    phase = f.timing.phase
    if not _fixed_loading(phase):
        return None
    planned_end = phase.doses[-1].date + f.shift
    return f"planned to end {planned_end.isoformat()}" if f.thresholds.reached(planned_end + _DAY) else None


def _missed_loading_doses(f: FlagFacts) -> str | None:
    """The next loading dose is overdue: how many planned doses (at least one) have not been given.

    Reference: bnf-hydroxocobalamin; b12care-local-policy.
    """
    phase, nxt = f.timing.phase, f.next_dose
    if not _fixed_loading(phase) or nxt is None or not f.thresholds.reached(nxt.overdue):
        return None
    expected = sum(1 for d in phase.doses if d.date + f.shift < f.as_of)
    return str(max(expected - f.progress.doses_in_phase, 1))


def _review_overdue(f: FlagFacts) -> str | None:
    """An open phase ("until no further improvement") past its review checkpoint, counted from the first
    dose or the latest continue-loading review.

    Reference: nice-ng239-summary; b12care-local-policy.
    """
    first = f.progress.first_dose
    if f.timing.phase.end != "on_no_further_improvement" or first is None:
        return None
    every = f.pack.record(_CHECKPOINT_RULE, Interval).value_on(f.plan.case.start_date)
    continued = [r.date for r in f.reviews if r.decision == "continue_loading" and r.date <= f.as_of]
    checkpoint = add_interval(max([first, *continued]), every)
    return f"checkpoint {checkpoint.isoformat()}" if f.thresholds.reached(checkpoint) else None


def _symptoms_recurring(f: FlagFacts) -> str | None:
    """A "worse" symptom check between the last maintenance dose and the next due date, not yet
    answered by a review.

    Reference: nice-ng239-summary.
    """
    last, nxt = f.progress.last_dose, f.next_dose
    if f.timing.phase.kind != "maintenance" or last is None or nxt is None:
        return None
    worse = [c for c in f.checks if last < c.date < nxt.due and c.overall == "worse"]
    if worse and not (f.last_review and f.last_review >= worse[-1].date):
        return worse[-1].date.isoformat()
    return None


def _persisting(latest: SymptomCheck, earlier: tuple[SymptomCheck, ...]) -> str | None:
    """Why the latest check shows no improvement, or None when it shows improvement or a stable patient.

    Worse is no improvement. "Same" is no improvement when a symptom persists: scored above 0 and not
    lower than at the patient's first earlier check that scored it (or never scored before), or when no
    scores were recorded. "Same" with every score 0 is a stable patient.

    Reference: nice-ng239-summary (symptoms new, worsening or not sufficiently improved).
    """
    when = latest.date.isoformat()
    if latest.overall == "better":
        return None
    if latest.overall == "worse":
        return f"worse on {when}"
    if not latest.scores:
        return f"same on {when}, no symptom scores recorded"
    persisting: list[str] = []
    for symptom, score in sorted(latest.scores.items()):
        if score <= 0:
            continue
        before = next((c for c in earlier if symptom in c.scores), None)
        if before is None or before.scores[symptom] <= score:
            was = f", was {before.scores[symptom]} on {before.date.isoformat()}" if before else ""
            persisting.append(f"{symptom.replace('_', ' ')} {score}{was}")
    return f"same on {when}: {'; '.join(persisting)}" if persisting else None


def _no_improvement(f: FlagFacts) -> str | None:
    """The latest check, at or after the first review milestone and not yet answered by a review, shows
    symptoms that persist (see ``_persisting``).

    Reference: nice-ng239-summary; cks-anaemia-b12.
    """
    if f.first_review is None or not f.checks:
        return None
    latest = f.checks[-1]
    if latest.date < f.first_review + f.shift or (f.last_review is not None and f.last_review >= latest.date):
        return None
    return _persisting(latest, f.checks[:-1])


def _first_review_overdue(f: FlagFacts) -> str | None:
    """The first review (its milestone date, shifted with the first dose) has passed and no review or
    symptom check is dated on or after it: a passed milestone never goes unseen.

    Reference: nasgp-ng239 (review after 3 months, or 1 month in pregnancy or breastfeeding).
    """
    if f.first_review is None:
        return None
    due, as_of = f.first_review + f.shift, f.as_of
    if any(due <= d <= as_of for d in [*(r.date for r in f.reviews), *(c.date for c in f.checks)]):
        return None
    return f"due {due.isoformat()}" if f.thresholds.reached(due + _DAY) else None


def _unconfirmed_stop(f: FlagFacts) -> str | None:
    """A stop of lifelong replacement not yet confirmed: the latest review up to ``as_of`` says
    stop_cause_resolved for an irreversible cause (a confirm_stop stops the plan instead; any other later
    decision withdraws the stop).

    Reference: nice-ng239 (replacement will not be stopped); b12care-local-policy (override shown).
    """
    if not f.plan.lifelong:
        return None
    latest = next(
        (r for r in reversed(f.reviews) if r.date <= f.as_of and r.decision != "confirm_stop"), None
    )
    if latest is None or latest.decision != "stop_cause_resolved":
        return None  # a reasoned confirm_stop stops the plan before this is asked
    reason = f": {latest.reason}" if latest.reason.strip() else ", no reason recorded"
    return f"{f.plan.case.cause} stopped on {latest.date.isoformat()}{reason}"


def stopped_by_override(plan: Plan, history: History, as_of: dt.date) -> str | None:
    """STOPPED_BY_OVERRIDE (the one flag of a stopped plan): lifelong replacement stopped by a confirmed
    stop up to ``as_of``, with its reason.

    Reference: nice-ng239 (replacement will not be stopped); b12care-local-policy (override shown).
    """
    if not plan.lifelong:
        return None
    confirmed = next(
        (r for r in history.reviews_by_date if r.decision == "confirm_stop" and r.date <= as_of), None
    )
    if confirmed is None:
        return None
    reason = f": {confirmed.reason}" if confirmed.reason.strip() else ""
    return f"{plan.case.cause}, confirmed on {confirmed.date.isoformat()}{reason}"


def _outside_licence(f: FlagFacts) -> str | None:
    """The maintenance interval in force lies outside its licensed range.

    Reference: nice-ng239-summary (frequency in line with the manufacturer's product information).
    """
    changed = [r for r in f.reviews if r.decision in _INTERVAL_CHANGES and r.date <= f.as_of]
    reason = changed[-1].reason if changed else f.plan.interval_reason
    for timing in f.timings:
        allowed = timing.phase.interval_range
        if timing.phase.kind == "maintenance" and allowed is not None:
            return off_licence_detail(timing.due_gap, allowed, reason)
    return None


def _maintenance_lapsed(f: FlagFacts) -> str | None:
    """Lifelong maintenance a whole interval past its due date.

    Reference: nice-ng239 (lifelong replacement); b12care-local-policy.
    """
    nxt = f.next_dose
    if not f.plan.lifelong or f.timing.phase.kind != "maintenance" or nxt is None:
        return None
    lapsed_from = add_interval(nxt.due, f.timing.due_gap)
    return f"due {nxt.due.isoformat()}" if f.thresholds.reached(lapsed_from) else None


def _annual_review_due(f: FlagFacts) -> str | None:
    """A year (the pack's ``monitoring.review.annual``) since the latest review, or the first dose.

    Reference: nice-ng239-summary.
    """
    record = f.pack.find(_ANNUAL_RULE, MilestoneDef)
    first = f.progress.first_dose
    if record is None or first is None:
        return None
    since = max(d for d in (first, f.last_review) if d is not None)
    if not f.thresholds.reached(add_interval(since, record.value_on(f.plan.case.start_date).offset)):
        return None
    return f"last review {f.last_review.isoformat() if f.last_review else 'never'}"


FLAG_RULES: dict[str, FlagDetector] = {
    "POST_TREATMENT_B12_LEVEL": _post_treatment_level,
    "LOADING_OVERRUN": _loading_overrun,
    "MISSED_LOADING_DOSES": _missed_loading_doses,
    "REVIEW_OVERDUE": _review_overdue,
    "SYMPTOMS_RECURRING_BEFORE_DUE": _symptoms_recurring,
    "NO_IMPROVEMENT": _no_improvement,
    "FIRST_REVIEW_OVERDUE": _first_review_overdue,
    "LIFELONG_STOP_UNCONFIRMED": _unconfirmed_stop,
    "OUTSIDE_LICENCE": _outside_licence,
    "MAINTENANCE_LAPSED": _maintenance_lapsed,
    "ANNUAL_REVIEW_DUE": _annual_review_due,
}
"""The flags of a plan not stopped, in the order they are shown (STOPPED_BY_OVERRIDE is the one flag of
a stopped plan: :func:`stopped_by_override`)."""


def detect_flags(facts: FlagFacts) -> dict[str, str]:
    """Each flag code of :data:`FLAG_RULES` that applies, in table order, with the detail for its message."""
    found: dict[str, str] = {}
    for code, detect in FLAG_RULES.items():
        detail = detect(facts)
        if detail is not None:
            found[code] = detail
    return found
