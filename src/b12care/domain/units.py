"""Unit conversion for lab results, with the factors a pack defines.

Reference: the cobalamin factor comes from its molar mass, a record of the pack (units.cobalamin.molar_mass).
"""

from __future__ import annotations

from decimal import Decimal

from b12care.domain.errors import InputError
from b12care.domain.knowledge import AnalyteUnits

__all__ = ["convert"]


def convert(value: Decimal, unit: str, to_unit: str, units: AnalyteUnits, field: str = "unit") -> Decimal:
    """Convert ``value`` from ``unit`` to ``to_unit`` of one analyte; raise InputError when they do not fit.

    Example: ``convert(Decimal(180), "ng/L", "pmol/L", b12_units)`` is about 132.8.
    """
    for group in units.groups:
        if unit in group.factors and to_unit in group.factors:
            if unit == to_unit:
                return value
            return value * group.factors[unit] / group.factors[to_unit]
    if unit not in units.units:
        accepted = ", ".join(units.units)
        raise InputError(field, f"{unit!r} is not a unit for {units.analyte} (use {accepted})")
    raise InputError(field, f"{unit!r} cannot be converted to {to_unit!r} for {units.analyte}")
