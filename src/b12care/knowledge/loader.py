"""Load, verify and freeze knowledge packs and site overlays.

Packs live in ``knowledge/packs/<pack-id>/<version>/``: a manifest naming the data files and the
SHA-256 of their bytes, a citations file, and record files (schema.py). Loading checks the hash, the
schema, the citations and the cross-references, then builds frozen domain types.

A pack may extend a base pack (``extends: _base@<version>`` and ``base_hash`` in its manifest; base.py).
Merge rule: the base is loaded first, then the pack, record by record: a pack record with the id of a base
record replaces it in the base record's place, any other pack record is added; citations merge the same
way by id. The pack folder holds only what differs from the base. A base (a folder named ``_...``) is
never listed nor chosen as a pack. Verification: the base's files against the base's manifest hash, the
base's hash against the pack's ``base_hash``, and the pack's own files plus that base hash against the
pack's ``content_hash`` - the hash a plan names. ``rehash`` rewrites these after an intended edit
(the base first, then each pack that extends it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from b12care.domain.errors import InputError, KnowledgeError
from b12care.domain.knowledge import OverlayInfo, Pack, Record
from b12care.knowledge.base import CITATIONS, MANIFEST, Base, link_problem, load_base, merge_records
from b12care.knowledge.build import build_citations, build_records
from b12care.knowledge.files import compute_hash, read_yaml, validated
from b12care.knowledge.schema import CitationFile, ManifestFile, OverlayFile, RecordFile, RecordsFile

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
PACKS_ROOT = Path(__file__).parent / "packs"


@dataclass(frozen=True, slots=True)
class PackSummary:
    """What ``b12care packs`` lists."""

    id: str
    version: str
    title: str
    jurisdiction: str
    default: bool
    records_by_grade: dict[str, int]


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


@lru_cache(maxsize=32)
def load_pack(pack_id: str, version: str | None = None) -> Pack:
    """Load and verify a pack (cached: packs are immutable once loaded)."""
    return load_pack_folder(pack_directory(pack_id, version))


def base_of(directory: Path, manifest: ManifestFile) -> Base | None:
    """The verified base the pack in ``directory`` extends (looked up beside it, else installed), or None."""
    if manifest.extends is None:
        return None
    return load_base(manifest.extends, directory.parent.parent, PACKS_ROOT)


def own_files(directory: Path, manifest: ManifestFile, base: Base | None) -> list[str]:
    """The listed files the pack's own folder holds (hashed); a listed file it lacks must be its base's."""
    if base is None:
        return list(manifest.files)
    inherited = [name for name in manifest.files if not (directory / name).is_file()]
    unknown = [name for name in inherited if name not in base.names]
    if unknown:
        raise KnowledgeError(f"{', '.join(unknown)}: listed, but neither the pack nor {base.ref} has it")
    return [name for name in manifest.files if name not in inherited]


def _extends(base: Base | None) -> str | None:
    return base.extends if base is not None else None


def load_pack_folder(directory: Path) -> Pack:
    """Load and verify the pack version in ``directory`` (``<pack-id>/<version>/``, not cached)."""
    pack_id = directory.parent.name
    manifest = validated(ManifestFile, read_yaml(directory / MANIFEST), f"{pack_id} manifest")
    base = base_of(directory, manifest)
    if base is not None and (problem := link_problem(manifest, base)) is not None:
        raise KnowledgeError(f"pack {pack_id} {manifest.version}: {problem}")
    own = own_files(directory, manifest, base)
    if compute_hash(directory, own, _extends(base)) != manifest.content_hash:
        raise KnowledgeError(f"pack {pack_id} {manifest.version}: content hash does not match its manifest")
    citations = build_citations(list(base.citations)) if base is not None else {}
    record_files: dict[str, list[RecordFile]] = {}
    for name in own:
        data = read_yaml(directory / name)
        if name == CITATIONS:
            citations.update(build_citations(validated(CitationFile, data, name).citations))
        else:
            record_files[name] = validated(RecordsFile, data, f"{pack_id}/{name}").records
    merged = merge_records(manifest.files, base, record_files)
    records = build_records([record for _, record in merged], citations, "pack", {})
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
        return validated(OverlayFile, read_yaml(path), f"overlay {path.name}")
    except KnowledgeError as error:
        raise InputError("overlay", str(error)) from error


def apply_overlay(pack: Pack, overlay: OverlayFile) -> Pack:
    """A new pack with the overlay's records replacing (or adding to) the pack's; each keeps its origin.

    A replacing record must be of the same kind as the one it replaces.
    """
    header = overlay.overlay
    if header.pack is not None and header.pack != pack.id:
        raise InputError("overlay", f"overlay {header.id} is for pack {header.pack}, not {pack.id}")
    citations = {**pack.citations, **build_citations(overlay.citations)}
    scalars = {r.id: r.values[-1][1].value for r in pack.records.values() if r.kind == "quantity"}
    try:
        records = build_records(overlay.records, citations, f"overlay:{header.id}", scalars)
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
        manifest = validated(
            ManifestFile, read_yaml(pack_directory(folder.name) / "manifest.yaml"), f"{folder.name} manifest"
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
    """Rewrite the manifest's content_hash (and base_hash) for the files it lists; return the hash.

    For pack authors, after an intended edit. A pack that extends a base records the base's current hash:
    rehash the base first (its folder), then each pack that extends it.
    """
    manifest_path = directory / MANIFEST
    manifest = validated(ManifestFile, read_yaml(manifest_path), f"{directory.name} manifest")
    base = base_of(directory, manifest)
    digest = compute_hash(directory, own_files(directory, manifest, base), _extends(base))
    lines = [
        line
        for line in manifest_path.read_text(encoding="utf-8").splitlines()
        if not line.startswith("base_hash:")
    ]
    rewritten: list[str] = []
    for line in lines:
        rewritten.append(f"content_hash: {digest}" if line.startswith("content_hash:") else line)
        if base is not None and line.startswith("extends:"):
            rewritten.append(f"base_hash: {base.content_hash}")
    manifest_path.write_text("\n".join(rewritten) + "\n", encoding="utf-8")
    load_pack.cache_clear()
    return digest
