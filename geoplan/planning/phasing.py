r"""Phasing a plan by money and delivery, valued in one currency: lifetime tCO2e.

Periods. Milestone years :math:`y_0 < y_1 < \dots` split time into periods: period :math:`t`
holds the years :math:`(y_{t-1}, y_t]`, and the first one the years from ``start_year``
(default :math:`y_0`, so one year) to :math:`y_0`. A candidate built in period :math:`t` is
in service from :math:`y_t` (its ``build_year``), and its grid load counts in every milestone
year from then on.

Money (:func:`funding_by_period`). ``plan.funding`` gives the money of each period, or an
amount per year times the years of each period. With ``carry_over`` money left in a period
may be spent later; otherwise it lapses.

Delivery (:func:`delivery_columns`, :func:`delivery_limits`). What the supply chain can
build per year (``layers/assumptions/delivery_capacity.csv``, scaled by
``plan.delivery.scale`` to the plan's area, or the scenario's own figures) times the years
of each period caps what each period builds:

=========================  ======================================================
``homes_retrofitted``      homes of retrofit ``fabric`` and LAEP ``fabric_first``
``heat_pumps_installed``   homes of retrofit and LAEP ``heat_pump`` options
``pv_installed``           homes of LAEP ``rooftop_pv`` options
``chargers_commissioned``  chargers of charger candidates
``hectares_planted``       hectares of sequestration candidates
=========================  ======================================================

Already-funded candidates (``locked_in``) count towards none of them.

Carbon (:func:`lifetime_tco2e`). A candidate's tCO2e in year :math:`k` is read from its own
``tco2e_per_yr_<year>`` columns (linear between their years, flat beyond them; the columns
are computed with each year's factor of the carbon factor table), else its ``tco2e_per_yr``;
a candidate with a time profile (``removed_tco2e_age_<a>`` columns, new woodland:
:mod:`geoplan.workstreams.removals`) removes :math:`C(k - y_t + 1) - C(k - y_t)` in year
:math:`k`, its cumulative removal's growth in that year of age. Built in period :math:`t`,
it counts

.. math:: V_{jt} = \sum_{i=0}^{\lceil L_j \rceil - 1} \min(1, L_j - i)\, q_j(y_t + i)\,
          (1 + r)^{-(y_t + i - y_0)}

over its lifetime :math:`L_j` (``lifetime_years``; with ``until="horizon"`` only the years
up to the plan's horizon), discounted at rate :math:`r` from the first milestone year
(:math:`r = 0` by default: tonnes are tonnes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable
from geoplan.optimise import MaximiseBenefit, MaximiseCoverage, PeriodBenefit, PeriodCap
from geoplan.planning.carbon_lines import carbon_kinds, kind_columns
from geoplan.planning.charger_carbon import coverage_carbon
from geoplan.scenario.models import PlanSection
from geoplan.workstreams.parts import ModelParts
from geoplan.workstreams.removals import has_profile, removals_in_years

__all__ = ["DELIVERY_CAPACITY", "DELIVERY_MEASURES", "LIFETIME_PREFIX", "Phasing",
           "delivery_columns", "delivery_limits", "funding_by_period", "funding_shortfall",
           "lifetime_columns", "lifetime_parts",
           "lifetime_tco2e", "period_lengths", "period_table", "phasing", "tco2e_in_years",
           "tonnes_in_years"]

DELIVERY_CAPACITY = AssumptionTable(
    "delivery_capacity", key=("measure",), numbers={"per_year": 0.0, "low": 0.0, "high": 0.0},
    text=("unit",))
"""What the supply chain can deliver per year in a county, with a low/high range."""

DELIVERY_MEASURES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "homes_retrofitted": ("homes", "homes", ("fabric", "fabric_first")),
    "heat_pumps_installed": ("homes", "homes", ("heat_pump",)),
    "pv_installed": ("homes", "homes", ("rooftop_pv",)),
    "chargers_commissioned": ("chargers", "chargers", ()),
    "hectares_planted": ("sequestration", "area_ha", ()),
}
"""Measure -> (``homes`` for retrofit/LAEP options, else the workstream; column counted;
options counted, empty for every option)."""

LIFETIME_PREFIX = "lifetime_tco2e_"
"""Prefix of the columns of lifetime tCO2e when built in each milestone year."""


def period_lengths(years: Sequence[int], start_year: int | None = None) -> dict[int, int]:
    """Years of each period (see the module docstring).

    Examples
    --------
    >>> period_lengths([2025, 2030, 2040])
    {2025: 1, 2030: 5, 2040: 10}
    >>> period_lengths([2025, 2030], start_year=2023)
    {2025: 3, 2030: 5}
    """
    first = years[0] if start_year is None else start_year
    out, before = {}, first - 1
    for year in years:
        out[int(year)] = int(year) - before
        before = int(year)
    return out


def funding_by_period(years: Sequence[int], *, per_period: Mapping[int, float] | None = None,
                      per_year: float | None = None,
                      start_year: int | None = None) -> dict[int, float]:
    """Money available in each period: as given, or ``per_year`` times the period's years.

    Examples
    --------
    >>> funding_by_period([2025, 2030], per_year=1.0e6)
    {2025: 1000000.0, 2030: 5000000.0}
    >>> funding_by_period([2025, 2030], per_period={2030: 4.0e6})
    {2025: 0.0, 2030: 4000000.0}
    """
    if per_period is not None:
        return {int(y): float(per_period.get(y, 0.0)) for y in years}
    lengths = period_lengths(years, start_year)
    return {y: float(per_year or 0.0) * n for y, n in lengths.items()}


def funding_shortfall(plan: PlanSection) -> str | None:
    """Say so when ``plan.funding`` allows less spending in all than ``plan.budget_gbp``.

    The funding profile caps what each period (and, carried over, the plan) may spend, so a
    budget above its total is never reached: a scenario promising GBP 60m with GBP 1.15m a year
    over 21 years spends at most GBP 24.15m.

    Examples
    --------
    >>> from geoplan.scenario.models import PlanSection
    >>> plan = PlanSection(years=[2025, 2030], horizon=2030, budget_gbp=10e6,
    ...                    funding={"per_year": 1e6})
    >>> print(funding_shortfall(plan))  # doctest: +NORMALIZE_WHITESPACE
    plan.funding gives GBP 6,000,000 in all (GBP 1,000,000 a year, 2025-2030), less than
    plan.budget_gbp GBP 10,000,000: the plan can spend at most GBP 6,000,000 (fix: raise
    plan.funding, or lower plan.budget_gbp to match)
    """
    funding = plan.funding
    if funding is None or plan.budget_gbp is None:
        return None
    years = list(plan.years)
    money = funding_by_period(years, per_period=funding.per_period or None,
                              per_year=funding.per_year, start_year=funding.start_year)
    total = sum(money.values())
    if total >= plan.budget_gbp:
        return None
    first = years[0] if funding.start_year is None else funding.start_year
    how = (f"GBP {funding.per_year:,.0f} a year, {first}-{years[-1]}"
           if funding.per_year is not None else "its per_period sums")
    return (f"plan.funding gives GBP {total:,.0f} in all ({how}), less than plan.budget_gbp "
            f"GBP {plan.budget_gbp:,.0f}: the plan can spend at most GBP {total:,.0f} (fix: "
            "raise plan.funding, or lower plan.budget_gbp to match)")


def delivery_columns(candidates: pd.DataFrame, workstream: str) -> pd.DataFrame:
    """Return ``candidates`` with one column per delivery measure that applies to them."""
    out = candidates.copy()
    locked = (out["locked_in"].fillna(False).astype(bool).to_numpy()
              if "locked_in" in out.columns else np.zeros(len(out), dtype=bool))
    option = out["option"].astype(str) if "option" in out.columns else pd.Series("", out.index)
    for measure, (kind, column, options) in DELIVERY_MEASURES.items():
        mine = kind == workstream or (kind == "homes" and workstream in ("retrofit", "laep"))
        if not mine or column not in out.columns:
            continue
        counted = option.isin(options).to_numpy() if options else np.ones(len(out), bool)
        values = pd.to_numeric(out[column], errors="coerce").fillna(0.0).to_numpy(float)
        out[measure] = np.where(counted & ~locked, values, 0.0)
    return out


def delivery_limits(table: pd.DataFrame, years: Sequence[int], *, scale: float = 1.0,
                    level: str = "per_year", per_year: Mapping[str, float] | None = None,
                    start_year: int | None = None) -> dict[str, dict[int, float]]:
    """Measure -> milestone year -> most that may be built in that period.

    Parameters
    ----------
    table : pandas.DataFrame
        The ``delivery_capacity`` table (``measure``, ``per_year``, ``low``, ``high``).
    years : sequence of int
        Milestone years.
    scale : float
        Share of the table's (county) capacity available to the plan's area.
    level : {"per_year", "low", "high"}
        Which column of the table to use.
    per_year : Mapping[str, float], optional
        Measure -> yearly capacity of the plan's area, replacing the table (not scaled).
    start_year : int, optional
        First year of the first period.
    """
    lengths = period_lengths(years, start_year)
    yearly = {str(m): float(v) * scale for m, v in zip(table["measure"], table[level],
                                                          strict=True)}
    yearly.update({str(m): float(v) for m, v in (per_year or {}).items()})
    return {m: {y: v * n for y, n in lengths.items()} for m, v in sorted(yearly.items())}


def _trajectory(candidates: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Years and ``n x years`` values of the ``tco2e_per_yr_<year>`` columns (may be none)."""
    years = sorted(int(c.rsplit("_", 1)[1]) for c in candidates.columns
                   if c.startswith("tco2e_per_yr_") and c.rsplit("_", 1)[1].isdigit())
    values = np.column_stack([pd.to_numeric(candidates[f"tco2e_per_yr_{y}"], errors="coerce")
                              .to_numpy(float) for y in years]) if years else \
        np.zeros((len(candidates), 0))
    return np.array(years, dtype=float), values


