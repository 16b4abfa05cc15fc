"""The joint plan decomposed by grid supply point (``solver.decompose: by_gsp``).

Every candidate belongs to the grid supply point (GSP) at the top of its substation's chain
(:func:`geoplan.optimise.decompose.grid_roots`); candidates with no substation form one more
part. The joint model is then solved part by part with the shared budgets priced
(:func:`geoplan.optimise.decompose.solve_decomposed`, whose docstring gives the method), and
the plan reports the Lagrangian bound and the gap between it and the combined plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
import numpy as np

from geoplan.optimise import CompiledProblem, SolveOutcome, SolverOptions
from geoplan.optimise.decompose import candidate_parts, grid_roots, solve_decomposed

__all__ = ["DECOMPOSE_METHODS", "solve_by_gsp"]

DECOMPOSE_METHODS = ("none", "by_gsp")
"""Values of the scenario's ``solver.decompose``."""


def solve_by_gsp(compiled: CompiledProblem, grid: nx.DiGraph | Mapping[str, str | None],
                 options: SolverOptions) -> tuple[SolveOutcome, list[str], dict[str, Any]]:
    """Solve ``compiled`` one GSP at a time with the shared rows priced.

    Parameters
    ----------
    compiled : CompiledProblem
        The joint model.
    grid : networkx.DiGraph or Mapping
        The grid graph (parent -> child) or substation -> parent.
    options : SolverOptions

    Returns
    -------
    outcome : SolveOutcome
        The combined plan, the Lagrangian bound and the gap.
    notes : list of str
        One line saying how the plan was found.
    decomposition : dict
        ``method``, ``parts``, ``rounds``, ``linking_rows``, ``bound``, ``gap``, ``repaired``.
    """
    table = compiled.context.table
    substations = (table["substation_id"] if "substation_id" in table.columns
                   else np.full(len(table), "", dtype=object))
    labels = candidate_parts(compiled, grid_roots(list(substations), grid))
    found = solve_decomposed(compiled.model, labels, options)
    summary = found.summary("by_gsp")
    note = (f"decomposed by grid supply point into {summary['parts']} parts; "
            f"{summary['linking_rows']} shared rows priced over {summary['rounds']} rounds; "
            "the bound is the Lagrangian bound of the priced sub-problems")
    return found.outcome, [note], summary
