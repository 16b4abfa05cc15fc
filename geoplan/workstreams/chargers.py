r"""EV charger sites: candidate sites x charger types x sizes, chosen by maximal covering.

**Candidates.** One candidate per site, charger power class and number of chargers
(``settings.site_sizes``, capped by the site's ``max_chargers`` and the class's
``max_per_site``); all candidates of one site share ``group_id = "chargers:<site_id>"`` so at
most one type and size is built per site. A class is offered only at the site kinds its
``site_kinds`` cell lists (blank: all). Per candidate, with :math:`n` chargers of class
:math:`k` at a site of kind :math:`s`:

* ``cost_gbp = enabling_cost_gbp[s] + n x cost_per_charger_gbp[k]`` (``site_kinds.csv`` and
  ``charger_types.csv``);
* ``peak_kw_added = n x peak_kw_per_charger[k]`` (after diversity);
* ``capacity_evs = n x evs_per_charger[k]``;
* ``demand_covered = min(capacity_evs, D)`` where :math:`D` is the demand left by existing
  chargers within reach of the site (``D`` alone when not capacitated); information only;
* ``ev_switch_tco2e_per_yr = demand_covered x tco2e_per_ev_yr[k]``: carbon of the petrol
  car miles the EVs served replace (the whole switch; information only);
* ``tco2e_per_yr = a x ev_switch_tco2e_per_yr`` with :math:`a` the attribution share
  (``ev_attribution_share``: the scenario's ``ev_attribution_share``, else the
  ``ev_attribution`` table's row, indicative): the charger is credited only with the share of
  the switch public charging enables; with :math:`a = 0` chargers carry no carbon and the
  switch is shown only beside the headline. These are what the site alone would serve:
  nearby sites reach the same EVs, so the lifetime-carbon objective values the coverage
  term's variables instead, each EV once, and the chosen sites' figures are scaled to the
  EVs each serves, ``evs_served`` (:mod:`geoplan.planning.charger_carbon`): the plan's
  tCO2e and the summary's "EV switch attributed" line add those;
* ``saving_gbp_per_yr = 0``: public charging prices per mile are close to petrol's, so no
  running-cost saving is claimed.

**Locked-in sites** (``settings.locked_in`` or a true ``locked_in`` column in the sites layer)
are already funded: each keeps one candidate, ``locked_in = True``, of its kind's own charger
class (``site_kinds.charger_kw``; the smallest class asked for when the table has no such
class) with as many chargers as the site takes. Their cost counts in the plan and is added to
the workstream budget (already funded money is not taken from the new budget).

**Model** (:func:`charger_model`): maximal covering of the residual demand
(:class:`~geoplan.optimise.objectives.MaximiseCoverage`, normalised so the term is the share of
residual demand covered, times ``settings.coverage_weight``), capacitated by ``capacity_evs``
when ``settings.capacitated``; a workstream budget; per-district coverage floors
(:class:`~geoplan.optimise.constraints.CoverageFloor`) where a floor :math:`\phi` is a share of
the district's *whole* demand, existing chargers included: the floor on residual demand is
:math:`(\phi E_d - P_d) / R_d` with :math:`E_d` EVs, :math:`P_d` pre-covered and :math:`R_d`
residual demand.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.assumptions import read_assumptions
from geoplan.errors import (
    InfeasibleError,
    LayerSchemaError,
    ScenarioError,
)
from geoplan.layers.sites import SITE_KINDS
from geoplan.optimise.constraints import Budget, CoverageFloor
from geoplan.optimise.objectives import Coverage, MaximiseCoverage
from geoplan.schemas import CANDIDATES, CRS
from geoplan.workstreams.charger_demand import ChargerDemand
from geoplan.workstreams.charger_settings import (
    CHARGER_TYPES,
    COVERAGE_NAME,
    WORKSTREAM,
    ChargerSettings,
    attribution_share,
    read_charger_types,
)
from geoplan.workstreams.parts import ModelParts

__all__ = [
    "CHARGER_TYPES",
    "COVERAGE_NAME",
    "ChargerSettings",
    "charger_candidates",
    "charger_coverage",
    "charger_model",
    "read_charger_types",
    "site_labels",
]

logger = logging.getLogger(__name__)

def _types(table: pd.DataFrame | None, wanted: Sequence[float]) -> pd.DataFrame:
    types = read_charger_types() if table is None else table.copy()
    types["kw_class"] = types["kw_class"].astype(float)
    known = sorted(types["kw_class"])
    unknown = [k for k in wanted if float(k) not in known]
    if unknown:
        raise ScenarioError(f"charger_kw {unknown} not in the charger_types table (classes "
                            f"{[f'{k:g}' for k in known]}) (fix: use those classes or add "
                            "rows to charger_types.csv)")
    return types.set_index("kw_class")


def _site_frame(sites: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None,
                settings: ChargerSettings) -> gpd.GeoDataFrame:
    missing = [c for c in ("site_id", "kind", "max_chargers") if c not in sites.columns]
    if missing:
        raise LayerSchemaError(f"sites: columns {missing} are missing (fix: pass the sites "
                               "layer from geoplan.layers.sites.sites_from_layer)")
    frame = sites.to_crs(CRS).reset_index(drop=True)
    frame["site_id"] = frame["site_id"].astype(str)
    for column in ("zone_id", "district_id", "substation_id"):
        if column not in frame.columns:
            frame[column] = ""
    if zones is not None and (frame["zone_id"].fillna("") == "").any():
        joined = gpd.sjoin(frame[["geometry"]], zones[["zone_id", "district_id", "geometry"]],
                           predicate="intersects", how="left")
        joined = joined[~joined.index.duplicated(keep="first")]
        blank = frame["zone_id"].fillna("") == ""
        frame.loc[blank, "zone_id"] = joined.loc[blank, "zone_id"]
        frame.loc[blank, "district_id"] = joined.loc[blank, "district_id"]
    for column in ("zone_id", "district_id", "substation_id"):
        frame[column] = frame[column].fillna("").astype(str)
    flagged = frame["locked_in"].fillna(False).astype(bool) if "locked_in" in frame.columns \
        else pd.Series(False, index=frame.index)
    unknown = sorted(set(map(str, settings.locked_in)) - set(frame["site_id"]))
    if unknown:
        raise ScenarioError(f"chargers locked_in sites {unknown[:5]} are not in the sites "
                            f"layer (e.g. {frame['site_id'].head(3).tolist()}) (fix: use ids "
                            "of the sites layer)")
    frame["locked"] = flagged.to_numpy() | frame["site_id"].isin(settings.locked_in).to_numpy()
    return frame


def _options(frame: pd.DataFrame, types: pd.DataFrame, kinds: pd.DataFrame,
             settings: ChargerSettings) -> pd.DataFrame:
    """One row per site x class x size (locked sites: their one funded option)."""
    rows: list[tuple[object, float | None, int]] = []
    wanted = [float(k) for k in settings.charger_kw]
    for site in frame.itertuples():
        own = float(kinds.loc[site.kind, "charger_kw"]) if site.kind in kinds.index else None
        classes = [own if own in types.index else min(wanted)] if site.locked else wanted
        for kw in classes:
            allowed = str(types.loc[kw, "site_kinds"] or "").strip()
            if allowed and site.kind not in [k.strip() for k in allowed.split(";")] \
                    and not site.locked:
                continue
            cap = int(site.max_chargers) if pd.notna(site.max_chargers) else 0
            per_site = types.loc[kw, "max_per_site"]
            cap = min(cap, int(per_site)) if pd.notna(per_site) else cap
            sizes = [cap] if site.locked else sorted({min(int(s), cap)
                                                       for s in settings.site_sizes})
            rows.extend((site.Index, kw, n) for n in sizes if n >= 1)
    return pd.DataFrame(rows, columns=["site", "kw", "chargers"])


def charger_candidates(sites: gpd.GeoDataFrame, demand: ChargerDemand,
                       settings: ChargerSettings | None = None, *,
                       zones: gpd.GeoDataFrame | None = None,
                       site_kinds: pd.DataFrame | None = None,
                       charger_types: pd.DataFrame | None = None,
                       ev_attribution: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Candidate charger installations (rules in the module docstring).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        The ``sites`` layer (optionally ``substation_id``, ``zone_id``, ``district_id``,
        ``name``, ``locked_in``).
    demand : ChargerDemand
        From :func:`~geoplan.workstreams.charger_demand.charger_demand`.
    settings : ChargerSettings, optional
    zones : geopandas.GeoDataFrame, optional
        To give sites their zone and district when the layer has none.
    site_kinds, charger_types, ev_attribution : pandas.DataFrame, optional
        Assumption tables instead of the shipped ones (``ev_attribution`` is read only when
        ``settings.ev_attribution_share`` is None).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`~geoplan.schemas.CANDIDATES` columns (``tco2e_per_yr`` attributed), then
        ``label``, ``option``, ``saving_gbp_per_yr``, ``lifetime_years``, ``chargers``,
        ``charger_kw``, ``capacity_evs``, ``demand_covered``, ``ev_switch_tco2e_per_yr``,
        ``ev_attribution_share``, ``site_id``, ``site_name`` (:func:`site_labels`; the label
        shows it), ``source_id``, ``kind``, ``locked_in``.

    Raises
    ------
    ScenarioError
        A charger class not in the table, or locked-in sites not in the layer.
    LayerSchemaError
        Missing site columns, or a site kind missing from the ``site_kinds`` table.
    """
    settings = settings or ChargerSettings()
    types = _types(charger_types, settings.charger_kw)
    kinds = (site_kinds if site_kinds is not None else read_assumptions(SITE_KINDS)).set_index(
        "kind")
    frame = _site_frame(sites, zones, settings)
    unknown = sorted(set(frame["kind"].astype(str)) - set(kinds.index))
    if unknown:
        raise LayerSchemaError(f"sites: kinds {unknown} are not in the site_kinds table "
                               f"{sorted(kinds.index)} (fix: add rows to site_kinds.csv)")
    options = _options(frame, types, kinds, settings)
    site = frame.loc[options["site"].to_numpy()].reset_index(drop=True)
    kind = types.loc[options["kw"].to_numpy()].reset_index(drop=True)
    n = options["chargers"].to_numpy(dtype=float)
    reachable = np.asarray(demand.reach(frame.geometry).T @ demand.points["demand"].to_numpy(
        dtype=float)).ravel()[options["site"].to_numpy()] if len(frame) else np.zeros(0)
    capacity = n * kind["evs_per_charger"].to_numpy()
    covered = np.minimum(capacity, reachable) if settings.capacitated else reachable
    switch = covered * kind["tco2e_per_ev_yr"].to_numpy(dtype=float)
    share = attribution_share(ev_attribution, settings.ev_attribution_share)
    kw_text = [f"{k:g}" for k in options["kw"]]
    ids = [f"{WORKSTREAM}:{s}:{k}kw:{c}" for s, k, c in zip(site["site_id"], kw_text,
                                                              options["chargers"], strict=True)]
    option = [f"{c} x {k} kW" for c, k in zip(options["chargers"], kw_text, strict=True)]
    names = site_labels(site)
    out = pd.DataFrame({
        "candidate_id": ids, "workstream": WORKSTREAM,
        "group_id": [f"{WORKSTREAM}:{s}" for s in site["site_id"]],
        "zone_id": site["zone_id"], "district_id": site["district_id"],
        "substation_id": site["substation_id"],
        "cost_gbp": kinds.loc[site["kind"], "enabling_cost_gbp"].to_numpy(dtype=float)
        + n * kind["cost_per_charger_gbp"].to_numpy(),
        "tco2e_per_yr": share * switch,
        "peak_kw_added": n * kind["peak_kw_per_charger"].to_numpy(),
        "label": [f"Chargers: {a} ({b})" for a, b in zip(names, option, strict=True)],
        "option": option, "saving_gbp_per_yr": 0.0,
        "lifetime_years": kind["lifetime_years"].to_numpy(dtype=float),
        "chargers": n, "charger_kw": options["kw"].to_numpy(dtype=float),
        "capacity_evs": capacity, "demand_covered": covered,
        "ev_switch_tco2e_per_yr": switch, "ev_attribution_share": share,
        "site_id": site["site_id"], "site_name": names.to_numpy(),
        "source_id": site["source_id"] if "source_id" in site.columns else None,
        "kind": site["kind"].astype(str),
        "locked_in": site["locked"].to_numpy(dtype=bool)})
    candidates = gpd.GeoDataFrame(out, geometry=site.geometry.to_numpy(), crs=CRS)
    columns = list(CANDIDATES.columns)
    candidates = candidates[columns + [c for c in out.columns if c not in columns]]
    logger.info("charger candidates: %d options at %d sites (%.0f%% of the EV switch carbon "
                "attributed)", len(candidates), len(frame), 100 * share)
    return candidates


