"""Load, verify and freeze knowledge packs and site overlays.

Packs live in ``knowledge/packs/<pack-id>/<version>/``: a manifest naming the data files and the
SHA-256 of their bytes, a citations file, and record files (schema.py). Loading checks the hash, the
schema, the citations and the cross-references, then builds frozen domain types.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

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
    OverlayInfo,
    Pack,
    PhaseDef,
    Record,
    RegimenDef,
    RuleText,
    UnitGroup,
    WarningDef,
    WeeklyPattern,
)
from b12care.domain.quantity import Quantity
from b12care.knowledge.schema import (
    KINDS,
    AnalyteUnitsModel,
    BandsModel,
    CitationFile,
    CitationModel,
    CodesModel,
    ManifestFile,
    MilestoneModel,
    NextTestModel,
    OverlayFile,
    PhaseModel,
    QuantityModel,
    RecordFile,
    RecordsFile,
    RegimenModel,
    RuleModel,
    WarningModel,
    WeeklyPatternModel,
)

__all__ = [
    "DEFAULT_PACK",
    "PackSummary",
    "apply_overlay",
    "compute_hash",
    "list_packs",
    "load_overlay",
    "load_pack",
    "load_pack_folder",
    "pack_directory",
    "rehash",
]

DEFAULT_PACK = "uk-nice-2024"
M = TypeVar("M", bound=BaseModel)
PACKS_ROOT = Path(__file__).parent / "packs"

# The C loader is several times faster; fall back where libyaml is absent.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class PackSummary:
    """What ``b12care packs`` lists."""

    id: str
    version: str
    title: str
    jurisdiction: str
    default: bool
    records_by_grade: dict[str, int]


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_bytes(), Loader=_Loader)
    except OSError as error:
        raise KnowledgeError(f"cannot read {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path.name} is not valid YAML: {error}") from error


def _validated(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise KnowledgeError(f"{where}: {location}: {first['msg']}") from error


def compute_hash(directory: Path, files: Iterable[str]) -> str:
    """SHA-256 over the named files' bytes, in order, each preceded by its name."""
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0")
        digest.update((directory / name).read_bytes())
    return digest.hexdigest()


def pack_directory(pack_id: str, version: str | None = None) -> Path:
    """The folder of ``pack_id`` at ``version`` (default: its newest version)."""
    installed = {p.name for p in PACKS_ROOT.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    if pack_id not in installed:  # an id, never a path: no folder outside the installed packs is read
        raise InputError("pack", f"unknown pack {pack_id!r} (available: {', '.join(sorted(installed))})")
    base = PACKS_ROOT / pack_id
    versions = sorted(
        (p for p in base.iterdir() if (p / "manifest.yaml").exists()), key=lambda p: _version_key(p.name)
    )
    if version is not None:
        versions = [p for p in versions if p.name == version]
    if not versions:
        raise InputError("pack", f"pack {pack_id!r} has no version {version!r}")
    return versions[-1]


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in text.split("."))


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
    parsed = _validated(model, raw, where)
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


def _records(
    files: list[RecordFile], citations: dict[str, Citation], origin: str, scalars: dict[str, Decimal]
) -> list[Record[Any]]:
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


def _citations(models: list[CitationModel]) -> dict[str, Citation]:
    return {c.id: Citation(c.id, c.title, c.publisher, c.year, c.url) for c in models}


@lru_cache(maxsize=32)
def load_pack(pack_id: str, version: str | None = None) -> Pack:
    """Load and verify a pack (cached: packs are immutable once loaded)."""
    return load_pack_folder(pack_directory(pack_id, version))


