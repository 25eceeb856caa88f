"""Lab interpretation: band each result per pack, give the overall B12 status and the next tests.

Reference: nice-ng239 (UK cut-offs and further tests), fda-cyanocobalamin-inj / lab-labcorp / lab-mayo (US),
nhg-2014 (NL). The cut-offs themselves are pack records, never numbers in this module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from b12care.domain.case import Case, LabResult
from b12care.domain.explain import Reason, reason_from
from b12care.domain.knowledge import AnalyteUnits, Bands, Codes, NextTestDef, Pack, Record, RuleText
from b12care.domain.quantity import Quantity, format_decimal
from b12care.domain.units import convert
from b12care.domain.vocabulary import Status, Test, Verification

__all__ = [
    "Anaemia",
    "Finding",
    "Interpretation",
    "NextTest",
    "band_value",
    "interpret_labs",
    "validate_lab_units",
]

Band = Literal["deficient", "indeterminate", "unlikely", "no_threshold"]
Anaemia = Literal["anaemic", "severe"]
_PRIMARY: tuple[Test, ...] = ("total_b12", "active_b12")
_FUNCTIONAL: tuple[Test, ...] = ("mma", "homocysteine")
# Homocysteine also rises in folate deficiency: on its own it cannot confirm B12 deficiency.
_SPECIFIC_FUNCTIONAL: tuple[Test, ...] = ("mma",)
_STATUS_RULE = "labs.status.combination"
_N2O_FUNCTIONAL_RULE = "labs.functional_deficiency.nitrous_oxide"
_PREGNANCY_CAVEAT_RULE = "labs.caveat.pregnancy_total_b12"
_ETHNICITY_RULE = "labs.note.ethnicity"
_HB_PREFIX = "labs.haemoglobin."


@dataclass(frozen=True, slots=True)
class Finding:
    """One result, banded (or not) against the pack's cut-offs."""

    test: Test
    reported: Quantity
    date: date
    band: Band
    counted: bool
    message: str
    converted: Quantity | None = None
    rule_id: str | None = None
    citations: tuple[str, ...] = ()
    verification: Verification | None = None


@dataclass(frozen=True, slots=True)
class NextTest:
    """A test to consider next, with the rule behind the suggestion."""

    tests: tuple[str, ...]
    message: str
    rule_id: str
    citations: tuple[str, ...]
    verification: Verification


@dataclass(frozen=True, slots=True)
class Interpretation:
    """The lab picture before treatment starts."""

    b12_status: Status
    findings: tuple[Finding, ...]
    next_tests: tuple[NextTest, ...]
    reasons: tuple[Reason, ...]
    anaemia: Anaemia | None = None
    """Anaemia derived from the latest pre-treatment haemoglobin (pack cut-offs), if any."""

    def latest(self, test: Test) -> Finding | None:
        """The latest pre-treatment (counted) finding of ``test``, or None."""
        found = [f for f in self.findings if f.test == test and f.counted]
        return max(found, key=lambda f: f.date, default=None)


def validate_lab_units(labs: tuple[LabResult, ...], pack: Pack, day: date) -> None:
    """Raise InputError naming ``labs[i].unit`` when a unit does not fit its test."""
    for index, lab in enumerate(labs):
        units = pack.record(f"units.{lab.test}", AnalyteUnits).value_on(day)
        group = next((g for g in units.groups if lab.unit in g.factors), None)
        convert(lab.value, lab.unit, group.canonical if group else lab.unit, units, f"labs[{index}].unit")


def band_value(value: Decimal, bands: Bands) -> Band:
    """Band a value already in ``bands.unit``. Monotone in the value for a fixed direction.

    A single limit (lower == upper, e.g. an MMA upper limit of normal) has no indeterminate band: a value
    on the limit is inside the reference interval.
    """
    if bands.lower == bands.upper:
        inside = value >= bands.lower if bands.direction == "low" else value <= bands.upper
        return "unlikely" if inside else "deficient"
    if bands.direction == "low":
        if value < bands.lower:
            return "deficient"
        return "unlikely" if value > bands.upper else "indeterminate"
    if value > bands.upper:
        return "deficient"
    return "unlikely" if value < bands.lower else "indeterminate"


def _haemoglobin_limits(case: Case, pack: Pack) -> tuple[Record[Quantity] | None, Record[Quantity] | None]:
    """The anaemia and severe-anaemia cut-off records that apply to this patient (None when absent).

    Reference: who-anaemia-2011 (through the pack).
    """
    pregnant = case.patient.pregnant
    anaemia_key = "pregnancy" if pregnant else {"male": "male", "female": "female"}.get(case.patient.sex)
    anaemia = pack.find(f"{_HB_PREFIX}anaemia.{anaemia_key}", Quantity) if anaemia_key else None
    severe = pack.find(f"{_HB_PREFIX}severe.{'pregnancy' if pregnant else 'adult'}", Quantity)
    return anaemia, severe


