"""Knowledge packs as data: the only code that reads pack and overlay files."""

from b12care.knowledge.loader import (
    DEFAULT_PACK,
    PackSummary,
    apply_overlay,
    list_packs,
    load_overlay,
    load_pack,
    pack_directory,
)

__all__ = [
    "DEFAULT_PACK",
    "PackSummary",
    "apply_overlay",
    "list_packs",
    "load_overlay",
    "load_pack",
    "pack_directory",
]
