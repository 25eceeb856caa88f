"""Lab interpretation against the UK pack's cut-offs (NICE NG239)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from b12care.domain.case import Case, LabResult, Patient
from b12care.domain.errors import InputError
from b12care.domain.knowledge import Bands, Pack
from b12care.domain.labs import band_value, interpret_labs, validate_lab_units
from b12care.domain.vocabulary import Test
from b12care.knowledge.loader import load_pack

START = date(2026, 1, 5)
BEFORE = date(2025, 12, 20)


def _pack() -> Pack:
    return load_pack("uk-nice-2024")


def _lab(test: Test, value: str, unit: str, day: date = BEFORE) -> LabResult:
    return LabResult(test, Decimal(value), unit, day)


def _case(*labs: LabResult, **changes: object) -> Case:
    case = Case(
        start_date=START,
        patient=Patient(birth_date=date(1970, 5, 1), sex="female"),
        cause="autoimmune_gastritis",
        labs=labs,
    )
    return replace(case, **changes)


# --- band_value ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "band"),
    [("179", "deficient"), ("180", "indeterminate"), ("350", "indeterminate"), ("351", "unlikely")],
)
def test_total_b12_in_ng_per_litre_is_banded_at_the_nice_cut_offs(value: str, band: str) -> None:
    bands = _pack().record("labs.total_b12.bands", Bands).values[0][1]

    result = band_value(Decimal(value), bands)

    assert result == band


@pytest.mark.parametrize(
    ("value", "band"), [("0.44", "unlikely"), ("0.45", "unlikely"), ("0.46", "deficient")]
)
def test_mma_is_deficient_only_above_the_uk_single_upper_limit(value: str, band: str) -> None:
    bands = _pack().record("labs.mma.bands", Bands).values[0][1]

    result = band_value(Decimal(value), bands)

    assert result == band


@pytest.mark.parametrize(
    ("value", "band"), [("24", "deficient"), ("25", "indeterminate"), ("71", "unlikely")]
)
def test_active_b12_is_banded_at_25_and_70_pmol_per_litre(value: str, band: str) -> None:
    bands = _pack().record("labs.active_b12.bands", Bands).values[0][1]

    result = band_value(Decimal(value), bands)

    assert result == band


# --- findings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "band"),
    [("179", "deficient"), ("180", "indeterminate"), ("350", "indeterminate"), ("351", "unlikely")],
)
def test_a_total_b12_finding_carries_the_nice_band(value: str, band: str) -> None:
    case = _case(_lab("total_b12", value, "ng/L"))

    finding = interpret_labs(case, _pack()).findings[0]

    assert finding.band == band
    assert finding.rule_id == "labs.total_b12.bands"
    assert finding.counted is True


@pytest.mark.parametrize("value", ["180", "350"])
def test_a_total_b12_exactly_on_a_cut_off_is_flagged_as_an_unconfirmed_boundary(value: str) -> None:
    case = _case(_lab("total_b12", value, "ng/L"))

    interpretation = interpret_labs(case, _pack())

    finding = interpretation.findings[0]
    assert finding.verification == "unconfirmed"
    assert "inclusivity no source confirms" in finding.message
    band_reasons = [r for r in interpretation.reasons if r.rule_id == "labs.total_b12.bands"]
    assert [r.verification for r in band_reasons] == ["unconfirmed"]


@pytest.mark.parametrize("value", ["179", "351"])
def test_a_total_b12_off_the_cut_offs_keeps_the_records_grade(value: str) -> None:
    case = _case(_lab("total_b12", value, "ng/L"))

    finding = interpret_labs(case, _pack()).findings[0]

    assert finding.verification == "secondary"
    assert "inclusivity" not in finding.message


@pytest.mark.parametrize(
    ("pmol", "band"),
    [("132", "deficient"), ("133", "indeterminate"), ("258", "indeterminate"), ("259", "unlikely")],
)
def test_total_b12_reported_in_pmol_per_litre_is_converted_before_banding(pmol: str, band: str) -> None:
    case = _case(_lab("total_b12", pmol, "pmol/L"))

    finding = interpret_labs(case, _pack()).findings[0]

    assert finding.band == band
    assert finding.converted is not None
    assert finding.converted.unit == "ng/L"


def test_a_pmol_per_litre_result_is_shown_converted_to_ng_per_litre() -> None:
    case = _case(_lab("total_b12", "133", "pmol/L"))

    finding = interpret_labs(case, _pack()).findings[0]

    assert finding.converted is not None
    assert finding.converted.value.quantize(Decimal("0.01")) == Decimal("180.26")
    assert finding.message.startswith("total_b12 180.26 ng/L: indeterminate")


def test_mma_in_nmol_per_litre_is_converted_before_banding() -> None:
    case = _case(_lab("mma", "460", "nmol/L"))

    finding = interpret_labs(case, _pack()).findings[0]

    assert finding.band == "deficient"
    assert finding.converted is not None
    assert finding.converted.value == Decimal("0.46")


def test_a_test_without_a_cut_off_in_the_pack_is_not_banded() -> None:
    case = _case(_lab("haemoglobin", "95", "g/L"))

    interpretation = interpret_labs(case, _pack())

    assert interpretation.findings[0].band == "no_threshold"
    assert interpretation.b12_status == "not_tested"


# --- overall status --------------------------------------------------------------------------------


def test_a_deficient_marker_wins_over_a_normal_mma() -> None:
    case = _case(_lab("total_b12", "150", "ng/L"), _lab("mma", "0.20", "umol/L"))

    status = interpret_labs(case, _pack()).b12_status

    assert status == "deficient"


def test_a_normal_mma_resolves_an_indeterminate_total_b12_to_unlikely() -> None:
    case = _case(_lab("total_b12", "250", "ng/L"), _lab("mma", "0.20", "umol/L"))

    status = interpret_labs(case, _pack()).b12_status

    assert status == "unlikely"


def test_a_raised_mma_with_an_indeterminate_total_b12_means_deficient() -> None:
    case = _case(_lab("total_b12", "250", "ng/L"), _lab("mma", "0.60", "umol/L"))

    status = interpret_labs(case, _pack()).b12_status

    assert status == "deficient"


def test_an_indeterminate_total_b12_alone_is_indeterminate() -> None:
    case = _case(_lab("total_b12", "250", "ng/L"))

    status = interpret_labs(case, _pack()).b12_status

    assert status == "indeterminate"


def test_a_total_b12_above_the_upper_cut_off_alone_is_unlikely() -> None:
    case = _case(_lab("total_b12", "400", "ng/L"))

    status = interpret_labs(case, _pack()).b12_status

    assert status == "unlikely"


def test_a_deficient_mma_alone_means_deficient() -> None:
    case = _case(_lab("mma", "0.80", "umol/L"))

    status = interpret_labs(case, _pack()).b12_status

    assert status == "deficient"


def test_no_labs_means_not_tested() -> None:
    case = _case()

    interpretation = interpret_labs(case, _pack())

    assert interpretation.b12_status == "not_tested"
    assert interpretation.findings == ()
    assert interpretation.reasons == ()


def test_the_latest_pre_treatment_sample_of_a_test_decides_the_status() -> None:
    older = _lab("total_b12", "150", "ng/L", date(2025, 11, 1))
    newer = _lab("total_b12", "250", "ng/L", date(2025, 12, 1))
    case = _case(newer, older)

    interpretation = interpret_labs(case, _pack())

    assert interpretation.b12_status == "indeterminate"
    assert [f.date for f in interpretation.findings] == [date(2025, 11, 1), date(2025, 12, 1)]


def test_a_sample_taken_on_the_start_date_is_not_used_for_status() -> None:
    case = _case(_lab("total_b12", "150", "ng/L", START))

    interpretation = interpret_labs(case, _pack())

    assert interpretation.b12_status == "not_tested"
    finding = interpretation.findings[0]
    assert finding.counted is False
    assert finding.band == "deficient"
    assert "sampled on or after the start of treatment" in finding.message


def test_a_sample_taken_after_the_start_date_does_not_override_an_earlier_one() -> None:
    case = _case(
        _lab("total_b12", "250", "ng/L", BEFORE),
        _lab("total_b12", "150", "ng/L", date(2026, 2, 1)),
    )

    interpretation = interpret_labs(case, _pack())

    assert interpretation.b12_status == "indeterminate"
    assert [f.counted for f in interpretation.findings] == [True, False]


def test_a_sample_the_day_before_the_start_date_is_used() -> None:
    case = _case(_lab("total_b12", "150", "ng/L", date(2026, 1, 4)))

    status = interpret_labs(case, _pack()).b12_status

    assert status == "deficient"


def test_the_status_rule_is_named_in_the_reasons_when_a_marker_was_tested() -> None:
    case = _case(_lab("total_b12", "150", "ng/L"))

    reasons = interpret_labs(case, _pack()).reasons

    assert [r.rule_id for r in reasons] == ["labs.total_b12.bands", "labs.status.combination"]
    assert reasons[-1].decision == "overall B12 status: deficient"


# --- next tests ------------------------------------------------------------------------------------


def test_an_indeterminate_result_suggests_mma() -> None:
    case = _case(_lab("total_b12", "250", "ng/L"))

    next_tests = interpret_labs(case, _pack()).next_tests

    assert [(t.tests, t.rule_id) for t in next_tests] == [(("mma",), "labs.next_test.indeterminate")]


def test_an_mma_on_the_uk_limit_resolves_an_indeterminate_total_b12_and_suggests_nothing() -> None:
    case = _case(_lab("total_b12", "250", "ng/L"), _lab("mma", "0.45", "umol/L"))

    interpretation = interpret_labs(case, _pack())

    assert interpretation.b12_status == "unlikely"
    assert interpretation.next_tests == ()


def _pack_with_mma_grey_zone() -> Pack:
    """The UK pack with an MMA grey zone 0.30-0.45 umol/L, so an MMA result can itself be indeterminate."""
    pack = _pack()
    record = pack.record("labs.mma.bands", Bands)
    bands = replace(record.values[0][1], lower=Decimal("0.30"), upper=Decimal("0.45"))
    records = {**pack.records, record.id: replace(record, values=((record.values[0][0], bands),))}
    return replace(pack, records=records, _by_kind={})


def test_an_indeterminate_result_does_not_suggest_mma_when_mma_was_already_done() -> None:
    case = _case(_lab("total_b12", "250", "ng/L"), _lab("mma", "0.40", "umol/L"))

    interpretation = interpret_labs(case, _pack_with_mma_grey_zone())

    assert interpretation.b12_status == "indeterminate"
    assert interpretation.next_tests == ()


def test_a_deficient_result_suggests_no_further_test() -> None:
    case = _case(_lab("total_b12", "150", "ng/L"))

    next_tests = interpret_labs(case, _pack()).next_tests

    assert next_tests == ()


def test_pregnancy_suggests_active_b12_as_the_first_test() -> None:
    patient = Patient(birth_date=date(1995, 3, 3), sex="female", pregnant=True)
    case = _case(patient=patient)

    next_tests = interpret_labs(case, _pack()).next_tests

    assert [(t.tests, t.rule_id) for t in next_tests] == [(("active_b12",), "labs.next_test.pregnancy")]


def test_pregnancy_with_an_active_b12_already_done_suggests_nothing_more() -> None:
    patient = Patient(birth_date=date(1995, 3, 3), sex="female", pregnant=True)
    case = _case(_lab("active_b12", "20", "pmol/L"), patient=patient)

    interpretation = interpret_labs(case, _pack())

    assert interpretation.b12_status == "deficient"
    assert interpretation.next_tests == ()


def test_nitrous_oxide_use_suggests_homocysteine_first() -> None:
    case = _case(cause="nitrous_oxide")

    next_tests = interpret_labs(case, _pack()).next_tests

    assert [(t.tests, t.rule_id) for t in next_tests] == [(("homocysteine",), "labs.next_test.nitrous_oxide")]


def test_nitrous_oxide_with_an_indeterminate_total_b12_suggests_both_rules_in_order() -> None:
    case = _case(_lab("total_b12", "250", "ng/L"), cause="nitrous_oxide")

    next_tests = interpret_labs(case, _pack()).next_tests

    assert [t.tests for t in next_tests] == [("homocysteine",), ("mma",)]


def test_a_functional_test_taken_after_the_start_does_not_count_as_done() -> None:
    case = _case(_lab("homocysteine", "40", "umol/L", START), cause="nitrous_oxide")

    next_tests = interpret_labs(case, _pack()).next_tests

    assert [t.tests for t in next_tests] == [("homocysteine",)]


# --- unit validation -------------------------------------------------------------------------------


def test_validating_lab_units_names_the_index_of_the_bad_result() -> None:
    labs = (_lab("total_b12", "250", "ng/L"), _lab("mma", "300", "ng/L"))

    with pytest.raises(InputError) as caught:
        validate_lab_units(labs, _pack(), START)

    assert caught.value.field == "labs[1].unit"


def test_validating_lab_units_accepts_every_unit_the_pack_lists() -> None:
    labs = (
        _lab("total_b12", "250", "pg/mL"),
        _lab("mma", "300", "nmol/L"),
        _lab("reticulocytes", "2", "%"),
        _lab("reticulocytes", "80", "10^9/L"),
        _lab("haemoglobin", "12", "g/dL"),
    )

    result = validate_lab_units(labs, _pack(), START)

    assert result is None