def _anaemia_of(value: Decimal, case: Case, pack: Pack) -> tuple[Anaemia | None, Record[Quantity] | None]:
    """The anaemia grade of a haemoglobin in g/L and the record that decided it."""
    anaemia, severe = _haemoglobin_limits(case, pack)
    if severe is not None and value < severe.value_on(case.start_date).value:
        return "severe", severe
    if anaemia is not None and value < anaemia.value_on(case.start_date).value:
        return "anaemic", anaemia
    return None, anaemia or severe


def _haemoglobin_finding(lab: LabResult, case: Case, pack: Pack) -> Finding | None:
    start = case.start_date
    units = pack.record(f"units.{lab.test}", AnalyteUnits).value_on(start)
    anaemia, severe = _haemoglobin_limits(case, pack)
    basis = severe or anaemia
    if basis is None:
        return None
    unit = basis.value_on(start).unit
    value = convert(lab.value, lab.unit, unit, units)
    grade, record = _anaemia_of(value, case, pack)
    assert record is not None  # basis is not None
    limit = record.value_on(start)
    words = {"severe": "severe anaemia", "anaemic": "anaemia", None: "not anaemic"}[grade]
    message = f"haemoglobin {format_decimal(value)} {unit}: {words} ({record.description.lower()})"
    if lab.date >= start:
        message += "; sampled on or after the start of treatment, so not used for the baseline"
    return Finding(
        test=lab.test,
        reported=Quantity(lab.value, lab.unit),
        date=lab.date,
        band="no_threshold",
        counted=lab.date < start,
        message=message,
        converted=Quantity(value, limit.unit),
        rule_id=record.id,
        citations=record.citations,
        verification=record.verification,
    )


def _finding(lab: LabResult, pack: Pack, case: Case) -> Finding:
    start = case.start_date
    reported = Quantity(lab.value, lab.unit)
    counted = lab.date < start
    if lab.test == "haemoglobin":
        graded = _haemoglobin_finding(lab, case, pack)
        if graded is not None:
            return graded
    record = pack.find(f"labs.{lab.test}.bands", Bands)
    if record is None:
        return Finding(lab.test, reported, lab.date, "no_threshold", counted, "no cut-off in this pack")
    bands = record.value_on(start)
    units = pack.record(f"units.{lab.test}", AnalyteUnits).value_on(start)
    value = convert(lab.value, lab.unit, bands.unit, units)
    band = band_value(value, bands)
    verification = record.verification
    shown = f"{format_decimal(value.quantize(Decimal('0.01')))} {bands.unit}"
    limits = f"limit {bands.upper}" if bands.lower == bands.upper else f"cut-offs {bands.lower}-{bands.upper}"
    message = f"{lab.test} {shown}: {band} ({limits} {bands.unit})"
    if not bands.boundaries_verified and value in (bands.lower, bands.upper):
        verification = "unconfirmed"
        message += "; the value sits on a cut-off whose inclusivity no source confirms"
    if not counted:
        message += "; sampled on or after the start of treatment, so not used for diagnosis"
    caveat = pack.find(_PREGNANCY_CAVEAT_RULE, RuleText)
    if lab.test == "total_b12" and case.patient.pregnant and caveat is not None:
        message += f"; {caveat.value_on(start).statement}"
    return Finding(
        test=lab.test,
        reported=reported,
        date=lab.date,
        band=band,
        counted=counted,
        message=message,
        converted=Quantity(value, bands.unit),
        rule_id=record.id,
        citations=record.citations,
        verification=verification,
    )


def _latest_counted(findings: list[Finding], tests: tuple[Test, ...]) -> list[Finding]:
    latest: dict[Test, Finding] = {}
    for finding in findings:
        if finding.counted and finding.test in tests and finding.band != "no_threshold":
            current = latest.get(finding.test)
            if current is None or finding.date >= current.date:
                latest[finding.test] = finding
    return list(latest.values())


def _status(primary: list[Finding], functional: list[Finding], confirming: tuple[str, ...]) -> Status:
    markers = primary + functional
    if not markers:
        return "not_tested"
    specific = primary + [f for f in functional if f.test in confirming]
    if any(f.band == "deficient" for f in specific):
        return "deficient"
    if functional and all(f.band == "unlikely" for f in functional):
        return "unlikely"
    return "indeterminate" if any(f.band != "unlikely" for f in markers) else "unlikely"


