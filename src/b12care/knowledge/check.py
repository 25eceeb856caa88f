"""Check a knowledge pack version folder or a site overlay file, reporting every problem found.

``b12care packs check`` runs this. It takes the loader's own steps (loader.py: the manifest and the
SHA-256 of the files, the pydantic schema of every file and record, the citations each record names, the
values of each effective date) one record at a time, so that one bad record does not hide the next. When
those pass, it loads the folder with the loader itself and checks what the engine relies on: the records
it requires, codes it knows, situations and conditions it can match, bands in a unit of their test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from b12care.domain.calendar import Interval
from b12care.domain.errors import InputError, KnowledgeError
from b12care.domain.forecast import FLAG_CODES
from b12care.domain.knowledge import (
    AnalyteUnits,
    Bands,
    Citation,
    Codes,
    MilestoneDef,
    Pack,
    Record,
    RegimenDef,
    RuleText,
    WarningDef,
    WeeklyPattern,
)
from b12care.domain.milestones import MILESTONE_CONDITIONS
from b12care.domain.quantity import Quantity
from b12care.domain.regimen import SITUATIONS
from b12care.domain.safety import KNOWN_WARNINGS, REQUIRED_WARNINGS
from b12care.domain.vocabulary import Cause, Test, codes_of
from b12care.knowledge.base import CITATIONS, MANIFEST, Base, link_problem, merge_records
from b12care.knowledge.build import build_citations as _citations
from b12care.knowledge.build import build_records as _records
from b12care.knowledge.files import compute_hash
from b12care.knowledge.files import read_yaml as _read_yaml
from b12care.knowledge.loader import DEFAULT_PACK, apply_overlay, base_of, load_pack, load_pack_folder
from b12care.knowledge.schema import (
    CitationFile,
    CitationModel,
    ManifestFile,
    OverlayFile,
    OverlayHeader,
    RecordFile,
    RecordsFile,
)

__all__ = ["CheckReport", "Problem", "check_overlay_file", "check_pack_folder", "check_path", "pack_problems"]

MISSING = "required record is missing"
# Records the engine reads by id, and the kind of value each must hold (docs/knowledge-packs.md).
REQUIRED_RECORDS: dict[str, type] = {
    "scope.minimum_age": Quantity,
    "regimen.lifelong_causes": Codes,
    "monitoring.open_phase.review_every": Interval,
    "labs.status.combination": RuleText,
    **{f"units.{test}": AnalyteUnits for test in codes_of(Test)},
    **{f"safety.{code}": WarningDef for code in REQUIRED_WARNINGS},
    **{f"forecast.{code}": WarningDef for code in FLAG_CODES},
}
WARNING_CODES = {"safety": KNOWN_WARNINGS, "forecast": frozenset(FLAG_CODES)}
_VALUE_ERROR = re.compile(r"^ \[(?P<day>\d{4}-\d{2}-\d{2})\]: (?P<rest>.*)$", re.DOTALL)
_FIELD_ERROR = re.compile(r"^(?P<field>[A-Za-z_][\w.\[\]]*): (?P<message>.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: the file, the record (or citation) id, the field and what is wrong with it."""

    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.record, self.field, self.message) if part)


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The result of checking one pack version folder or one overlay file."""

    kind: Literal["pack", "overlay"]
    path: Path
    id: str
    version: str
    records_by_grade: dict[str, int]
    problems: tuple[Problem, ...]
    checked_on: str = ""  # an overlay: the pack (id and version) it was applied to

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    @property
    def record_count(self) -> int:
        """How many records were read."""
        return sum(self.records_by_grade.values())


def _name_at(raw: Any, key: str, index: int) -> str:
    """The ``id`` of item ``index`` of the list ``raw[key]``, else ``key[index]``."""
    try:
        found = raw[key][index]["id"]
    except (KeyError, IndexError, TypeError):
        found = None
    return found if isinstance(found, str) and found else f"{key}[{index}]"


def _schema_problems(
    error: ValidationError, file: str, raw: Any
) -> tuple[list[Problem], dict[str, set[int]]]:
    """Every pydantic error as a Problem, and the indices of the list items (per list) that failed."""
    problems: list[Problem] = []
    failed: dict[str, set[int]] = {}
    for item in error.errors(include_url=False):
        loc = item["loc"]
        if len(loc) >= 2 and loc[0] in {"records", "citations"} and isinstance(loc[1], int):
            key, index = str(loc[0]), loc[1]
            failed.setdefault(key, set()).add(index)
            record, field = _name_at(raw, key, index), ".".join(str(part) for part in loc[2:])
        else:
            record, field = "", ".".join(str(part) for part in loc)
        problems.append(Problem(file, record, field, item["msg"]))
    return problems, failed


def _read(path: Path, file: str, problems: list[Problem]) -> Any:
    try:
        return _read_yaml(path)
    except KnowledgeError as error:
        problems.append(Problem(file, "", "", str(error)))
        return None


def _valid_items(
    model: type[BaseModel], raw: Any, key: str, file: str, problems: list[Problem]
) -> tuple[Any | None, list[Any]]:
    """Validate ``raw`` with ``model``; return the whole (or None) and the items of ``raw[key]`` that pass.

    Items are returned as raw dicts: the caller validates each with the item model.
    """
    try:
        return model.model_validate(raw), list(raw[key])
    except ValidationError as error:
        found, failed = _schema_problems(error, file, raw)
        problems.extend(found)
        items = raw.get(key) if isinstance(raw, dict) else None
        if not isinstance(items, list):
            return None, []
        return None, [item for index, item in enumerate(items) if index not in failed.get(key, set())]


def _record_models(raw: Any, file: str, problems: list[Problem]) -> list[RecordFile]:
    whole, items = _valid_items(RecordsFile, raw, "records", file, problems)
    if isinstance(whole, RecordsFile):
        return list(whole.records)
    return [RecordFile.model_validate(item) for item in items]


def _citation_models(raw: Any, file: str, problems: list[Problem]) -> list[CitationModel]:
    whole, items = _valid_items(CitationFile, raw, "citations", file, problems)
    models = list(whole.citations) if isinstance(whole, CitationFile) else []
    if whole is None:
        models = [CitationModel.model_validate(item) for item in items]
    seen: set[str] = set()
    for citation in models:
        if citation.id in seen:
            problems.append(Problem(file, citation.id, "id", "duplicate citation id"))
        seen.add(citation.id)
    return models


def _value_problem(file: str, record: str, error: KnowledgeError) -> Problem:
    """A loader error about one record (``<id> [<day>]: <field>: <message>``) as a Problem."""
    text = str(error)
    rest = text.removeprefix(record)
    if rest == text:
        return Problem(file, record, "", text)
    field = ""
    value = _VALUE_ERROR.match(rest)
    if value is not None:
        field, rest = f"values.{value.group('day')}", value.group("rest")
        inner = _FIELD_ERROR.match(rest)
        if inner is not None and " " not in inner.group("field"):
            field, rest = f"{field}.{inner.group('field')}", inner.group("message")
    else:
        rest = rest.removeprefix(": ")
        field = "citations" if rest.startswith("unknown citation") else ""
    return Problem(file, record, field, rest)


def _build(
    items: Iterable[tuple[str, RecordFile]],
    citations: dict[str, Citation],
    origin: str,
    scalars: dict[str, Decimal],
    problems: list[Problem],
) -> tuple[dict[str, Record[Any]], dict[str, str]]:
    """Build each record as the loader does and report each one that fails.

    Returns the records built (by id) and the file of every record id.
    """
    built: dict[str, Record[Any]] = {}
    files: dict[str, str] = {}
    for file, item in items:
        try:
            built.setdefault(item.id, _records([item], citations, origin, scalars)[0])
        except KnowledgeError as error:
            problems.append(_value_problem(file, item.id, error))
        if item.id in files:
            problems.append(Problem(file, item.id, "id", f"duplicate record id (also in {files[item.id]})"))
        files.setdefault(item.id, file)
    return built, files


def _consistency(
    pack: Pack, files: Mapping[str, str], problems: list[Problem], *, whole: bool = True
) -> list[Problem]:
    """``pack_problems`` of the records that loaded, less what the records that failed already explain.

    When a whole file could not be read (``whole`` false), records missing from the pack are not reported:
    they may be in that file.
    """
    failed = {problem.record for problem in problems if problem.record}
    regimen_failed = any(record.startswith("regimen.") for record in failed)
    return [
        problem
        for problem in pack_problems(pack, files)
        if problem.record not in failed
        and not (problem.record == "" and (regimen_failed or not whole))
        and not (problem.message == MISSING and not whole)
    ]


def _grades(items: Iterable[RecordFile]) -> dict[str, int]:
    grades: dict[str, int] = {}
    for item in items:
        grades[item.verification] = grades.get(item.verification, 0) + 1
    return dict(sorted(grades.items()))


def _base_of(directory: Path, manifest: ManifestFile, problems: list[Problem]) -> Base | None:
    """The verified base the pack extends; a base that fails, or has changed since, is a problem."""
    try:
        base = base_of(directory, manifest)
    except KnowledgeError as error:
        problems.append(Problem(MANIFEST, "", "extends", str(error)))
        return None
    if base is not None and (problem := link_problem(manifest, base)) is not None:
        problems.append(Problem(MANIFEST, "", "base_hash", problem))
    return base


def _manifest_problems(
    directory: Path, manifest: ManifestFile, base: Base | None, problems: list[Problem]
) -> list[str]:
    """Problems of the manifest itself; return the listed files the pack's own folder holds."""
    on_disk = {path.name for path in directory.glob("*.yaml")} - {MANIFEST}
    inherited = set(base.names) if base is not None else set()
    missing = [n for n in manifest.files if not (directory / n).is_file() and n not in inherited]
    for name in missing:
        problems.append(Problem(MANIFEST, "", "files", f"{name} is listed but there is no such file"))
    for name in sorted(on_disk - set(manifest.files)):
        problems.append(
            Problem(name, "", "", f"not listed in {MANIFEST} files: it is neither loaded nor hashed")
        )
    for field, given, folder in (
        ("id", manifest.id, directory.parent.name),
        ("version", manifest.version, directory.name),
    ):
        if given != folder:
            problems.append(
                Problem(
                    MANIFEST,
                    "",
                    field,
                    f"{given!r} differs from its folder name {folder!r} (packs are found by folder)",
                )
            )
    if CITATIONS not in manifest.files:
        problems.append(Problem(MANIFEST, "", "files", f"{CITATIONS} is not listed"))
    own = [name for name in manifest.files if (directory / name).is_file()]
    extends = base.extends if base is not None else None
    linked = base is not None and link_problem(manifest, base) is None  # else base_hash says it
    if not missing and (manifest.extends is None or linked):
        actual = compute_hash(directory, own, extends)
        if actual != manifest.content_hash:
            problems.append(
                Problem(
                    MANIFEST,
                    "",
                    "content_hash",
                    f"does not match the files it lists (they hash to {actual}); after an intended edit, "
                    "update it with rehash (docs: knowledge-pack authoring)",
                )
            )
    return own


