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
Its gain is therefore a lower bound on the full re-solve's (equal on the sample county); the
columns held at 0 and the rows they leave empty are dropped, so the model solved is small.
``method="full"`` re-solves everything, keeping one HiGHS model per plan and passing only
the changed limits for each substation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geoplan.layers.grid import ancestors_of
from geoplan.optimise import SolverOptions
from geoplan.optimise.matrix import MilpMatrix
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
    subs = np.asarray(compiled.context.table["substation_id"].astype(object).fillna("")
                      .astype(str).to_numpy(dtype=object), dtype=str)
    unique, inverse = np.unique(subs, return_inverse=True)
    inside = np.array([substation == sub or (graph is not None and sub in graph
                                             and substation in ancestors_of(graph, sub))
                       for sub in unique], dtype=bool)
    return inside[inverse] if len(unique) else np.zeros(len(subs), dtype=bool)


def _kept(compiled: Any, x: np.ndarray, here: np.ndarray) -> np.ndarray:
    """Return the columns a restricted re-solve keeps.

    All but those of candidates neither chosen nor served through the substation (held at 0).
    """
    ctx = compiled.context
    before, _ = compiled.selection(x)
    keep = np.ones(compiled.model.shape[1], dtype=bool)
    out = np.flatnonzero(~before & ~here)
    for t in range(ctx.n_periods):
        keep[ctx.x.start + t * ctx.n + out] = False
    return keep


def _restricted(model: MilpMatrix, keep: np.ndarray, upper: np.ndarray, x: np.ndarray,
                options: SolverOptions) -> tuple[SolveOutcome, np.ndarray | None]:
    """Solve the model without the dropped columns (held at 0) and rows left empty.

    A row whose columns are all dropped has activity 0, as in the plan, which met it.
    """
    columns = model.matrix.tocsc()[:, keep].tocsr()
    rows = np.diff(columns.indptr) > 0
    small = MilpMatrix(model.sense, model.cost[keep], model.col_lower[keep],
                       model.col_upper[keep], model.integer[keep], columns[rows],
                       model.row_lower[rows], upper[rows], model.row_family[rows],
                       model.row_label[rows], {}, model.offset)
    outcome = solve(small, options, start=x[keep])
    if outcome.x is None:
        return outcome, None
    full = np.zeros_like(x, dtype=float)
    full[keep] = np.asarray(outcome.x)
    return outcome, full


def _full(session: HighsSession | None, model: MilpMatrix, rows: np.ndarray,
          upper: np.ndarray, x: np.ndarray, options: SolverOptions
          ) -> tuple[SolveOutcome, np.ndarray | None]:
    """Solve the whole model with the rows' new limits, then put the session back."""
    if session is None:
        outcome = solve(model.with_bounds(row_upper=upper), options, start=x)
    else:
        session.set_row_bounds(rows, upper=upper[rows])
        try:
            outcome = session.solve(start=x)
        finally:
            session.set_row_bounds(rows, upper=model.row_upper[rows])
    return outcome, None if outcome.x is None else np.asarray(outcome.x)


def _one(compiled: Any, x: np.ndarray, substation: str, step_kw: float,
         options: SolverOptions, graph: Any, method: str,
         session: HighsSession | None = None) -> tuple[float, float, float, str] | None:
    model = compiled.model
    rows = headroom_rows(model.row_label, model.row_family, substation)
    if not len(rows):
        return None
    here = _through(compiled, substation, graph)
    upper = model.row_upper.copy()
    upper[rows] += step_kw
    if method == "restricted":
        outcome, solution = _restricted(model, _kept(compiled, x, here), upper, x, options)
    else:
        outcome, solution = _full(session, model, rows, upper, x, options)
    if not outcome.has_plan or outcome.objective is None or solution is None:
        return 0.0, 0.0, 0.0, outcome.status
    if outcome.status != "optimal":  # a time limit: no value that depends on machine speed
        return (float("nan"), float("nan"), float("nan"),
                f"{outcome.status}: not proven within the time limit, no value given")
    table = compiled.context.table
    before, _ = compiled.selection(x)
    after, _ = compiled.selection(solution)
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
            if name not in sessions:  # full: one HiGHS model per plan, for every substation
                sessions[name] = (HighsSession(p.compiled.model, options)
                                  if options.solver == "highs" and method == "full" else None)
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
