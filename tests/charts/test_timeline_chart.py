"""The patient timeline chart: accessible, deterministic SVG with the pack's bands and one marker per dose."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import replace
from decimal import Decimal

from chart_views import NOW, NURSE, START, Record, build_record, given, lab, loading_record

from b12care.adapters.charts.series import BandSpan, timeline_data
from b12care.adapters.charts.timeline import timeline_svg
from b12care.application.records import EnteredInError
from b12care.domain.knowledge import Bands

SVG = "{http://www.w3.org/2000/svg}"


def render(record: Record) -> str:
    return timeline_svg(record.view, record.doses, record.labs, record.checks, record.pack)


def group(root: ET.Element, gid: str) -> ET.Element | None:
    return next((g for g in root.iter(f"{SVG}g") if g.get("id") == gid), None)


def markers(root: ET.Element, gid: str) -> int:
    found = group(root, gid)
    assert found is not None, f"no group {gid}"
    return len(list(found.iter(f"{SVG}use")))


def text_of(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def test_chart_is_svg_with_a_title_and_a_text_summary_first() -> None:
    root = ET.fromstring(render(loading_record()))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = list(root)[:2]
    assert title.tag == f"{SVG}title" and title.text
    assert desc.tag == f"{SVG}desc"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "6 injection(s) given, 2026-01-05 to 2026-01-16" in (desc.text or "")
    assert "1 entered in error (not shown)" in (desc.text or "")


def test_one_marker_per_given_dose_and_a_distinct_marker_per_dose_not_done() -> None:
    root = ET.fromstring(render(loading_record()))

    assert markers(root, "doses-given") == 6  # the dose entered in error is not drawn
    assert markers(root, "doses-not-done") == 1
    assert markers(root, "dose-next-due") == 1


def test_a_line_per_lab_test_present_and_none_for_a_test_absent() -> None:
    root = ET.fromstring(render(loading_record()))

    for test, points in (("total_b12", 2), ("mma", 1), ("haemoglobin", 2)):
        assert markers(root, f"lab-{test}") == points
    assert group(root, "lab-active_b12") is None


def test_bands_sit_exactly_at_the_pack_cut_offs() -> None:
    record = loading_record()
    bands = record.pack.record("labs.total_b12.bands", Bands).value_on(record.view.forecast.as_of)

    series = {
        s.test: s
        for s in timeline_data(record.view, record.doses, record.labs, record.checks, record.pack).labs
    }

    assert (bands.lower, bands.upper, bands.unit) == (Decimal(180), Decimal(350), "ng/L")
    assert series["total_b12"].spans == (
        BandSpan("deficient", None, bands.lower),
        BandSpan("indeterminate", bands.lower, bands.upper),
        BandSpan("unlikely", bands.upper, None),
    )
    root = ET.fromstring(render(record))
    for band in ("deficient", "indeterminate", "unlikely"):
        assert group(root, f"band-total_b12-{band}") is not None
    assert "deficient: below 180 ng/L" in text_of(root)


def test_a_single_limit_for_a_raised_marker_bands_above_as_deficient() -> None:
    record = loading_record()

    series = {
        s.test: s
        for s in timeline_data(record.view, record.doses, record.labs, record.checks, record.pack).labs
    }

    limit = record.pack.record("labs.mma.bands", Bands).value_on(START).upper
    assert series["mma"].spans == (BandSpan("unlikely", None, limit), BandSpan("deficient", limit, None))


def test_a_test_without_a_cut_off_in_the_pack_gets_no_band_and_the_legend_says_so() -> None:
    record = loading_record()
    assert record.pack.find("labs.haemoglobin.bands", Bands) is None

    root = ET.fromstring(render(record))

    assert not [g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("band-haemoglobin")]
    assert "no cut-off in pack uk-nice-2024 1.1.0" in text_of(root)


def test_results_in_other_units_are_converted_by_the_pack_into_the_band_unit() -> None:
    record = loading_record()

    series = {
        s.test: s
        for s in timeline_data(record.view, record.doses, record.labs, record.checks, record.pack).labs
    }

    assert series["mma"].unit == "umol/L"
    assert series["mma"].points == ((START - dt.timedelta(days=3), Decimal("0.7")),)
    assert series["haemoglobin"].unit == "g/L"
    assert [value for _, value in series["haemoglobin"].points] == [Decimal(101), Decimal(125)]


def test_symptom_scores_and_the_overall_direction_are_drawn_with_their_own_markers() -> None:
    root = ET.fromstring(render(loading_record()))

    assert markers(root, "symptom-fatigue") == 3
    assert markers(root, "symptom-pins_and_needles") == 2
    assert {gid: markers(root, f"overall-{gid}") for gid in ("better", "same", "worse")} == {
        "better": 1,
        "same": 1,
        "worse": 1,
    }


def test_entries_marked_entered_in_error_are_left_off_the_chart() -> None:
    record = loading_record()
    wrong = lab(record.view.patient.id, "active_b12", "20", "pmol/L", START)
    marked = replace(wrong, entered_in_error=EnteredInError(NOW, NURSE, "typo"))
    root = ET.fromstring(
        timeline_svg(record.view, record.doses, [*record.labs, marked], record.checks, record.pack)
    )

    assert group(root, "lab-active_b12") is None


def test_the_same_record_gives_the_same_svg_and_patients_get_distinct_ids() -> None:
    first, again = render(loading_record()), render(loading_record())
    other = render(loading_record(patient_id="5d1e7f00-0000-4000-8000-000000000002"))

    assert first == again
    assert "<dc:date>" not in first
    clip_ids = {e.get("id") for e in ET.fromstring(first).iter(f"{SVG}clipPath")}
    other_ids = {e.get("id") for e in ET.fromstring(other).iter(f"{SVG}clipPath")}
    assert clip_ids and not clip_ids & other_ids


def test_a_patient_with_nothing_recorded_still_gets_a_chart() -> None:
    root = ET.fromstring(render(build_record([], [], [])))

    assert markers(root, "doses-given") == 0
    assert "0 injection(s) given" in (list(root)[1].text or "")


def test_the_us_pack_bands_total_b12_in_its_own_unit() -> None:
    patient_id = "0b6a2c1e-0000-4000-8000-000000000001"
    record = build_record(
        [given(patient_id, START)],
        [lab(patient_id, "total_b12", "100", "pmol/L", START)],
        [],
        pack_id="us-fda-label",
    )

    series = timeline_data(record.view, record.doses, record.labs, record.checks, record.pack).labs[0]

    bands = record.pack.record("labs.total_b12.bands", Bands).value_on(START)
    assert series.unit == bands.unit == "pg/mL"
    assert series.spans[0].high == bands.lower