def site_labels(sites: pd.DataFrame) -> pd.Series:
    """Each site's name for people, else its id.

    ``site_name`` (:mod:`geoplan.layers.site_names`), else its own ``name``, else its
    ``site_id``.
    """
    names = pd.Series(None, index=sites.index, dtype=object)
    for column in ("site_name", "name"):
        if column in sites.columns:
            given = sites[column].astype(object)
            given = given.where(given.notna() & (given.astype(str) != ""), None)
            names = names.where(names.notna(), given)
    return names.where(names.notna(), sites["site_id"].astype(str)).astype(str)


def charger_coverage(candidates: pd.DataFrame, demand: ChargerDemand,
                     settings: ChargerSettings | None = None, *,
                     candidate_ids: Sequence[str] | None = None) -> Coverage:
    """Build the coverage matrix, demand weights, districts and capacities of the model.

    Parameters
    ----------
    candidates : pandas.DataFrame
        Charger candidates (rows of other workstreams are ignored).
    demand : ChargerDemand
    settings : ChargerSettings, optional
        ``capacitated`` decides whether capacities are given.
    candidate_ids : sequence of str, optional
        Every candidate id of the problem the term goes into, in order (the joint model's
        table); default: ``candidates["candidate_id"]``. Columns of ids that are not charger
        candidates are empty.

    Returns
    -------
    Coverage
        Over the demand points with residual demand > 0.
    """
    settings = settings or ChargerSettings()
    ids = list(map(str, candidate_ids if candidate_ids is not None
                   else candidates["candidate_id"]))
    mine = candidates[candidates["workstream"].astype(str) == WORKSTREAM] \
        if "workstream" in candidates.columns else candidates
    position = pd.Series(np.arange(len(ids)), index=ids)
    missing = sorted(set(mine["candidate_id"].astype(str)) - set(ids))
    if missing:
        raise ScenarioError(f"candidate_ids lack charger candidates {missing[:3]} (fix: pass "
                            "the ids of the table the model is built over)")
    points = demand.points[demand.points["demand"] > 0]
    sites = mine.drop_duplicates("site_id")
    reach = ChargerDemand(points, demand.walk_distance_m, demand.roads).reach(sites.geometry)
    site_col = pd.Series(np.arange(len(sites)), index=sites["site_id"].astype(str))
    column_of_site = site_col.reindex(mine["site_id"].astype(str)).to_numpy()
    picked = reach[:, column_of_site].tocoo()
    where = position.reindex(mine["candidate_id"].astype(str)).to_numpy()
    matrix = sp.csr_matrix((picked.data, (picked.row, where[picked.col])),
                           shape=(len(points), len(ids)))
    capacity = None
    if settings.capacitated:
        capacity = np.zeros(len(ids))
        capacity[where] = mine["capacity_evs"].to_numpy(dtype=float)
    return Coverage(matrix, points["demand"].to_numpy(dtype=float),
                    points["district_id"].astype(str).to_numpy(), capacity)


