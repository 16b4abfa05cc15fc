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

TABLE_MODULES = ("geoplan.layers.buildings", "geoplan.layers.ev", "geoplan.layers.sites",
                 "geoplan.layers.stock",
                 "geoplan.layers.land",
                 "geoplan.sources.emissions", "geoplan.planning.finance",
                 "geoplan.planning.social_value", "geoplan.planning.solve",
                 "geoplan.planning.grid_evidence", "geoplan.planning.decision",
                 "geoplan.workstreams")
"""Modules (and packages, searched one level down) that define assumption tables."""


def known_tables() -> dict[str, AssumptionTable]:
    """Every assumption table described by a geoplan module, by name, sorted.

    Two descriptions of one name would make a scenario's overrides depend on import order,
    so they are refused.
    """
    found: dict[str, AssumptionTable] = {}
    for module in _modules():
        for value in vars(module).values():
            known = isinstance(value, AssumptionTable)
            if known and found.setdefault(value.name, value) != value:
                raise RuntimeError(f"two descriptions of assumption table {value.name!r} "
                                   f"(one in {module.__name__}); keep one")
    return dict(sorted(found.items()))


def _modules() -> list[ModuleType]:
    modules = []
    for name in TABLE_MODULES:
        module = importlib.import_module(name)
        modules.append(module)
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            modules.append(importlib.import_module(f"{name}.{info.name}"))
    return modules
