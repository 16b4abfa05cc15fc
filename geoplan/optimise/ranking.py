"""A rank and a reason for every candidate, chosen or not.

Method (``"marginal"``), computed from the solved plan without re-solving:

- **Score parts**: each objective term's value for the candidate on its own (per year when
  phased), e.g. its normalised tCO2e share, or the demand it can reach; ``score`` is their sum.
- **Chosen candidates** rank first, by ``marginal_value``: how much the objective would lose if
  that candidate alone were removed from the plan (its linear value, plus the demand only it
  covers, plus its compactness bonus with chosen neighbours). Ties: lower cost first, then id.
- **Candidates not chosen** rank next, by ``marginal_value`` per pound: what adding that
  candidate alone to the plan would gain (linear value plus demand it would newly cover),
  divided by its cost. In a cost-minimising problem, chosen and unchosen candidates are
  ranked by the share of the targets they meet per pound.
- **Reason**: for a chosen candidate, "locked in" or what removing it would lose (in a
  cost-minimising plan, which targets and minimums it would leave short); for another,
  "locked out", or every constraint that adding it would break and by how much (a budget, a
  substation's headroom, the one option of its group), or that it fits but is not worth it.

Rank 1 is the strongest candidate. The ranks of the chosen candidates are 1..k for a plan of
k candidates, so "the top k" is always the plan itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoplan.optimise.objectives import MinimiseCost
from geoplan.optimise.period_coverage import period_coverage_value

if TYPE_CHECKING:
    import scipy.sparse as sp

    from geoplan.optimise.build import BuildContext
    from geoplan.optimise.matrix import MilpMatrix
    from geoplan.optimise.objectives import CoverageHandle
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["blocked_reasons", "rank_candidates"]

_TOL = 1e-6


def _linear_value(compiled: CompiledProblem, period: np.ndarray) -> np.ndarray:
    ctx, cost = compiled.context, compiled.model.cost
    t = np.where(period >= 0, period, ctx.n_periods - 1)
    return cost[ctx.x.start + t * ctx.n + np.arange(ctx.n)]


def _coverage_value(compiled: CompiledProblem, x: np.ndarray,
                    selected: np.ndarray) -> np.ndarray:
    value = np.zeros(compiled.context.n)
    cost = compiled.model.cost
    for handle in compiled.context.coverage.values():
        pattern = handle.pattern
        block = handle.block
        if handle.capacitated:
            served = x[block.start:block.stop] * cost[block.start:block.stop]
            per_site = np.bincount(pattern.tocoo().col, served, compiled.context.n)
            covered = np.asarray(handle.expression @ x[block.start:block.stop]).ravel()
            per_point = cost_weight(handle, cost)
            weight = np.asarray(pattern.T @ (per_point * (1 - covered))).ravel()
            if handle.capacity is not None:  # an unchosen site serves its capacity at most
                demand = np.asarray(handle.weights, dtype=float)
                unit = np.divide(per_point, demand, out=np.zeros_like(per_point),
                                 where=demand > 0)
                most = float(unit.max()) if len(unit) else 0.0
                weight = np.minimum(weight, most * np.maximum(handle.capacity, 0.0))
            value += np.where(selected, per_site, weight)
            continue
        count = np.asarray(pattern @ selected.astype(float)).ravel()
        weight = cost[block.start:block.stop]
        only = np.asarray(pattern.T @ (weight * (count == 1))).ravel()
        fresh = np.asarray(pattern.T @ (weight * (count == 0))).ravel()
        value += np.where(selected, only, fresh)
    return value


def cost_weight(handle: CoverageHandle, cost: np.ndarray) -> np.ndarray:
    """Objective weight of each demand point of a capacitated coverage term."""
    coo = handle.pattern.tocoo()
    block = handle.block
    weight = np.zeros(handle.pattern.shape[0])
    weight[coo.row] = cost[block.start:block.stop]
    return weight


def _compactness_value(compiled: CompiledProblem, selected: np.ndarray) -> np.ndarray:
    if compiled.context.pairs is None:
        return np.zeros(compiled.context.n)
    a, b, bonus = compiled.context.pairs
    both_a = np.where(selected[b], bonus, 0.0)
    both_b = np.where(selected[a], bonus, 0.0)
    return np.bincount(a, both_a, len(selected)) + np.bincount(b, both_b, len(selected))


def _reasons(compiled: CompiledProblem, x: np.ndarray, selected: np.ndarray,
             marginal: np.ndarray) -> list[str]:
    ctx, model = compiled.context, compiled.model
    table = ctx.table
    selected = np.asarray(selected, dtype=bool)
    locked_in = _flag(table, "locked_in")
    locked_out = _flag(table, "locked_out")
    activity = model.matrix @ x
    columns = model.matrix.tocsc()
    last = ctx.x.start + (ctx.n_periods - 1) * ctx.n
    reasons = [""] * ctx.n
    minimising = model.sense == "min"
    for j in np.flatnonzero(selected):
        if locked_in[j]:
            reasons[j] = "locked in"
        elif minimising:  # its value is a cost: say what it is needed for
            reasons[j] = _needed(model, columns, activity, x, ctx, int(j), marginal[j])
        else:
            reasons[j] = f"chosen; removing it loses {marginal[j]:,.4g}"
    others = np.flatnonzero(~selected)
    for j in others[locked_out[others]]:
        reasons[j] = "locked out"
    rest = others[~locked_out[others]]
    for j, reason in zip(rest, blocked_reasons(model, columns, activity, last + rest,
                                               marginal[rest]), strict=True):
        reasons[j] = reason
    return reasons


def _flag(table: pd.DataFrame, column: str) -> np.ndarray:
    """``table[column]`` as booleans (missing: False); all False without the column."""
    if column not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return np.array([bool(v) for v in table[column].fillna(False)], dtype=bool)


def _needed(model: MilpMatrix, columns: sp.csc_matrix, activity: np.ndarray, x: np.ndarray,
            ctx: BuildContext, j: int, cost: float) -> str:
    """Reason for a candidate chosen in a cost-minimising plan: the minimums it meets.

    Lists each row with a lower limit (a target, a district minimum) that removing the
    candidate from the period it is built in would leave short, and by how much.
    """
    built = [ctx.x.start + t * ctx.n + j for t in range(ctx.n_periods)]
    column = next((c for c in built if x[c] > 0.5), built[-1])
    lo, hi = columns.indptr[column], columns.indptr[column + 1]
    rows = columns.indices[lo:hi]
    after = activity[rows] - columns.data[lo:hi] * x[column]
    lower = model.row_lower[rows]
    under = np.flatnonzero(after < lower - _TOL * (1 + np.abs(lower)))
    short = [f"{model.row_label[rows[k]]} (short by {lower[k] - after[k]:,.4g})"
             for k in under]
    if short:
        return "chosen; without it: " + "; ".join(short)
    return f"chosen at a cost of {cost:,.4g}; removing it alone leaves every minimum met"


def blocked_reasons(model: MilpMatrix, columns: sp.csc_matrix, activity: np.ndarray,
                    column: np.ndarray, gain: np.ndarray) -> list[str]:
    """Reason for each candidate not chosen: the constraints adding it alone would break.

    Parameters
    ----------
    model : MilpMatrix
        Its row limits, families and labels.
    columns : scipy.sparse.csc_matrix
        ``model.matrix`` by column.
    activity : numpy.ndarray
        ``model.matrix @ x`` for the plan ``x``.
    column : numpy.ndarray of int
        The column of each candidate (its variable in the last period).
    gain : numpy.ndarray
        What adding each candidate would gain (quoted when it breaks nothing).

    Returns
    -------
    list of str
        One per ``column``: ``"not chosen: would break <row> (over by v); ..."`` (rows over
        their upper limit, then rows short of their lower limit, coverage rows left out), or
        ``"not chosen: fits, but adds only <gain>"``.
    """
    column = np.asarray(column, dtype=np.int64)
    lo, hi = columns.indptr[column], columns.indptr[column + 1]
    owner = np.repeat(np.arange(len(column)), hi - lo)
    first = np.cumsum(hi - lo) - (hi - lo)
    position = lo[owner] + np.arange(len(owner)) - first[owner]
    rows = columns.indices[position]
    after = activity[rows] + columns.data[position]
    upper, lower = model.row_upper[rows], model.row_lower[rows]
    counted = model.row_family[rows] != "coverage"
    over = (after > upper + _TOL * (1 + np.abs(upper))) & counted
    under = (after < lower - _TOL * (1 + np.abs(lower))) & counted
    broken: list[list[str]] = [[] for _ in column]
    _describe(broken, owner, over, model.row_label[rows], after - upper, "over")
    _describe(broken, owner, under, model.row_label[rows], lower - after, "short")
    return [f"not chosen: would break {'; '.join(parts)}" if parts
            else f"not chosen: fits, but adds only {_amount(value)}"
            for parts, value in zip(broken, gain, strict=True)]


def _describe(broken: list[list[str]], owner: np.ndarray, flag: np.ndarray, label: np.ndarray,
              by: np.ndarray, word: str) -> None:
    """Append ``"<label> (<word> by <by>)"`` to ``broken[owner]`` for each flagged entry."""
    hits = np.flatnonzero(flag)
    for who, name, value in zip(owner[hits].tolist(), label[hits], by[hits], strict=True):
        broken[who].append(f"{name} ({word} by {_amount(value)})")


def _amount(value: float) -> str:
    """``value`` as a reason quotes it: whole and grouped from 1,000 on, never in e-notation.

    Examples
    --------
    >>> [_amount(v) for v in (17420.4, 465100.0, 120.44, 0.0123)]
    ['17,420', '465,100', '120.4', '0.0123']
    """
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def _order(selected: np.ndarray, key: np.ndarray, cost: np.ndarray,
           ids: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"out": ~selected, "key": -key, "cost": cost, "id": ids})
    order = frame.sort_values(["out", "key", "cost", "id"], kind="mergesort").index.to_numpy()
    rank = np.empty(len(ids), dtype=int)
    rank[order] = np.arange(1, len(ids) + 1)
    return rank


def rank_candidates(compiled: CompiledProblem, x: np.ndarray | None) -> pd.DataFrame:
    """Per-candidate results: selection, period, rank, score parts, marginal value, reason.

    Parameters
    ----------
    compiled : CompiledProblem
    x : numpy.ndarray or None
        The solution; ``None`` when there is no plan (nothing is selected, no rank given).

    Returns
    -------
    pandas.DataFrame
        Index aligned with the candidates: ``selected``, ``period`` (milestone year or NA),
        ``rank``, ``score``, ``score_<part>`` per objective part, ``marginal_value``,
        ``reason``.
    """
    ctx = compiled.context
    out = pd.DataFrame(index=ctx.table.index)
    parts = {f"score_{name}": value for name, value in ctx.parts.items()}
    if x is None:
        out["selected"], out["period"], out["rank"] = False, pd.NA, pd.NA
        out["score"] = sum(parts.values()) if parts else 0.0
        out = out.assign(**parts)
        out["marginal_value"], out["reason"] = np.nan, "no plan: see the status"
        return out
    x = np.asarray(x)
    selected, period = compiled.selection(x)
    marginal = (_linear_value(compiled, period) + _coverage_value(compiled, x, selected)
                + _compactness_value(compiled, selected)
                + sum((period_coverage_value(h, x, selected, period, ctx.n)
                       for h in ctx.period_coverage), np.zeros(ctx.n)))
    sense = compiled.model.sense
    marginal = marginal if sense == "max" else np.abs(marginal)
    key = _merit(compiled, marginal, selected)
    cost = ctx.numbers("cost_gbp") if "cost_gbp" in ctx.table.columns else np.zeros(ctx.n)
    out["selected"] = selected
    years = np.array(ctx.periods)
    built = pd.Series(years[np.maximum(period, 0)], index=out.index, dtype="Int64")
    out["period"] = built.where(selected) if ctx.periods != (0,) else pd.NA
    out["rank"] = _order(selected, key, cost, ctx.table["candidate_id"].to_numpy())
    out["score"] = sum(parts.values()) if parts else 0.0
    out = out.assign(**parts)
    out["marginal_value"] = marginal
    out["reason"] = _reasons(compiled, x, selected, marginal)
    return out


def _merit(compiled: CompiledProblem, marginal: np.ndarray, selected: np.ndarray) -> np.ndarray:
    ctx = compiled.context
    cost = ctx.numbers("cost_gbp") if "cost_gbp" in ctx.table.columns else np.zeros(ctx.n)
    per_pound = np.where(cost > 0, marginal / np.where(cost > 0, cost, 1), marginal * 1e12)
    terms = compiled.problem.objective
    terms = terms if isinstance(terms, list | tuple) else [terms]
    minimise = next((t for t in terms if isinstance(t, MinimiseCost)), None)
    if minimise is not None:
        share = np.zeros(ctx.n)
        for column, target in minimise.targets.items():
            amount = max(target.values()) if isinstance(target, Mapping) else float(target)
            share += ctx.numbers(column, least=None) / (amount if amount else 1.0)
        return np.where(cost > 0, share / np.where(cost > 0, cost, 1), share * 1e12)
    return np.where(selected, marginal, per_pound)
