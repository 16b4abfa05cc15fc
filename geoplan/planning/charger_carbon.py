"""Charger carbon counted once per EV: in the lifetime objective and in the chosen sites.

A charger candidate's carbon (``tco2e_per_yr``, ``lifetime_tco2e_<year>``) is worth its
``demand_covered``: every EV within reach of its site (capped by its capacity). Sites a few
metres apart reach the same EVs, so adding those figures up counts the same EVs again (2.4
times on Oxfordshire's real run) and would reward the optimiser for building next to a site
it has already chosen. Instead:

- **The objective** (:func:`coverage_carbon`) values the coverage term's own variables, in
  which each demand point is covered or assigned at most once:
  :class:`~geoplan.optimise.PeriodCoverage` with the lifetime tCO2e of one EV served from
  each milestone year (a candidate's ``lifetime_tco2e_<year> / demand_covered``, the same
  for every charger class shipped);
- **the chosen sites** (:func:`served_once`, :func:`carbon_of_served`) are each given the
  EVs they serve, ``evs_served``, each EV counted once (uncapacitated: a demand point goes to
  the sites that reach it first, shared equally among those built in that period;
  capacitated: the assignment of most value, each EV valued at its site's build period, by
  one linear programme), and their carbon columns are scaled from ``demand_covered`` to
  ``evs_served``, so the plan's tonnes add up to what the objective counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from geoplan.errors import ScenarioError
from geoplan.optimise import MaximiseCoverage, PeriodCoverage
from geoplan.optimise.objectives import Coverage
from geoplan.workstreams.parts import ModelParts

__all__ = ["CARBON_COLUMNS", "EVS_SERVED", "carbon_of_served", "chargers_served",
           "coverage_carbon", "served_once"]

EVS_SERVED = "evs_served"
"""Column of the EVs a chosen site serves, each EV counted once over the chosen sites."""

CARBON_COLUMNS = ("tco2e_per_yr", "ev_switch_tco2e_per_yr")
"""Per-year carbon columns worth a charger's EVs (with every ``lifetime_tco2e_<year>``)."""

_SPREAD = 1e-6
"""Relative difference between two candidates' tonnes per EV that counts as a difference."""


def coverage_carbon(term: MaximiseCoverage, candidates: pd.DataFrame,
                    columns: dict[int, str]) -> PeriodCoverage:
    """Return the lifetime-carbon term of a charger workstream, each EV counted once.

    Parameters
    ----------
    term : MaximiseCoverage
        The workstream's coverage term (its demand is EVs).
    candidates : pandas.DataFrame
        Its candidates, with ``demand_covered`` and the lifetime columns.
    columns : dict of int to str
        Milestone year -> lifetime tCO2e column.

    Raises
    ------
    ScenarioError
        When candidates differ in lifetime tCO2e per EV (charger classes with different
        ``tco2e_per_ev_yr`` or ``lifetime_years``): one EV's value would then depend on
        which site serves it, which the uncapacitated model cannot tell.
    """
    covered = pd.to_numeric(candidates["demand_covered"], errors="coerce").to_numpy(float)
    serving = covered > 0
    values: dict[int, float] = {}
    for year, column in columns.items():
        tonnes = pd.to_numeric(candidates[column], errors="coerce").to_numpy(float)
        per_ev = tonnes[serving] / covered[serving]
        if not len(per_ev):
            values[year] = 0.0
            continue
        low, high = float(np.min(per_ev)), float(np.max(per_ev))
        if high - low > _SPREAD * max(abs(high), 1e-12):
            raise ScenarioError(
                f"charger candidates differ in lifetime tCO2e per EV served from {year} "
                f"({low:.4g} to {high:.4g}): the charger_types rows give different "
                "tco2e_per_ev_yr or lifetime_years. Fix: give every charger class the same "
                "tco2e_per_ev_yr and lifetime_years, or plan with objective: "
                "share_of_potential")
        values[year] = high
    return PeriodCoverage(term.name, values, name="lifetime_tco2e")


def served_once(table: pd.DataFrame, coverage: Coverage, candidate_ids: Sequence[str], *,
                years: Sequence[int], values: Sequence[float] | None = None) -> np.ndarray:
    """EVs each chosen site serves, each EV counted once (module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        The charger plan table: ``candidate_id``, ``selected`` and ``period`` (milestone
        year, blank when not phased).
    coverage : Coverage
        The coverage term's demand points x candidates, demand (EVs) and capacities.
    candidate_ids : sequence of str
        The candidate of each coverage column.
    years : sequence of int
        Milestone years (their order gives the build periods).
    values : sequence of float, optional
        Value of one EV served from each milestone year (default: earlier is better).

    Returns
    -------
    numpy.ndarray
        One figure per row of ``table``: EVs served (0 for rows not chosen).
    """
    column = {str(c): k for k, c in enumerate(candidate_ids)}
    chosen = table["selected"].fillna(False).astype(bool).to_numpy()
    where = np.array([column.get(str(c), -1) for c in table["candidate_id"]])
    if (where[chosen] < 0).any():
        raise ValueError("a chosen charger candidate is not in the coverage matrix")
    period = _period_index(table["period"], list(years))
    rows = np.flatnonzero(chosen)
    pattern = sp.csr_matrix(coverage.matrix, dtype=float)[:, where[rows]]
    pattern.data = np.ones_like(pattern.data)
    pattern.eliminate_zeros()
    demand = np.asarray(coverage.demand, dtype=float)
    out = np.zeros(len(table))
    if not len(rows):
        return out
    if coverage.capacity is None:
        out[rows] = _first_coverers(pattern, demand, period[rows])
    else:
        capacity = np.asarray(coverage.capacity, dtype=float)[where[rows]]
        rates = np.asarray(values if values is not None and np.any(np.asarray(values) > 0)
                           else np.arange(len(years), 0, -1), dtype=float)
        out[rows] = _best_assignment(pattern, demand, capacity, rates[period[rows]])
    return out


