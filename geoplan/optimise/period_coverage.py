r"""Covered demand valued by the period its cover starts, each demand point counted once.

A per-candidate value (:class:`~geoplan.optimise.phasing.PeriodBenefit`) counts the demand a
site reaches once for every chosen site that reaches it, so two sites a few metres apart
are credited twice with the same EVs. :class:`PeriodCoverage` reads the variables of a
:class:`~geoplan.optimise.objectives.MaximiseCoverage` term instead, where each demand point
is covered (or assigned) at most once, and values each unit of demand :math:`w_i` by
:math:`r_t`, the value of a unit whose cover starts in period :math:`t` (e.g. lifetime
tCO2e per EV served from that milestone year). With :math:`x_{jt}` the selection variables
and :math:`a_{ij}` the coverage pattern:

Unphased problem
    :math:`r_0` is added to the coverage term's own objective coefficients (no new
    variables): :math:`r_0 \sum_i w_i y_i`, or :math:`r_0 \sum_{ij} w_i z_{ij}` when
    capacitated.
Uncapacitated, phased
    :math:`u_{it} \ge 0`, the share of point :math:`i` whose cover starts in period
    :math:`t`: :math:`\sum_t u_{it} \le 1` and
    :math:`\sum_{s \le t} u_{is} \le \sum_j a_{ij} \sum_{s \le t} x_{js}` for every
    :math:`t`; objective :math:`\sum_{it} r_t w_i u_{it}`. When :math:`r_t` does not rise
    with :math:`t` the optimum puts each covered point's whole cover in the first period a
    chosen candidate reaches it, so the value is exact.
Capacitated, phased
    :math:`v_{jt} \ge 0`, the demand site :math:`j` serves if built in period :math:`t`:
    :math:`v_{jt} \le u_j x_{jt}` (:math:`u_j` its capacity) and
    :math:`\sum_t v_{jt} \le \sum_i w_i z_{ij}` (what the assignment gives it); objective
    :math:`\sum_{jt} r_t v_{jt}`. A site is built in one period at most, so its served
    demand is valued at its own build period's rate: exact for the assignment the model
    chooses (a point is assigned to one site for the whole plan). Only candidates that can
    serve some demand (:math:`\min(u_j, \sum_i a_{ij} w_i) > 0`) get :math:`v_{jt}`: any
    other's would be 0.

Rates that rise with :math:`t` would let the uncapacitated form start a point's cover later
than its first coverer, so :class:`PeriodCoverage` records a problem for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.optimise.build import BuildContext
from geoplan.optimise.matrix import ColumnBlock
from geoplan.optimise.objectives import CoverageHandle

__all__ = ["PeriodCoverage", "PeriodCoverageHandle", "period_coverage_value"]

_RISE = 1e-9
"""Relative slack before a later period's rate counts as higher than an earlier one's."""


@dataclass(frozen=True)
class PeriodCoverageHandle:
    """Where a :class:`PeriodCoverage` put its variables (None: folded into the coverage)."""

    coverage: CoverageHandle
    block: ColumnBlock | None
    rates: np.ndarray
    reached: np.ndarray | None = None
    """Uncapacitated: the demand points with a ``u`` row (reachable by some candidate)."""
    sites: np.ndarray | None = None
    """Capacitated: the candidates with ``v`` columns (those that can serve some demand)."""
    weight: float = 1.0
    """The term's multiplier: ``rates / weight`` are its values per unit of demand."""

    def candidates(self, n: int) -> np.ndarray:
        """Return which of ``n`` candidates reach some demand point (the term values them)."""
        return np.diff(sp.csc_matrix(self.coverage.pattern).indptr)[:n] > 0

    def value(self, x: np.ndarray) -> float:
        """Return the term's value in the plan ``x``, without its weight (e.g. tCO2e)."""
        values = self.rates / self.weight if self.weight else np.zeros_like(self.rates)
        cover = self.coverage
        if self.block is None:  # unphased: the coverage term's own variables
            own = np.asarray(x[cover.block.start:cover.block.stop], dtype=float)
            weights = (cover.weights[cover.pattern.tocoo().row] if cover.capacitated
                       else cover.weights)
            return float(values[0] * np.sum(own * weights))
        mine = np.asarray(x[self.block.start:self.block.stop], dtype=float)
        per_period = mine.reshape(len(values), -1)
        if self.reached is not None:  # uncapacitated: u holds shares of each point
            per_period = per_period * cover.weights[self.reached][None, :]
        return float(np.sum(values * per_period.sum(axis=1)))


