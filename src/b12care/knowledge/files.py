"""Reading pack files: YAML with the C loader, pydantic validation with the field named, the content hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from b12care.domain.errors import KnowledgeError

__all__ = ["compute_hash", "read_yaml", "validated"]

M = TypeVar("M", bound=BaseModel)

# The C loader is several times faster; fall back where libyaml is absent.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The YAML document at ``path``; a KnowledgeError names the file when it is unreadable or not YAML."""
    try:
        return yaml.load(path.read_bytes(), Loader=_Loader)
    except OSError as error:
        raise KnowledgeError(f"cannot read {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path.name} is not valid YAML: {error}") from error


def validated(model: type[M], data: Any, where: str) -> M:
    """``data`` validated by ``model``; a KnowledgeError names ``where`` and the first failing field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise KnowledgeError(f"{where}: {location}: {first['msg']}") from error


def compute_hash(directory: Path, files: Iterable[str], extends: str | None = None) -> str:
    """SHA-256 over the named files' bytes, in order, each preceded by its name.

    A pack that extends a base passes ``extends`` (``<base-id>@<version> <base content hash>``): it is
    hashed after the files, so the pack's hash changes whenever its base's content does.
    """
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0")
        digest.update((directory / name).read_bytes())
    if extends is not None:
        digest.update(b"extends\0" + extends.encode())
    return digest.hexdigest()
