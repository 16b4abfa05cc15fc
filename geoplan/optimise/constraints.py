r"""Constraint families (with :math:`s_j = \sum_t x_{jt}`, see :mod:`.objectives`).

:class:`Budget`
    :math:`\sum_j c_j s_j + \sum_r c_r r_r \le B` in total; per period
    :math:`\sum_j c_j x_{jt} + \sum_{r \in t} c_r r_r \le B_t` (with ``carry_over``, money
    unspent in a period moves to the next: :math:`\sum_{s \le t} (\sum_j c_j x_{js} +
    \sum_{r \in s} c_r r_r) \le \sum_{s \le t} B_s`); or per key of a column
    (district, workstream) :math:`\sum_{j \in d} c_j s_j \le B_d`. Any cost column can be
    used, so several cost layers (capital, revenue) are several budgets.
:class:`Count`
    A budget whose costs are all 1: at most :math:`p` candidates (in total or per key).
:class:`Headroom`
    Added peak load within the grid's headroom at each substation and every ancestor:
    :math:`\sum_{j: s \in A(j)} \ell_j \sum_{t' \le t} x_{jt'} - \sum_k e_{skt} r_{sk} \le
    \max(h_{st}, 0)` where :math:`A(j)` is the candidate's substation and its ancestors,
    :math:`h_{st}` the headroom in the period's year, and :math:`r_{sk}` buys reinforcement
    option :math:`k` (at most one per substation) whose effective extra headroom
    :math:`e_{skt} = \max(0, h_{st} + R_{sk}) - \max(0, h_{st})` counts from the first
    period whose year is at or after its ready year (never, when that is after the last
    period; capacity first pays off an existing deficit). Only substations with rows in the
    limits are constrained; a missing (NaN) or infinite :math:`h` is refused, never read as
    "no limit". Where reinforcement may be bought, the solver also gets valid inequalities
    that tighten these rows (:mod:`geoplan.optimise.headroom_cuts`).
:class:`DistrictMinimum`
    Fairness: :math:`\sum_{j \in d} b_j s_j \ge M_d`, or as a share of the plan,
    :math:`\sum_{j \in d} b_j s_j \ge \sigma \sum_j b_j s_j`.
:class:`CoverageFloor`
    :math:`\sum_{i \in d} w_i \,\mathrm{covered}_i \ge \phi_d \sum_{i \in d} w_i`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.errors import LayerSchemaError
from geoplan.optimise.build import BuildContext, ExtraCost, one_hot
from geoplan.optimise.headroom_cuts import count_cuts, reinforcement_cuts
from geoplan.years import value_in_year

__all__ = ["Budget", "Count", "CoverageFloor", "DistrictMinimum", "Headroom", "Limit", "Target",
           "budget_amount", "checked_limits"]

Limit: TypeAlias = float | Mapping[Any, float]
"""One amount, or key -> amount (keys are milestone years for ``by="period"``, else labels)."""


def budget_amount(limit: Limit) -> float:
    """Return the one amount of a budget without ``by`` (a mapping there is a TypeError)."""
    if isinstance(limit, Mapping):
        raise TypeError(f"a budget without `by` takes one amount, not the mapping {limit!r}")
    return float(limit)


def _limits(limit: Limit, keys: list[str]) -> dict[str, float]:
    if isinstance(limit, Mapping):
        return {str(k): float(v) for k, v in limit.items()}
    return dict.fromkeys(keys, float(limit))


@dataclass(frozen=True)
class Budget:
    """A budget on a cost column (see the module docstring).

    Parameters
    ----------
    limit : float or Mapping
        The amount; with ``by``, a mapping key -> amount (or one amount for every key).
    cost_column : str or None
        Column of costs; ``None`` counts candidates.
    by : str, optional
        ``"period"`` (keys are milestone years) or a candidate column such as
        ``"district_id"`` or ``"workstream"``.
    name : str, optional
        Name used in reports and to change the limit when re-solving (default: the cost
        column, or ``"count"``).
    carry_over : bool
        With ``by="period"``: money unspent in a period may be spent in a later one (the
        rows are cumulative); otherwise it lapses.
    """

    limit: Limit
    cost_column: str | None = "cost_gbp"
    by: str | None = None
    name: str | None = None
    carry_over: bool = False

    @property
    def label(self) -> str:
        """Name of the budget in reports."""
        return self.name or (self.cost_column or "count")

    def apply(self, ctx: BuildContext) -> None:
        """Add the budget rows; their indices go to ``ctx.handles['budget:<label>']``."""
        cost = np.ones(ctx.n) if self.cost_column is None else ctx.numbers(self.cost_column)
        row = sp.csr_matrix(cost.reshape(1, -1))
        if self.by is None:
            rows = self._add(ctx, f"budget {self.label}", ctx.selected(row),
                             budget_amount(self.limit), extra_period=None)
        elif self.by == "period":
            rows = self._periods(ctx, row)
        else:
            keys, member = one_hot(ctx.labels(self.by))
            limits = _limits(self.limit, keys)
            for key in sorted(set(limits) - set(keys)):
                ctx.problems.add(f"budget {self.label}: no candidate has {self.by} {key!r}",
                                 column=self.by, fix=f"use one of {keys[:10]}")
            chosen = [i for i, key in enumerate(keys) if key in limits]
            rows = ctx.add_candidate_rows(
                "budget", [f"budget {self.label} {keys[i]}" for i in chosen],
                ctx.selected(member[chosen].multiply(row).tocsr()),
                upper=[limits[keys[i]] for i in chosen])
        ctx.handles[f"budget:{self.label}"] = rows

    def _periods(self, ctx: BuildContext, row: sp.csr_matrix) -> np.ndarray:
        limits = _limits(self.limit, [str(p) for p in ctx.periods])
        rows, carried = [], 0.0
        for year, amount in sorted(limits.items(), key=lambda kv: int(kv[0])):
            t = ctx.period_index(int(year))
            carried = carried + float(amount) if self.carry_over else float(amount)
            spent = ctx.by_period_end(row, t) if self.carry_over else ctx.in_period(row, t)
            rows.append(self._add(ctx, f"budget {self.label} {year}", spent, carried,
                                  extra_period=t, up_to=self.carry_over))
        return np.concatenate(rows)

    def _add(self, ctx: BuildContext, label: str, rows: sp.csr_matrix, limit: float,
             extra_period: int | None, up_to: bool = False) -> np.ndarray:
        parts = [(ctx.x, rows)]
        if self.cost_column is not None:
            for extra in ctx.extra_costs:
                within = extra.period <= extra_period if up_to else extra.period == extra_period
                cost = extra.cost if extra_period is None else np.where(within, extra.cost, 0.0)
                parts.append((extra.block, sp.csr_matrix(cost.reshape(1, -1))))
        return ctx.add_mixed_rows("budget", [label], parts, upper=[limit])


def Count(limit: Limit, by: str | None = None) -> Budget:  # noqa: N802
    """At most ``limit`` candidates chosen (a :class:`Budget` with unit costs)."""
    return Budget(limit, cost_column=None, by=by, name="count")


def _chains(parents: Mapping[str, str | None] | nx.DiGraph) -> dict[str, list[str]]:
    if isinstance(parents, nx.DiGraph):
        parents = {node: next(iter(parents.predecessors(node)), None) for node in parents.nodes}
    chains: dict[str, list[str]] = {}
    for node in parents:
        chain, seen, current = [], set(), node
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = parents.get(current)
        chains[node] = chain
    return chains


def headroom_in_year(limits: pd.DataFrame, year: int | None) -> pd.Series:
    """Return headroom (kW) per substation in ``year``.

    :func:`geoplan.years.value_in_year`'s rule (that year, else the latest earlier one,
    else an
    undated row), falling back to the earliest figure rather than leaving a substation
    unconstrained; the least of every row when the table has no ``year`` column.
    """
    if "year" not in limits.columns or year is None:
        return limits.groupby("substation_id")["headroom_kw"].min()
    return value_in_year(limits.dropna(subset=["headroom_kw"]), year, value="headroom_kw",
                         earliest_otherwise=True)


def checked_limits(limits: pd.DataFrame) -> pd.DataFrame:
    """Return headroom limits with text ids and float figures, refusing missing figures.

    A missing (NaN), non-numeric or infinite ``headroom_kw`` would reach the solver as a
    bound it reads as "no limit", so the plan could load that substation without end.

    Raises
    ------
    LayerSchemaError
        When ``substation_id`` or ``headroom_kw`` is absent, an id is blank, or a figure is
        not a finite number; the message names every substation (and year) affected.
    """
    missing = [c for c in ("substation_id", "headroom_kw") if c not in limits.columns]
    if missing:
        raise LayerSchemaError(f"headroom limits miss the columns {missing} (fix: give "
                               "substation_id, headroom_kw in kW and optionally year)")
    ids = limits["substation_id"]
    blank = ids.isna().to_numpy() | (ids.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        rows = [int(i) + 1 for i in np.flatnonzero(blank)[:10]]
        raise LayerSchemaError(f"headroom limits: rows {rows} have no substation_id (fix: "
                               "name the substation of every row)")
    values = pd.to_numeric(limits["headroom_kw"], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise LayerSchemaError(_missing_limits_message(limits, bad))
    return limits.assign(substation_id=ids.astype(str), headroom_kw=values)


def _missing_limits_message(limits: pd.DataFrame, bad: np.ndarray) -> str:
    years = limits["year"] if "year" in limits.columns else pd.Series(pd.NA, index=limits.index)
    where = []
    for i in bad[:10]:
        year = years.iloc[i]
        when = f" in {int(year)}" if pd.notna(year) else ""
        value = limits["headroom_kw"].iloc[i]
        shown = f"{float(value):g}" if isinstance(value, float | np.floating) else repr(value)
        where.append(f"{limits['substation_id'].iloc[i]}{when} ({shown})")
    more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
    return (f"headroom_kw is missing or not a finite number at substation(s) "
            f"{', '.join(where)}{more}: the solver would read it as no limit at all (fix: give "
            "each a figure in kW; leave a substation out of the limits to plan it "
            "unconstrained, or give 0 to allow no added load there; a scenario chooses with "
            "grid.missing_headroom)")


@dataclass(frozen=True)
class Headroom:
    """Grid headroom at each substation and its ancestors (see the module docstring).

    Parameters
    ----------
    limits : pandas.DataFrame
        ``substation_id``, ``headroom_kw`` and optionally ``year`` (negative = constrained).
        Substations without rows are not limited; a missing or infinite figure is refused
        (:func:`checked_limits`).
    parents : Mapping[str, str or None] or networkx.DiGraph
        Substation -> parent (or the grid graph, edges parent -> child).
    load_column : str
        Candidate column of added peak load (kW); negative where a candidate removes load
        (e.g. a heat pump replacing storage heaters), which frees headroom for others.
    reinforcements : pandas.DataFrame, optional
        ``substation_id``, ``capacity_kw``, ``cost_gbp`` and optionally ``option_id`` and
        ``ready_year``; at most one option per substation is bought. An option counts from
        the first period whose year is at or after its ready year and cannot be bought when
        it is ready after the last one (unphased: after ``year``); a blank ready year means
        ready from the start.
    year : int, optional
        Year of the headroom (and of the plan, for ready years) when the problem is not
        phased.
    """

    limits: pd.DataFrame = field(repr=False)
    parents: Mapping[str, str | None] | nx.DiGraph = field(repr=False)
    load_column: str = "peak_kw_added"
    reinforcements: pd.DataFrame | None = field(default=None, repr=False)
    year: int | None = None

    def apply(self, ctx: BuildContext) -> None:
        """Add one row per constrained substation and period (and reinforcement columns)."""
        limits = checked_limits(self.limits)
        load = ctx.numbers(self.load_column, least=None)  # negative: load removed
        chains = _chains(self.parents)
        substations = ctx.labels("substation_id")
        constrained = sorted(set(limits["substation_id"]))
        index = {s: i for i, s in enumerate(constrained)}
        rows, cols = [], []
        for j, sub in enumerate(substations):
            for ancestor in chains.get(sub, [sub] if sub else []):
                if ancestor in index:
                    rows.append(index[ancestor])
                    cols.append(j)
        incidence = sp.csr_matrix((load[cols], (rows, cols)), shape=(len(constrained), ctx.n))
        options = self._options(ctx, constrained)
        handles, uppers, gains = [], [], []
        for t, year in enumerate(ctx.periods):
            added, upper, gain = self._period_rows(ctx, t, year, limits, constrained,
                                                   incidence, options)
            handles.append(added)
            uppers.append(upper)
            gains.append(gain)
        ctx.handles["headroom"] = np.concatenate(handles) if handles else np.zeros(0, int)
        if options is not None and handles:
            where = options["substation_id"].map({s: i for i, s in enumerate(constrained)})
            at = where.fillna(-1).astype(int).to_numpy()
            ctx.cuts.append(reinforcement_cuts(ctx, incidence, uppers, handles, at, gains))
            ctx.cuts.append(count_cuts(ctx, incidence, uppers, handles, at, gains))

    def _year(self, ctx: BuildContext, year: int) -> int | None:
        return self.year if ctx.periods == (0,) else year

    def _options(self, ctx: BuildContext, constrained: list[str]) -> pd.DataFrame | None:
        if self.reinforcements is None or self.reinforcements.empty:
            return None
        options = self.reinforcements.copy()
        options["substation_id"] = options["substation_id"].astype(str)
        unknown = sorted(set(options["substation_id"]) - set(constrained))
        if unknown:
            ctx.problems.add(f"reinforcement for substations without headroom limits {unknown}",
                             column="substation_id", fix="give their headroom or drop them")
        period = self._ready_periods(ctx, options)
        block = ctx.builder.add_columns("reinforcement", len(options), integer=True,
                                        upper=(period >= 0).astype(float))
        cost = options["cost_gbp"].to_numpy(dtype=float)
        ctx.extra_costs.append(ExtraCost(block, cost, np.maximum(period, 0), "reinforcement"))
        keys, member = one_hot(options["substation_id"].to_numpy(dtype=object))
        ctx.builder.add_rows("reinforcement", [f"one reinforcement at {k}" for k in keys],
                             member, block, upper=1.0)
        options["period"] = period
        options.attrs["block"] = block
        return options

    def _ready_periods(self, ctx: BuildContext, options: pd.DataFrame) -> np.ndarray:
        """First period whose year is at or after each option's ready year (-1: none)."""
        period = np.zeros(len(options), dtype=int)
        if "ready_year" not in options.columns:
            return period
        raw = options["ready_year"]
        ready = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        years = [self._year(ctx, y) for y in ctx.periods]
        for k, when in enumerate(ready):
            if np.isnan(when):
                if pd.notna(raw.iloc[k]):
                    ctx.problems.add(f"reinforcement ready_year {raw.iloc[k]!r} is not a year",
                                     row=k + 1, column="ready_year", fix="give a year or leave "
                                     "it blank (ready from the start)")
            elif years[0] is None:
                ctx.problems.add(f"reinforcement ready in {when:g}, but the plan has no year to "
                                 "compare it with", row=k + 1, column="ready_year",
                                 fix="give Headroom(year=...) or the plan's periods")
            else:
                period[k] = next((t for t, y in enumerate(years) if y >= when), -1)
        return period

    def _period_rows(self, ctx: BuildContext, t: int, year: int, limits: pd.DataFrame,
                     constrained: list[str], incidence: sp.csr_matrix,
                     options: pd.DataFrame | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Add period ``t``'s rows; return them, their limits and each option's gain."""
        headroom = headroom_in_year(limits, self._year(ctx, year))
        h = headroom.reindex(constrained).to_numpy(dtype=float)
        when = f" {self._year(ctx, year)}" if self._year(ctx, year) is not None else ""
        labels = [f"headroom {s}{when}" for s in constrained]
        parts = [(ctx.x, ctx.by_period_end(incidence, t))]
        gain = np.zeros(0)
        if options is not None:
            block = options.attrs["block"]
            row = options["substation_id"].map({s: i for i, s in enumerate(constrained)})
            ok = row.notna().to_numpy() & (options["period"].to_numpy() >= 0) & (
                options["period"].to_numpy() <= t)
            base = h[row.fillna(0).astype(int).to_numpy()]
            gain = np.maximum(0, base + options["capacity_kw"].to_numpy(float)) - np.maximum(
                0, base)
            gain = np.where(ok, gain, 0.0)
            parts.append((block, sp.csr_matrix(
                (-gain[ok], (row[ok].astype(int).to_numpy(), np.flatnonzero(ok))),
                shape=(len(constrained), block.size))))
        upper = np.maximum(h, 0.0)
        return ctx.add_mixed_rows("headroom", labels, parts, upper=upper), upper, gain


@dataclass(frozen=True)
class DistrictMinimum:
    """A minimum per district of a candidate column (see the module docstring).

    Parameters
    ----------
    column : str
        Benefit or cost column, e.g. ``"cost_gbp"`` (a share of spending) or
        ``"tco2e_per_yr"``.
    share : float, optional
        Each district's least share of the plan's total.
    amount : float or Mapping[str, float], optional
        Least amount per district (one for all, or per district id).
    by : str
        Candidate column naming the district.
    """

    column: str
    share: float | None = None
    amount: float | Mapping[str, float] | None = None
    by: str = "district_id"

    def apply(self, ctx: BuildContext) -> None:
        """Add one row per district; their indices go to ``ctx.handles['minimum:<column>']``.

        A second minimum on the same column is stored as ``minimum:<column>:2`` (and so on);
        ``ctx.handles['minimum']`` holds the first minimum's rows.
        """
        values = ctx.numbers(self.column, least=None)
        keys, member = one_hot(ctx.labels(self.by))
        if (self.share is None) == (self.amount is None):
            ctx.problems.add("give exactly one of share and amount", column=self.column)
            return
        if self.share is not None:
            rows = (member - self.share * np.ones((len(keys), 1)) @ np.ones((1, ctx.n)))
            rows = sp.csr_matrix(np.asarray(rows) * values)
            self._keep(ctx, ctx.add_candidate_rows(
                "minimum", [f"minimum share {self.column} {k}" for k in keys],
                ctx.selected(rows), lower=0.0))
            return
        amounts = _limits(self.amount, keys)  # type: ignore[arg-type]
        chosen = [i for i, key in enumerate(keys) if key in amounts]
        for key in sorted(set(amounts) - set(keys)):
            ctx.problems.add(f"minimum {self.column}: no candidate has {self.by} {key!r}",
                             column=self.by, fix=f"use one of {keys[:10]}")
        self._keep(ctx, ctx.add_candidate_rows(
            "minimum", [f"minimum {self.column} {keys[i]}" for i in chosen],
            ctx.selected(member[chosen].multiply(values.reshape(1, -1)).tocsr()),
            lower=[amounts[keys[i]] for i in chosen]))

    def _keep(self, ctx: BuildContext, rows: np.ndarray) -> None:
        """Keep ``rows`` as ``minimum:<column>`` (then ``:2``...); the first also as ``minimum``."""
        key = f"minimum:{self.column}"
        number = 1
        while (name := key if number == 1 else f"{key}:{number}") in ctx.handles:
            number += 1
        ctx.handles[name] = rows
        ctx.handles.setdefault("minimum", rows)


@dataclass(frozen=True)
class CoverageFloor:
    """Least share of each district's demand covered (see the module docstring).

    Parameters
    ----------
    share : float or Mapping[str, float]
        One share for every district, or per district.
    coverage : str
        Name of the :class:`~geoplan.optimise.objectives.MaximiseCoverage` term.
    """

    share: float | Mapping[str, float]
    coverage: str = "coverage"

    def apply(self, ctx: BuildContext) -> None:
        """Add one row per district over the coverage term's variables."""
        handle = ctx.coverage.get(self.coverage)
        if handle is None or handle.district is None:
            ctx.problems.add(f"coverage floor needs a coverage term {self.coverage!r} with "
                             "demand districts", fix="give Coverage(demand_district=...)")
            return
        keys, member = one_hot(handle.district)
        shares = _limits(self.share, keys)
        chosen = [i for i, key in enumerate(keys) if key in shares]
        weights = handle.weights
        rows = member[chosen].multiply(weights.reshape(1, -1)) @ handle.expression
        totals = np.asarray(member @ weights).ravel()
        need = [shares[keys[i]] * float(totals[i]) for i in chosen]
        ctx.handles["coverage_floor"] = ctx.add_mixed_rows(
            "coverage_floor", [f"coverage floor {keys[i]}" for i in chosen],
            [(handle.block, sp.csr_matrix(rows))], lower=need)


@dataclass(frozen=True)
class Target:
    """At least ``amount`` of a candidate column over the whole plan.

    Used on its own (e.g. cover the most demand while saving at least 500 tCO2e/yr) and by
    :func:`geoplan.optimise.tradeoff.epsilon_curve`, which moves ``amount``.
    """

    column: str
    amount: float

    def apply(self, ctx: BuildContext) -> None:
        """Add one row; its index goes to ``ctx.handles['target:<column>']``."""
        values = sp.csr_matrix(ctx.numbers(self.column, least=None).reshape(1, -1))
        ctx.handles[f"target:{self.column}"] = ctx.add_candidate_rows(
            "target", [f"target {self.column}"], ctx.selected(values), lower=[self.amount])