@dataclass(frozen=True)
class PeriodCoverage:
    """Value each unit of covered demand by its cover's first period (module docstring).

    Parameters
    ----------
    coverage : str
        Name of the :class:`~geoplan.optimise.objectives.MaximiseCoverage` term whose demand
        is valued (it must come earlier in the objective).
    values : Mapping[int, float]
        Milestone year -> value of one unit of demand first covered in that period; every
        period of the problem needs one (an unphased problem takes one entry).
    weight : float
        Multiplier of the values.
    name : str
        Name of the score part (``score_<name>``: each candidate's reachable demand valued
        at the first period's rate).
    """

    coverage: str
    values: Mapping[int, float]
    weight: float = 1.0
    name: str = "coverage_value"
    sense = "max"

    def rates(self, ctx: BuildContext) -> np.ndarray | None:
        """Return the weighted rate of each period (None, with a problem recorded, if bad)."""
        if ctx.periods == (0,):
            if len(self.values) != 1:
                ctx.problems.add(f"{self.name}: an unphased problem takes one value, got "
                                 f"{sorted(self.values)}", fix="give one year -> value")
                return None
            chosen = [float(next(iter(self.values.values())))]
        else:
            missing = [p for p in ctx.periods if p not in self.values]
            if missing:
                ctx.problems.add(f"{self.name}: no value for periods {missing}",
                                 fix="give a value for every milestone year")
                return None
            chosen = [float(self.values[p]) for p in ctx.periods]
        rates = self.weight * np.asarray(chosen, dtype=float)
        if not np.isfinite(rates).all() or (rates < 0).any():
            ctx.problems.add(f"{self.name}: values must be finite and >= 0, got {chosen}")
            return None
        if (np.diff(rates) > _RISE * np.abs(rates[:-1]) + _RISE).any():
            ctx.problems.add(f"{self.name}: a later period is worth more per unit "
                             f"({dict(zip(ctx.periods, chosen, strict=True))})",
                             fix="give values that do not rise with the build year")
            return None
        return rates

    def apply(self, ctx: BuildContext) -> None:
        """Add the variables, rows and objective of the module docstring."""
        handle = ctx.coverage.get(self.coverage)
        if handle is None:
            ctx.problems.add(f"{self.name} needs the coverage term {self.coverage!r} before it",
                             fix="put the MaximiseCoverage term first in the objective")
            return
        rates = self.rates(ctx)
        if rates is None:
            return
        reach = np.asarray(handle.pattern.T @ handle.weights).ravel()
        ctx.parts[self.name] = rates[0] * reach
        if ctx.n_periods == 1:
            per_column = (handle.weights[handle.pattern.tocoo().row] if handle.capacitated
                          else handle.weights)
            ctx.builder.add_cost(handle.block, rates[0] * per_column)
            ctx.period_coverage.append(PeriodCoverageHandle(handle, None, rates,
                                                            weight=self.weight))
        elif handle.capacitated:
            ctx.period_coverage.append(self._by_site(ctx, handle, rates, reach))
        else:
            ctx.period_coverage.append(self._by_point(ctx, handle, rates))

    def _by_point(self, ctx: BuildContext, handle: CoverageHandle,
                  rates: np.ndarray) -> PeriodCoverageHandle:
        pattern = handle.pattern
        keep = np.flatnonzero(np.diff(pattern.indptr) > 0)
        m, periods = len(keep), ctx.n_periods
        u = ctx.builder.add_columns(f"{self.name}:u", m * periods,
                                    cost=np.concatenate([r * handle.weights[keep]
                                                         for r in rates]))
        eye = sp.identity(m, format="csr")
        zero = sp.csr_matrix((m, m))
        reach = pattern[keep]
        for t in range(periods):
            started = sp.hstack([eye if s <= t else zero for s in range(periods)], format="csr")
            ctx.add_mixed_rows("coverage", f"{self.name} start by {ctx.periods[t]}",
                               [(u, started), (ctx.x, -ctx.by_period_end(reach, t))],
                               upper=0.0)
        ctx.builder.add_rows("coverage", f"{self.name} once", sp.hstack([eye] * periods,
                                                                         format="csr"),
                             u, upper=1.0)
        return PeriodCoverageHandle(handle, u, rates, keep, weight=self.weight)

    def _by_site(self, ctx: BuildContext, handle: CoverageHandle, rates: np.ndarray,
                 reach: np.ndarray) -> PeriodCoverageHandle:
        """Add ``v`` for the candidates that can serve demand (``min(u_j, reach) > 0``).

        Any other candidate's ``v`` (a column per period) could only be 0 and its rows (one
        per period, and one more) would always hold, so they are left out: in a joint plan
        most candidates (homes, land) serve no EVs, and their columns and rows were half of
        the county's model.
        """
        n, periods = ctx.n, ctx.n_periods
        capacity = (np.asarray(handle.capacity, dtype=float) if handle.capacity is not None
                    else reach)
        most = np.minimum(np.maximum(capacity, 0.0), reach)
        sites = np.flatnonzero(most > 0)
        k = len(sites)
        v = ctx.builder.add_columns(f"{self.name}:v", k * periods,
                                    cost=np.repeat(rates, k), upper=np.tile(most[sites], periods))
        # row t * k + i: v[t, i] <= most[s] x[s, t] for site s = sites[i] (x is period-major)
        x_columns = (np.arange(periods)[:, None] * n + sites[None, :]).ravel()
        built = sp.csr_matrix((-np.tile(most[sites], periods), (np.arange(k * periods),
                                                                  x_columns)),
                              shape=(k * periods, n * periods))
        ctx.add_mixed_rows("capacity", f"{self.name} built",
                           [(v, sp.identity(k * periods, format="csr")), (ctx.x, built)],
                           upper=0.0)
        coo = handle.pattern.tocoo()
        served = sp.csr_matrix((handle.weights[coo.row], (coo.col, np.arange(coo.nnz))),
                               shape=(n, coo.nnz))[sites]
        ctx.add_mixed_rows("coverage", f"{self.name} served",
                           [(v, sp.hstack([sp.identity(k, format="csr")] * periods,
                                          format="csr")), (handle.block, -served)],
                           upper=0.0)
        return PeriodCoverageHandle(handle, v, rates, weight=self.weight, sites=sites)

    def finish(self, ctx: BuildContext) -> None:
        """Nothing to add once constraints are built."""


