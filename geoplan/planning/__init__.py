"""Planning: one model from every workstream's candidates, solved, flagged and costed.

:mod:`geoplan.planning.solve` builds each workstream's model from a scenario and the layers
and solves them jointly or separately; :mod:`geoplan.planning.joint` is the joint model,
:mod:`geoplan.planning.headroom` the grid rules (scenario names, levels without figures,
power factor, accounting), :mod:`geoplan.planning.grid_flags` the substations that bind and
the zones that need flexibility, :mod:`geoplan.planning.finance` capex, savings and the
carbon trajectory, :mod:`geoplan.planning.baseline` the baseline emissions it is measured
against.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geoplan.planning.solve import (
        HeadroomGaps,
        PlanResult,
        WorkstreamModel,
        grid_limits,
        headroom_gaps,
        reinforcement_options,
        solve_plans,
        workstream_models,
    )

__all__ = ["HeadroomGaps", "PlanResult", "WorkstreamModel", "grid_limits", "headroom_gaps",
           "reinforcement_options", "solve_plans", "workstream_models"]


def __getattr__(name: str) -> Any:
    """Import a name of :mod:`geoplan.planning.solve` on first use (PEP 562).

    Importing a light submodule (``geoplan.planning.carbon_lines``, used by the outputs'
    labels) then does not load the optimiser and every workstream.
    """
    if name not in __all__:
        raise AttributeError(f"module 'geoplan.planning' has no attribute {name!r}")
    value = getattr(importlib.import_module("geoplan.planning.solve"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
