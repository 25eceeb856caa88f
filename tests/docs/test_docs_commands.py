"""Every ``b12care ...`` command line the documentation (docs/ and the README) shows is a real command with
real options, so the docs cannot drift from the CLI: each is resolved through the Typer app's command tree
and its ``--help`` is run with Typer's CliRunner. (Typer vendors its own click: commands are recognised by
their ``commands`` and ``params``, not by click's classes.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.conftest import ROOT
from typer.testing import CliRunner

from b12care.entrypoints.cli.app import create_app

DOCS = ROOT / "docs"
FENCE = re.compile(r"^\s*(?:```|~~~)\s*([\w-]*)")
COMMAND_BLOCKS = {"", "sh", "bash", "shell", "console", "ini", "systemd"}  # not text (output), nginx, yaml
INLINE_CODE = re.compile(r"`([^`]+)`")
SEGMENT_BREAK = re.compile(r"\|\||&&|[|;]|\$\(|\)")
COMMENT = re.compile(r"(?:^|\s)#.*$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=(.*)$")
WRAPPERS = {"sudo", "env", "exec", "time", "nohup"}
ALIAS = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=(?:\S*/)?b12care\s*$")  # B=.venv/bin/b12care, then $B ...
PAGES = (*sorted(DOCS.rglob("*.md")), ROOT / "README.md")


@dataclass(frozen=True)
class Shown:
    """One ``b12care`` invocation as a page shows it."""

    where: str  # page:line
    words: tuple[str, ...]  # what follows ``b12care``


def _program(tokens: list[str], aliases: frozenset[str] = frozenset()) -> int | None:
    """The index of ``b12care`` when it is the command a shell segment runs, else None.

    Leading ``VAR=value`` assignments and ``sudo [-u USER]``/``env`` wrappers are skipped; a systemd
    ``ExecStart=/path/bin/b12care`` counts as the program.
    """
    index = 0
    while index < len(tokens):
        token = tokens[index]
        assignment = ASSIGNMENT.match(token)
        program = assignment.group(1) if assignment is not None else token
        if (program in {"b12care", *aliases} and assignment is None) or program.endswith("/bin/b12care"):
            return index
        if token == "sudo" and tokens[index + 1 : index + 2] == ["-u"]:
            index += 3
        elif assignment is not None or token in WRAPPERS:
            index += 1
        else:
            return None
    return None


def _segments(snippet: str) -> Iterator[list[str]]:
    for segment in SEGMENT_BREAK.split(snippet):
        yield segment.split()


def invocations_in(text: str, where: str) -> Iterator[Shown]:
    """The ``b12care`` command lines of a page: in shell (and systemd) code blocks, and inline code spans
    that start with ``b12care``."""
    block: str | None = None
    aliases: frozenset[str] = frozenset()
    prose: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if fence is not None:
            block = None if block is not None else fence.group(1)
            prose.append("")
            continue
        prose.append("" if block is not None else line)
        if block is None or block not in COMMAND_BLOCKS:
            continue
        alias = ALIAS.match(line)
        if alias is not None:
            aliases |= {f"${alias.group(1)}"}
            continue
        for tokens in _segments(COMMENT.sub("", line)):
            start = _program(tokens, aliases)
            if start is not None:
                yield Shown(f"{where}:{number}", tuple(tokens[start + 1 :]))
    outside = "\n".join(prose)
    for match in INLINE_CODE.finditer(outside):
        span = " ".join(match.group(1).split())
        if span.startswith("b12care "):
            number = outside.count("\n", 0, match.start()) + 1
            tokens = next(_segments(span))
            yield Shown(f"{where}:{number}", tuple(tokens[1:]))


def shown_in_docs() -> list[Shown]:
    found: list[Shown] = []
    for page in PAGES:
        found += invocations_in(page.read_text(encoding="utf-8"), str(page.relative_to(ROOT)))
    return found


def _options(command: Any) -> set[str]:
    names = {"--help"}
    for parameter in command.params:
        names |= {name for name in [*parameter.opts, *parameter.secondary_opts] if name.startswith("-")}
    return names


@cache
def help_exit_code(path: tuple[str, ...]) -> int:
    """The exit status of ``b12care <path> --help`` (once per command: many pages show the same ones)."""
    return CliRunner().invoke(create_app(), [*path, "--help"]).exit_code


def problems_of(shown: Shown, root: Any) -> list[str]:
    """What is wrong with one shown command line: an unknown command or option, or a failing --help."""
    command, path = root, []
    for word in shown.words:
        if word in getattr(command, "commands", {}):
            command = command.commands[word]
            path.append(word)
        else:
            break
    rest = shown.words[len(path) :]
    if not path:
        if rest and not rest[0].startswith("-"):
            return [f"{shown.where}: b12care has no command {rest[0]!r}"]
        return []
    if hasattr(command, "commands") and rest and re.fullmatch(r"[a-z][a-z-]*", rest[0]):
        return [f"{shown.where}: b12care {' '.join(path)} has no command {rest[0]!r}"]
    problems = [
        f"{shown.where}: b12care {' '.join(path)} has no option {word.split('=')[0]}"
        for word in rest
        if word.startswith("--") and word.split("=")[0] not in _options(command)
    ]
    exit_code = help_exit_code(tuple(path))
    if exit_code != 0:
        problems.append(f"{shown.where}: b12care {' '.join(path)} --help exits {exit_code}")
    return problems


@pytest.fixture(scope="module")
def root() -> Any:
    return typer.main.get_command(create_app())


def test_every_b12care_command_line_in_the_docs_is_a_real_command(root: Any) -> None:
    shown = shown_in_docs()
    assert len(shown) >= 20, [s.where for s in shown]
    assert [problem for s in shown for problem in problems_of(s, root)] == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("b12care frobnicate --now", "b12care has no command 'frobnicate'"),
        ("b12care packs check DIR --strictly", "b12care packs check has no option --strictly"),
        ("b12care user remove admin", "b12care user has no command 'remove'"),
    ],
)
def test_a_command_or_option_the_cli_lacks_is_reported(root: Any, line: str, problem: str) -> None:
    shown = list(invocations_in(f"```sh\n{line}\n```\n", "page.md"))

    assert [p.split(": ", 1)[1] for s in shown for p in problems_of(s, root)] == [problem]


def test_command_lines_are_found_in_code_blocks_units_and_inline_code() -> None:
    text = (
        "Run `b12care packs check DIR` first; `b12care.db` is a file; `b12care\nrecompute` wraps.\n"
        "```ini\nDescription=b12care clinic service\n"
        "ExecStart=/opt/b12care/.venv/bin/b12care serve --workers 4\n```\n"
        "```sh\nB12CARE_DATABASE_URL=x .venv/bin/b12care recompute  # after an upgrade\n"
        "P=$(b12care patient add --clinic C) && b12care history $P | less\n"
        "sudo -u postgres createdb --owner b12care b12care\n"
        "sudo -u b12care env A=1 /opt/b12care/.venv/bin/b12care user add x\n"
        "B=.venv/bin/b12care\n$B recall --format csv\n```\n"
        "```text\nbackup done (b12care 0.1.0)\n```\n"
    )

    assert [s.words for s in invocations_in(text, "page.md")] == [
        ("serve", "--workers", "4"),
        ("recompute",),
        ("patient", "add", "--clinic", "C"),
        ("history", "$P"),
        ("user", "add", "x"),
        ("recall", "--format", "csv"),
        ("packs", "check", "DIR"),
        ("recompute",),
    ]


def test_the_docs_folder_is_where_the_pages_are() -> None:
    assert Path(DOCS / "index.md").is_file()
