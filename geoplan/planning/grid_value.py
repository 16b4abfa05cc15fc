r"""The value of more headroom at a substation, by re-solving the plan with it relaxed.

The plan is a mixed-integer programme, whose linear-relaxation duals say little about what a
whole candidate would gain; so each substation :math:`s` is valued by a **re-solve**: every
headroom row of :math:`s` (one per milestone year, :class:`geoplan.optimise.Headroom`) has its
limit raised by ``step_kw`` (``grid.evidence.step_kw``), the same model is solved again from
the plan itself (still feasible, so the re-solve is never worse than the plan up to the
solver's gap) and

* ``value_objective_per_kw`` = (objective after - objective of the plan) / step, in the joint
  objective's units (each workstream's weighted share of its potential; see
  :mod:`geoplan.planning.solve`);
* ``value_tco2e_per_yr_per_kw`` = (tCO2e/yr of the re-solved plan - of the plan) / step;
* ``value_added_kw`` = load the re-solved plan adds through :math:`s` in the last year minus
  the plan's.

A gain no larger than the solver's relative gap times the plan's objective is reported as no
gain (status says so): the re-solve may swap candidates of equal worth within the gap.

The step is the documented unit of "one more kW": a single kW rarely lets a whole heat-pump
zone (about 20 kW) or charger (7-150 kW) in, so the default step is 50 kW and the value is an
average over it. Only substations that block something are valued, those blocking the most kW
first, at most ``grid.evidence.resolves`` of them; the others are listed as not evaluated.
In ``separate`` mode each workstream's model that has rows of :math:`s` is re-solved and the
gains are summed.

By default (``method="restricted"``) the re-solve holds at 0 every candidate that the plan
did not choose and that is not served through :math:`s`: the plan may take up load at
:math:`s`, drop or move what it chose anywhere, but not bring in new candidates elsewhere.
Its gain is therefore a lower bound on the full re-solve's (equal on the sample county, where
it takes about two thirds of the time); ``method="full"`` re-solves everything. One HiGHS
model per plan is kept and only the changed bounds are passed for each substation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geoplan.layers.grid import ancestors_of
from geoplan.optimise import SolverOptions
from geoplan.optimise.solvers import HighsSession, SolveOutcome, solve

__all__ = ["VALUE_COLUMNS", "HeadroomValue", "headroom_rows", "headroom_values", "value_columns"]

VALUE_COLUMNS = ("value_step_kw", "value_evaluated", "value_objective_per_kw",
                 "value_tco2e_per_yr_per_kw", "value_added_kw", "value_status")
"""Columns :func:`headroom_values` adds per substation (same in every year of it)."""


@dataclass(frozen=True)
class HeadroomValue:
    """What relaxing one substation's headroom gives.

    Attributes
    ----------
    substation_id : str
    step_kw : float
    objective_gain, tco2e_gain, added_kw : float
        Totals over the re-solved models (not per kW).
    status : str
        Solver status of the re-solve(s), or why it was not evaluated.
    evaluated : bool
    """

    substation_id: str
    step_kw: float
    objective_gain: float = float("nan")
    tco2e_gain: float = float("nan")
    added_kw: float = float("nan")
    status: str = "not evaluated"
    evaluated: bool = False


def headroom_rows(labels: Sequence[str], families: Sequence[str], substation: str) -> np.ndarray:
    """Return the headroom rows of ``substation`` (labels ``headroom <id>[ <year>]``)."""
    stem = f"headroom {substation}"
    out = []
    for i, (label, family) in enumerate(zip(labels, families, strict=True)):
        if family != "headroom":
            continue
        label = str(label)
        rest = label[len(stem):]
        if label.startswith(stem) and (rest == "" or rest.strip().isdigit()):
            out.append(i)
    return np.asarray(out, dtype=int)


def _through(compiled: Any, substation: str, graph: Any) -> np.ndarray:
    """Candidates (columns of the stacked table) served through ``substation``."""
    subs = compiled.context.table["substation_id"].astype(object).fillna("").astype(str)
    chains: dict[str, bool] = {}
    for sub in set(subs):
        chain = [sub, *(ancestors_of(graph, sub) if graph is not None and sub in graph else [])]
        chains[sub] = substation in chain
    return subs.map(chains).to_numpy(dtype=bool)


def _fixed_out(compiled: Any, x: np.ndarray, here: np.ndarray) -> np.ndarray:
    """Column upper bounds with candidates neither chosen nor served through here held at 0."""
    ctx = compiled.context
    before, _ = compiled.selection(x)
    upper = compiled.model.col_upper.copy()
    out = np.flatnonzero(~before & ~here)
    for t in range(ctx.n_periods):
        upper[ctx.x.start + t * ctx.n + out] = 0.0
    return upper


def _solve(session: HighsSession | None, model: Any, rows: np.ndarray, step_kw: float,
           columns: np.ndarray, x: np.ndarray, options: SolverOptions) -> SolveOutcome:
    """Solve with the rows' limits raised by ``step_kw``, then put the session back."""
    upper = model.row_upper.copy()
    upper[rows] += step_kw
    if session is None:
        return solve(model.with_bounds(row_upper=upper, col_upper=columns), options, start=x)
    changed = np.flatnonzero(columns != model.col_upper)
    session.set_row_bounds(rows, upper=upper[rows])
    session.set_col_bounds(changed, upper=columns[changed])
    try:
        return session.solve(start=x)
    finally:
        session.set_row_bounds(rows, upper=model.row_upper[rows])
        session.set_col_bounds(changed, upper=model.col_upper[changed])


