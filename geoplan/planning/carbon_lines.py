"""The plan's carbon as separate lines that are never added together.

A plan's tonnes are of three kinds (:data:`CARBON_KINDS`), each reported on its own line
with its own total:

``reduction``
    emission reductions of buildings (workstreams ``retrofit`` and ``laep``);
``removal``
    removals by sequestration (``sequestration``);
``ev_attributed``
    the share of the petrol-to-EV switch credited to chargers (``chargers``; see
    :mod:`geoplan.workstreams.chargers`).

The whole EV switch of the EVs the chosen chargers serve (``ev_switch_tco2e_per_yr``) is a
fourth line, shown apart and in no total. Columns are named ``<kind>_<column>``, e.g.
``reduction_tco2e_per_yr``; cost per tonne is the lifetime figure, capital cost over lifetime
tCO2e (``<kind>_cost_per_lifetime_tco2e_gbp``).

Two lifetime counts of tonnes exist and are never given the same words
(:data:`UNDISCOUNTED`, :data:`DISCOUNTED`): the finance summary's lifetime tCO2e (each
measure's tonnes over its lifetime, undiscounted: ``lifetime_tco2e``,
``<kind>_lifetime_tco2e`` and the cost per tonne over them) and the objective's
(``lifetime_tco2e_<year>`` of each candidate, discounted at the carbon discount rate:
``objective_lifetime_tco2e``, the trade-off, the plan periods and the sensitivity).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CARBON_KINDS", "CARBON_WORDS", "DISCOUNTED", "EV_SWITCH", "MIXED", "OBJECTIVE_TONNES",
           "UNDISCOUNTED", "carbon_kind", "carbon_kinds",
           "carbon_per_year", "kind_columns", "kind_totals", "lifetime_by_kind",
           "unmixed_finance"]

CARBON_KINDS: dict[str, tuple[str, ...]] = {
    "reduction": ("retrofit", "laep"),
    "removal": ("sequestration",),
    "ev_attributed": ("chargers",),
}
"""Kind of tonnes -> the workstreams whose ``tco2e_per_yr`` are of that kind."""

CARBON_WORDS = {"reduction": "emission reductions, buildings",
                "removal": "removals, sequestration",
                "ev_attributed": "EV switch attributed to chargers"}
"""Each kind in words, for people."""

UNDISCOUNTED = "undiscounted"
"""Words of the finance summary's lifetime tCO2e: each year's tonnes counted in full."""
DISCOUNTED = "discounted at the carbon discount rate"
"""Words of the objective's lifetime tCO2e: each year's tonnes discounted from the first
milestone year at ``plan.carbon_discount_rate`` (:mod:`geoplan.planning.phasing`)."""
OBJECTIVE_TONNES = "Objective lifetime tCO2e"
"""Name of the objective's lifetime tCO2e (always said with :data:`DISCOUNTED`)."""

EV_SWITCH = "ev_switch_tco2e_per_yr"
"""Column of charger candidates: the whole switch's carbon (shown apart, in no total)."""


def carbon_kind(workstream: str) -> str | None:
    """Return the kind of a workstream's tonnes (None for spending without carbon, e.g. grid).

    Examples
    --------
    >>> carbon_kind("laep"), carbon_kind("sequestration"), carbon_kind("grid")
    ('reduction', 'removal', None)
    """
    for kind, workstreams in CARBON_KINDS.items():
        if workstream in workstreams:
            return kind
    return None


def carbon_kinds(workstreams: Iterable[str]) -> list[str]:
    """Kinds of tonnes the given workstreams produce, in the order of :data:`CARBON_KINDS`.

    Examples
    --------
    >>> carbon_kinds(["sequestration", "retrofit", "grid"])
    ['reduction', 'removal']
    """
    found = {carbon_kind(str(w)) for w in workstreams}
    return [kind for kind in CARBON_KINDS if kind in found]


def _kind_of(table: pd.DataFrame) -> pd.Series:
    if "workstream" not in table.columns:
        return pd.Series(None, index=table.index, dtype=object)
    return table["workstream"].astype(str).map(carbon_kind)


