"""The patient timeline chart as inline SVG, drawn with matplotlib (object-oriented API, no pyplot).

Panels share the date axis: injections (given, not done, next due), each charted lab test with the
pack's bands, symptom scores 0-3 and the overall direction. Every meaning has a marker shape or a text
label as well as a colour (Okabe-Ito palette, dark tones on white). Output is deterministic: a fixed
hash salt per patient, text as ``<text>`` in a fixed font family, no date in the metadata.

Reference: the cut-offs come from the pack's ``labs.<test>.bands`` records (see ``series.py``).
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.typing import RcKeyType

from b12care.adapters.charts.series import LabSeries, TimelineData, timeline_data
from b12care.application.records import DoseRecord, LabRecord, SymptomCheckRecord
from b12care.application.treatment import PatientView
from b12care.domain.knowledge import Pack
from b12care.domain.quantity import format_decimal

__all__ = ["timeline_svg"]

# matplotlib reads these from its global rcParams while saving: one chart at a time, under a lock.
_LOCK = threading.Lock()
_RC: dict[RcKeyType, object] = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#000000",
    "xtick.color": "#000000",
    "ytick.color": "#000000",
    "svg.image_inline": True,
}
_BLUE, _VERMILLION, _GREEN, _PURPLE, _BLACK = "#0072B2", "#B8460B", "#00704F", "#7A3D6E", "#000000"
_BAND_FILL = {"deficient": "#F4C7B8", "indeterminate": "#F7E6A6", "unlikely": "#CFE8D8"}
_BAND_WORDS = {"deficient": "deficient", "indeterminate": "indeterminate", "unlikely": "deficiency unlikely"}
_TEST_NAMES = {
    "total_b12": "Total B12",
    "active_b12": "Active B12",
    "mma": "MMA",
    "haemoglobin": "Haemoglobin",
}
_SYMPTOM_STYLE = (
    ("o", _BLUE),
    ("s", _VERMILLION),
    ("^", _GREEN),
    ("D", _PURPLE),
    ("v", _BLACK),
    ("P", "#5C5C00"),
    ("X", "#4D4D4D"),
)
_OVERALL_Y = {"worse": -1, "same": 0, "better": 1}
_OVERALL_MARKER = {"worse": "v", "same": "o", "better": "^"}
_WIDTH_IN = 9.0
_EPOCH = dt.date(1970, 1, 1)


def _day_number(day: dt.date) -> float:
    """Days since matplotlib's default date epoch, 1970-01-01 (its own date2num is untyped)."""
    return float((day - _EPOCH).days)


def _fmt(value: Decimal) -> str:
    return format_decimal(value)


def _band_label(series: LabSeries, index: int) -> str:
    span = series.spans[index]
    words = _BAND_WORDS[span.band]
    if span.low is None and span.high is not None:
        return f"{words}: below {_fmt(span.high)} {series.unit}"
    if span.high is None and span.low is not None:
        return f"{words}: above {_fmt(span.low)} {series.unit}"
    return f"{words}: {_fmt(span.low or Decimal(0))}-{_fmt(span.high or Decimal(0))} {series.unit}"


def _markers(ax: Axes, days: Sequence[dt.date], gid: str, label: str, **style: Any) -> Line2D:
    """One row of dose markers on the dose panel, named ``gid`` in the SVG."""
    line = ax.plot([_day_number(d) for d in days], [0] * len(days), linestyle="none", label=label, **style)[0]
    line.set_gid(gid)
    return line


