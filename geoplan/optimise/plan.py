"""The result of a planning solve: an immutable :class:`Plan`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import InfeasibleError
from geoplan.optimise.ranking import rank_candidates
from geoplan.optimise.solvers import SolveOutcome

if TYPE_CHECKING:
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["Plan", "plan_from_outcome"]

_BINDING_FAMILIES = ("budget", "headroom", "minimum", "coverage_floor", "target", "capacity",
                     "delivery")


@dataclass(frozen=True)
class Plan:
    """A solved plan: what was chosen, how good it is provably, and why.

    Attributes
    ----------
    status : str
        ``"optimal"``, ``"feasible"`` (with ``gap``), ``"infeasible"``, ``"unbounded"`` or
        ``"no_solution"`` (see :mod:`geoplan.optimise.solvers`).
    objective, bound, gap : float or None
        Incumbent value, best proven bound and their relative gap.
    time_s, build_time_s : float
        Solve and build wall times.
    solver : str
    stopped_by : str
        What ended the solve: ``"gap"``, ``"work_limit"`` or ``"time_limit"`` (see
        :class:`~geoplan.optimise.outcome.SolveOutcome`); ``""`` without a plan.
    notes : tuple of str
        What each solving step reached (heuristic, relaxation, restricted MIP...).
    diagnosis : tuple of str
        Why the problem is infeasible, when it is.
    binding : tuple of str
        Budget, headroom and other limits the plan uses fully.
    """

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    time_s: float
    build_time_s: float
    solver: str
    detail: str
    notes: tuple[str, ...]
    diagnosis: tuple[str, ...]
    binding: tuple[str, ...]
    periods: tuple[int, ...]
    _table: pd.DataFrame = field(repr=False)
    _x: np.ndarray | None = field(repr=False, default=None)
    stopped_by: str = ""

    @property
    def has_plan(self) -> bool:
        """Whether there is a feasible plan (status optimal or feasible)."""
        return self.status in ("optimal", "feasible")

    @property
    def table(self) -> pd.DataFrame:
        """Every candidate with selection, period, rank, score parts and reason.

        A copy: the plan itself never changes.
        """
        return self._table.copy()

    @property
    def solution(self) -> np.ndarray | None:
        """The solver's values of every model column (None: no plan); a copy."""
        return None if self._x is None else np.array(self._x, dtype=float)

    @property
    def selected_ids(self) -> tuple[str, ...]:
        """Ids of the chosen candidates, in rank order."""
        chosen = self._table[self._table["selected"]].sort_values("rank")
        return tuple(chosen["candidate_id"].astype(str))

    def require_plan(self) -> Plan:
        """Return this plan, or raise :class:`~geoplan.errors.InfeasibleError` saying why not."""
        if self.has_plan:
            return self
        why = "; ".join(self.diagnosis) or self.detail
        raise InfeasibleError(f"no plan ({self.status}): {why}")

    def to_geodataframe(self, crs: object = None) -> gpd.GeoDataFrame:
        """Return the table as a GeoDataFrame (candidates' geometry and CRS, else ``crs``)."""
        table = self.table
        if "geometry" not in table.columns:
            raise ValueError("the candidates had no geometry column")
        source_crs = self._table.attrs.get("crs", crs)
        return gpd.GeoDataFrame(table, geometry="geometry", crs=source_crs)

    def summary(self) -> dict[str, Any]:
        """Status, objective, bound, gap, times and counts as plain JSON-able values."""
        chosen = self._table["selected"]
        cost = self._table["cost_gbp"][chosen].sum() if "cost_gbp" in self._table else None
        return {
            "status": self.status, "objective": self.objective, "bound": self.bound,
            "gap": self.gap, "time_s": round(self.time_s, 3),
            "build_time_s": round(self.build_time_s, 3), "solver": self.solver,
            "stopped_by": self.stopped_by,
            "candidates": len(self._table), "selected": int(chosen.sum()),
            "cost_gbp": None if cost is None else float(cost), "binding": list(self.binding),
            "notes": list(self.notes), "diagnosis": list(self.diagnosis),
        }


def _binding(compiled: CompiledProblem, x: np.ndarray) -> tuple[str, ...]:
    """Labels of the limit rows at their bound that the plan actually uses.

    A row at its bound only because every variable in it is zero (e.g. the capacity row
    ``sum_i w_i z_ij - u_j x_j <= 0`` of a site not chosen: 0 <= 0) is not binding, so a row
    is listed only when some variable in it is non-zero (``|A| @ |x| > tol``).
    """
    model = compiled.model
    activity = model.matrix @ x
    tol = 1e-6 * (1 + np.abs(np.where(np.isfinite(model.row_upper), model.row_upper, 0)))
    at_upper = np.isfinite(model.row_upper) & (activity >= model.row_upper - tol)
    at_lower = np.isfinite(model.row_lower) & (activity <= model.row_lower + tol)
    used = abs(model.matrix) @ np.abs(x) > 1e-6
    wanted = np.isin(model.row_family, _BINDING_FAMILIES)
    rows = np.flatnonzero(wanted & (at_upper | at_lower) & used)
    return tuple(str(label) for label in model.row_label[rows])


def plan_from_outcome(compiled: CompiledProblem, outcome: SolveOutcome, notes: list[str], *,
                      rank: bool = True) -> Plan:
    """Assemble the :class:`Plan` for ``outcome`` (diagnosing infeasibility when needed)."""
    x = outcome.x if outcome.has_plan else None
    table = compiled.context.table.copy()
    results = rank_candidates(compiled, x) if rank or x is None else _bare(compiled, x)
    for column in results.columns:
        table[column] = results[column].to_numpy()
    if isinstance(compiled.problem.candidates, gpd.GeoDataFrame):
        table.attrs["crs"] = compiled.problem.candidates.crs
    diagnosis: tuple[str, ...] = ()
    if outcome.status == "infeasible":
        from geoplan.optimise.diagnose import diagnose

        diagnosis = tuple(diagnose(compiled))
    binding = _binding(compiled, np.asarray(x)) if x is not None else ()
    return Plan(outcome.status, outcome.objective, outcome.bound, outcome.gap, outcome.time_s,
                compiled.build_time_s, outcome.solver, outcome.detail, tuple(notes), diagnosis,
                binding, tuple(p for p in compiled.context.periods if p), table, x,
                outcome.stopped_by)


def _bare(compiled: CompiledProblem, x: np.ndarray) -> pd.DataFrame:
    selected, _ = compiled.selection(x)
    return pd.DataFrame({"selected": selected}, index=compiled.context.table.index)