def _at_year(years: np.ndarray, values: np.ndarray, year: int) -> np.ndarray:
    """Every row of ``values`` at ``year``: linear between ``years``, flat beyond them."""
    if year <= years[0]:
        return values[:, 0]
    if year >= years[-1]:
        return values[:, -1]
    hi = int(np.searchsorted(years, year))
    lo = hi - 1
    share = (year - years[lo]) / (years[hi] - years[lo])
    return values[:, lo] * (1.0 - share) + values[:, hi] * share


def tco2e_in_years(candidates: pd.DataFrame, years: Sequence[int]) -> np.ndarray:
    """Return each candidate's tCO2e/yr in each of ``years`` (rows x years).

    Read as :func:`lifetime_tco2e` reads them: the ``tco2e_per_yr_<year>`` columns (linear
    between their years, flat beyond), else (or on rows where they are all blank)
    ``tco2e_per_yr``.

    Examples
    --------
    >>> t = pd.DataFrame({"tco2e_per_yr": [9.0, 3.0], "tco2e_per_yr_2030": [4.0, None],
    ...                   "tco2e_per_yr_2040": [2.0, None]})
    >>> tco2e_in_years(t, [2025, 2035, 2045]).tolist()
    [[4.0, 3.0, 2.0], [3.0, 3.0, 3.0]]
    """
    n = len(candidates)
    flat = (pd.to_numeric(candidates["tco2e_per_yr"], errors="coerce").fillna(0.0)
            .to_numpy(float) if "tco2e_per_yr" in candidates.columns else np.zeros(n))
    known, values = _trajectory(candidates)
    if not len(known):
        return np.repeat(flat[:, None], len(years), axis=1)
    blank = np.isnan(values).all(axis=1)
    values = np.nan_to_num(values)
    columns = [np.where(blank, flat, _at_year(known, values, int(y))) for y in years]
    return np.column_stack(columns) if columns else np.zeros((n, 0))