def _dose_panel(ax: Axes, data: TimelineData) -> None:
    handles: list[Line2D] = [
        _markers(
            ax,
            data.given,
            "doses-given",
            f"injection given ({len(data.given)})",
            marker="o",
            markersize=7,
            color=_BLUE,
        )
    ]
    if data.not_done:
        handles.append(
            _markers(
                ax,
                data.not_done,
                "doses-not-done",
                f"not done ({len(data.not_done)})",
                marker="X",
                markersize=8,
                color=_VERMILLION,
            )
        )
    if data.next_due is not None:
        handles.append(
            _markers(
                ax,
                [data.next_due],
                "dose-next-due",
                f"next due {data.next_due.isoformat()}",
                marker="D",
                markersize=7,
                markerfacecolor="white",
                markeredgecolor=_BLACK,
            )
        )
    if data.doses_in_error:
        handles.append(
            Line2D([], [], linestyle="none", label=f"entered in error, not shown: {data.doses_in_error}")
        )
    handles.append(
        Line2D([], [], color="#555555", linewidth=0.8, linestyle=":", label=f"today {data.as_of.isoformat()}")
    )
    ax.set_yticks([])
    ax.set_ylim(-1, 1)
    ax.set_ylabel("Injections", rotation=0, ha="right", va="center")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def _lab_panel(ax: Axes, series: LabSeries, pack_label: str) -> None:
    values = [float(v) for _, v in series.points]
    cuts = [float(s.high) for s in series.spans if s.high is not None]
    top = max([*values, *cuts, 0.0]) * 1.2 or 1.0
    ax.set_ylim(0, top)
    handles: list[Line2D | Patch] = []
    for index, span in enumerate(series.spans):
        low = float(span.low) if span.low is not None else 0.0
        high = float(span.high) if span.high is not None else top
        patch = ax.axhspan(low, high, color=_BAND_FILL[span.band], zorder=0, linewidth=0)
        patch.set_gid(f"band-{series.test}-{span.band}")
        label = _band_label(series, index)
        ax.text(
            0.005,
            (low + high) / 2,
            _BAND_WORDS[span.band],
            transform=ax.get_yaxis_transform(),
            fontsize=7,
            va="center",
            ha="left",
            color=_BLACK,
            zorder=2,
        )
        handles.append(Patch(facecolor=_BAND_FILL[span.band], edgecolor="#666666", label=label))
    for cut in sorted({float(c) for s in series.spans for c in (s.low, s.high) if c is not None}):
        ax.axhline(cut, color="#555555", linewidth=0.8, linestyle="--", zorder=1)
    line = ax.plot(
        [_day_number(d) for d, _ in series.points],
        values,
        marker="o",
        markersize=5,
        color=_BLUE,
        linewidth=1.6,
        zorder=3,
        label=f"{_TEST_NAMES[series.test]} ({series.unit})",
    )[0]
    line.set_gid(f"lab-{series.test}")
    handles.insert(0, line)
    if series.bands is None:
        handles.append(Line2D([], [], linestyle="none", label=f"no cut-off in pack {pack_label}"))
    if series.unconverted:
        handles.append(
            Line2D([], [], linestyle="none", label=f"{series.unconverted} result(s) not convertible")
        )
    ax.set_ylabel(f"{_TEST_NAMES[series.test]}\n{series.unit}", rotation=0, ha="right", va="center")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)


def _symptom_panel(ax: Axes, data: TimelineData) -> None:
    for (symptom, points), (marker, colour) in zip(data.symptoms, _SYMPTOM_STYLE, strict=False):
        line = ax.plot(
            [_day_number(d) for d, _ in points],
            [score for _, score in points],
            marker=marker,
            markersize=5,
            color=colour,
            linewidth=1.2,
            label=symptom.replace("_", " "),
        )[0]
        line.set_gid(f"symptom-{symptom}")
    ax.set_ylim(-0.3, 3.3)
    ax.set_yticks([0, 1, 2, 3])
    ax.set_ylabel("Symptom score\n0 none - 3 severe", rotation=0, ha="right", va="center")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)


def _overall_panel(ax: Axes, data: TimelineData) -> None:
    for change, marker in _OVERALL_MARKER.items():
        days = [d for d, overall in data.overall if overall == change]
        if days:
            line = ax.plot(
                [_day_number(d) for d in days],
                [_OVERALL_Y[change]] * len(days),
                linestyle="none",
                marker=marker,
                markersize=7,
                color=_BLACK,
                label=change,
            )[0]
            line.set_gid(f"overall-{change}")
    ax.set_ylim(-1.6, 1.6)
    ax.set_yticks([-1, 0, 1], ["worse", "same", "better"])
    ax.set_ylabel("Overall", rotation=0, ha="right", va="center")


