"""The assumption tables geoplan's modules describe, found by looking at those modules.

Each module that uses a table defines an :class:`~geoplan.assumptions.AssumptionTable`
constant next to the code that uses it. :func:`known_tables` collects them so that a scenario's
replacement tables and overrides can be checked when the scenario is loaded.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from geoplan.assumptions import AssumptionTable

__all__ = ["TABLE_MODULES", "known_tables"]

TABLE_MODULES = ("geoplan.buildings", "geoplan.ev", "geoplan.sites", "geoplan.land",
                 "geoplan.emissions", "geoplan.finance", "geoplan.planning",
                 "geoplan.workstreams")
"""Modules (and packages, searched one level down) that define assumption tables."""


def known_tables() -> dict[str, AssumptionTable]:
    """Every assumption table described by a geoplan module, by name, sorted.

    Modules of :data:`TABLE_MODULES` that do not exist (yet) are skipped.
    """
    found: dict[str, AssumptionTable] = {}
    for module in _modules():
        for value in vars(module).values():
            if isinstance(value, AssumptionTable):
                found.setdefault(value.name, value)
    return dict(sorted(found.items()))


def _modules() -> list[ModuleType]:
    modules = []
    for name in TABLE_MODULES:
        module = _optional(name)
        if module is None:
            continue
        modules.append(module)
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            inner = _optional(f"{name}.{info.name}")
            if inner is not None:
                modules.append(inner)
    return modules


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None  # the module itself is absent, not one of its imports
        raise
