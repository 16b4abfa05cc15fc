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
