r"""Sequestration land: which parcels to plant or restore, and the insetting credit it earns.

**Candidates** (:func:`sequestration_candidates`): one per land parcel of the ``land`` layer
whose land use offers sequestration (``land_use`` column, else the parcel's ``land_class``
name or ``lcm_code`` through ``land_cover_classes.csv``), optionally limited to
``settings.land_uses`` and to parcels of at least ``settings.min_area_ha``. The numbers are
recomputed from ``sequestration.csv`` so that a scenario's table changes them:

* net share :math:`n = (1 - \text{baseline\_share} - \text{leakage\_share})
  (1 - \text{buffer\_share})`: the Woodland Carbon Code's net sequestration (project minus
  baseline minus leakage), then its 20% buffer contribution, each deducted once;
* a land use with a time profile (``woodland_profile.csv``, :mod:`.removals`) carries the
  cumulative net columns ``removed_tco2e_age_<a>`` and its headline
  ``tco2e_per_yr = sequestered_tco2e_per_yr`` is the mean yearly net removal over the first
  ``settings.average_years`` years after planting (default 30), ``seq_gross_tco2e_per_yr``
  the same before deductions; lifetime carbon and the trajectory follow the profile year by
  year (near zero in the first ten years);
* ``peat_restoration`` parcels are offered only when their current condition (the land's
  ``peat_condition`` column, else ``settings.peat_condition``) is degraded (the additionality
  rule of :mod:`.peat`); their gross rate is the condition's avoided emission
  (``peat_conditions.csv``: emission now minus emission once rewetted), in column
  ``peat_condition``;
* otherwise ``seq_gross_tco2e_per_yr = seq_tco2e_per_ha_yr x area_ha`` and
  ``tco2e_per_yr = gross x n`` from the year built;
* ``planting_cost_gbp = cost_gbp_per_ha x area_ha``, ``land_cost_gbp = land_cost_gbp_per_ha x
  area_ha`` (0 with ``settings.include_land_cost`` false: land the council owns) and
  ``cost_gbp`` their sum; ``lifetime_years`` from the table;
* ``peak_kw_added = 0``, ``saving_gbp_per_yr = 0``; ``group_id`` is the candidate's own id.

**Model** (:func:`sequestration_model`), two modes:

``"maximise"``
    :math:`\max \sum_j q_j s_j` (tCO2e/yr, column ``sequestered_tco2e_per_yr``, not
    normalised, so it adds up with other tCO2e terms) under the workstream budget.
``"offset"``
    :math:`\min \sum_j c_j s_j` subject to :math:`\sum_{j \in d} q_j s_j \ge \alpha E_d` for
    each district :math:`d` with residual emissions :math:`E_d` (latest year of the emissions
    table) and ``offset_share`` :math:`\alpha` (a
    :class:`~geoplan.optimise.constraints.DistrictMinimum` with amounts).

With ``compactness_bonus_per_m`` > 0 a :class:`~geoplan.optimise.objectives.Compactness` term
rewards each metre of boundary shared by two chosen parcels (in tCO2e/yr per metre when
maximising, as a discount in pounds per metre when minimising).

**Insetting** (:func:`insetting_credit`): per district, the chosen parcels' net tCO2e/yr
set against the district's residual emissions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import (
    InfeasibleError,
    LayerSchemaError,
    ScenarioError,
)
from geoplan.layers.land import NO_LAND_USE, read_land_classes
from geoplan.layers.land_classes import SEQUESTRATION, read_sequestration
from geoplan.optimise.constraints import Budget, DistrictMinimum
from geoplan.optimise.objectives import Compactness, MaximiseBenefit, MinimiseCost
from geoplan.optimise.spatial import neighbour_pairs
from geoplan.scenario.workstreams import SequestrationSettings
from geoplan.schemas import CANDIDATES, CRS
from geoplan.sources.emissions import latest_emissions
from geoplan.workstreams.parts import ModelParts
from geoplan.workstreams.peat import PEAT, PeatRates, peat_rates, read_peat_conditions
from geoplan.workstreams.removals import mean_rate, profile_columns, read_woodland_profile

__all__ = [
    "MODES",
    "SEQUESTRATION_RATES",
    "SequestrationSettings",
    "insetting_credit",
    "offset_targets",
    "read_sequestration_rates",
    "sequestration_candidates",
    "sequestration_model",
]

logger = logging.getLogger(__name__)

MODES = ("maximise", "offset")
"""Ways of choosing parcels (module docstring)."""

SEQUESTRATION_RATES = SEQUESTRATION
"""``sequestration.csv``, described once in :mod:`geoplan.layers.land_classes`."""

WORKSTREAM = "sequestration"
SEQUESTERED = "sequestered_tco2e_per_yr"


read_sequestration_rates = read_sequestration
"""Read ``sequestration.csv`` (:func:`geoplan.layers.land_classes.read_sequestration`)."""


def _land_uses(land: gpd.GeoDataFrame, classes: pd.DataFrame | None,
               rates: pd.DataFrame) -> pd.Series:
    """Land use of every parcel."""
    if "land_use" in land.columns:
        return land["land_use"].fillna(NO_LAND_USE).astype(str).str.strip()
    table = classes if classes is not None else read_land_classes(sequestration=rates)
    if "lcm_code" in land.columns:
        lookup = dict(zip(table["lcm_code"].astype(int), table["land_use"], strict=True))
        codes = pd.to_numeric(land["lcm_code"], errors="coerce")
        return codes.map(lookup).fillna(NO_LAND_USE).astype(str)
    lookup = {str(n).casefold(): u for n, u in zip(table["name"], table["land_use"],
                                                   strict=True)}
    return land["land_class"].astype(str).str.casefold().map(lookup).fillna(NO_LAND_USE)


def sequestration_candidates(land: gpd.GeoDataFrame,
                             settings: SequestrationSettings | None = None, *,
                             zones: gpd.GeoDataFrame | None = None,
                             sequestration: pd.DataFrame | None = None,
                             classes: pd.DataFrame | None = None,
                             profile: pd.DataFrame | None = None,
                             peat: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Candidate parcels (rules in the module docstring).

    Parameters
    ----------
    land : geopandas.GeoDataFrame
        The ``land`` layer (optionally ``land_use``, ``lcm_code``, ``district_id``,
        ``substation_id``).
    settings : SequestrationSettings, optional
    zones : geopandas.GeoDataFrame, optional
        Gives parcels their district (by ``zone_id``) when the layer has no ``district_id``.
    sequestration, classes : pandas.DataFrame, optional
        ``sequestration`` (with ``lifetime_years``) and ``land_cover_classes`` tables.
    profile : pandas.DataFrame, optional
        The ``woodland_profile`` table (default: the shipped one); land uses without rows in
        it keep the flat rate of ``sequestration``.
    peat : pandas.DataFrame, optional
        The ``peat_conditions`` table (default: the shipped one).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`~geoplan.schemas.CANDIDATES` columns, then ``label``, ``option``,
        ``saving_gbp_per_yr``, ``lifetime_years``, ``area_ha``,
        ``sequestered_tco2e_per_yr``, ``seq_gross_tco2e_per_yr``, ``parcel_id``,
        ``planting_cost_gbp``, ``land_cost_gbp`` and ``removed_tco2e_age_<a>`` (NaN for land
        uses without a profile) and ``peat_condition``.

    Raises
    ------
    LayerSchemaError
        Missing columns, or ``settings.land_uses`` naming uses without a rate.
    ScenarioError
        ``settings.peat_condition`` naming a condition the peat table does not have.
    """
    settings = settings or SequestrationSettings()
    rates = (sequestration if sequestration is not None
             else read_sequestration_rates()).set_index("land_use")
    missing = [c for c in ("parcel_id", "area_ha", "geometry") if c not in land.columns]
    if missing:
        raise LayerSchemaError(f"land: columns {missing} are missing (fix: pass the land layer "
                               "from geoplan.layers.land.land_parcels_from_raster)")
    uses = _land_uses(land, classes, rates.reset_index())
    offered = list(rates.index) if settings.land_uses is None else list(settings.land_uses)
    unknown = sorted(set(offered) - set(rates.index))
    if unknown:
        raise LayerSchemaError(f"land_uses {unknown} have no row in the sequestration table "
                               f"{sorted(rates.index)} (fix: use those or add rows)")
    area = pd.to_numeric(land["area_ha"], errors="coerce").fillna(0.0)
    keep = (uses.isin(offered) & (area >= settings.min_area_ha) & (area > 0)).to_numpy().copy()
    found = _peat(uses[keep].to_numpy(), area[keep].to_numpy(float),
                  land.loc[keep, "peat_condition"] if "peat_condition" in land.columns
                  else None, settings.peat_condition, peat)
    keep[np.flatnonzero(keep)[~found.offered]] = False
    parcels = land[keep].to_crs(CRS).reset_index(drop=True)
    use, area = uses[keep].to_numpy(), area[keep].to_numpy(dtype=float)
    rate = rates.loc[use]
    share = _net_share(rate)
    avoided = found.rate[found.offered]
    grown = profile_columns(use, area, read_woodland_profile() if profile is None else profile)
    profiled = mean_rate(grown, settings.average_years)
    flat = np.where(np.isnan(avoided), rate["seq_tco2e_per_ha_yr"].to_numpy(float), avoided)
    gross = np.where(np.isnan(profiled), flat * area, profiled)
    net = gross * share
    ages = grown.mul(share, axis=0)
    planting, land_cost = _costs(rate, area, settings.include_land_cost)
    ids = [f"{WORKSTREAM}:{p}" for p in parcels["parcel_id"].astype(str)]
    frame = pd.DataFrame({
        "candidate_id": ids, "workstream": WORKSTREAM, "group_id": ids,
        "zone_id": _text(parcels, "zone_id"), "district_id": _districts(parcels, zones),
        "substation_id": _text(parcels, "substation_id"),
        "cost_gbp": planting + land_cost,
        "tco2e_per_yr": net, "peak_kw_added": 0.0,
        "label": [f"Sequestration: {u.replace('_', ' ')} on {a:.1f} ha ({p})"
                  for u, a, p in zip(use, area, parcels["parcel_id"], strict=True)],
        "option": use, "saving_gbp_per_yr": 0.0,
        "lifetime_years": rate["lifetime_years"].to_numpy(dtype=float),
        "area_ha": area, SEQUESTERED: net, "seq_gross_tco2e_per_yr": gross,
        "parcel_id": parcels["parcel_id"].astype(str).to_numpy(),
        "planting_cost_gbp": planting, "land_cost_gbp": land_cost,
        "peat_condition": found.condition[found.offered]})
    if has_ages := bool(ages.notna().any().any()):
        frame = pd.concat([frame, ages.loc[:, ages.notna().any()]], axis=1)
    candidates = gpd.GeoDataFrame(frame, geometry=parcels.geometry.to_numpy(), crs=CRS)
    columns = list(CANDIDATES.columns)
    logger.info("sequestration candidates: %d parcels, %.0f ha%s", len(frame), area.sum(),
                ", with a time profile" if has_ages else "")
    return candidates[columns + [c for c in frame.columns if c not in columns]]


