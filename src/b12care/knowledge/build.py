"""Build frozen domain records from validated pack and overlay records (schema.py -> domain/knowledge.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from b12care.domain.calendar import Interval, parse_interval
from b12care.domain.errors import InputError, KnowledgeError
from b12care.domain.knowledge import (
    AnalyteUnits,
    Bands,
    Citation,
    Codes,
    Conflict,
    MilestoneDef,
    NextTestDef,
    PhaseDef,
    Record,
    RegimenDef,
    RuleText,
    UnitGroup,
    WarningDef,
    WeeklyPattern,
)
from b12care.domain.quantity import Quantity
from b12care.knowledge.files import validated
from b12care.knowledge.schema import (
    KINDS,
    AnalyteUnitsModel,
    BandsModel,
    CitationModel,
    CodesModel,
    MilestoneModel,
    NextTestModel,
    PhaseModel,
    QuantityModel,
    RecordFile,
    RegimenModel,
    RuleModel,
    WarningModel,
    WeeklyPatternModel,
)

__all__ = ["build_citations", "build_records"]


def _interval(text: str, where: str) -> Interval:
    try:
        return parse_interval(text, where)
    except InputError as error:
        raise KnowledgeError(str(error)) from error


def _offset(text: str, where: str) -> Interval:
    """Like an interval, but zero is allowed (``0d``: on the anchor day itself)."""
    return Interval(0, "day") if int(text[:-1]) == 0 else _interval(text, where)


def _quantity(model: QuantityModel) -> Quantity:
    return Quantity(model.value, model.unit)


def _phase(model: PhaseModel, where: str) -> PhaseDef:
    if (model.interval is None) == (model.times_per_week is None):
        raise KnowledgeError(f"{where}: a phase needs exactly one of interval and times_per_week")
    rng = model.interval_range
    return PhaseDef(
        kind=model.kind,
        until=model.until,
        interval=_interval(model.interval, where) if model.interval else None,
        times_per_week=model.times_per_week,
        count=model.count,
        duration=_interval(model.duration, where) if model.duration else None,
        dose=_quantity(model.dose) if model.dose else None,
        interval_range=(_interval(rng[0], where), _interval(rng[1], where)) if rng else None,
        source_wording=model.source_wording,
        condition=model.condition,
    )


def _value(record: RecordFile, raw: Any, scalars: dict[str, Decimal], where: str) -> Any:
    kind = record.kind
    model = KINDS[kind]
    if model is None:
        if kind == "quantity":
            try:
                return Quantity(Decimal(str(raw)), record.unit or "")
            except ArithmeticError as error:
                raise KnowledgeError(f"{where}: {raw!r} is not a number") from error
        return _interval(str(raw), where)
    parsed = validated(model, raw, where)
    analyte = record.id.split(".")[1]
    match parsed:
        case AnalyteUnitsModel():
            groups = []
            for group in parsed.groups:
                factors: dict[str, Decimal] = {}
                for unit, factor in group.factors.items():
                    if isinstance(factor, Decimal):
                        factors[unit] = factor
                    elif factor.per_molar_mass in scalars:
                        factors[unit] = factor.scale / scalars[factor.per_molar_mass]
                    else:
                        raise KnowledgeError(f"{where}: unknown molar mass record {factor.per_molar_mass}")
                groups.append(UnitGroup(group.canonical, factors))
            return AnalyteUnits(analyte, tuple(groups))
        case BandsModel():
            if parsed.lower > parsed.upper:
                raise KnowledgeError(f"{where}: lower cut-off is above the upper one")
            return Bands(
                analyte,
                record.unit or "",
                parsed.direction,
                parsed.lower,
                parsed.upper,
                parsed.boundaries_verified,
            )
        case RegimenModel():
            return RegimenDef(
                drug=parsed.drug,
                form=parsed.form,
                routes=tuple(parsed.routes),
                dose=_quantity(parsed.dose),
                dose_range=(_quantity(parsed.dose_range[0]), _quantity(parsed.dose_range[1]))
                if parsed.dose_range
                else None,
                phases=tuple(_phase(p, where) for p in parsed.phases),
                use_for=tuple(parsed.use_for),
                alternative_for=tuple(parsed.alternative_for),
                summary=parsed.summary,
                administration=parsed.administration,
            )
        case MilestoneModel():
            return MilestoneDef(
                kind=parsed.kind,
                what=parsed.what,
                anchor=parsed.anchor,
                offset=_offset(parsed.offset, where),
                when=tuple(parsed.when),
                window=_offset(parsed.window, where) if parsed.window else None,
            )
        case WarningModel():
            return WarningDef(record.id.split(".", 1)[1], parsed.severity, parsed.message, parsed.blocks_plan)
        case NextTestModel():
            return NextTestDef(record.id.rsplit(".", 1)[1], tuple(parsed.tests), parsed.message)
        case WeeklyPatternModel():
            if (
                len(parsed.day_offsets) != parsed.times_per_week
                or sorted(set(parsed.day_offsets)) != list(parsed.day_offsets)
                or not all(0 <= d <= 6 for d in parsed.day_offsets)
            ):
                raise KnowledgeError(f"{where}: day_offsets must be {parsed.times_per_week} rising days 0-6")
            return WeeklyPattern(parsed.times_per_week, tuple(parsed.day_offsets))
        case RuleModel():
            return RuleText(parsed.statement)
        case CodesModel():
            return Codes(frozenset(parsed.codes))
    raise KnowledgeError(f"{where}: unsupported kind {kind}")  # pragma: no cover


def build_records(
    files: list[RecordFile], citations: dict[str, Citation], origin: str, scalars: dict[str, Decimal]
) -> list[Record[Any]]:
    """Domain records of ``files`` (checked: cited, values valid); quantities join ``scalars`` as built."""
    built: list[Record[Any]] = []
    for item in files:
        where = item.id
        missing = [
            c
            for c in [*item.citations, *(c for k in item.conflicts for c in k.citations)]
            if c not in citations
        ]
        if missing:
            raise KnowledgeError(f"{where}: unknown citation id(s) {', '.join(missing)}")
        values = tuple(
            (day, _value(item, raw, scalars, f"{where} [{day.isoformat()}]"))
            for day, raw in sorted(item.values.items())
        )
        if item.kind == "quantity":
            scalars[item.id] = values[-1][1].value
        built.append(
            Record(
                id=item.id,
                kind=item.kind,
                description=item.description,
                unit=item.unit,
                values=values,
                citations=tuple(item.citations),
                verification=item.verification,
                origin=origin,
                conflicts=tuple(Conflict(tuple(c.citations), c.says) for c in item.conflicts),
                notes=item.notes,
            )
        )
    return built


def build_citations(models: list[CitationModel]) -> dict[str, Citation]:
    """Domain citations by id."""
    return {c.id: Citation(c.id, c.title, c.publisher, c.year, c.url) for c in models}