def load_pack_folder(directory: Path) -> Pack:
    """Load and verify the pack version in ``directory`` (``<pack-id>/<version>/``, not cached)."""
    pack_id = directory.parent.name
    manifest = _validated(ManifestFile, _read_yaml(directory / "manifest.yaml"), f"{pack_id} manifest")
    actual = compute_hash(directory, manifest.files)
    if actual != manifest.content_hash:
        raise KnowledgeError(f"pack {pack_id} {manifest.version}: content hash does not match its manifest")
    citations: dict[str, Citation] = {}
    record_files: list[RecordFile] = []
    for name in manifest.files:
        data = _read_yaml(directory / name)
        if name == "citations.yaml":
            citations.update(_citations(_validated(CitationFile, data, name).citations))
        else:
            record_files.extend(_validated(RecordsFile, data, f"{pack_id}/{name}").records)
    records = _records(record_files, citations, "pack", {})
    by_id: dict[str, Record[Any]] = {}
    for record in records:
        if record.id in by_id:
            raise KnowledgeError(f"pack {pack_id}: duplicate record id {record.id}")
        by_id[record.id] = record
    return Pack(
        id=manifest.id,
        version=manifest.version,
        title=manifest.title,
        jurisdiction=manifest.jurisdiction,
        content_hash=manifest.content_hash,
        citations=citations,
        records=by_id,
    )


def load_overlay(path: Path) -> OverlayFile:
    """Read and validate a site overlay file; errors name the file and field."""
    if not path.is_file():
        raise InputError("overlay", f"no overlay file at {path}")
    try:
        return _validated(OverlayFile, _read_yaml(path), f"overlay {path.name}")
    except KnowledgeError as error:
        raise InputError("overlay", str(error)) from error


def apply_overlay(pack: Pack, overlay: OverlayFile) -> Pack:
    """A new pack with the overlay's records replacing (or adding to) the pack's; each keeps its origin.

    A replacing record must be of the same kind as the one it replaces.
    """
    header = overlay.overlay
    if header.pack is not None and header.pack != pack.id:
        raise InputError("overlay", f"overlay {header.id} is for pack {header.pack}, not {pack.id}")
    citations = {**pack.citations, **_citations(overlay.citations)}
    scalars = {r.id: r.values[-1][1].value for r in pack.records.values() if r.kind == "quantity"}
    try:
        records = _records(overlay.records, citations, f"overlay:{header.id}", scalars)
    except KnowledgeError as error:
        raise InputError("overlay", str(error)) from error
    merged = dict(pack.records)
    for record in records:
        existing = merged.get(record.id)
        if existing is not None and existing.kind != record.kind:
            raise InputError(
                "overlay", f"{record.id} is a {existing.kind} record; the overlay gives {record.kind}"
            )
        merged[record.id] = record
    info = OverlayInfo(header.id, header.version, tuple(r.id for r in records))
    return replace(pack, citations=citations, records=merged, overlay=info, _by_kind={})


def list_packs() -> list[PackSummary]:
    """Every pack's newest version with record counts per verification grade."""
    summaries: list[PackSummary] = []
    for folder in sorted(PACKS_ROOT.iterdir()):
        if not folder.is_dir() or folder.name.startswith((".", "_")):
            continue
        pack = load_pack(folder.name)
        manifest = _validated(
            ManifestFile, _read_yaml(pack_directory(folder.name) / "manifest.yaml"), f"{folder.name} manifest"
        )
        grades: dict[str, int] = {}
        for record in pack.records.values():
            grades[record.verification] = grades.get(record.verification, 0) + 1
        summaries.append(
            PackSummary(
                pack.id,
                pack.version,
                pack.title,
                pack.jurisdiction,
                manifest.default,
                dict(sorted(grades.items())),
            )
        )
    return summaries


def rehash(directory: Path) -> str:
    """Rewrite the manifest's content_hash for the files it lists (for pack authors); return the hash."""
    manifest_path = directory / "manifest.yaml"
    manifest = _validated(ManifestFile, _read_yaml(manifest_path), f"{directory.name} manifest")
    digest = compute_hash(directory, manifest.files)
    text = manifest_path.read_text(encoding="utf-8")
    lines = [
        f"content_hash: {digest}" if line.startswith("content_hash:") else line for line in text.splitlines()
    ]
    manifest_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_pack.cache_clear()
    return digest
