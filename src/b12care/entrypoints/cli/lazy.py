"""Lazily registered commands: the root knows each command's name, module and one-line help, and imports
the module only when the command runs or its own help is shown.

Typer has no lazy groups; this is click's "lazily loading subcommands" pattern on a Typer root (the root
is a :class:`LazyGroup`, made by ``typer.main.get_command``). A group module exposes
``register(app, console, guard)``, which adds its commands to a fresh Typer app; loading it turns that app
into click commands once and keeps them. ``b12care --help`` lists every command from the table, without
importing any group module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
from typer._click import Command, Context, HelpFormatter  # Typer's own click (its groups hold these)
from typer.core import TyperCommand, TyperGroup

from b12care.entrypoints.cli.commands import ConsoleFor, Guard

__all__ = ["LazyCommand", "LazyCommands", "LazyGroup", "lazy_group_class", "load_module"]


@dataclass(frozen=True)
class LazyCommand:
    """A command of the root: ``name``, the module that registers it and the first paragraph of its help."""

    name: str
    module: str
    summary: str


def load_module(module: str, console: ConsoleFor, guard: Guard) -> dict[str, Command]:
    """Import ``module`` and turn the commands its ``register`` adds into click commands, by name."""
    register: Callable[[typer.Typer, ConsoleFor, Guard], None] = importlib.import_module(module).register
    app = typer.Typer()
    register(app, console, guard)
    return dict(typer.main.get_group(app).commands)


class LazyCommands(MutableMapping[str, Command]):
    """A group's commands by name: those of the table are loaded, a module at a time, on first access;
    ``in``, iteration and ``len`` use the table alone."""

    def __init__(self, table: Sequence[LazyCommand], load: Callable[[str], Mapping[str, Command]]) -> None:
        self._table = {entry.name: entry for entry in table}
        self._load = load
        self._loaded: dict[str, Command] = {}

    def is_loaded(self, name: str) -> bool:
        """True once the command's module has been imported (or the command was added directly)."""
        return name in self._loaded

    def placeholder(self, name: str) -> TyperCommand:
        """A stand-in with the command's name and one-line help, for listing it without loading it."""
        return TyperCommand(name, help=self._table[name].summary)

    def __getitem__(self, name: str) -> Command:
        if name not in self._loaded:
            entry = self._table[name]  # KeyError: no such command
            loaded = self._load(entry.module)
            if name not in loaded:
                raise LookupError(f"{entry.module} registers no command {name!r}")
            self._loaded.update(loaded)
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._table or name in self._loaded

    def __iter__(self) -> Iterator[str]:
        yield from self._table
        yield from (name for name in self._loaded if name not in self._table)

    def __len__(self) -> int:
        return len(self._table.keys() | self._loaded.keys())

    def __setitem__(self, name: str, command: Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._table.pop(name, None)
        self._loaded.pop(name, None)


class LazyGroup(TyperGroup):
    """A Typer group whose commands are a :class:`LazyCommands` of ``table``; its help lists them unloaded."""

    table: ClassVar[tuple[LazyCommand, ...]] = ()
    loader: ClassVar[Callable[[str], Mapping[str, Command]]]

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        eager = dict(self.commands)
        self.commands = LazyCommands(self.table, type(self).loader)
        self.commands.update(eager)
        self._listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        """The commands in table order, without loading them."""
        return list(self.commands)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """The command (loading its module), or only its name and help while the help is being written."""
        commands = self.commands
        if self._listing and isinstance(commands, LazyCommands) and not commands.is_loaded(cmd_name):
            return commands.placeholder(cmd_name) if cmd_name in commands else None
        return commands.get(cmd_name)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The group's help: every command with its one-line help, none of their modules imported."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def lazy_group_class(
    table: Sequence[LazyCommand], loader: Callable[[str], Mapping[str, Command]]
) -> type[LazyGroup]:
    """A :class:`LazyGroup` of ``table`` whose modules ``loader`` loads (Typer builds groups from a class)."""

    class Root(LazyGroup):
        pass

    Root.table = tuple(table)
    Root.loader = staticmethod(loader)
    return Root