def _period_index(period: pd.Series, years: list[int]) -> np.ndarray:
    """Index of each row's build period (0 when blank: unphased)."""
    built = pd.to_numeric(period, errors="coerce")
    index = {int(y): t for t, y in enumerate(years)}
    return np.array([0 if pd.isna(v) else index.get(int(v), 0) for v in built], dtype=int)


def _first_coverers(pattern: sp.csr_matrix, demand: np.ndarray,
                    period: np.ndarray) -> np.ndarray:
    """Each point's demand shared equally by the chosen sites that reach it first."""
    coo = pattern.tocoo()
    first = np.full(pattern.shape[0], np.iinfo(np.int64).max)
    np.minimum.at(first, coo.row, period[coo.col])
    earliest = period[coo.col] == first[coo.row]
    sharers = np.bincount(coo.row[earliest], minlength=pattern.shape[0])
    share = demand[coo.row[earliest]] / sharers[coo.row[earliest]]
    return np.bincount(coo.col[earliest], share, minlength=pattern.shape[1])


def _best_assignment(pattern: sp.csr_matrix, demand: np.ndarray, capacity: np.ndarray,
                     value: np.ndarray) -> np.ndarray:
    """EVs served per site by the assignment of most value (each point once, capacities)."""
    coo = pattern.tocoo()
    if not coo.nnz:
        return np.zeros(pattern.shape[1])
    pairs = np.arange(coo.nnz)
    once = sp.csr_matrix((np.ones(coo.nnz), (coo.row, pairs)), shape=(pattern.shape[0], coo.nnz))
    load = sp.csr_matrix((demand[coo.row], (coo.col, pairs)), shape=(pattern.shape[1], coo.nnz))
    result = linprog(-(value[coo.col] * demand[coo.row]), A_ub=sp.vstack([once, load]).tocsr(),
                     b_ub=np.concatenate([np.ones(pattern.shape[0]), np.maximum(capacity, 0)]),
                     bounds=(0.0, 1.0), method="highs")
    if result.status != 0:
        raise RuntimeError(f"the charger assignment LP did not solve: {result.message}")
    return np.bincount(coo.col, np.asarray(result.x) * demand[coo.row],
                       minlength=pattern.shape[1])


def carbon_of_served(table: pd.DataFrame, served: np.ndarray) -> pd.DataFrame:
    """Return ``table`` with ``evs_served`` and chosen rows' carbon scaled to it.

    Every column of :data:`CARBON_COLUMNS` and each ``lifetime_tco2e_<year>`` or
    ``tco2e_per_yr_<year>`` column is multiplied, on chosen rows, by ``evs_served /
    demand_covered``; rows not chosen keep their figures (what the site alone would serve).
    """
    out = table.copy()
    chosen = out["selected"].fillna(False).astype(bool).to_numpy()
    covered = pd.to_numeric(out["demand_covered"], errors="coerce").to_numpy(float)
    ratio = np.where(chosen & (covered > 0), served / np.where(covered > 0, covered, 1.0), 1.0)
    out[EVS_SERVED] = np.where(chosen, served, np.nan)
    scaled = [c for c in out.columns if c in CARBON_COLUMNS
              or c.startswith(("lifetime_tco2e_", "tco2e_per_yr_"))]
    for column in scaled:
        values = pd.to_numeric(out[column], errors="coerce").to_numpy(float)
        out[column] = values * ratio
    return out


def chargers_served(table: pd.DataFrame, parts: ModelParts, candidate_ids: Sequence[str],
                    years: Sequence[int]) -> pd.DataFrame:
    """Give the chosen charger sites of a plan table the EVs they serve, and carbon to match.

    Parameters
    ----------
    table : pandas.DataFrame
        The charger workstream's plan table (``selected``, ``period``, ``demand_covered``).
    parts : ModelParts
        The model parts it was solved with: their coverage term gives the demand and reach;
        a :class:`~geoplan.optimise.PeriodCoverage` term the value of an EV per build period.
    candidate_ids : sequence of str
        The candidate of each column of the coverage matrix.
    years : sequence of int
        Milestone years.

    Returns
    -------
    pandas.DataFrame
        ``table`` through :func:`carbon_of_served` (unchanged without a coverage term).
    """
    terms = parts.objective_terms
    coverage = next((t for t in terms if isinstance(t, MaximiseCoverage)), None)
    if coverage is None or "demand_covered" not in table.columns:
        return table
    valued = next((t for t in terms if isinstance(t, PeriodCoverage)), None)
    values = None if valued is None else [float(valued.values.get(y, 0.0)) for y in years]
    served = served_once(table, coverage.coverage, candidate_ids, years=years, values=values)
    return carbon_of_served(table, served)