def _floor_shares(demand: ChargerDemand, coverage: Coverage,
                  share: Any) -> dict[str, float]:
    """Floors on residual demand equivalent to floors on whole demand (module docstring)."""
    totals = demand.district_totals()
    wanted = share if isinstance(share, dict) else dict.fromkeys(totals.index, float(share))
    reach = np.diff(coverage.pattern().indptr) > 0
    reachable = pd.Series(coverage.demand * reach).groupby(coverage.demand_district).sum()
    floors, short = {}, []
    for district, phi in sorted(wanted.items()):
        if district not in totals.index:
            raise ScenarioError(f"coverage floor for district {district!r}, which has no "
                                f"demand (districts: {sorted(totals.index)})")
        evs, pre, left = totals.loc[district, ["evs", "pre_covered", "demand"]]
        need = max(float(phi) * evs - pre, 0.0)
        if need > float(reachable.get(district, 0.0)) + 1e-6:
            short.append(f"{district}: needs {need:.1f} EVs covered beyond existing chargers, "
                         f"only {float(reachable.get(district, 0.0)):.1f} within reach")
        floors[str(district)] = need / left if left > 0 else 0.0
    if short:
        raise InfeasibleError("coverage floors cannot be met by any plan: " + "; ".join(short)
                              + " (fix: lower coverage_floor_share or add candidate sites)")
    return floors