def _next_tests(case: Case, pack: Pack, status: Status, tested: set[Test]) -> list[NextTest]:
    situations: list[str] = []
    if case.patient.pregnant:
        situations.append("pregnancy")
    if case.cause == "nitrous_oxide":
        situations.append("nitrous_oxide")
    if case.cause == "unknown":
        situations.append("unknown_cause")
    if status == "indeterminate":
        situations.append("indeterminate")
    found: list[NextTest] = []
    for situation in situations:
        record = pack.find(f"labs.next_test.{situation}", NextTestDef)
        if record is None:
            continue
        rule = record.value_on(case.start_date)
        if not any(test in tested for test in rule.tests):
            found.append(NextTest(rule.tests, rule.message, record.id, record.citations, record.verification))
    return found


def interpret_labs(case: Case, pack: Pack) -> Interpretation:
    """Band every result, combine pre-treatment markers into ``b12_status``, suggest next tests.

    Status rule (record labs.status.combination): any deficient marker -> deficient; normal functional
    markers (MMA, homocysteine) resolve an indeterminate total or active B12 -> unlikely; otherwise the
    worst remaining band.

    With suspected nitrous oxide use, a raised homocysteine or MMA (the pack's record
    labs.functional_deficiency.nitrous_oxide) is functional deficiency whatever the total B12.

    Reference: nice-ng239 (MMA after an indeterminate result; active B12 first in pregnancy);
    nwl-pathology and rcem-n2o (homocysteine first with nitrous oxide use; functional deficiency);
    bnssg-b12 (total B12 unreliable in pregnancy); who-anaemia-2011 (anaemia from haemoglobin).
    """
    findings = [_finding(lab, pack, case) for lab in sorted(case.labs, key=lambda x: x.date)]
    primary = _latest_counted(findings, _PRIMARY)
    functional = _latest_counted(findings, _FUNCTIONAL)
    confirming: tuple[str, ...] = _SPECIFIC_FUNCTIONAL
    n2o_rule = pack.find(_N2O_FUNCTIONAL_RULE, Codes) if case.cause == "nitrous_oxide" else None
    if n2o_rule is not None:
        confirming = tuple(n2o_rule.value_on(case.start_date).codes)
    status = _status(primary, functional, confirming)
    tested = {f.test for f in findings if f.counted}
    next_tests = _next_tests(case, pack, status, tested)
    reasons: list[Reason] = []
    for finding in primary + functional:
        if finding.rule_id is not None:
            record = pack.record(finding.rule_id, Bands)
            reason = reason_from(record, f"{finding.test} banded {finding.band}", finding.message)
            if finding.verification == "unconfirmed":
                reason = replace(reason, verification="unconfirmed")
            reasons.append(reason)
    if n2o_rule is not None and any(f.band == "deficient" and f.test in confirming for f in functional):
        reasons.append(
            reason_from(
                n2o_rule,
                "functional B12 deficiency (nitrous oxide use)",
                "a raised functional marker with suspected nitrous oxide use means deficiency whatever the "
                "total or active B12",
            )
        )
    rule = pack.find(_STATUS_RULE, RuleText)
    if rule is not None and status != "not_tested":
        reasons.append(
            reason_from(rule, f"overall B12 status: {status}", rule.value_on(case.start_date).statement)
        )
    ethnicity = pack.find(_ETHNICITY_RULE, RuleText)
    if ethnicity is not None and any(f.test == "total_b12" and f.band == "indeterminate" for f in primary):
        statement = ethnicity.value_on(case.start_date).statement
        reasons.append(reason_from(ethnicity, "total B12 near a cut-off", statement))
    anaemia = _baseline_anaemia(findings, case, pack)
    if anaemia is not None:
        grade, cut_off = anaemia
        words = "severe anaemia" if grade == "severe" else "anaemia"
        reasons.append(reason_from(cut_off, f"baseline haemoglobin: {words}", cut_off.description))
    grade_only = anaemia[0] if anaemia else None
    return Interpretation(status, tuple(findings), tuple(next_tests), tuple(reasons), grade_only)


def _baseline_anaemia(
    findings: list[Finding], case: Case, pack: Pack
) -> tuple[Anaemia, Record[Quantity]] | None:
    latest = max(
        (f for f in findings if f.test == "haemoglobin" and f.counted and f.converted is not None),
        key=lambda f: f.date,
        default=None,
    )
    if latest is None or latest.converted is None:
        return None
    grade, record = _anaemia_of(latest.converted.value, case, pack)
    return (grade, record) if grade is not None and record is not None else None