def lifetime_tco2e(candidates: pd.DataFrame, build_year: int, *, first_year: int,
                   horizon: int | None = None, discount_rate: float = 0.0) -> np.ndarray:
    """Each candidate's tCO2e over its lifetime when built in ``build_year`` (module docstring).

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``lifetime_years`` (default 1) and ``tco2e_per_yr_<year>`` columns, else (or on
        rows where they are all blank) ``tco2e_per_yr``; rows with ``removed_tco2e_age_<a>``
        values follow that time profile instead.
    build_year : int
        First year of service.
    first_year : int
        Year discounting starts from (the first milestone year).
    horizon : int, optional
        Last year counted (``until="horizon"``); ``None`` counts the whole lifetime.
    discount_rate : float
        Yearly discount rate on tonnes.
    """
    n = len(candidates)
    life = (pd.to_numeric(candidates["lifetime_years"], errors="coerce").fillna(1.0)
            .clip(lower=0.0).to_numpy(float) if "lifetime_years" in candidates.columns
            else np.ones(n))
    longest = math.ceil(float(life.max())) if n else 0
    if horizon is not None:
        longest = min(longest, max(horizon - build_year + 1, 0))
    served = np.arange(build_year, build_year + longest)
    share = np.clip(life[:, None] - (served - build_year)[None, :], 0.0, 1.0)
    discount = (1.0 + discount_rate) ** -(served - first_year).astype(float)
    tonnes = tonnes_in_years(candidates, served.tolist(), build_year)
    return (tonnes * share * discount[None, :]).sum(axis=1)


