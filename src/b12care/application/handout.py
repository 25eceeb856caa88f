"""The patient handout: the plan and forecast in plain words, short sentences, for the patient to keep.

Pure: everything comes from the patient view (plan and forecast), the optional pack and the optional
coming dates; no file, clock or database is read. Nothing clinical is added: every "watch for" line is
tied to a record of the pack or a warning of the plan, and the dates are the plan's and the forecast's.

Reference: nice-ng239-summary (symptoms returning before the next injection, review when there is no
improvement), through the pack's ``forecast.*`` and ``safety.*`` records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from b12care.application.treatment import PatientView
from b12care.domain.calendar import Interval
from b12care.domain.knowledge import Pack, WarningDef
from b12care.domain.milestones import Milestone
from b12care.domain.schedule import PlannedPhase

__all__ = ["CAUSE_SENTENCES", "ComingDates", "Handout", "HandoutDate", "build_handout"]

CAUSE_SENTENCES: dict[str, str] = {
    "autoimmune_gastritis": "Your body cannot take in vitamin B12 from food. This is because of pernicious "
    "anaemia (autoimmune gastritis), a condition of the stomach.",
    "gastrectomy": "Your body cannot take in enough vitamin B12 from food since your stomach operation "
    "(gastrectomy).",
    "bariatric_surgery": "Your body cannot take in enough vitamin B12 from food since your weight-loss "
    "operation (bariatric surgery).",
    "ileal_resection": "Your body cannot take in enough vitamin B12 from food since part of your bowel "
    "(the ileum) was removed.",
    "crohns_disease": "Your body cannot take in enough vitamin B12 from food because of Crohn's disease.",
    "coeliac_disease": "Your body cannot take in enough vitamin B12 from food because of coeliac disease.",
    "medication": "A medicine you take can lower your vitamin B12.",
    "nitrous_oxide": "Nitrous oxide ('laughing gas') stops vitamin B12 from working in your body.",
    "dietary": "You do not get enough vitamin B12 from your food.",
    "unknown": "The cause of your low vitamin B12 is not known yet.",
}
_ROUTES = {
    "IM": "an injection into a muscle",
    "SC": "an injection under the skin",
    "IV": "a drip into a vein",
    "oral": "tablets taken by mouth",
}
_MILESTONE_KINDS = {
    "lab": "Blood test",
    "symptom_review": "Check of your symptoms",
    "review": "Review with your clinician",
}
# Plain words for records of the pack (forecast flags) and warnings of the plan. A line is shown only
# when the pack holds the record (forecast.*) or the plan carries the warning (safety.*).
_FLAG_LINES = {
    "SYMPTOMS_RECURRING_BEFORE_DUE": "Your symptoms come back or get worse before your next injection is "
    "due. Tell your clinic. Your clinician may give the injections more often.",
    "NO_IMPROVEMENT": "You do not feel better by your symptom check{review}. Tell your clinic.",
    "MISSED_LOADING_DOSES": "You miss an injection, or cannot come on the date. Ask your clinic for a new "
    "date.",
}
_WARNING_LINES = {
    "NEURO_SPECIALIST_ADVICE": "Your clinic is getting quick advice from a specialist about your nerve or "
    "eye symptoms. Tell your clinic straight away if they get worse.",
    "FOLIC_ACID_WITHOUT_B12": "Do not take folic acid unless your clinician says so. B12 must come first.",
    "COBALT_SENSITIVITY": "You may be sensitive to B12 or cobalt. Tell your clinic about any allergic "
    "reaction in the 3 days (72 hours) after an injection.",
    "IM_BLEEDING_RISK": "You bleed easily or take a blood thinner. Tell your clinic if a large bruise or "
    "swelling appears where the injection went in.",
    "VEGAN_MAY_NEED_LIFELONG": "With a vegan diet you may need vitamin B12 for life.",
    "CAUSE_MAY_RESOLVE": "The cause may get better. Your clinician will check whether you still need "
    "injections.",
    "FOLATE_LOW": "Take folic acid only with or after your B12 injections, as your clinician says.",
}
_FIRST_REVIEW = "FIRST_REVIEW_OVERDUE"
_FIRST_REVIEW_OVERDUE = "Your first check-up with your clinician is overdue. Book it with your clinic now."
_FIRST_REVIEW_DUE = "Your first check-up with your clinician is due on {date}. Book it with your clinic."
_STOP_UNCONFIRMED = "LIFELONG_STOP_UNCONFIRMED"
_STOP_UNCONFIRMED_TEXT = (
    "Your clinic is looking at a decision to stop your injections. Your treatment has not ended: until "
    "your clinician confirms the stop with you, keep to these dates."
)
_CLINICIAN = (
    "Your clinician decides your treatment. This sheet supports that decision; it does not replace it. "
    "If anything here differs from what your clinician told you, follow your clinician."
)


@dataclass(frozen=True, slots=True)
class HandoutDate:
    """A dated line of the handout."""

    date: dt.date
    what: str


@dataclass(frozen=True, slots=True)
class ComingDates:
    """The coming injections and milestones as the calendar feed dates them (docs/date-policy.md).

    Pass these so the handout and the ``.ics`` agree; ``b12care.adapters.handout.coming_dates`` builds
    them from the calendar projection.
    """

    doses: tuple[dt.date, ...]
    milestones: tuple[tuple[dt.date, Milestone], ...]


@dataclass(frozen=True, slots=True)
class Handout:
    """The handout's sections in plain words, ready for a page, a PDF or text."""

    title: str
    patient_name: str
    made_on: dt.date
    cause: str
    medicine: str
    loading: tuple[HandoutDate, ...]
    loading_text: str
    maintenance: str
    next_dates: tuple[HandoutDate, ...]
    next_text: str
    milestones: tuple[HandoutDate, ...]
    watch_for: tuple[str, ...]
    calendar_url: str | None
    calendar_text: str
    pack_id: str
    pack_version: str
    pack_label: str
    clinician_note: str


