"""Rich layouts of plans, packs and records for a clinician to read and hand over."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from b12care.application.planning import Explanation
from b12care.domain.calendar import Interval
from b12care.domain.forecast import Forecast
from b12care.domain.plan import Plan
from b12care.domain.quantity import Quantity
from b12care.knowledge import PackSummary

__all__ = ["describe_value", "render_explanations", "render_forecast", "render_packs", "render_plan"]

_SEVERITY_STYLE = {"critical": "bold white on red", "warning": "bold yellow", "info": "cyan"}
_GRADE_NOTE = {"unconfirmed": " (UNCONFIRMED)", "local_policy": " (local policy)"}


def describe_value(value: object) -> str:
    """A record value in plain words: ``direction: low, lower: 180, upper: 350`` (not a dataclass repr)."""
    if isinstance(value, Decimal | Quantity | Interval | str | int | bool):
        return str(value)
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(describe_value(v) for v in value))
    if isinstance(value, tuple | list):
        return "[" + ", ".join(describe_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {describe_value(v)}" for k, v in value.items()) + "}"
    if is_dataclass(value):
        shown = []
        for item in fields(value):
            field_value = getattr(value, item.name)
            if field_value not in (None, (), "", frozenset()):
                shown.append(f"{item.name}: {describe_value(field_value)}")
        return "; ".join(shown)
    return str(value)


def _grade(grade: str | None) -> str:
    return f"{grade}{_GRADE_NOTE.get(grade or '', '')}" if grade else ""


def _cites(citations: tuple[str, ...] | list[str]) -> str:
    return ", ".join(citations)


def _header(plan: Plan) -> Panel:
    case = plan.case
    regimen = plan.selection.regimen
    lines = Text()
    lines.append("Regimen: ", style="bold")
    lines.append(f"{regimen.summary}\n")
    lines.append("Route: ", style="bold")
    lines.append(f"{plan.selection.route}    ")
    lines.append("Dose: ", style="bold")
    lines.append(f"{regimen.dose}")
    if regimen.dose_range is not None:
        lines.append(f" (range {regimen.dose_range[0]} to {regimen.dose_range[1]})")
    if regimen.administration:
        lines.append(f", {regimen.administration}")
    lines.append("\nStart: ", style="bold")
    lines.append(f"{case.start_date.isoformat()}    ")
    lines.append("Cause: ", style="bold")
    lines.append(f"{case.cause}    ")
    lines.append("Duration: ", style="bold")
    lines.append("lifelong" if plan.lifelong else "open-ended, reviewed")
    lines.append("\nB12 status: ", style="bold")
    lines.append(plan.interpretation.b12_status)
    title = f"b12care plan - pack {plan.pack_id} {plan.pack_version}"
    if plan.overlay is not None:
        title += f" + overlay {plan.overlay.id} {plan.overlay.version}"
    return Panel(lines, title=title, title_align="left")


def _warnings(plan: Plan) -> list[Panel]:
    panels = []
    for warning in plan.warnings:
        body = Text(warning.message)
        body.append(
            f"\n{warning.rule_id} | {_cites(warning.citations)} | {_grade(warning.verification)}", style="dim"
        )
        panels.append(
            Panel(
                body,
                title=f"{warning.severity.upper()}: {warning.code}",
                title_align="left",
                border_style=_SEVERITY_STYLE[warning.severity],
            )
        )
    return panels


def _labs(plan: Plan) -> Table:
    table = Table(title="Lab interpretation", title_justify="left", expand=True)
    for column in ("Date", "Test", "Result", "Band", "Rule", "Grade"):
        table.add_column(column)
    for f in plan.interpretation.findings:
        result = str(f.reported)
        if f.converted is not None and f.converted.unit != f.reported.unit:
            result += (
                f" (= {f.converted.value.quantize(f.reported.value.__class__('0.1'))} {f.converted.unit})"
            )
        band = f.band if f.counted else f"{f.band} (after start: not used)"
        table.add_row(f.date.isoformat(), f.test, result, band, f.rule_id or "-", _grade(f.verification))
    for t in plan.interpretation.next_tests:
        table.add_row("next", ", ".join(t.tests), t.message, "", t.rule_id, _grade(t.verification))
    return table


def _schedule(plan: Plan) -> Table:
    table = Table(title="Schedule", title_justify="left", expand=True)
    for column in ("Phase", "Cadence", "Dated doses", "Ends"):
        table.add_column(column)
    for phase in plan.phases:
        cadence = (
            f"{phase.times_per_week} times a week" if phase.times_per_week else f"every {phase.interval}"
        )
        if phase.interval_range is not None and phase.interval_range[0] != phase.interval_range[1]:
            cadence += f" (range {phase.interval_range[0]} to {phase.interval_range[1]})"
        dates = ", ".join(d.date.isoformat() for d in phase.doses)
        if phase.kind == "oral" and phase.doses:
            dates = f"daily from {phase.doses[0].date.isoformat()}"
        ends = phase.end.replace("_", " ")
        if phase.review_checkpoint is not None:
            ends += f"; review {phase.review_checkpoint.isoformat()}"
        if phase.condition:
            ends += f" ({phase.condition})"
        label = phase.kind + (" (provisional)" if phase.provisional else "")
        dose = phase.doses[0].dose if phase.doses else plan.selection.regimen.dose
        table.add_row(f"{label}\n{dose} {plan.selection.route}", cadence, dates, ends)
    return table


def _milestones(plan: Plan) -> Table:
    table = Table(title="Milestones", title_justify="left", expand=True)
    for column in ("Date", "Kind", "What", "Sources"):
        table.add_column(column)
    for m in plan.milestones:
        when = m.date.isoformat() + (f" to {m.due_by.isoformat()}" if m.due_by else "")
        table.add_row(when, m.kind, m.what, f"{_cites(m.citations)} ({_grade(m.verification)})")
    return table


def _rationale(plan: Plan) -> Panel:
    text = Text()
    shown: set[str] = set()
    for index, r in enumerate(plan.rationale, start=1):
        text.append(f"{index}. {r.decision}\n", style="bold")
        text.append(f"   because {r.because}\n")
        for conflict in () if r.rule_id in shown else r.conflicts:
            text.append(f"   other source ({_cites(conflict.citations)}): {conflict.says}\n", style="italic")
        shown.add(r.rule_id)
        origin = f" | {r.origin}" if r.origin != "pack" else ""
        text.append(
            f"   {r.rule_id} | {_cites(r.citations)} | {_grade(r.verification)}{origin}\n", style="dim"
        )
    return Panel(text, title="Why: every decision and its source", title_align="left")


def _blocked(plan: Plan) -> list[Panel]:
    if not plan.blocked_by:
        return []
    text = Text(
        f"Contraindicated for this patient ({', '.join(plan.blocked_by)}): do not start this plan without a "
        "prescriber's decision. The dates below show what the pack would give, not a recommendation."
    )
    return [Panel(text, title="DO NOT START", title_align="left", border_style=_SEVERITY_STYLE["critical"])]


def render_plan(plan: Plan, console: Console) -> None:
    """Print the plan: header, warnings (critical first), labs, schedule, milestones, rationale."""
    parts: list[Any] = [
        _header(plan),
        *_blocked(plan),
        *_warnings(plan),
        _labs(plan),
        _schedule(plan),
        _milestones(plan),
    ]
    if plan.selection.alternatives:
        alternatives = Table(title="Alternatives in this pack", title_justify="left", expand=True)
        alternatives.add_column("Regimen")
        alternatives.add_column("Sources")
        for record in plan.selection.alternatives:
            alternatives.add_row(
                f"{record.id}: {record.value_on(plan.case.start_date).summary}",
                f"{_cites(record.citations)} ({_grade(record.verification)})",
            )
        parts.append(alternatives)
    parts.append(_rationale(plan))
    overlay = f" + overlay {plan.overlay.id} {plan.overlay.version}" if plan.overlay is not None else ""
    parts.append(
        Text(
            "Decision support only: the prescriber decides. "
            f"Produced by pack {plan.pack_id} {plan.pack_version}{overlay} (sha256 {plan.pack_hash[:12]}).",
            style="dim",
        )
    )
    console.print(Group(*parts))


def render_packs(packs: list[PackSummary], console: Console) -> None:
    """Print every pack with its version and record counts per verification grade."""
    table = Table(title="Knowledge packs", title_justify="left")
    for column in ("Pack", "Version", "Title", "Records by grade"):
        table.add_column(column)
    for pack in packs:
        grades = ", ".join(f"{grade} {count}" for grade, count in pack.records_by_grade.items())
        table.add_row(pack.id + (" (default)" if pack.default else ""), pack.version, pack.title, grades)
    console.print(table)


def render_explanations(explanations: list[Explanation], console: Console) -> None:
    """Print a record as each pack defines it, with the full citations."""
    for item in explanations:
        record = item.record
        text = Text()
        text.append(f"{record.description}\n")
        text.append("Grade: ", style="bold")
        text.append(f"{_grade(record.verification)}    ")
        text.append("Unit: ", style="bold")
        text.append(f"{record.unit or '-'}    ")
        text.append("Origin: ", style="bold")
        text.append(f"{record.origin}\n")
        for effective, value in record.values:
            text.append(f"From {effective.isoformat()}: ", style="bold")
            text.append(f"{describe_value(value)}\n")
        if record.notes:
            text.append(f"Notes: {record.notes}\n")
        for conflict in record.conflicts:
            text.append(f"Other source ({_cites(conflict.citations)}): {conflict.says}\n")
        text.append("Sources:\n", style="bold")
        for cid in record.citations:
            citation = item.pack.citations[cid]
            text.append(
                f"  [{cid}] {citation.title}. {citation.publisher}, {citation.year}. {citation.url}\n"
            )
        console.print(
            Panel(text, title=f"{record.id} - {item.pack.id} {item.pack.version}", title_align="left")
        )


_STATUS_STYLE = {"overdue": "bold red", "needs_review": "bold red", "due": "bold yellow", "stopped": "dim"}


def render_forecast(forecast: Forecast, console: Console) -> None:
    """Print the forecast: status and next dose, flags, then each dose's evaluation."""
    nxt = forecast.next_dose
    head = Text()
    head.append("Status: ", style="bold")
    head.append(forecast.status, style=_STATUS_STYLE.get(forecast.status, "bold green"))
    head.append(f"    Phase: {forecast.phase or '-'}    As of: {forecast.as_of.isoformat()}\n")
    if nxt is None:
        head.append("No next injection (stopped or oral).")
    else:
        head.append(
            f"Next dose: earliest {nxt.earliest.isoformat()}, due {nxt.due.isoformat()}, "
            f"overdue from {nxt.overdue.isoformat()}"
        )
    plan = forecast.plan
    title = f"b12care forecast - pack {plan.pack_id} {plan.pack_version}"
    parts: list[Any] = [Panel(head, title=title, title_align="left")]
    for flag in forecast.flags:
        body = Text(flag.message)
        body.append(f"\n{flag.rule_id} | {_cites(flag.citations)} | {_grade(flag.verification)}", style="dim")
        parts.append(
            Panel(
                body,
                title=f"{flag.severity.upper()}: {flag.code}",
                title_align="left",
                border_style=_SEVERITY_STYLE[flag.severity],
            )
        )
    table = Table(title="Recorded doses", title_justify="left", expand=True)
    for column in ("Date", "Phase", "Evaluation", "Why"):
        table.add_column(column)
    for item in forecast.evaluations:
        table.add_row(item.date.isoformat(), item.phase, item.status, item.reason)
    parts.append(table)
    parts.append(Text("Decision support only: the prescriber decides.", style="dim"))
    console.print(Group(*parts))