def charger_model(candidates: pd.DataFrame, settings: ChargerSettings | None = None, *,
                  demand: ChargerDemand,
                  candidate_ids: Sequence[str] | None = None) -> ModelParts:
    """Objective and constraints of the charger workstream (module docstring).

    Parameters
    ----------
    candidates : pandas.DataFrame
        From :func:`charger_candidates` (or a joint table holding them).
    settings : ChargerSettings, optional
    demand : ChargerDemand
        The demand the candidates were built for.
    candidate_ids : sequence of str, optional
        See :func:`charger_coverage` (for the joint model).

    Raises
    ------
    InfeasibleError
        When a district's coverage floor exceeds the demand within reach of any candidate
        (numbers in the message).
    """
    settings = settings or ChargerSettings()
    coverage = charger_coverage(candidates, demand, settings, candidate_ids=candidate_ids)
    objective = (MaximiseCoverage(coverage, weight=settings.coverage_weight, normalise=True,
                                  name=COVERAGE_NAME),)
    constraints: list[Any] = []
    if settings.budget_gbp is not None:
        mine = candidates[candidates["workstream"].astype(str) == WORKSTREAM]
        funded = float(mine.loc[mine["locked_in"].fillna(False).astype(bool),
                                "cost_gbp"].sum()) if "locked_in" in mine.columns else 0.0
        constraints.append(Budget({WORKSTREAM: float(settings.budget_gbp) + funded},
                                  by="workstream", name="chargers_budget"))
    if settings.coverage_floor_share is not None:
        floors = _floor_shares(demand, coverage, settings.coverage_floor_share)
        constraints.append(CoverageFloor(floors, coverage=COVERAGE_NAME))
    return ModelParts(objective=objective, constraints=tuple(constraints))