def _medicine(view: PatientView) -> str:
    plan = view.forecast.plan
    regimen = plan.selection.regimen
    route = _ROUTES.get(plan.selection.route, plan.selection.route)
    return f"Your medicine is vitamin B12 ({regimen.drug}), {regimen.dose} each time, given as {route}."


def _phases(view: PatientView, kind: str) -> list[PlannedPhase]:
    return [phase for phase in view.forecast.plan.phases if phase.kind == kind]


def _loading(view: PatientView) -> tuple[tuple[HandoutDate, ...], str]:
    phases = _phases(view, "loading")
    dates = tuple(HandoutDate(d.date, "Loading injection") for p in phases for d in p.doses)
    if not phases:
        return dates, "Your treatment has no loading phase."
    text = f"You start with {len(dates)} injections close together (the loading phase)."
    if any(p.end == "on_no_further_improvement" for p in phases):
        text = (
            "You start with injections close together (the loading phase). They go on until your "
            "symptoms stop getting better; your clinician will review this."
        )
    return dates, text


def _interval_words(interval: Interval) -> str:
    return f"every {interval.unit}" if interval.value == 1 else f"every {interval}"


def _maintenance(view: PatientView) -> str:
    plan = view.forecast.plan
    phases = [p for p in _phases(view, "maintenance") if p.interval is not None]
    if not phases or phases[0].interval is None:
        if _phases(view, "oral"):
            return "After that you take vitamin B12 tablets. Your clinician will tell you how often."
        return "Your clinician will decide what happens after this phase."
    text = f"After that you have one injection {_interval_words(phases[0].interval)} (maintenance)."
    if plan.lifelong:
        text += " This treatment is usually for life. Do not stop it unless your clinician says so."
    return text


def _next_dates(view: PatientView, today: dt.date, coming: ComingDates | None) -> tuple[HandoutDate, ...]:
    nxt = view.forecast.next_dose
    if view.forecast.status == "stopped" or nxt is None:
        return ()
    if coming is not None:
        days = list(coming.doses)
    else:  # the forecast's next due date, then the plan's own dated injections after it
        planned = sorted(d.date for p in view.forecast.plan.phases if p.kind != "oral" for d in p.doses)
        days = [nxt.due, *(day for day in planned if day > max(nxt.due, today))]
    lines: list[HandoutDate] = []
    for index, day in enumerate(days):
        what = "Injection"
        if index == 0 and nxt.due < today:
            what = f"Injection - it was due on {nxt.due.isoformat()}: please contact your clinic"
        elif index == 0:
            what = "Next injection"
        lines.append(HandoutDate(day, what))
    return tuple(lines)


def _milestone_words(milestone: Milestone) -> str:
    return f"{_MILESTONE_KINDS.get(milestone.kind, 'Check')}: {milestone.what}"


