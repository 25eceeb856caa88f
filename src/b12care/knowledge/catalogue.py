"""The knowledge catalogue: the packs and the terminology as one object the container holds.

It wraps the loader's process-wide caches (``load_pack``, ``list_packs``, ``load_terminology``) so a
use case or face can receive the catalogue as a dependency instead of calling the loader; a test may
hand in another object with the same methods.
"""

from __future__ import annotations

from b12care.domain.knowledge import Pack
from b12care.knowledge.loader import DEFAULT_PACK, PackSummary, list_packs, load_pack
from b12care.knowledge.terminology import Terminology, load_terminology

__all__ = ["KnowledgeCatalogue"]


class KnowledgeCatalogue:
    """Every shipped knowledge pack (each loaded once per process) and the terminology."""

    default_pack_id: str = DEFAULT_PACK

    def pack(self, pack_id: str | None = None, version: str | None = None) -> Pack:
        """The pack (the default pack when no id is given); its latest version unless one is named."""
        return load_pack(pack_id or self.default_pack_id, version)

    def packs(self) -> list[PackSummary]:
        """A summary of every shipped pack."""
        return list_packs()

    def terminology(self) -> Terminology:
        """The drug, route and lab codes the FHIR and CDS adapters map."""
        return load_terminology()
