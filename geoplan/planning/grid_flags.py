r"""Grid flags of a solved plan: primaries that bind and zones that need flexibility.

For each substation :math:`s` and year :math:`y`, the plan's added load is
:math:`L_{sy} = \sum_j \ell_j` over chosen candidates built by :math:`y` (an unphased plan
counts everything from the first year) whose serving substation is :math:`s` or, with a grid
graph, lies below it. With headroom :math:`h_{sy}` (kW; the DNO scenario's headroom in that
year, plus any reinforcement capacity from its ready year), the remaining headroom is
:math:`r_{sy} = h_{sy} - L_{sy}`:

* a substation **binds** in :math:`y` when the plan adds load there and :math:`r_{sy} \le 0`;
* a zone is a **flexibility candidate** when its chosen candidates add load and a substation
  serving it has :math:`r_{sy} < 0` in a year before reinforcement there is ready (any year
  when none is planned): demand-side flexibility must bridge the gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from geoplan.errors import LayerSchemaError
from geoplan.layers.grid import ancestors_of, headroom_for, value_in_year
from geoplan.planning.headroom import mva_to_kw

__all__ = ["GridFlags", "grid_flags", "headroom_kw_by_year"]


@dataclass(frozen=True)
class GridFlags:
    """What :func:`grid_flags` found.

    Attributes
    ----------
    substations : pandas.DataFrame
        ``substation_id``, ``year``, ``headroom_kw``, ``added_kw``, ``remaining_kw``,
        ``binds``, ``short`` (remaining < 0), ``reinforcement_year`` (NaN: none).
    zones : pandas.DataFrame
        Zones whose chosen candidates add load: ``zone_id``, ``substation_id``,
        ``added_kw``, ``first_short_year`` (NaN: never), ``reinforcement_year``,
        ``flexibility_candidate``.
    """

    substations: pd.DataFrame
    zones: pd.DataFrame

    @property
    def binding(self) -> tuple[str, ...]:
        """Substations that bind in any year."""
        rows = self.substations.loc[self.substations["binds"].astype(bool).to_numpy()]
        return tuple(sorted(set(rows["substation_id"])))

    @property
    def flexibility_zones(self) -> tuple[str, ...]:
        """Zones that are flexibility candidates."""
        rows = self.zones.loc[self.zones["flexibility_candidate"].astype(bool).to_numpy()]
        return tuple(sorted(rows["zone_id"]))


def headroom_kw_by_year(headroom: pd.DataFrame, years: Iterable[int], *,
                        scenario: str | None = None, season: str = "winter",
                        power_factor: float = 1.0) -> pd.DataFrame:
    """Headroom in kW per substation and year.

    ``headroom`` is a canonical headroom table (``headroom_mva``, read with
    :func:`geoplan.layers.grid.headroom_for` for ``scenario`` and ``season``, converted with
    :func:`geoplan.planning.headroom.mva_to_kw` at ``power_factor``), or
    limits with ``substation_id``, ``headroom_kw`` and optionally ``year`` (read with
    :func:`geoplan.years.value_in_year`, earliest figure otherwise).
    """
    frames = []
    for year in years:
        if "headroom_mva" in headroom.columns:
            if scenario is None:
                raise LayerSchemaError("a headroom_mva table needs a scenario (fix: pass "
                                       f"scenario=, one of {sorted(set(headroom['scenario']))})")
            values = mva_to_kw(headroom_for(headroom, scenario, int(year), season),
                               power_factor)
        elif "year" in headroom.columns:
            values = value_in_year(headroom.dropna(subset=["headroom_kw"]), int(year),
                                   value="headroom_kw", earliest_otherwise=True)
        else:
            values = headroom.groupby(headroom["substation_id"].astype(str))["headroom_kw"].min()
        frames.append(pd.DataFrame({"substation_id": values.index.astype(str), "year": year,
                                    "headroom_kw": values.to_numpy(float)}))
    return pd.concat(frames, ignore_index=True)


def _built_year(plan: pd.DataFrame, first: int) -> np.ndarray:
    if "period" not in plan.columns:
        return np.full(len(plan), first)
    period = pd.to_numeric(plan["period"], errors="coerce").to_numpy(float)
    return np.where(np.isfinite(period) & (period > 0), period, first)


def grid_flags(plan: pd.DataFrame, headroom: pd.DataFrame, years: Iterable[int], *,
               scenario: str | None = None, season: str = "winter",
               graph: nx.DiGraph | None = None, reinforcements: pd.DataFrame | None = None,
               tolerance_kw: float = 1e-6) -> GridFlags:
    """Flag binding substations and flexibility-candidate zones (module docstring).

    Parameters
    ----------
    plan : pandas.DataFrame
        A solved plan table (:attr:`geoplan.optimise.Plan.table`): ``selected``,
        ``substation_id``, ``zone_id``, ``peak_kw_added`` and optionally ``period``.
    headroom : pandas.DataFrame
        See :func:`headroom_kw_by_year`.
    years : iterable of int
        Years to check (e.g. the milestone years).
    scenario, season : str
        For a canonical headroom table.
    graph : networkx.DiGraph, optional
        Grid graph: loads count at every ancestor of the serving substation too.
    reinforcements : pandas.DataFrame, optional
        ``substation_id``, ``ready_year`` and optionally ``capacity_kw`` (added from then).
    tolerance_kw : float
        A substation binds when its remaining headroom is at most this.
    """
    years = sorted(int(y) for y in years)
    chosen = plan[plan["selected"].fillna(False).astype(bool)].copy()
    chosen["substation_id"] = chosen["substation_id"].astype(object).fillna("").astype(str)
    chosen["built"] = _built_year(chosen, years[0])
    limits = headroom_kw_by_year(headroom, years, scenario=scenario, season=season)
    ready = _ready(reinforcements)
    limits["reinforcement_year"] = limits["substation_id"].map(ready["ready_year"])
    gain = limits["substation_id"].map(ready["capacity_kw"]).fillna(0.0)
    limits["headroom_kw"] += np.where(limits["year"] >= limits["reinforcement_year"], gain, 0.0)
    chains = {s: [s, *(ancestors_of(graph, s) if graph is not None and s in graph else [])]
              for s in set(chosen["substation_id"]) if s}
    rows = [(sub, year, load) for sub0, year0, load in zip(
        chosen["substation_id"], chosen["built"], chosen["peak_kw_added"].astype(float),
        strict=True) if sub0 for sub in chains[sub0] for year in years if year0 <= year]
    added = pd.DataFrame(rows, columns=["substation_id", "year", "added_kw"]).groupby(
        ["substation_id", "year"], as_index=False)["added_kw"].sum()
    table = limits.merge(added, on=["substation_id", "year"], how="left").fillna(
        {"added_kw": 0.0})
    table["remaining_kw"] = table["headroom_kw"] - table["added_kw"]
    table["binds"] = (table["added_kw"] > 0) & (table["remaining_kw"] <= tolerance_kw)
    table["short"] = table["remaining_kw"] < 0
    table = table[["substation_id", "year", "headroom_kw", "added_kw", "remaining_kw", "binds",
                   "short", "reinforcement_year"]].sort_values(["substation_id", "year"])
    return GridFlags(table.reset_index(drop=True), _zones(chosen, table, chains))


def _ready(reinforcements: pd.DataFrame | None) -> pd.DataFrame:
    if reinforcements is None or reinforcements.empty:
        return pd.DataFrame({"ready_year": pd.Series(dtype=float),
                             "capacity_kw": pd.Series(dtype=float)})
    table = reinforcements.assign(substation_id=reinforcements["substation_id"].astype(str))
    if "capacity_kw" not in table.columns:
        table["capacity_kw"] = 0.0
    return table.sort_values("ready_year").drop_duplicates("substation_id").set_index(
        "substation_id")[["ready_year", "capacity_kw"]].astype(float)


def _zones(chosen: pd.DataFrame, table: pd.DataFrame, chains: dict[str, list[str]]
           ) -> pd.DataFrame:
    loads = chosen.groupby(["zone_id", "substation_id"], as_index=False)["peak_kw_added"].sum()
    loads = loads[loads["peak_kw_added"] > 0]
    short = table[table["short"] & ~(table["year"] >= table["reinforcement_year"])]
    first_short = short.groupby("substation_id")["year"].min()
    ready = table.groupby("substation_id")["reinforcement_year"].first()
    out = []
    for zone, sub, load in loads.itertuples(index=False):
        years = [first_short[s] for s in chains.get(sub, []) if s in first_short.index]
        out.append({"zone_id": zone, "substation_id": sub, "added_kw": float(load),
                    "first_short_year": min(years) if years else np.nan,
                    "reinforcement_year": ready.get(sub, np.nan),
                    "flexibility_candidate": bool(years)})
    columns = ["zone_id", "substation_id", "added_kw", "first_short_year",
               "reinforcement_year", "flexibility_candidate"]
    frame = pd.DataFrame(out, columns=columns).astype(
        {"added_kw": float, "first_short_year": float, "reinforcement_year": float,
         "flexibility_candidate": bool})
    return frame.sort_values("zone_id").reset_index(drop=True)