def _coming_milestones(
    view: PatientView, today: dt.date, coming: ComingDates | None
) -> list[tuple[dt.date, Milestone]]:
    if coming is not None:
        dated = list(coming.milestones)
    else:
        dated = [(m.date, m) for m in view.forecast.plan.milestones if m.date >= today]
    return sorted(dated, key=lambda pair: pair[0])


def _watch_for(
    view: PatientView, pack: Pack | None, milestones: Sequence[tuple[dt.date, Milestone]]
) -> tuple[str, ...]:
    flags = {f.code for f in view.forecast.flags}
    lines: list[str] = []
    review = next((day for day, m in milestones if m.kind == "symptom_review"), None)
    for code, line in _FLAG_LINES.items():
        in_pack = pack is not None and pack.find(f"forecast.{code}", WarningDef) is not None
        if in_pack or code in flags:
            on = f" on {review.isoformat()}" if review is not None else ""
            lines.append(line.replace("{review}", on))
    lines.extend(_first_review_lines(view, pack, flags, milestones))
    warnings = {w.code for w in view.forecast.plan.warnings}
    lines.extend(line for code, line in _WARNING_LINES.items() if code in warnings)
    return tuple(lines)


def _first_review_lines(
    view: PatientView, pack: Pack | None, flags: set[str], milestones: Sequence[tuple[dt.date, Milestone]]
) -> list[str]:
    """Book the first check-up: overdue when the forecast says so, else its date when the pack holds the
    rule and the check-up is still to come (the first symptom review counted from the start)."""
    if _FIRST_REVIEW in flags:
        return [_FIRST_REVIEW_OVERDUE]
    if pack is None or pack.find(f"forecast.{_FIRST_REVIEW}", WarningDef) is None:
        return []
    if view.forecast.status == "stopped":
        return []
    coming = [day for day, m in milestones if m.kind == "symptom_review" and m.anchor == "start"]
    if not coming:  # already past (and not overdue: it happened)
        return []
    return [_FIRST_REVIEW_DUE.replace("{date}", min(coming).isoformat())]


def build_handout(
    view: PatientView,
    *,
    today: dt.date,
    calendar_url: str | None,
    pack: Pack | None = None,
    coming: ComingDates | None = None,
) -> Handout:
    """The patient's handout made on ``today``.

    ``pack`` (the patient's pack) adds the "when to call" lines its ``forecast.*`` records support;
    without it only the flags raised now and the plan's warnings are used. ``coming`` (the calendar
    projection) dates the coming injections and milestones as the ``.ics`` feed does; without it they
    are the forecast's next due date followed by the plan's own dates.

    Reference: nice-ng239-summary (through the pack's forecast records).
    """
    plan = view.forecast.plan
    cause = CAUSE_SENTENCES.get(plan.case.cause, CAUSE_SENTENCES["unknown"])
    loading, loading_text = _loading(view)
    next_dates = _next_dates(view, today, coming)
    if view.forecast.status == "stopped":
        next_text = "Your injections have stopped. Your clinician will tell you if you need more."
    elif _STOP_UNCONFIRMED in {f.code for f in view.forecast.flags}:
        next_text = _STOP_UNCONFIRMED_TEXT
    elif next_dates:
        next_text = "Your coming injections. Keep this list and bring it to your appointments."
    else:
        next_text = "Your clinic will tell you the date of your next injection."
    milestones = _coming_milestones(view, today, coming)
    if calendar_url:
        calendar_text = "Add these dates to your phone's calendar: scan the code or open this link."
    else:
        calendar_text = "Ask your clinic for a calendar link if you want these dates on your phone."
    label = f"{plan.pack_id} {plan.pack_version}"
    if plan.overlay is not None:
        label += f" + overlay {plan.overlay.id} {plan.overlay.version}"
    return Handout(
        title="Your vitamin B12 treatment",
        patient_name=view.patient.name,
        made_on=today,
        cause=f"{cause} This is the cause as recorded by your clinic.",
        medicine=_medicine(view),
        loading=loading,
        loading_text=loading_text,
        maintenance=_maintenance(view),
        next_dates=next_dates,
        next_text=next_text,
        milestones=tuple(HandoutDate(day, _milestone_words(m)) for day, m in milestones),
        watch_for=_watch_for(view, pack, milestones),
        calendar_url=calendar_url,
        calendar_text=calendar_text,
        pack_id=plan.pack_id,
        pack_version=plan.pack_version,
        pack_label=label,
        clinician_note=_CLINICIAN,
    )
