"""Base packs: what the national packs share, and how a pack is merged onto the base it extends.

A base pack lives in ``packs/_<name>/<version>/`` (``_base``): a manifest, a citations file and record
files like any pack, but it is never listed or chosen as a pack of its own. A national pack names it in its
manifest with ``extends: _base@<version>`` and records the base's ``content_hash`` as ``base_hash``.

The merge (record-level, by id):

- citations: the base's, then the pack's; a pack citation with a base citation's id replaces it;
- files are taken in the order of the pack manifest's ``files`` (then any base file it does not name); a
  listed file the pack folder does not have is the base's file of that name;
- within a file, the base's records come first, in the base's order; a pack record with the id of a base
  record takes that record's place (whole: no field-by-field merge); the pack's other records follow in
  the pack's order. So a pack adds or overrides records, and never removes one.

Hashes: the base manifest's ``content_hash`` covers the base's files. The pack's ``content_hash`` covers the
files of its own folder and then ``<base ref> <base content hash>`` (files.compute_hash), so it names the
whole merged content, and a changed base fails verification twice: the base against its manifest, and the
pack's ``base_hash`` against the base.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from b12care.domain.errors import KnowledgeError
from b12care.knowledge.files import compute_hash, read_yaml, validated
from b12care.knowledge.schema import CitationFile, CitationModel, ManifestFile, RecordFile, RecordsFile

__all__ = ["CITATIONS", "MANIFEST", "Base", "base_directory", "link_problem", "load_base", "merge_records"]

MANIFEST = "manifest.yaml"
CITATIONS = "citations.yaml"


@dataclass(frozen=True, slots=True)
class Base:
    """A verified base pack: its reference, folder, hash, citations and records per file."""

    ref: str
    directory: Path
    content_hash: str
    names: tuple[str, ...]
    citations: tuple[CitationModel, ...]
    files: Mapping[str, list[RecordFile]]

    @property
    def extends(self) -> str:
        """What a pack that extends this base hashes after its own files."""
        return f"{self.ref} {self.content_hash}"

    def label(self, name: str) -> str:
        """How a file of the base is named in messages: ``_base/1.0.0/units.yaml``."""
        return f"{self.ref.replace('@', '/')}/{name}"


def base_directory(ref: str, packs_root: Path, installed: Path) -> Path:
    """The folder of ``ref`` (``_base@1.0.0``): beside the pack (in ``packs_root``), else installed."""
    base_id, _, version = ref.partition("@")
    for root in dict.fromkeys((packs_root, installed)):
        folder = root / base_id / version
        if (folder / MANIFEST).is_file():
            return folder
    raise KnowledgeError(f"base pack {ref} is not installed")


def load_base(ref: str, packs_root: Path, installed: Path) -> Base:
    """Read and verify the base ``ref`` (its hash against its own manifest; no chains of bases)."""
    directory = base_directory(ref, packs_root, installed)
    manifest = validated(ManifestFile, read_yaml(directory / MANIFEST), f"base {ref} manifest")
    if manifest.extends is not None:
        raise KnowledgeError(f"base pack {ref} extends {manifest.extends}: a base cannot extend another")
    if compute_hash(directory, manifest.files) != manifest.content_hash:
        raise KnowledgeError(
            f"base pack {ref}: content hash does not match its manifest (after an intended edit, rehash "
            "the base, review the change, then rehash each pack that extends it)"
        )
    citations: list[CitationModel] = []
    files: dict[str, list[RecordFile]] = {}
    for name in manifest.files:
        data = read_yaml(directory / name)
        if name == CITATIONS:
            citations = validated(CitationFile, data, f"{ref}/{name}").citations
        else:
            files[name] = validated(RecordsFile, data, f"{ref}/{name}").records
    return Base(ref, directory, manifest.content_hash, tuple(manifest.files), tuple(citations), files)


def link_problem(manifest: ManifestFile, base: Base) -> str | None:
    """Why the pack's recorded ``base_hash`` does not pin ``base``, or None when it does."""
    if manifest.base_hash == base.content_hash:
        return None
    return (
        f"{manifest.extends} has content hash {base.content_hash}, not the base_hash {manifest.base_hash} "
        "this pack records: review the base's change, then rehash this pack"
    )


def merge_records(
    order: list[str], base: Base | None, own: Mapping[str, list[RecordFile]]
) -> list[tuple[str, RecordFile]]:
    """Each record of the merged pack with the file it comes from, in merged order (module docstring).

    A pack record whose id is repeated in the pack is kept twice, so that the caller reports it.
    """
    if base is None:
        return [(name, record) for name in order for record in own.get(name, [])]
    overrides: dict[str, tuple[str, RecordFile]] = {}
    for name in order:
        for record in own.get(name, []):
            overrides.setdefault(record.id, (name, record))
    inherited = {record.id for records in base.files.values() for record in records}
    merged: list[tuple[str, RecordFile]] = []
    for name in [*order, *(name for name in base.files if name not in order)]:
        merged += [
            overrides.get(record.id, (base.label(name), record)) for record in base.files.get(name, [])
        ]
        merged += [
            (name, record)
            for record in own.get(name, [])
            if record.id not in inherited or overrides[record.id][1] is not record
        ]
    return merged