def _summary(data: TimelineData) -> str:
    parts = [f"{len(data.given)} injection(s) given"]
    if data.given:
        parts[0] += f", {data.given[0].isoformat()} to {data.given[-1].isoformat()}"
    if data.not_done:
        parts.append(f"{len(data.not_done)} not done")
    if data.doses_in_error:
        parts.append(f"{data.doses_in_error} entered in error (not shown)")
    if data.next_due is not None:
        parts.append(f"next injection due {data.next_due.isoformat()}")
    for series in data.labs:
        name = _TEST_NAMES[series.test]
        if not series.points:
            continue
        day, value = series.points[-1]
        text = (
            f"{name}: {len(series.points)} result(s), latest {_fmt(value)} {series.unit} on {day.isoformat()}"
        )
        if series.spans:
            bands = "; ".join(_band_label(series, i) for i in range(len(series.spans)))
            text += f" (pack bands {bands})"
        else:
            text += " (no cut-off in this pack)"
        parts.append(text)
    if data.overall:
        day, change = data.overall[-1]
        parts.append(f"{len(data.overall)} symptom check(s), latest {day.isoformat()}: overall {change}")
    parts.append(f"as of {data.as_of.isoformat()}; knowledge pack {data.pack_label}")
    return ". ".join(parts) + "."


def _draw(data: TimelineData) -> Figure:
    ratios = (
        [1.0] + [2.2] * len(data.labs) + ([2.2] if data.symptoms else []) + ([1.2] if data.overall else [])
    )
    height = 0.9 + 0.95 * sum(ratios)
    figure = Figure(figsize=(_WIDTH_IN, height))
    axes = figure.subplots(len(ratios), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": ratios})
    # Fixed margins in inches (labels left, legends right): a layout engine would double the render time.
    figure.subplots_adjust(
        left=1.45 / _WIDTH_IN,
        right=1 - 2.6 / _WIDTH_IN,
        top=1 - 0.15 / height,
        bottom=0.4 / height,
        hspace=0.18,
    )
    column = [row[0] for row in axes]
    _dose_panel(column[0], data)
    for ax, series in zip(column[1 : 1 + len(data.labs)], data.labs, strict=True):
        _lab_panel(ax, series, data.pack_label)
    rest = column[1 + len(data.labs) :]
    if data.symptoms:
        _symptom_panel(rest.pop(0), data)
    if data.overall:
        _overall_panel(rest.pop(0), data)
    days = data.dates
    first, last = min(days), max(days)
    pad = max((last - first).days * 0.04, 3.0)
    column[0].set_xlim(_day_number(first) - pad, _day_number(last) + pad)
    for ax in column:
        ax.axvline(_day_number(data.as_of), color="#555555", linewidth=0.8, linestyle=":")
        ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    locator = AutoDateLocator(minticks=3, maxticks=9)  # type: ignore[no-untyped-call]
    column[-1].xaxis.set_major_locator(locator)
    column[-1].xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    return figure


def _accessible(svg: str, salt: str, title: str, description: str) -> str:
    start = svg.index("<svg")
    svg = svg[start:]
    tag_end = svg.index(">")
    ids = f"b12-chart-{salt}"
    opening = svg[:tag_end].replace("<svg ", f'<svg role="img" aria-labelledby="{ids}-title {ids}-desc" ', 1)
    return (
        f'{opening}>\n <title id="{ids}-title">{escape(title)}</title>\n'
        f' <desc id="{ids}-desc">{escape(description)}</desc>{svg[tag_end + 1 :]}'
    )


def timeline_svg(
    view: PatientView,
    doses: Sequence[DoseRecord],
    labs: Sequence[LabRecord],
    checks: Sequence[SymptomCheckRecord],
    pack: Pack,
) -> str:
    """The patient's timeline chart as an SVG string ready to embed inline.

    The root ``<svg>`` carries ``role="img"`` and a ``<title>``/``<desc>`` text summary. Doses and entries
    marked entered-in-error are left off (counted in the summary); lab tests without a cut-off in
    ``pack`` get no band and a legend line saying so. The same input gives the same bytes.
    """
    data = timeline_data(view, doses, labs, checks, pack)
    salt = view.patient.id.replace("-", "")[:12] or "patient"
    buffer = io.StringIO()
    with _LOCK, mpl.rc_context({**_RC, "svg.hashsalt": f"b12care-{salt}"}):
        figure = _draw(data)
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    title = "Treatment timeline: injections, blood tests and symptoms"
    return _accessible(buffer.getvalue(), salt, title, _summary(data))
