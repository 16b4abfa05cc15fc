r"""Objective terms. A problem's objective is the sum of its terms, all of one sense.

With candidates :math:`j`, periods :math:`t` and selection :math:`x_{jt} \in \{0, 1\}`
(:math:`s_j = \sum_t x_{jt}`), and :math:`Y_t` the years of benefit counted for a
candidate built in period :math:`t` (1 when the problem is not phased):

:class:`MaximiseBenefit`
    :math:`\max \sum_{j,t} Y_t \sum_k w_k b_{jk} / N_k \; x_{jt}` where :math:`N_k` is the total
    of column :math:`k` over all candidates when ``normalise`` (each term is then the weighted
    share of the achievable potential) and 1 otherwise.
:class:`MinimiseCost`
    :math:`\min \sum_j c_j s_j + \sum_r c_r r_r` (candidates plus any reinforcement bought),
    subject to targets :math:`\sum_j b_{jk} s_j \ge T_k` (or, per milestone year :math:`y`,
    :math:`\sum_j b_{jk} \sum_{t \le y} x_{jt} \ge T_{ky}`).
:class:`MaximiseCoverage`
    Maximal covering: :math:`\max \sum_i w_i y_i` with :math:`y_i \le \sum_j a_{ij} s_j`,
    :math:`0 \le y_i \le 1`, where :math:`a_{ij} = 1` when candidate :math:`j` covers demand
    point :math:`i` (a sparse matrix; see :mod:`geoplan.optimise.spatial`). With capacities
    :math:`u_j` (demand a site can serve) it becomes the capacitated model: assignment
    :math:`z_{ij} \ge 0` on covering pairs, :math:`\sum_j z_{ij} \le 1`,
    :math:`\sum_i w_i z_{ij} \le u_j s_j`, objective :math:`\sum_{ij} w_i z_{ij}`. Coverage counts
    the plan as built by the last period.
:class:`Compactness`
    A bonus :math:`\beta \ell_{ab} q_{ab}` for each neighbouring pair with shared boundary
    :math:`\ell_{ab}`, :math:`q_{ab} \le s_a`, :math:`q_{ab} \le s_b` (a reward in a maximising
    problem, a discount in a minimising one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.optimise.build import BuildContext
from geoplan.optimise.matrix import ColumnBlock

__all__ = ["Compactness", "Coverage", "MaximiseBenefit", "MaximiseCoverage", "MinimiseCost"]


@dataclass(frozen=True)
class MaximiseBenefit:
    """Maximise weighted benefit (see the module docstring).

    Parameters
    ----------
    weights : Mapping[str, float]
        Benefit column -> weight, e.g. ``{"tco2e_per_yr": 0.7, "homes_improved": 0.3}``.
    normalise : bool
        Divide each column by its total over all candidates first.
    """

    weights: Mapping[str, float]
    normalise: bool = True
    sense = "max"

    def apply(self, ctx: BuildContext) -> None:
        """Add the objective coefficients and record each column's score part."""
        total = np.zeros(ctx.n)
        for column, weight in self.weights.items():
            values = ctx.numbers(column, least=None)
            scale = float(np.abs(values).sum()) if self.normalise else 1.0
            part = weight * values / (scale if scale > 0 else 1.0)
            ctx.parts[column] = part
            total += part
        ctx.builder.add_cost(ctx.x, np.concatenate([total * y for y in ctx.year_weight]))

    def finish(self, ctx: BuildContext) -> None:
        """Nothing to add once constraints are built."""


