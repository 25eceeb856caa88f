"""A real ``b12care serve`` on a free loopback port for the load benchmarks, and what they read about it.

The server runs in its own process group (uvicorn's workers included) so it is stopped as one; its
memory (RSS) and CPU time are read from ``/proc`` for the whole process tree. Also: the percentile the
reports use, the load average, and which event loop and HTTP parser uvicorn's "auto" picks (what
``serve`` ships).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = [
    "SERVER",
    "Server",
    "free_port",
    "load_average",
    "percentile",
    "server_stack",
    "start_server",
]

SERVER = Path(sys.executable).parent / "b12care"  # the command beside this Python (.venv/bin/)
READY_SECONDS = 60.0
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MAX_TREE = 64  # processes followed below the server (it has at most a handful)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (None if the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    """Every process's children, from the parent pid in each ``/proc/PID/stat``."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


@dataclass
class Server:
    """``b12care serve`` in its own process group."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def pids(self) -> list[int]:
        """The server process and all its descendants (uvicorn's worker processes)."""
        tree = _children()
        found: list[int] = []
        todo = [self.process.pid]
        while todo and len(found) < MAX_TREE:
            pid = todo.pop()
            found.append(pid)
            todo.extend(tree.get(pid, []))
        return found

    def rss_bytes(self) -> int:
        """Resident memory of the process tree (shared pages counted once per process)."""
        total = 0
        for pid in self.pids():
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
            except (OSError, IndexError, ValueError):
                continue  # exited meanwhile
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the processes of the tree."""
        ticks = 0
        for pid in self.pids():
            fields = _stat_fields(pid)
            if fields is not None:
                ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return ticks / CLOCK_TICKS

    def problems(self, limit: int = 20) -> list[str]:
        """The log lines other than uvicorn's INFO lines: errors, warnings, tracebacks, stray output."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [x for x in lines if x.strip() and not x.startswith("INFO:")][:limit]

    def print_problems(self, limit: int = 20) -> None:
        """Show the log's problem lines (the log may be removed with its folder)."""
        for line in self.problems(limit):
            print(f"server log: {line}")

    def stop(self) -> None:
        """SIGTERM the process group; SIGKILL it if it has not exited within 15 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_server(env: dict[str, str], port: int, workers: int, log: Path, *, quiet: bool = False) -> Server:
    """Start ``b12care serve`` on 127.0.0.1:``port`` and wait until ``/health`` answers."""
    command = [str(SERVER), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if not quiet:
        print(f"server: {' '.join(command)}", flush=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}); see {log}:\n{log.read_text()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the server did not answer within {READY_SECONDS:.0f} s; see {log}")


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of already sorted values (NaN for none)."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


def load_average() -> str:
    """``/proc/loadavg`` as it reads now."""
    return Path("/proc/loadavg").read_text().strip()


def server_stack() -> str:
    """What uvicorn's "auto" loop and parser pick (what ``serve`` ships)."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn {loop} + {http}"
