"""Unit conversion with the UK pack's real unit records."""

from __future__ import annotations

from decimal import Decimal

import pytest

from b12care.domain.errors import InputError
from b12care.domain.knowledge import AnalyteUnits
from b12care.domain.units import convert
from b12care.knowledge.loader import load_pack

TENTH = Decimal("0.1")


def _units(analyte: str) -> AnalyteUnits:
    return load_pack("uk-nice-2024").record(f"units.{analyte}", AnalyteUnits).values[0][1]


@pytest.mark.parametrize(
    ("ng_per_l", "pmol_per_l"),
    [("180", "132.8"), ("350", "258.2"), ("200", "147.6")],
)
def test_total_b12_in_ng_per_litre_converts_to_the_published_pmol_per_litre(
    ng_per_l: str, pmol_per_l: str
) -> None:
    units = _units("total_b12")

    result = convert(Decimal(ng_per_l), "ng/L", "pmol/L", units)

    assert result.quantize(TENTH) == Decimal(pmol_per_l)


def test_total_b12_in_pmol_per_litre_converts_back_to_ng_per_litre() -> None:
    units = _units("total_b12")

    result = convert(Decimal("132.8"), "pmol/L", "ng/L", units)

    assert result.quantize(TENTH) == Decimal("180.0")


def test_total_b12_in_pg_per_ml_is_the_same_number_as_in_ng_per_litre() -> None:
    units = _units("total_b12")

    as_pg = convert(Decimal("287"), "pg/mL", "pmol/L", units)
    as_ng = convert(Decimal("287"), "ng/L", "pmol/L", units)
    pg_to_ng = convert(Decimal("287"), "pg/mL", "ng/L", units)

    assert as_pg == as_ng
    assert pg_to_ng == Decimal("287")


def test_a_value_converted_to_its_own_unit_is_returned_unchanged() -> None:
    units = _units("total_b12")

    result = convert(Decimal("180.00"), "ng/L", "ng/L", units)

    assert result == Decimal("180.00")
    assert str(result) == "180.00"


def test_mma_in_nmol_per_litre_is_divided_by_one_thousand_for_umol_per_litre() -> None:
    units = _units("mma")

    result = convert(Decimal("450"), "nmol/L", "umol/L", units)

    assert result == Decimal("0.45")


def test_mma_in_nmol_per_ml_is_the_same_number_in_umol_per_litre() -> None:
    units = _units("mma")

    result = convert(Decimal("0.378"), "nmol/mL", "umol/L", units)

    assert result == Decimal("0.378")


def test_haemoglobin_in_g_per_dl_is_multiplied_by_ten_for_g_per_litre() -> None:
    units = _units("haemoglobin")

    result = convert(Decimal("12.5"), "g/dL", "g/L", units)

    assert result == Decimal("125")


def test_haemoglobin_in_g_per_litre_is_divided_by_ten_for_g_per_dl() -> None:
    units = _units("haemoglobin")

    result = convert(Decimal("125"), "g/L", "g/dL", units)

    assert result == Decimal("12.5")


def test_potassium_in_meq_per_litre_equals_mmol_per_litre() -> None:
    units = _units("potassium")

    result = convert(Decimal("3.4"), "mEq/L", "mmol/L", units)

    assert result == Decimal("3.4")


@pytest.mark.parametrize(
    ("analyte", "unit", "to_unit", "message"),
    [
        ("total_b12", "mg/dL", "pmol/L", "'mg/dL' is not a unit for total_b12 (use pmol/L, ng/L, pg/mL)"),
        ("mma", "ng/L", "umol/L", "'ng/L' is not a unit for mma"),
        ("reticulocytes", "%", "10*9/L", "'%' cannot be converted to '10*9/L' for reticulocytes"),
        ("total_b12", "ng/L", "umol/L", "cannot be converted to 'umol/L'"),
    ],
)
def test_a_unit_that_does_not_fit_the_analyte_is_rejected_naming_the_field(
    analyte: str, unit: str, to_unit: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        convert(Decimal("180"), unit, to_unit, _units(analyte), "labs[0].unit")

    assert caught.value.field == "labs[0].unit"
    assert message in caught.value.message


def test_the_default_field_name_is_unit() -> None:
    units = _units("mma")

    with pytest.raises(InputError) as caught:
        convert(Decimal("1"), "mg/dL", "umol/L", units)

    assert caught.value.field == "unit"
