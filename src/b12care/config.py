"""Settings from ``B12CARE_*`` environment variables, validated once; built only in bootstrap.

``B12CARE_DATABASE_URL``: unset for the embedded SQLite file in the user's data directory, or a
``postgresql+psycopg://user@host:5432/db`` (``postgresql://`` and ``postgres://`` mean the same) or
``sqlite:///path/to/file.db`` URL.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["APP_NAME", "SUPPORTED_SCHEMES", "Settings", "default_database_path"]

APP_NAME = "b12care"
SUPPORTED_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
_ALIASES = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def default_database_path() -> Path:
    """The embedded database file: ``<user data dir>/b12care.db`` (e.g. ``~/.local/share/b12care``)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "b12care.db"


class Settings(BaseSettings):
    """Everything b12care reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="B12CARE_", extra="ignore", frozen=True)

    database_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        scheme, separator, rest = value.partition("://")
        if not separator:
            raise ValueError(
                f"{value!r} is not a database URL; use sqlite:///path/to/b12care.db or "
                "postgresql+psycopg://user@host:5432/b12care"
            )
        scheme = _ALIASES.get(scheme.lower(), scheme.lower())
        if scheme not in SUPPORTED_SCHEMES:
            raise ValueError(
                f"unsupported database scheme {scheme!r}: b12care stores its record in SQLite "
                f"(sqlite:///path) or PostgreSQL (postgresql+psycopg://...); supported: "
                f"{', '.join(SUPPORTED_SCHEMES)}"
            )
        return f"{scheme}://{rest}"

    def resolved_database_url(self) -> str:
        """The URL to connect to: the configured one, else the embedded SQLite file (folder created)."""
        if self.database_url is not None:
            return self.database_url
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