@dataclass(frozen=True)
class MinimiseCost:
    """Minimise cost to reach targets (see the module docstring).

    Parameters
    ----------
    targets : Mapping[str, float or Mapping[int, float]]
        Benefit column -> amount to reach, or milestone year -> amount (cumulative).
    cost_column : str
        The cost minimised.
    """

    targets: Mapping[str, float | Mapping[int, float]]
    cost_column: str = "cost_gbp"
    sense = "min"

    def apply(self, ctx: BuildContext) -> None:
        """Add candidate costs to the objective and the target rows."""
        cost = ctx.numbers(self.cost_column)
        ctx.parts[self.cost_column] = cost
        ctx.builder.add_cost(ctx.x, np.tile(cost, ctx.n_periods))
        for column, target in self.targets.items():
            values = sp.csr_matrix(ctx.numbers(column, least=None).reshape(1, -1))
            if isinstance(target, Mapping):
                for year, amount in sorted(target.items()):
                    t = ctx.period_index(int(year))
                    ctx.add_candidate_rows("target", [f"target {column} by {year}"],
                                           ctx.by_period_end(values, t), lower=[float(amount)])
            else:
                ctx.add_candidate_rows("target", [f"target {column}"], ctx.selected(values),
                                       lower=[float(target)])

    def finish(self, ctx: BuildContext) -> None:
        """Add the cost of non-candidate spending (reinforcement) to the objective."""
        for extra in ctx.extra_costs:
            ctx.builder.add_cost(extra.block, extra.cost)


@dataclass(frozen=True)
class Coverage:
    """Which candidates cover which demand points.

    Parameters
    ----------
    matrix : scipy.sparse matrix
        Demand points x candidates; non-zero where the candidate covers the point.
    demand : array-like
        Weight of each demand point (households, EVs...).
    demand_district : array-like of str, optional
        District of each demand point, for coverage floors.
    capacity : array-like, optional
        Demand each candidate can serve if chosen (capacitated model when given).
    """

    matrix: sp.spmatrix
    demand: np.ndarray
    demand_district: np.ndarray | None = None
    capacity: np.ndarray | None = None

    def pattern(self) -> sp.csr_matrix:
        """Return the 0/1 coverage matrix, CSR, with explicit zeros dropped."""
        csr = sp.csr_matrix(self.matrix, dtype=float, copy=True)
        csr.data = np.ones_like(csr.data)
        csr.eliminate_zeros()
        return csr


@dataclass
class CoverageHandle:
    """Where a coverage term put its variables: ``covered = expression @ x[block]``."""

    block: ColumnBlock
    expression: sp.csr_matrix
    weights: np.ndarray
    pattern: sp.csr_matrix
    district: np.ndarray | None
    capacitated: bool
    capacity: np.ndarray | None = None
    """Demand each candidate can serve (capacitated terms only)."""