def kind_columns(table: pd.DataFrame, column: str = "tco2e_per_yr", *,
                 kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """Return ``table`` with one ``<kind>_<column>`` per kind, ``column`` on that kind's rows.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``workstream`` and ``column`` (blank counts 0).
    column : str
        The tonnes to split.
    kinds : iterable of str, optional
        Kinds to add (default: those of the table's workstreams).

    Returns
    -------
    pandas.DataFrame
        A copy; rows of another kind (or of none) hold 0 in each new column.
    """
    out = table.copy()
    kind = _kind_of(table)
    values = (pd.to_numeric(table[column], errors="coerce").fillna(0.0).to_numpy(float)
              if column in table.columns else np.zeros(len(table)))
    wanted = carbon_kinds(table.get("workstream", [])) if kinds is None else list(kinds)
    for name in wanted:
        out[f"{name}_{column}"] = np.where((kind == name).to_numpy(), values, 0.0)
    return out


def kind_totals(table: pd.DataFrame, column: str = "tco2e_per_yr", *,
                kinds: Iterable[str] | None = None) -> dict[str, float]:
    """Sum of ``column`` per kind: ``{"<kind>_<column>": total}`` (see :func:`kind_columns`).

    Examples
    --------
    >>> rows = pd.DataFrame({"workstream": ["retrofit", "laep", "sequestration"],
    ...                      "tco2e_per_yr": [1.0, 2.0, 5.0]})
    >>> kind_totals(rows)
    {'reduction_tco2e_per_yr': 3.0, 'removal_tco2e_per_yr': 5.0}
    """
    split = kind_columns(table, column, kinds=kinds)
    names = [c for c in split.columns if c not in table.columns]
    return {name: float(split[name].sum()) for name in names}


def lifetime_by_kind(measures: pd.DataFrame, *, kinds: Iterable[str] | None = None
                     ) -> dict[str, float]:
    """Lifetime tCO2e and lifetime cost per tCO2e of each kind.

    Parameters
    ----------
    measures : pandas.DataFrame
        One row per chosen measure with ``workstream``, ``cost_gbp`` and ``lifetime_tco2e``
        (:attr:`geoplan.planning.finance.FinanceSummary.measures`); rows of no kind (grid
        reinforcement) are left out.
    kinds : iterable of str, optional
        Kinds to report (default: those of the measures' workstreams).

    Returns
    -------
    dict
        ``<kind>_lifetime_tco2e`` and ``<kind>_cost_per_lifetime_tco2e_gbp`` (capital cost of
        the kind's measures over their lifetime tCO2e; NaN without tonnes).

    Examples
    --------
    >>> rows = pd.DataFrame({"workstream": ["retrofit", "sequestration"],
    ...                      "cost_gbp": [1000.0, 500.0], "lifetime_tco2e": [40.0, 0.0]})
    >>> lifetime_by_kind(rows)
    {'reduction_lifetime_tco2e': 40.0, 'reduction_cost_per_lifetime_tco2e_gbp': 25.0, \
'removal_lifetime_tco2e': 0.0, 'removal_cost_per_lifetime_tco2e_gbp': nan}
    """
    wanted = carbon_kinds(measures.get("workstream", [])) if kinds is None else list(kinds)
    tonnes = kind_totals(measures, "lifetime_tco2e", kinds=wanted)
    cost = kind_totals(measures, "cost_gbp", kinds=wanted)
    out: dict[str, float] = {}
    for kind in wanted:
        total = tonnes[f"{kind}_lifetime_tco2e"]
        out[f"{kind}_lifetime_tco2e"] = total
        out[f"{kind}_cost_per_lifetime_tco2e_gbp"] = (cost[f"{kind}_cost_gbp"] / total
                                                      if total > 0 else float("nan"))
    return out


def carbon_per_year(chosen: pd.DataFrame, kinds: Iterable[str]) -> dict[str, float]:
    """Tonnes per year of each kind (never one mixed total), and the whole EV switch apart.

    Parameters
    ----------
    chosen : pandas.DataFrame
        Chosen candidates with ``workstream``, ``tco2e_per_yr`` and, for chargers,
        :data:`EV_SWITCH`.
    kinds : iterable of str
        The run's kinds (a kind with nothing chosen shows 0).

    Returns
    -------
    dict
        ``<kind>_tco2e_per_yr`` per kind, and ``ev_switch_tco2e_per_yr`` when
        ``ev_attributed`` is one of them.
    """
    kinds = list(kinds)
    sums = kind_totals(chosen, kinds=kinds)
    if "ev_attributed" in kinds:
        switch = chosen[EV_SWITCH] if EV_SWITCH in chosen.columns else pd.Series(0.0)
        sums[EV_SWITCH] = float(pd.to_numeric(switch, errors="coerce").fillna(0.0).sum())
    return sums


MIXED = ("tco2e_per_yr", "lifetime_tco2e", "cost_per_tco2e_gbp", "appraisal_tco2e",
         "net_cost_per_tco2e_gbp")
"""Finance ``by_workstream`` columns whose ``total`` row would add tonnes of two kinds."""


def unmixed_finance(finance: dict[str, Any]) -> dict[str, Any]:
    """Return a finance section whose total row adds no tonnes of different kinds.

    Parameters
    ----------
    finance : dict
        :meth:`geoplan.planning.finance.FinanceSummary.to_dict`.

    Returns
    -------
    dict
        The same, except that when ``by_workstream`` has workstreams of two kinds or more its
        ``total`` row shows no tonnes and no cost per tonne (:data:`MIXED` set to None):
        each kind's total is a headline line of its own.
    """
    rows = finance.get("by_workstream")
    if not isinstance(rows, list):
        return finance
    if len(carbon_kinds(str(r.get("workstream", "")) for r in rows)) < 2:
        return finance
    fixed = [{k: (None if r.get("workstream") == "total" and k in MIXED else v)
              for k, v in r.items()} for r in rows]
    return {**finance, "by_workstream": fixed}
