"""Subcommands imported on first use, so ``geoplan --help`` and light commands start fast.

Importing every command module at start-up loads the whole library (``geoplan compare``
alone pulls in the map and folium; ``geoplan run`` the optimiser): about two seconds before
any command runs. :class:`LazyCommands` is the root group's ``commands`` mapping: it knows
each command's name, where it lives and its one-line help, and imports a command's module
only when click asks for that command (to run it, or for its own ``--help``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass

import click

__all__ = ["LazyCommands", "Where"]


@dataclass(frozen=True)
class Where:
    """Where a command lives and its one-line help (the first sentence of its docstring).

    Attributes
    ----------
    module : str
        Dotted module name, e.g. ``"geoplan.cli.run"``.
    attribute : str
        The click command in it, e.g. ``"run"``.
    short_help : str
        Shown by the group's ``--help`` before the module is imported; a test checks it is
        the command's own.
    """

    module: str
    attribute: str
    short_help: str


class LazyCommands(MutableMapping[str, click.Command]):
    """Command name -> click command, each imported from its :class:`Where` on first access."""

    def __init__(self, where: Mapping[str, Where]) -> None:
        self._where = dict(where)
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in self._where:
                raise KeyError(name)
            place = self._where[name]
            command = getattr(importlib.import_module(place.module), place.attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{place.module}.{place.attribute} is not a click command")
            self._loaded[name] = command
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._where.pop(name, None)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._where.pop(name, None)
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self._where, *self._loaded}))

    def __len__(self) -> int:
        return len({*self._where, *self._loaded})

    def __contains__(self, name: object) -> bool:
        return name in self._where or name in self._loaded

    def loaded(self) -> tuple[str, ...]:
        """Return the names of the commands imported so far."""
        return tuple(sorted(self._loaded))

    def short_help(self, name: str, limit: int) -> str:
        """Return ``name``'s one-line help within ``limit`` characters, importing nothing."""
        if name in self._loaded:
            return self._loaded[name].get_short_help_str(limit)
        return click.Command(name, help=self._where[name].short_help).get_short_help_str(limit)