def _peat(uses: np.ndarray, area: np.ndarray, given: pd.Series | None, default: str | None,
          table: pd.DataFrame | None) -> PeatRates:
    """Apply the peat additionality rule and condition rates, logging what it leaves out."""
    if not (uses == PEAT).any():
        return PeatRates(np.ones(len(uses), bool), np.full(len(uses), np.nan),
                         np.full(len(uses), "", dtype=object), {})
    table = read_peat_conditions() if table is None else table
    known = set(table["condition"].astype(str).str.strip().str.lower())
    if default is not None and default.strip().lower() not in known:
        raise ScenarioError(f"workstreams.sequestration.peat_condition {default!r} is not a "
                            f"condition of the peat table {sorted(known)} (fix: use one of "
                            "them, or leave it out to offer only peat the land layer shows "
                            "degraded)")
    found = peat_rates(uses, area, given, default, table)
    for reason, hectares in sorted(found.left_out.items()):
        logger.warning("peat restoration: %.1f ha not offered (%s): only degraded peat is "
                       "additional (give the land a peat_condition column or set "
                       "workstreams.sequestration.peat_condition)", hectares, reason)
    return found


def _optional(rate: pd.DataFrame, column: str) -> np.ndarray:
    """Return a column of the rate rows that may be absent or blank (read as 0)."""
    if column not in rate.columns:
        return np.zeros(len(rate))
    return pd.to_numeric(rate[column], errors="coerce").fillna(0.0).to_numpy(float)