def tonnes_in_years(candidates: pd.DataFrame, years: Sequence[int],
                    build_year: int | np.ndarray) -> np.ndarray:
    """Return each candidate's tCO2e in each of ``years`` when built in ``build_year``.

    :func:`tco2e_in_years` (each year's carbon factor), except on rows with a time profile
    (``removed_tco2e_age_<a>``, new woodland), which remove their profile's growth at their
    age that year (:func:`~geoplan.workstreams.removals.removals_in_years`; 0 before
    planting). ``build_year`` is one year for every row or one per row; the result is rows x
    years.

    Examples
    --------
    >>> t = pd.DataFrame({"tco2e_per_yr": [2.0, 9.0], "removed_tco2e_age_2": [None, 4.0],
    ...                   "removed_tco2e_age_4": [None, 4.0]})
    >>> tonnes_in_years(t, [2030, 2031, 2032], 2030).tolist()
    [[2.0, 2.0, 2.0], [2.0, 2.0, 0.0]]
    """
    yearly = tco2e_in_years(candidates, years)
    profiled = has_profile(candidates)
    if not profiled.any() or not len(years):
        return yearly
    grown = removals_in_years(candidates, build_year, [int(y) for y in years])
    return np.where(profiled[:, None], grown, yearly)


def lifetime_columns(candidates: pd.DataFrame, years: Sequence[int], *,
                     until: str = "lifetime", horizon: int = 2050,
                     discount_rate: float = 0.0) -> pd.DataFrame:
    """Return ``candidates`` with ``lifetime_tco2e_<year>`` for each milestone year."""
    out = candidates.copy()
    for year in years:
        out[f"{LIFETIME_PREFIX}{year}"] = lifetime_tco2e(
            candidates, int(year), first_year=int(years[0]),
            horizon=horizon if until == "horizon" else None, discount_rate=discount_rate)
    return out