def period_coverage_value(handle: PeriodCoverageHandle, x: np.ndarray, selected: np.ndarray,
                          period: np.ndarray, n: int) -> np.ndarray:
    """Return what each candidate adds to a phased :class:`PeriodCoverage` term in ``x``.

    A chosen candidate: the value lost if it alone were removed (the other sites keep their
    periods and assignments). One not chosen: the value it would add if built in the last
    period (reachable demand not yet covered, or not yet assigned, at the last rate; no
    more than its capacity when capacitated).

    Parameters
    ----------
    handle : PeriodCoverageHandle
    x : numpy.ndarray
        The solution.
    selected, period : numpy.ndarray
        Per candidate: chosen, and the index of its build period (any value when not).
    n : int
        Number of candidates.
    """
    if handle.block is None:  # folded into the coverage term, which values it already
        return np.zeros(n)
    cover, rates = handle.coverage, handle.rates
    last = rates[-1]
    if cover.capacitated:
        sites = np.arange(n) if handle.sites is None else handle.sites
        v = x[handle.block.start:handle.block.stop].reshape(len(rates), len(sites))
        served = np.zeros(n)
        served[sites] = (rates[:, None] * v).sum(axis=0)
        covered = np.asarray(cover.expression @ x[cover.block.start:cover.block.stop]).ravel()
        fresh = last * np.asarray(cover.pattern.T @ (cover.weights * (1 - covered))).ravel()
        if cover.capacity is not None:  # no more than it could serve
            fresh = np.minimum(fresh, last * np.maximum(np.asarray(cover.capacity, float), 0.0))
        return np.where(selected, served, np.maximum(fresh, 0.0))
    return _uncapacitated_value(cover, rates, selected, period, n)


def _uncapacitated_value(cover: CoverageHandle, rates: np.ndarray, selected: np.ndarray,
                         period: np.ndarray, n: int) -> np.ndarray:
    """:func:`period_coverage_value` of an uncapacitated term, from the selection alone."""
    pattern, weights = cover.pattern, cover.weights
    periods = len(rates)
    counts = np.column_stack([np.asarray(pattern @ (selected & (period == t)).astype(float))
                              .ravel() for t in range(periods)])  # points x periods
    has = counts > 0
    first = np.where(has.any(axis=1), has.argmax(axis=1), periods)
    rate = np.append(rates, 0.0)
    now = rate[first]
    later = has.copy()
    later[np.arange(len(first)), np.minimum(first, periods - 1)] = False
    later &= np.arange(periods)[None, :] > first[:, None]
    second = np.where(later.any(axis=1), later.argmax(axis=1), periods)
    alone = counts[np.arange(len(first)), np.minimum(first, periods - 1)] == 1
    loss = np.where((first < periods) & alone, weights * (now - rate[second]), 0.0)
    chosen_loss = np.zeros(n)
    for t in range(periods):  # a chosen candidate loses the points it alone reaches first
        mine = selected & (period == t)
        at_t = loss * (first == t)
        chosen_loss += np.where(mine, np.asarray(pattern.T @ at_t).ravel(), 0.0)
    gain = np.asarray(pattern.T @ (weights * np.maximum(rates[-1] - now, 0.0))).ravel()
    return np.where(selected, chosen_loss, gain)
