"""The throw-away database a benchmark builds, measures and drops (SQLite file or PostgreSQL database)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

__all__ = ["BenchDatabase", "random_uuid"]

PG_SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@dataclass(frozen=True)
class BenchDatabase:
    """A benchmark's own database, named ``name``, on SQLite (a /tmp file) or the local PostgreSQL."""

    name: str
    kind: str

    @property
    def sqlite_path(self) -> Path:
        """Where the SQLite file lives."""
        return Path(f"/tmp/{self.name.replace('_', '-')}.db")

    def url(self) -> str:
        """The SQLAlchemy URL of the database."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"

    def drop(self) -> None:
        """Remove the database (and SQLite's WAL files)."""
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def create(self) -> None:
        """Create an empty PostgreSQL database (SQLite files are created on first use)."""
        if self.kind == "postgresql":
            self._admin(f"CREATE DATABASE {self.name}")

    @staticmethod
    def _admin(sql: str) -> None:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]


def random_uuid(rng: random.Random) -> str:
    """A reproducible UUID4 string from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
