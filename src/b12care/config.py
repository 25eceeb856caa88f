"""Settings from ``B12CARE_*`` environment variables, validated once; built only in bootstrap.

``B12CARE_DATABASE_URL``: unset for the embedded SQLite file in the user's data directory, or a
``postgresql+psycopg://user@host:5432/db`` (``postgresql://`` and ``postgres://`` mean the same) or
``sqlite:///path/to/file.db`` URL.

The REST API also reads:

- ``B12CARE_SECRET_KEY``: the key that signs login tokens and share links (HS256), at least 32
  characters. Unset on SQLite: one is generated on first use and kept in ``b12care.secret`` (mode 0600)
  beside the database file. Unset on PostgreSQL: refused (several servers must share one key).
- ``B12CARE_TOKEN_LIFETIME_MINUTES`` (default 60): how long a login token is valid.
- ``B12CARE_SHARE_LINK_DAYS`` (default 30, at most 365): the default lifetime of a patient share link.
- ``B12CARE_PUBLIC_URL`` (default ``http://127.0.0.1:8000``): the base URL put in share links.
- ``B12CARE_LOGIN_MAX_FAILURES`` (default 5) failed logins per username and client within
  ``B12CARE_LOGIN_WINDOW_MINUTES`` (default 15) lock that pair out (HTTP 429) until the window passes.
- ``B12CARE_MAX_BODY_BYTES`` (default 10 MiB, 10,485,760): a request body over it is refused (HTTP 413)
  before it is read whole. It still admits a realistic FHIR import bundle: the official R4 examples
  with their narrative are 1.5-5.5 kB a resource, so one patient's ten years of monthly doses and labs
  (about 160 resources, under 1 MB) fits ten times over; every other body (a case file is at most
  1 MB) is far smaller.
- ``B12CARE_MAX_JSON_DEPTH`` (default 64): a JSON body whose arrays and objects nest deeper is refused
  (HTTP 422, field ``body``) before it is parsed. The official R4 examples nest at most 9 levels (12
  inside a Bundle), CDS Hooks requests 10; Python's own parser fails with RecursionError near 1,000.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from b12care.domain.errors import ConfigurationError

__all__ = [
    "APP_NAME",
    "MIN_SECRET_LENGTH",
    "SECRET_FILE_NAME",
    "SUPPORTED_SCHEMES",
    "Settings",
    "default_database_path",
]

APP_NAME = "b12care"
SUPPORTED_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
SECRET_FILE_NAME = "b12care.secret"
MIN_SECRET_LENGTH = 32
_ALIASES = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def default_database_path() -> Path:
    """The embedded database file: ``<user data dir>/b12care.db`` (e.g. ``~/.local/share/b12care``)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "b12care.db"


def _secret_beside(database: Path) -> str:
    """Read the key file beside ``database``, creating it (0600, exclusively) on first use."""
    path = database.parent / SECRET_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="utf-8").strip()
        if len(key) < MIN_SECRET_LENGTH:
            raise ConfigurationError(f"B12CARE_SECRET_KEY: the key file {path} is too short") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key + "\n")
    return key


class Settings(BaseSettings):
    """Everything b12care reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="B12CARE_", extra="ignore", frozen=True)

    database_url: str | None = None
    secret_key: SecretStr | None = None
    token_lifetime_minutes: int = Field(default=60, ge=1, le=24 * 60)
    share_link_days: int = Field(default=30, ge=1, le=365)
    public_url: str = "http://127.0.0.1:8000"
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # CDS Hooks: a YAML/JSON file of trusted EHR issuers, their keys and clinics (adapters/cds/settings.py).
    cds_issuers_file: Path | None = None
    # Request limits of the whole app (entrypoints/api/limits.py): 413 above the size, 422 above the depth.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    max_json_depth: int = Field(default=64, ge=8, le=256)

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

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"B12CARE_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"B12CARE_PUBLIC_URL must start with http:// or https://, got {value!r}")
        return value

    def resolved_database_url(self) -> str:
        """The URL to connect to: the configured one, else the embedded SQLite file (folder created)."""
        if self.database_url is not None:
            return self.database_url
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"

    def resolved_secret_key(self, database_url: str) -> str:
        """The signing key: B12CARE_SECRET_KEY, else (SQLite only) the key file beside the database.

        An in-memory SQLite database gets a fresh key per process. PostgreSQL without the variable is
        a ConfigurationError: every server of a shared database must sign with the same key.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        from sqlalchemy.engine import make_url  # imported on use: importing settings stays light

        url = make_url(database_url)
        if url.get_backend_name() != "sqlite":
            raise ConfigurationError(
                "B12CARE_SECRET_KEY: required with PostgreSQL (at least "
                f"{MIN_SECRET_LENGTH} characters, the same for every server)"
            )
        if url.database in (None, "", ":memory:"):
            return secrets.token_urlsafe(48)
        return _secret_beside(Path(url.database))