@dataclass(frozen=True)
class MaximiseCoverage:
    """Maximal covering, optionally capacitated (see the module docstring).

    Parameters
    ----------
    coverage : Coverage
    weight : float
        Multiplier of the covered demand in the objective.
    normalise : bool
        Divide by the total demand (the term is then the share of demand covered).
    name : str
        Name of the term (for floors and reports).
    """

    coverage: Coverage
    weight: float = 1.0
    normalise: bool = False
    name: str = "coverage"
    sense = "max"

    def apply(self, ctx: BuildContext) -> None:
        """Add the coverage variables, rows and objective."""
        pattern = self.coverage.pattern()
        weights = np.asarray(self.coverage.demand, dtype=float)
        if pattern.shape != (len(weights), ctx.n):
            ctx.problems.add(f"coverage matrix is {pattern.shape}, expected "
                             f"({len(weights)} demand points, {ctx.n} candidates)")
            return
        if (weights < 0).any() or not np.isfinite(weights).all():
            ctx.problems.add("demand weights must be finite and >= 0", column=self.name)
            return
        scale = self.weight / (weights.sum() if self.normalise and weights.sum() > 0 else 1.0)
        ctx.parts[self.name] = scale * np.asarray(pattern.T @ weights).ravel()
        if self.coverage.capacity is None:
            handle = self._uncapacitated(ctx, pattern, weights, scale)
        else:
            handle = self._capacitated(ctx, pattern, weights, scale)
        ctx.coverage[self.name] = handle

    def _uncapacitated(self, ctx: BuildContext, pattern: sp.csr_matrix, weights: np.ndarray,
                       scale: float) -> CoverageHandle:
        reachable = np.diff(pattern.indptr) > 0
        y = ctx.builder.add_columns(f"{self.name}:y", len(weights), cost=scale * weights,
                                    upper=reachable.astype(float))
        keep = np.flatnonzero(reachable)
        eye = sp.identity(len(weights), format="csr")
        ctx.add_mixed_rows("coverage", f"{self.name} link",
                           [(ctx.x, -ctx.selected(pattern[keep])), (y, eye[keep])], upper=0.0)
        return CoverageHandle(y, eye, weights, pattern, self._district(), False)

    def _capacitated(self, ctx: BuildContext, pattern: sp.csr_matrix, weights: np.ndarray,
                     scale: float) -> CoverageHandle:
        capacity = np.asarray(self.coverage.capacity, dtype=float)
        coo = pattern.tocoo()
        z = ctx.builder.add_columns(f"{self.name}:z", coo.nnz, cost=scale * weights[coo.row])
        pairs = np.arange(coo.nnz)
        per_demand = sp.csr_matrix((np.ones(coo.nnz), (coo.row, pairs)),
                                   shape=(len(weights), coo.nnz))
        ctx.builder.add_rows("coverage", f"{self.name} assignment", per_demand, z, upper=1.0)
        # a row per candidate that reaches some demand (or has a negative capacity, which
        # forbids it): any other's row, 0 <= capacity x, always holds
        rows = np.flatnonzero((np.diff(pattern.tocsc().indptr) > 0) | (capacity < 0))
        load = sp.csr_matrix((weights[coo.row], (coo.col, pairs)), shape=(ctx.n, coo.nnz))
        ids = ctx.table["candidate_id"].to_numpy(dtype=object)[rows]
        ctx.add_mixed_rows("capacity", [f"{self.name} capacity {i}" for i in ids],
                           [(z, load[rows]),
                            (ctx.x, -ctx.selected(sp.diags(capacity).tocsr()[rows]))],
                           upper=0.0)
        return CoverageHandle(z, per_demand, weights, pattern, self._district(), True, capacity)

    def _district(self) -> np.ndarray | None:
        district = self.coverage.demand_district
        return None if district is None else np.asarray(district, dtype=object).astype(str)

    def finish(self, ctx: BuildContext) -> None:
        """Nothing to add once constraints are built."""


@dataclass(frozen=True)
class Compactness:
    """A bonus for choosing neighbouring candidates together (e.g. land parcels).

    Parameters
    ----------
    pairs : pandas.DataFrame
        Columns ``a``, ``b`` (candidate ids) and ``shared_m`` (shared boundary length); see
        :func:`geoplan.optimise.spatial.neighbour_pairs`.
    bonus_per_m : float
        Objective value of one metre of shared boundary, in the objective's units.
    """

    pairs: pd.DataFrame = field(repr=False)
    bonus_per_m: float = 1.0
    sense = "any"

    def apply(self, ctx: BuildContext) -> None:
        """Add one pair variable per neighbouring pair and its two linking rows."""
        position = {cid: j for j, cid in enumerate(ctx.table["candidate_id"])}
        known = self.pairs["a"].astype(str).isin(position) & self.pairs["b"].astype(
            str).isin(position)
        pairs = self.pairs[known]
        a = pairs["a"].astype(str).map(position).to_numpy(dtype=int)
        b = pairs["b"].astype(str).map(position).to_numpy(dtype=int)
        bonus = self.bonus_per_m * pairs["shared_m"].to_numpy(dtype=float)
        sign = 1.0 if ctx.builder.sense == "max" else -1.0
        q = ctx.builder.add_columns("compactness:q", len(pairs), cost=sign * bonus)
        eye = sp.identity(len(pairs), format="csr")
        for ends in (a, b):
            link = sp.csr_matrix((np.ones(len(pairs)), (np.arange(len(pairs)), ends)),
                                 shape=(len(pairs), ctx.n))
            ctx.add_mixed_rows("compactness", "compactness link",
                               [(q, eye), (ctx.x, -ctx.selected(link))], upper=0.0)
        potential = np.bincount(a, bonus, ctx.n) + np.bincount(b, bonus, ctx.n)
        ctx.parts["compactness"] = sign * potential / 2
        ctx.pairs = (a, b, sign * bonus)

    def finish(self, ctx: BuildContext) -> None:
        """Nothing to add once constraints are built."""