def check_pack_folder(directory: Path) -> CheckReport:
    """Check a pack version folder (``<pack-id>/<version>/`` with a manifest.yaml)."""
    problems: list[Problem] = []
    raw_manifest = _read(directory / MANIFEST, MANIFEST, problems)
    manifest: ManifestFile | None = None
    try:
        manifest = ManifestFile.model_validate(raw_manifest)
    except ValidationError as error:
        problems.extend(_schema_problems(error, MANIFEST, raw_manifest)[0])
    base = _base_of(directory, manifest, problems) if manifest is not None else None
    if manifest is not None and manifest.extends is not None and base is None:  # the rest would cascade
        return CheckReport("pack", directory, manifest.id, manifest.version, {}, tuple(problems))
    if manifest is not None:
        names = _manifest_problems(directory, manifest, base, problems)
    else:
        names = sorted({path.name for path in directory.glob("*.yaml")} - {MANIFEST})
    citation_models: list[CitationModel] = list(base.citations) if base is not None else []
    own: dict[str, list[RecordFile]] = {}
    # a base is no pack of its own: the records every pack needs are its packs' to check
    is_base = directory.parent.name.startswith("_")
    whole = not is_base and (manifest is None or manifest.extends is None or base is not None)
    for name in names:
        before = len(problems)
        raw = _read(directory / name, name, problems)
        if len(problems) > before:
            whole = False
            continue  # not YAML: reported once, not again for each missing part
        if name == CITATIONS:
            citation_models += _citation_models(raw, name, problems)
        else:
            own[name] = _record_models(raw, name, problems)
            whole = whole and not any(problem.record == "" for problem in problems[before:])
    items = merge_records(list(manifest.files) if manifest else names, base, own)
    citations = _citations(citation_models)
    built, files = _build(items, citations, "pack", {}, problems)
    pack = Pack(
        id=manifest.id if manifest else directory.parent.name,
        version=manifest.version if manifest else directory.name,
        title=manifest.title if manifest else "",
        jurisdiction=manifest.jurisdiction if manifest else "",
        content_hash=manifest.content_hash if manifest else "",
        citations=citations,
        records=built,
    )
    problems += _consistency(pack, files, problems, whole=whole)
    if not problems:
        try:
            load_pack_folder(directory)
        except KnowledgeError as error:  # pragma: no cover - the steps above report what the loader refuses
            problems.append(Problem("", "", "", str(error)))
    return CheckReport(
        kind="pack",
        path=directory,
        id=pack.id,
        version=pack.version,
        records_by_grade=_grades(item for _, item in items),  # a pack with a base: merged records
        problems=tuple(problems),
    )