def period_table(chosen: pd.DataFrame, years: Sequence[int], *,
                 funding: Mapping[int, float] | None = None,
                 limits: Mapping[str, Mapping[int, float]] | None = None,
                 kinds: Sequence[str] | None = None) -> pd.DataFrame:
    """Spend, carbon and delivery of the plan per milestone period.

    Parameters
    ----------
    chosen : pandas.DataFrame
        The chosen candidates of every workstream, with ``build_year`` (or ``period``),
        ``cost_gbp``, ``tco2e_per_yr`` and, when present, lifetime and delivery columns.
    years : sequence of int
        Milestone years.
    funding : Mapping[int, float], optional
        Money of each period (adds ``funding_gbp`` and ``cumulative_funding_gbp``).
    limits : Mapping[str, Mapping[int, float]], optional
        Delivery caps (adds ``<measure>_cap`` beside each measure delivered).
    kinds : sequence of str, optional
        Kinds of tonnes (:mod:`geoplan.planning.carbon_lines`) to give, each on its own
        (default: those of the chosen rows' ``workstream``).

    Returns
    -------
    pandas.DataFrame
        One row per milestone year: ``year``, ``spend_gbp``, ``cumulative_spend_gbp``,
        ``<kind>_tco2e_per_yr_added`` per kind (reductions, removals and the attributed EV
        switch are never added up; ``tco2e_per_yr_added`` when ``chosen`` has no
        ``workstream``), ``lifetime_tco2e`` (the objective's tonnes), funding and delivery
        columns.
    """
    when = pd.to_numeric(chosen.get("build_year", chosen.get("period")), errors="coerce")
    split = "workstream" in chosen.columns
    if split:
        kinds = carbon_kinds(chosen["workstream"]) if kinds is None else list(kinds)
        chosen = kind_columns(chosen, kinds=kinds)
    rows = []
    for year in years:
        part = chosen[when.to_numpy() == year]
        row: dict[str, float] = {"year": int(year), "spend_gbp": float(part["cost_gbp"].sum())}
        if split:
            row.update({f"{k}_tco2e_per_yr_added": float(part[f"{k}_tco2e_per_yr"].sum())
                        for k in kinds or ()})
        else:
            row["tco2e_per_yr_added"] = float(part["tco2e_per_yr"].sum())
        column = f"{LIFETIME_PREFIX}{year}"
        if column in part.columns:
            row["lifetime_tco2e"] = float(pd.to_numeric(part[column]).sum())
        if funding is not None:
            row["funding_gbp"] = float(funding.get(int(year), 0.0))
        for measure in DELIVERY_MEASURES:
            if measure in chosen.columns:
                row[measure] = float(pd.to_numeric(part[measure]).fillna(0.0).sum())
                cap = (limits or {}).get(measure)
                if cap is not None:
                    row[f"{measure}_cap"] = float(cap.get(int(year), 0.0))
        rows.append(row)
    table = pd.DataFrame(rows)
    table.insert(2, "cumulative_spend_gbp", table["spend_gbp"].cumsum())
    if funding is not None:
        table["cumulative_funding_gbp"] = table["funding_gbp"].cumsum()
    return table


def lifetime_parts(parts: ModelParts, candidates: pd.DataFrame, years: Sequence[int],
                   co_benefits: Mapping[str, float]) -> ModelParts:
    """Return a workstream's model parts with the lifetime-carbon objective.

    Its benefit terms become one :class:`~geoplan.optimise.PeriodBenefit` over the
    ``lifetime_tco2e_<year>`` columns, plus one per co-benefit column it has (worth
    ``co_benefits[column]`` lifetime tCO2e per unit, once); a coverage term (EV demand) is
    kept, unnormalised, with the weight ``co_benefits["ev_demand_covered"]`` (its floors
    still need it); cost-minimising targets, compactness and constraints are unchanged. A
    workstream with one coverage term and ``demand_covered`` (chargers) values its carbon on
    the coverage term's variables instead, each EV once
    (:func:`geoplan.planning.charger_carbon.coverage_carbon`).
    """
    columns = {int(y): f"{LIFETIME_PREFIX}{y}" for y in years}
    coverage = [t for t in parts.objective_terms if isinstance(t, MaximiseCoverage)]
    by_coverage = len(coverage) == 1 and "demand_covered" in candidates.columns
    terms: list[Any] = [] if by_coverage else [PeriodBenefit(columns)]
    for column, weight in sorted(co_benefits.items()):
        if column in candidates.columns and weight > 0:
            terms.append(PeriodBenefit(dict.fromkeys((int(y) for y in years), column),
                                       weight=float(weight), name=f"co_benefit_{column}"))
    for term in parts.objective_terms:
        if isinstance(term, MaximiseCoverage):
            terms.append(replace(term, weight=float(co_benefits.get("ev_demand_covered", 0.0)),
                                 normalise=False))
        elif not isinstance(term, MaximiseBenefit):
            terms.append(term)
    if by_coverage:  # chargers: each EV's carbon once, however many chosen sites reach it
        terms.append(coverage_carbon(coverage[0], candidates, columns))
    return ModelParts(tuple(terms), parts.constraint_terms)