def _net_share(rate: pd.DataFrame) -> np.ndarray:
    """(1 - baseline - leakage) x (1 - buffer): the share of gross removal credited."""
    kept = 1.0 - _optional(rate, "baseline_share") - _optional(rate, "leakage_share")
    return np.clip(kept, 0.0, 1.0) * (1.0 - _optional(rate, "buffer_share"))


def _costs(rate: pd.DataFrame, area: np.ndarray,
           include_land: bool) -> tuple[np.ndarray, np.ndarray]:
    """Planting (or restoration) cost and land cost of each parcel, in pounds."""
    planting = rate["cost_gbp_per_ha"].to_numpy(dtype=float) * area
    land = _optional(rate, "land_cost_gbp_per_ha") * area if include_land else \
        np.zeros(len(area))
    return planting, land


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return frame[column].fillna("").astype(str).to_numpy(dtype=object)


def _districts(parcels: pd.DataFrame, zones: gpd.GeoDataFrame | None) -> np.ndarray:
    districts = _text(parcels, "district_id")
    if zones is not None and "zone_id" in parcels.columns:
        lookup = zones.assign(zone_id=zones["zone_id"].astype(str)).set_index("zone_id")[
            "district_id"].astype(str)
        mapped = parcels["zone_id"].astype(str).map(lookup).fillna("").to_numpy(dtype=object)
        districts = np.where(districts == "", mapped, districts)
    return districts