def check_overlay_file(path: Path, pack_id: str | None = None) -> CheckReport:
    """Check a site overlay file on ``pack_id`` (default: the overlay's own pack, else the default pack)."""
    problems: list[Problem] = []
    file = path.name
    raw = _read(path, file, problems)
    try:
        overlay: OverlayFile | None = OverlayFile.model_validate(raw)
    except ValidationError as error:
        overlay = None
        problems.extend(_schema_problems(error, file, raw)[0])
    header = _header(overlay, raw)
    if pack_id is not None and header is not None and header.pack not in {None, pack_id}:
        problems.append(
            Problem(file, "", "overlay.pack", f"the overlay is for pack {header.pack}, not {pack_id}")
        )
    target = pack_id or (header.pack if header is not None else None) or DEFAULT_PACK
    items = _record_models(raw, file, []) if overlay is None else list(overlay.records)
    report_id = header.id if header is not None else path.stem
    version = header.version if header is not None else ""
    try:
        pack = load_pack(target)
    except (InputError, KnowledgeError) as error:
        problems.append(Problem(file, "", "overlay.pack", str(error).removeprefix("pack: ")))
        return CheckReport("overlay", path, report_id, version, _grades(items), tuple(problems))
    citations = {
        **pack.citations,
        **_citations(_citation_models(raw, file, []) if isinstance(raw, dict) else []),
    }
    scalars = {r.id: r.values[-1][1].value for r in pack.records.values() if r.kind == "quantity"}
    built, _ = _build(((file, item) for item in items), citations, f"overlay:{report_id}", scalars, problems)
    for item in items:
        existing = pack.records.get(item.id)
        if existing is not None and existing.kind != item.kind:
            problems.append(
                Problem(
                    file,
                    item.id,
                    "kind",
                    f"the pack's record of this id is of kind {existing.kind}, not {item.kind}",
                )
            )
    merged = replace(pack, citations=citations, records={**pack.records, **built}, _by_kind={})
    problems += _consistency(merged, dict.fromkeys(built, file), problems)
    if not problems and overlay is not None:
        try:
            apply_overlay(pack, overlay)
        except InputError as error:  # pragma: no cover - the steps above report what apply_overlay refuses
            problems.append(Problem(file, "", "", error.message))
    return CheckReport("overlay", path, report_id, version, _grades(items), tuple(problems), pack.label)