@dataclass(frozen=True)
class Phasing:
    """What a scenario's ``plan`` section adds to the model (see :func:`phasing`).

    Attributes
    ----------
    candidates : dict of str to DataFrame
        Each workstream's candidates with lifetime and delivery columns.
    parts : dict of str to ModelParts
        Each workstream's parts (with the lifetime-carbon objective when chosen).
    funding : dict of int to float or None
        Money per milestone period.
    carry_over : bool
    caps : dict of str to dict of int to float
        Delivery measure -> milestone year -> cap (only the measures some table has).
    """

    candidates: dict[str, pd.DataFrame]
    parts: dict[str, ModelParts]
    funding: dict[int, float] | None
    carry_over: bool
    caps: dict[str, dict[int, float]]

    def limits(self) -> tuple[PeriodCap, ...]:
        """Return the delivery caps as model constraints."""
        return tuple(PeriodCap(m, cap, name=m, cumulative=True) for m, cap in self.caps.items())


def phasing(plan: PlanSection, candidates: Mapping[str, pd.DataFrame],
            parts: Mapping[str, ModelParts], capacity: pd.DataFrame | None, *,
            discount_rate: float = 0.0) -> Phasing:
    """Apply a scenario's ``plan`` section: carbon columns, objective, funding and delivery.

    Parameters
    ----------
    plan : PlanSection
        The scenario's plan section.
    candidates, parts : Mapping
        Workstream -> its candidates and model parts.
    capacity : pandas.DataFrame or None
        The ``delivery_capacity`` table (None: no caps unless the plan gives them).
    discount_rate : float
        Yearly discount of tonnes when ``plan.carbon_discount_rate`` is None.
    """
    years = list(plan.years)
    rate = discount_rate if plan.carbon_discount_rate is None else plan.carbon_discount_rate
    tables, new_parts = {}, {}
    for name, table in candidates.items():
        table = lifetime_columns(delivery_columns(table, name), years, until=plan.carbon_until,
                                 horizon=plan.horizon, discount_rate=rate)
        tables[name] = table
        new_parts[name] = (lifetime_parts(parts[name], table, years, plan.co_benefits)
                           if plan.objective == "lifetime_carbon" else parts[name])
    funding = plan.funding
    money = None if funding is None else funding_by_period(
        years, per_period=funding.per_period or None, per_year=funding.per_year,
        start_year=funding.start_year)
    caps: dict[str, dict[int, float]] = {}
    delivery = plan.delivery
    if delivery.enabled and len(years) > 1:
        table = capacity if capacity is not None else pd.DataFrame(
            columns=["measure", "per_year", "low", "high"])
        start = None if funding is None else funding.start_year
        every = delivery_limits(table, years, scale=delivery.scale, level=delivery.level,
                                per_year=dict(delivery.per_year or {}), start_year=start)
        caps = {m: c for m, c in every.items()
                if any(m in t.columns for t in tables.values())}
    return Phasing(tables, new_parts, money, True if funding is None else funding.carry_over,
                   caps)