def offset_targets(emissions: pd.DataFrame, share: float,
                   year: int | None = None) -> dict[str, float]:
    """``share`` x each district's residual emissions (tCO2e/yr), from the emissions table.

    Examples
    --------
    >>> table = pd.DataFrame({"district_id": ["A", "A", "B"], "year": [2019, 2020, 2020],
    ...                       "tco2e": [900.0, 1000.0, 400.0]})
    >>> offset_targets(table, 0.1)
    {'A': 100.0, 'B': 40.0}
    """
    latest = latest_emissions(emissions, year)
    return {str(d): float(share) * float(t)
            for d, t in zip(latest["district_id"], latest["tco2e"], strict=True)}


def _check_targets(candidates: pd.DataFrame, targets: Mapping[str, float]) -> None:
    """Refuse targets no selection can reach, with the numbers."""
    mine = candidates[candidates["workstream"].astype(str) == WORKSTREAM]
    available = mine.groupby(mine["district_id"].astype(str))[SEQUESTERED].sum()
    short = [f"{d}: target {t:,.1f} tCO2e/yr, at most {float(available.get(d, 0.0)):,.1f} "
             "available" for d, t in sorted(targets.items())
             if t > float(available.get(d, 0.0)) + 1e-9]
    if short:
        raise InfeasibleError("offset targets cannot be met: " + "; ".join(short) + " (fix: "
                              "lower offset_share, allow more land uses or add land)")