def _header(overlay: OverlayFile | None, raw: Any) -> OverlayHeader | None:
    if overlay is not None:
        return overlay.overlay
    try:
        return OverlayHeader.model_validate(raw.get("overlay") if isinstance(raw, dict) else None)
    except ValidationError:
        return None


def check_path(path: Path, pack_id: str | None = None) -> list[CheckReport]:
    """Check an overlay file, a pack version folder, or every version folder under a pack or packs folder.

    A base pack (``_base/<version>``) is checked when named; in a packs folder, through each pack that
    extends it (its hash, and its records merged into the pack's).
    """
    if path.is_file():
        return [check_overlay_file(path, pack_id)]
    if (path / MANIFEST).is_file():
        return [check_pack_folder(path)]
    versions = sorted(found.parent for found in path.glob(f"*/{MANIFEST}")) if path.is_dir() else []
    if (
        path.is_dir() and not versions
    ):  # a packs folder: its bases are checked with the packs that extend them
        versions = sorted(
            found.parent
            for found in path.glob(f"*/*/{MANIFEST}")
            if not found.parent.parent.name.startswith("_")
        )
    if not versions:
        raise InputError(
            "DIR",
            f"{path} is neither an overlay file nor a pack version folder (with a {MANIFEST}) "
            "nor a folder of them",
        )
    return [check_pack_folder(version) for version in versions]