def _one(compiled: Any, x: np.ndarray, substation: str, step_kw: float,
         options: SolverOptions, graph: Any, method: str,
         session: HighsSession | None = None) -> tuple[float, float, float, str] | None:
    model = compiled.model
    rows = headroom_rows(model.row_label, model.row_family, substation)
    if not len(rows):
        return None
    here = _through(compiled, substation, graph)
    columns = _fixed_out(compiled, x, here) if method == "restricted" else model.col_upper
    outcome = _solve(session, model, rows, step_kw, columns, x, options)
    if not outcome.has_plan or outcome.objective is None:
        return 0.0, 0.0, 0.0, outcome.status
    table = compiled.context.table
    before, _ = compiled.selection(x)
    after, _ = compiled.selection(np.asarray(outcome.x))
    carbon = (pd.to_numeric(table["tco2e_per_yr"], errors="coerce").fillna(0.0).to_numpy(float)
              if "tco2e_per_yr" in table.columns else np.zeros(len(table)))
    load = pd.to_numeric(table["peak_kw_added"], errors="coerce").fillna(0.0).to_numpy(float)
    base = model.objective(x)
    gain = float(outcome.objective) - base
    if gain <= options.mip_gap * max(abs(base), 1e-9):  # a swap within the solver's gap
        return 0.0, 0.0, 0.0, f"{outcome.status}, no gain beyond the solver's gap"
    return (gain, float(carbon @ (after.astype(float) - before)),
            float(load[here] @ (after[here].astype(float) - before[here])), outcome.status)


def headroom_values(plans: Mapping[str, Any], order: Iterable[str], *, step_kw: float,
                    limit: int, options: SolverOptions | None = None,
                    graph: Any = None, method: str = "restricted") -> list[HeadroomValue]:
    """Value the first ``limit`` substations of ``order`` by re-solving (module docstring).

    Parameters
    ----------
    plans : Mapping[str, JointPlan]
        Solved plans that kept their compiled model (``compiled`` and ``x``).
    order : iterable of str
        Substations to value, most important first.
    step_kw : float
        Headroom added to every year's row of the substation.
    limit : int
        Most substations to re-solve for; the rest are returned ``not evaluated``.
    options : SolverOptions, optional
    graph : networkx.DiGraph, optional
        Grid graph, to count the load added through the substation.
    method : {"restricted", "full"}
        ``full`` re-solves the whole model; ``restricted`` (module docstring) holds at 0 the
        candidates neither chosen nor served through the substation.
    """
    options = options or SolverOptions()
    usable = {name: p for name, p in plans.items()
              if getattr(p, "compiled", None) is not None and p.x is not None}
    sessions: dict[str, HighsSession | None] = {}
    out = []
    for k, sub in enumerate(order):
        if k >= limit:
            out.append(HeadroomValue(sub, step_kw,
                                     status="not evaluated (grid.evidence.resolves)"))
            continue
        found = []
        for name, p in usable.items():
            if name not in sessions:  # one HiGHS model per plan, kept for every substation
                sessions[name] = (HighsSession(p.compiled.model, options)
                                  if options.solver == "highs" else None)
            result = _one(p.compiled, p.x, sub, step_kw, options, graph, method,
                          sessions[name])
            if result is not None:
                found.append(result)
        if not found:
            out.append(HeadroomValue(sub, step_kw, status="no headroom row in the model"))
            continue
        out.append(HeadroomValue(sub, step_kw, sum(f[0] for f in found),
                                 sum(f[1] for f in found), sum(f[2] for f in found),
                                 ", ".join(sorted({f[3] for f in found})), True))
    return out


def value_columns(values: Sequence[HeadroomValue]) -> pd.DataFrame:
    """Per substation: :data:`VALUE_COLUMNS`, per kW of the step."""
    rows = [{"substation_id": v.substation_id, "value_step_kw": v.step_kw,
             "value_evaluated": v.evaluated,
             "value_objective_per_kw": v.objective_gain / v.step_kw,
             "value_tco2e_per_yr_per_kw": v.tco2e_gain / v.step_kw,
             "value_added_kw": v.added_kw, "value_status": v.status} for v in values]
    return pd.DataFrame(rows, columns=["substation_id", *VALUE_COLUMNS])