def sequestration_model(candidates: gpd.GeoDataFrame,
                        settings: SequestrationSettings | None = None, *,
                        emissions: pd.DataFrame | None = None) -> ModelParts:
    """Objective and constraints of the sequestration workstream (module docstring).

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        From :func:`sequestration_candidates` (polygons, for the compactness bonus).
    settings : SequestrationSettings, optional
    emissions : pandas.DataFrame, optional
        District emissions (:func:`geoplan.sources.emissions.read_district_emissions`); needed in
        ``"offset"`` mode.

    Raises
    ------
    ScenarioError
        Offset mode without an emissions table.
    InfeasibleError
        A district's offset target above all the sequestration it has (numbers given).
    """
    settings = settings or SequestrationSettings()
    constraints: list[Any] = []
    if settings.mode == "offset":
        if emissions is None:
            raise ScenarioError("sequestration mode 'offset' needs a district emissions table "
                                "(fix: pass emissions=read_district_emissions(path))")
        targets = offset_targets(emissions, float(settings.offset_share or 0.0),
                                 settings.emissions_year)
        known = set(candidates["district_id"].astype(str))
        targets = {d: t for d, t in targets.items() if d in known or t > 0}
        _check_targets(candidates, targets)
        objective: tuple[Any, ...] = (MinimiseCost({}),)
        constraints.append(DistrictMinimum(SEQUESTERED, amount=targets))
    else:
        objective = (MaximiseBenefit({SEQUESTERED: 1.0}, normalise=False),)
    if settings.compactness_bonus_per_m > 0:
        mine = candidates[candidates["workstream"].astype(str) == WORKSTREAM]
        pairs = neighbour_pairs(gpd.GeoDataFrame(mine, geometry=mine.geometry.name))
        objective = (*objective, Compactness(pairs, settings.compactness_bonus_per_m))
    if settings.budget_gbp is not None:
        constraints.append(Budget({WORKSTREAM: float(settings.budget_gbp)}, by="workstream",
                                  name="sequestration_budget"))
    return ModelParts(objective=objective, constraints=tuple(constraints))


def insetting_credit(plan: pd.DataFrame, emissions: pd.DataFrame,
                     year: int | None = None) -> pd.DataFrame:
    """Insetting credit per district: chosen sequestration against residual emissions.

    Parameters
    ----------
    plan : pandas.DataFrame
        Sequestration candidates with a boolean ``selected`` column (e.g.
        ``Plan.to_geodataframe()``), or only the chosen ones.
    emissions : pandas.DataFrame
        From :func:`geoplan.sources.emissions.read_district_emissions`.
    year : int, optional
        Emissions year (default: each district's latest).

    Returns
    -------
    pandas.DataFrame
        One row per district of the emissions table: ``district_id``, ``district_name``,
        ``year``, ``residual_tco2e``, ``parcels``, ``area_ha``, ``cost_gbp``,
        ``sequestered_tco2e_per_yr``, ``credit_share`` (sequestered / residual) and
        ``remaining_tco2e`` (residual - sequestered).
    """
    chosen = plan[plan["selected"].fillna(False).astype(bool)] if "selected" in plan.columns \
        else plan
    if "workstream" in chosen.columns:
        chosen = chosen[chosen["workstream"].astype(str) == WORKSTREAM]
    values = chosen["tco2e_per_yr"] if SEQUESTERED not in chosen.columns else chosen[SEQUESTERED]
    by = pd.DataFrame({"district_id": chosen["district_id"].astype(str),
                       "sequestered_tco2e_per_yr": values.astype(float),
                       "area_ha": chosen["area_ha"].astype(float),
                       "cost_gbp": chosen["cost_gbp"].astype(float), "parcels": 1})
    sums = by.groupby("district_id")[["parcels", "area_ha", "cost_gbp",
                                      "sequestered_tco2e_per_yr"]].sum()
    latest = latest_emissions(emissions, year)
    table = pd.DataFrame({"district_id": latest["district_id"].astype(str),
                          "district_name": latest["district_name"].astype(str),
                          "year": latest["year"].astype(int),
                          "residual_tco2e": latest["tco2e"].astype(float)})
    table = table.join(sums, on="district_id").fillna(
        {"parcels": 0, "area_ha": 0.0, "cost_gbp": 0.0, "sequestered_tco2e_per_yr": 0.0})
    table["parcels"] = table["parcels"].astype(int)
    residual = table["residual_tco2e"].where(table["residual_tco2e"] > 0)
    table["credit_share"] = (table["sequestered_tco2e_per_yr"] / residual).fillna(0.0)
    table["remaining_tco2e"] = table["residual_tco2e"] - table["sequestered_tco2e_per_yr"]
    return table.reset_index(drop=True)
