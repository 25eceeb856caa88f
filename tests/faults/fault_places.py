"""Real places for faults: a private PostgreSQL cluster the test may stop and start, and a tiny tmpfs the
test may fill up or remount read-only (a module of its own name, so test modules import it unambiguously).

The private cluster is never the shared one on 5432 (other tests use it): ``initdb`` and ``pg_ctl`` from
``/usr/lib/postgresql/*/bin`` make one in a temporary folder, on a free loopback port, with trust auth;
as root they run as the ``postgres`` OS user (PostgreSQL refuses to run as root). Mounting a tmpfs needs
root (CAP_SYS_ADMIN). Where either is impossible the tests skip on a developer's machine and FAIL when
``CI`` is set. Both are always cleaned up: the cluster stopped and its folder removed, the tmpfs unmounted.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from fault_helpers import free_port
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

__all__ = ["PrivateCluster", "filled", "private_cluster", "remounted_read_only", "tiny_tmpfs", "unavailable"]

POSTGRES_USER = "postgres"
COMMAND_SECONDS = 120


def unavailable(message: str) -> None:
    """Skip the test, or fail it when ``CI`` is set (the fault tests must run there)."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: the fault tests must run, not skip)", pytrace=False)
    pytest.skip(message)


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    return next((b for b in found if (b / "initdb").exists() and (b / "pg_ctl").exists()), None)


@dataclass
class PrivateCluster:
    """A PostgreSQL cluster of the test's own: ``stop()`` and ``start()`` it at will."""

    bin: Path
    folder: Path
    port: int
    as_postgres: tuple[str, ...]  # the prefix that runs a command as the postgres OS user (empty: as us)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self.as_postgres, *args], capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise AssertionError(f"{args[0]} failed ({done.returncode}): {done.stderr}\n{log}")

    def initdb(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", POSTGRES_USER, "-A", "trust",
                  "--no-sync", "--no-instructions", "-E", "UTF8", "--locale", "C")  # fmt: skip

    def start(self) -> None:
        """Start it and wait until it takes connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """Stop it; ``immediate`` is a crash for the clients: every connection cut, no checkpoint."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run statements as the superuser, outside a transaction."""
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def set_read_only(self, database: str, read_only: bool) -> None:
        """Make every new transaction of ``database`` read-only (or not), as an admin would - or as a
        failover to a hot standby does - and end its sessions, so the service's pooled connections
        reconnect and get the new setting."""
        self.execute(
            f'ALTER DATABASE "{database}" SET default_transaction_read_only = {"on" if read_only else "off"}',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()",
        )


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started private cluster, stopped and removed afterwards whatever happens."""
    binaries = _postgres_bin()
    if binaries is None:
        unavailable("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        raise AssertionError("unreachable")  # pragma: no cover - unavailable() skips or fails
    as_postgres: tuple[str, ...] = ()
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if shutil.which("runuser") is None:
            unavailable("running as root without runuser: cannot start PostgreSQL as the postgres user")
        as_postgres = ("runuser", "-u", POSTGRES_USER, "--")
    folder = Path(tempfile.mkdtemp(prefix="b12care-faults-pg-"))
    if as_postgres:
        shutil.chown(folder, POSTGRES_USER, POSTGRES_USER)
    cluster = PrivateCluster(binaries, folder, free_port(), as_postgres)
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        with suppress(Exception):
            if cluster.running():
                cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mount", *args], capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False
    )


@contextmanager
def tiny_tmpfs(size: str) -> Iterator[Path]:
    """A freshly mounted tmpfs of ``size`` (e.g. ``4m``), unmounted afterwards whatever happens."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        unavailable("mounting a tmpfs needs root and mount(8)")
    place = Path(tempfile.mkdtemp(prefix="b12care-faults-fs-"))
    mounted = _mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(place))
    if mounted.returncode != 0:
        place.rmdir()
        unavailable(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield place
    finally:
        if subprocess.run(["umount", str(place)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(place)], capture_output=True, check=False)
        with suppress(OSError):
            place.rmdir()


@contextmanager
def remounted_read_only(place: Path) -> Iterator[None]:
    """``place`` (a tmpfs of :func:`tiny_tmpfs`) read-only until the block ends."""
    done = _mount("-o", "remount,ro", str(place))
    assert done.returncode == 0, f"cannot remount {place} read-only: {done.stderr}"
    try:
        yield
    finally:
        again = _mount("-o", "remount,rw", str(place))
        assert again.returncode == 0, f"cannot remount {place} writable: {again.stderr}"


@contextmanager
def filled(place: Path) -> Iterator[Path]:
    """Fill ``place`` to the last byte with a file until the block ends (then the file is removed)."""
    filler = place / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (65536, 4096):  # tmpfs hands out pages: when a page no longer fits, nothing does
            while True:
                try:
                    os.write(descriptor, b"\0" * size)
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(descriptor)
    try:
        yield filler
    finally:
        filler.unlink()