def pack_problems(pack: Pack, files: Mapping[str, str] | None = None) -> list[Problem]:
    """What the engine needs of a loaded pack (or pack + overlay); ``files`` names each record's file."""
    where = files or {}
    problems: list[Problem] = []

    def add(record: str, field: str, message: str) -> None:
        problems.append(Problem(where.get(record, ""), record, field, message))

    for rule_id, kind in REQUIRED_RECORDS.items():
        record = pack.records.get(rule_id)
        if record is None:
            add(rule_id, "", MISSING)
        elif not isinstance(record.values[0][1], kind):
            add(rule_id, "kind", f"must be a {kind.__name__} record, not {record.kind}")
    served: set[str] = set()
    for record in pack.records.values():
        for _, value in record.values:
            served |= _value_problems(pack, record.id, value, add)
        if isinstance(record.values[0][1], WarningDef):
            family, _, code = record.id.partition(".")
            if code not in WARNING_CODES.get(family, frozenset()):
                add(record.id, "id", "not a warning or flag code the engine can raise")
    if "standard" not in served:
        add("", "", "no regimen record serves the 'standard' situation (use_for: [standard])")
    return problems


def _value_problems(pack: Pack, rule_id: str, value: Any, add: Callable[[str, str, str], None]) -> set[str]:
    """Check one value of a record; return the situations it serves (regimens)."""
    match value:
        case RegimenDef():
            for field in ("use_for", "alternative_for"):
                unknown = set(getattr(value, field)) - SITUATIONS
                if unknown:
                    add(rule_id, field, f"unknown situation(s) {', '.join(sorted(unknown))}")
            for index, phase in enumerate(value.phases):
                if phase.interval is not None and phase.interval_range is not None:
                    low, high = phase.interval_range
                    if not low.sort_key() <= phase.interval.sort_key() <= high.sort_key():
                        add(rule_id, f"phases[{index}].interval", "lies outside its interval_range")
                pattern = f"schedule.weekly_pattern.{phase.times_per_week}"
                if phase.times_per_week is not None and not isinstance(
                    _value_of(pack, pattern), WeeklyPattern
                ):
                    add(rule_id, f"phases[{index}].times_per_week", f"needs the record {pattern}")
            return set(value.use_for)
        case MilestoneDef():
            unknown = set(value.when) - MILESTONE_CONDITIONS
            if unknown:
                add(rule_id, "when", f"unknown condition(s) {', '.join(sorted(unknown))}")
        case Bands():
            units = _value_of(pack, f"units.{value.analyte}")
            if not isinstance(units, AnalyteUnits):
                add(rule_id, "id", f"no units.{value.analyte} record gives the units of {value.analyte}")
            elif value.unit not in units.units:
                add(
                    rule_id,
                    "unit",
                    f"{value.unit!r} is not a unit of {value.analyte} ({', '.join(units.units)})",
                )
        case Codes() if rule_id == "regimen.lifelong_causes":
            causes = value.codes - set(codes_of(Cause))
            if causes:
                add(rule_id, "codes", f"unknown cause(s) {', '.join(sorted(causes))}")
    return set()


def _value_of(pack: Pack, rule_id: str) -> Any:
    record = pack.records.get(rule_id)
    return record.values[-1][1] if record is not None else None
