"""Decimal quantities: a value and its unit, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Quantity", "format_decimal"]


def format_decimal(value: Decimal) -> str:
    """Render a Decimal without exponent or trailing zeros (``1.50`` -> ``1.5``, ``1E+3`` -> ``1000``)."""
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True, slots=True)
class Quantity:
    """An amount with its unit, e.g. ``Quantity(Decimal("1"), "mg")``."""

    value: Decimal
    unit: str

    def __str__(self) -> str:
        return f"{format_decimal(self.value)} {self.unit}"
