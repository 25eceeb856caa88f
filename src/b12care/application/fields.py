"""The field rules of every command, written once: text the record can hold, codes, amounts, scores.

Commands (:mod:`b12care.application.commands`) call these in their ``__post_init__``; the faces (API
models, web forms, CLI options) build commands and so answer a bad field with the same
:class:`~b12care.domain.errors.InputError` and the same field path. The database's CHECK constraints and
the records' ``__post_init__`` invariants are the last line, not the first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from b12care.application.records import MAX_SYMPTOM_SCORE, SYMPTOMS
from b12care.domain.calendar import check_day
from b12care.domain.errors import InputError
from b12care.domain.vocabulary import codes_of

__all__ = [
    "MAX_DIGITS",
    "MULTILINE_FIELDS",
    "TEXT_LIMITS",
    "check_amount",
    "check_code",
    "check_day",
    "check_scores",
    "check_storable",
]

TEXT_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "name": 200,
        "reference": 100,
        "unit": 32,
        "site": 100,
        "lot": 100,
        "given_by": 200,
        "idempotency_key": 200,
        "actor": 200,
        "interval_reason": 4000,
    }
)
"""The longest text a field of the record holds: the one limit of each field (the faces declare none)."""
MAX_DIGITS = 18
"""Digits an amount (a dose, a lab value) may have in all, as the API and the case file allow: larger or
finer numbers are typing errors, and stored they would break every later chart and conversion."""

MULTILINE_FIELDS = frozenset({"note", "reason", "not_done_reason", "interval_reason"})
"""Free-text fields that may hold line breaks and tabs; every other text is one line."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_storable(**texts: str | None) -> None:
    """Refuse text the record cannot hold or must not show - a NUL character (PostgreSQL text has none),
    any other control character (terminal escapes in a name reach an admin's terminal; free-text notes
    keep line breaks and tabs), or more than the field's :data:`TEXT_LIMITS` - with an InputError naming
    the field: every face (API, web forms, FHIR import, CLI) answers it the same."""
    for field, value in texts.items():
        if value is None:
            continue
        if "\x00" in value:
            raise InputError(field, "contains a NUL character (\\x00), which cannot be stored")
        control = (_CONTROL_IN_TEXT if field in MULTILINE_FIELDS else _CONTROL).search(value)
        if control is not None:
            raise InputError(field, f"contains a control character ({control.group()!r}); it is not stored")
        limit = TEXT_LIMITS.get(field)
        if limit is not None and len(value) > limit:
            raise InputError(field, f"longer than {limit} characters")


def check_code(field: str, value: str | None, vocabulary: object) -> None:
    """Refuse a code that is not one of the Literal ``vocabulary`` (a form sends any text)."""
    if value is not None and value not in codes_of(vocabulary):
        raise InputError(field, f"{value!r} is not one of {', '.join(codes_of(vocabulary))}")


def check_amount(field: str, value: Decimal | None) -> None:
    """Refuse an amount that is not finite or has more than :data:`MAX_DIGITS` digits (``1E+400``)."""
    if value is None:
        return
    if not value.is_finite():
        raise InputError(field, f"{value} is not a number")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # a finite Decimal's exponent is a number
    count = len(digits) + exponent if exponent >= 0 else max(len(digits), -exponent)
    if count > MAX_DIGITS:
        raise InputError(field, f"{value} has more than {MAX_DIGITS} digits")


def check_scores(field: str, scores: Mapping[str, int]) -> None:
    """Refuse a symptom that is not one of :data:`~b12care.application.records.SYMPTOMS` (on ``field``) or
    a score outside 0-3 (on ``field.<symptom>``), in the words of the record's own invariant."""
    for symptom, score in scores.items():
        if symptom not in SYMPTOMS:
            raise InputError(field, f"unknown symptom {symptom!r} (use {', '.join(SYMPTOMS)})")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= MAX_SYMPTOM_SCORE:
            raise InputError(f"{field}.{symptom}", f"{score!r} is not a score 0-{MAX_SYMPTOM_SCORE}")
