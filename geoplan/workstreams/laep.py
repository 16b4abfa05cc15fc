r"""Local area energy planning (LAEP): one group of exclusive heat pathways per zone.

For each zone with homes, :func:`laep_candidates` offers (``settings.pathways``):

``heat_pump``
    Every home the heat pump applies to gets its heat pump package (fabric to make it ready
    plus an air-source heat pump, :mod:`~geoplan.workstreams.retrofit_packages`).
``heat_network``
    Only where the zone's heat density :math:`D = \sum_i Q_i / \text{area}` (kWh/m², which
    equals GWh/km²) reaches the threshold: every home the ``heat_network_connection`` measure
    applies to is connected, at its connection cost plus ``network_cost_gbp_per_home``.
``fabric_first``
    The target-band fabric package for every home below the band that can reach it.
``rooftop_pv``
    Of the zone's :math:`N` houses and bungalows without panels (a certificate with
    ``photo_supply_pct`` > 0 already has them: left out, and counted in ``homes_with_pv``),
    :math:`n = \lfloor \sigma N + 1/2 \rfloor` whole homes (``suitable_share``
    :math:`\sigma`, rounded to the nearest home) get ``kwp_per_home`` kWp :math:`k`:
    generation :math:`G = n\,k\,y`, carbon :math:`G\,k_{el}/1000`, bill saving
    :math:`G\,(u\,p_{el} + (1-u)\,p_{exp})/100` with self-use share :math:`u`; ``homes`` is
    :math:`n` and ``pv_roofs`` is :math:`N`.
``do_nothing``
    Zero cost, zero benefit: an explicit choice.

Each has ``cost_gbp``, ``tco2e_per_yr`` and ``saving_gbp_per_yr`` in ``settings.year``
(the signed bill change, standing charges included: negative where bills rise),
``peak_kw_added`` (after-diversity winter peak at the zone's serving primary), ``homes``,
``heat_mwh_per_yr`` (heat supplied by the new system for heat pumps and networks, heat saved
for fabric, 0 otherwise), ``lifetime_years`` and ``tco2e_per_yr_<year>`` trajectory columns.
Pathway parameters are rows of ``layers/assumptions/heat_pathways.csv``
(:data:`HEAT_PATHWAYS`). Grid flags for a solved plan: :mod:`~geoplan.planning.grid_flags`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.distinct import map_distinct
from geoplan.errors import GeoplanError
from geoplan.forked import start
from geoplan.layers.buildings import PROVENANCE_COLUMNS
from geoplan.optimise import Budget, MaximiseBenefit
from geoplan.scenario.workstreams import LaepSettings, RetrofitSettings
from geoplan.workstreams.candidate_table import finish_candidates, zone_frame
from geoplan.workstreams.energy import values_in_year
from geoplan.workstreams.home_weights import home_weights, weigh
from geoplan.workstreams.measures import measure_matrices
from geoplan.workstreams.parts import ModelParts
from geoplan.workstreams.pathways import (
    HEAT_PATHWAYS,
    PATHWAYS,
    pathway_value,
    read_heat_pathways,
)
from geoplan.workstreams.retrofit_packages import priced_floor_areas
from geoplan.workstreams.savings import SWITCH_COLUMNS, load_kw, switch_effects

__all__ = ["HEAT_PATHWAYS", "PATHWAYS", "LaepSettings", "laep_candidates", "laep_model",
           "pathway_value", "read_heat_pathways", "retrofit_settings", "shared_home_options",
           "zone_heat_density"]

_LABELS = {"heat_pump": "heat pump led", "heat_network": "heat network",
           "fabric_first": "fabric first", "rooftop_pv": "rooftop solar PV",
           "do_nothing": "do nothing"}

def zone_heat_density(homes: pd.DataFrame, area: pd.DataFrame) -> pd.Series:
    """Heat demand density per zone in GWh/km² (= kWh/m²) of zone area.

    ``area`` has ``zone_id`` and ``area_m2`` (e.g. from ``candidate_table.zone_frame``);
    a row standing for several homes (``dwellings``) counts that many times.
    """
    heat = pd.to_numeric(homes["heat_demand_kwh"], errors="coerce").fillna(0.0)
    total = (heat * home_weights(homes)).groupby(homes["zone_id"].astype(str)).sum()
    size = area.set_index("zone_id")["area_m2"]
    return (total / size.reindex(total.index)).rename("heat_density_gwh_per_km2")


def laep_candidates(buildings: pd.DataFrame, zones: gpd.GeoDataFrame | None = None,
                    settings: LaepSettings | None = None, *,
                    tables: Mapping[str, pd.DataFrame | None] | None = None,
                    options: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """LAEP pathway candidates, one exclusive group per zone (module docstring).

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Buildings layer with ``zone_id`` (and EPC extras for the packages).
    zones : geopandas.GeoDataFrame, optional
        Zones layer (area for heat density, names, districts, ``substation_id``); without it
        zone areas are the convex hulls of their homes.
    settings : LaepSettings, optional
    tables : Mapping, optional
        Replacement assumption tables by name (as for
        :func:`~geoplan.workstreams.retrofit.home_options`).
    options : pandas.DataFrame, optional
        ``home_options(buildings, retrofit_settings(settings), tables=tables)`` already
        computed over every row of ``buildings`` (e.g. for the retrofit workstream, by
        :func:`shared_home_options`, which checks it equals LAEP's own); the rows of homes
        with a zone are used, and the table is not changed. Default: computed here.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical candidate columns, then ``label``, ``option``, ``saving_gbp_per_yr``,
        ``lifetime_years``, ``homes``, ``heat_mwh_per_yr``, ``heat_density_gwh_per_km2``,
        ``bill_change_gbp_per_yr`` and trajectory columns.
    """
    settings = settings or LaepSettings()
    from geoplan.workstreams.retrofit import _tables, home_options

    t = _tables(tables)
    homes = pd.DataFrame(buildings).reset_index(drop=True)
    zoned = homes["zone_id"].notna().to_numpy()
    if not zoned.all():  # a boolean selection copies every column it keeps, even all rows
        homes = _unpriced_dropped(homes)[zoned].reset_index(drop=True)
    area = zone_frame(homes, zones)
    density = zone_heat_density(homes, area)
    # each part is summed per zone and dropped (no stacked copy of the parts); the heat
    # networks' part is built in a forked child meanwhile (only its sums come back)
    with start(partial(_network_sums, homes, density, settings, t)) as network:
        if options is not None:
            per_home = _zoned_options(options, pd.DataFrame(buildings).reset_index(drop=True),
                                      zoned, retrofit_settings(settings), t)
        else:  # heat pump packages only when the pathway is offered (its rows are dropped)
            own = retrofit_settings(settings).model_copy(
                update={"heat_pump_ready": "heat_pump" in settings.pathways})
            per_home = home_options(homes, own, tables=t)
        packages = _part_sums(_packages_part(per_home, homes), settings)
        del per_home
        try:
            pv = _part_sums(_pv_homes(homes, settings, t), settings)
        except GeoplanError:  # the heat networks' error first, as built in turn
            network.result()
            raise
        sums = [packages, network.result(), pv]
    table = _zone_sums(sums, density.index, settings)
    if "rooftop_pv" in settings.pathways:
        share = pathway_value(t["heat_pathways"], "rooftop_pv", "suitable_share")
        table = _whole_pv_homes(table, share)
    table = table.merge(area, on="zone_id", how="left")
    table["heat_density_gwh_per_km2"] = table["zone_id"].map(density).to_numpy()
    table["candidate_id"] = "laep:" + table["zone_id"] + ":" + table["option"]
    table["group_id"] = "laep:" + table["zone_id"]
    table["label"] = [f"LAEP: {p} ({_LABELS[o]})" for p, o in
                      zip(table["place"], table["option"], strict=True)]
    return finish_candidates(table, "laep")


def retrofit_settings(settings: LaepSettings) -> RetrofitSettings:
    """Return the retrofit settings LAEP's heat pump and fabric-first packages are built with."""
    return RetrofitSettings(target_band=settings.target_band, year=settings.year,
                            trajectory_years=settings.trajectory_years)


def shared_home_options(buildings: pd.DataFrame, retrofit: RetrofitSettings,
                        settings: LaepSettings,
                        tables: Mapping[str, pd.DataFrame | None] | None = None
                        ) -> pd.DataFrame | None:
    """Return the per-home options retrofit and LAEP share, computed once (None: they differ).

    Both workstreams price every home's fabric and heat pump packages
    (:func:`~geoplan.workstreams.retrofit.home_options`), retrofit for every home and LAEP for
    the homes with a zone. One table serves both when the fields it reads agree
    (``same_home_options``); LAEP takes the rows of its homes, and prices again the few
    without a floor area above 0 (they take the median floor area of the homes priced, which
    for LAEP are fewer). Pass it as ``options=`` to ``retrofit_candidates`` and
    :func:`laep_candidates`.
    """
    from geoplan.workstreams.retrofit import home_options, same_home_options

    if not same_home_options(retrofit, retrofit_settings(settings)):
        return None
    if "zone_id" not in buildings.columns:
        return None
    return home_options(buildings, retrofit, tables=tables)


def _zoned_options(options: pd.DataFrame, homes: pd.DataFrame, zoned: np.ndarray,
                   retrofit: RetrofitSettings, tables: Mapping[str, Any]) -> pd.DataFrame:
    """Return LAEP's per-home options from ``options`` (priced for all ``homes``).

    The rows of homes with a zone, ``home`` numbered among those; a zoned home without a
    floor area above 0 is priced again with the median floor area of the zoned homes (as
    :func:`~geoplan.workstreams.retrofit.home_options` of the zoned homes alone prices it).
    Rows stay ordered by option (fabric first), then home.
    """
    from geoplan.workstreams.retrofit import OPTIONS, home_options

    if zoned.all():
        return options.copy(deep=False)  # the caller's table keeps its columns
    area = pd.to_numeric(homes["floor_area_m2"], errors="coerce")
    again = zoned & ~(area > 0).to_numpy()
    position = np.cumsum(zoned) - 1
    kept = np.flatnonzero((zoned & ~again)[options["home"].to_numpy()])
    priced = options.iloc[:0]
    if again.any():  # priced as the zoned homes alone price them
        areas = priced_floor_areas(homes.loc[zoned, ["floor_area_m2"]]).to_numpy()
        redo = homes[again].assign(floor_area_m2=areas[again[zoned]]).reset_index(drop=True)
        priced = home_options(redo, retrofit, tables=tables)
        priced["home"] = position[np.flatnonzero(again)][priced["home"].to_numpy()]
    home = np.concatenate([position[options["home"].to_numpy()[kept]],
                           priced["home"].to_numpy()])
    rank = pd.concat([options["option"].iloc[kept], priced["option"]]).map(
        {name: i for i, name in enumerate(OPTIONS)}).to_numpy()
    order = np.lexsort((home, rank)) if len(priced) else np.arange(len(kept))
    # column by column: one column's rows stacked at a time, then taken in order
    out = pd.DataFrame({column: pd.concat([options[column].iloc[kept], priced[column]],
                                          ignore_index=True).take(order).reset_index(drop=True)
                        for column in options.columns})
    out["home"] = home[order]
    return out


def _packages_part(per_home: pd.DataFrame, homes: pd.DataFrame) -> pd.DataFrame:
    """Make the per-home packages LAEP options: zone, heat left or saved, ``fabric_first``."""
    per_home["zone_id"] = homes["zone_id"].astype("str").take(per_home["home"]).array
    per_home["heat_mwh_per_yr"] = np.where(per_home["option"] == "heat_pump",
                                           _heat_after(per_home, homes), 0.0)
    per_home.loc[per_home["option"] == "fabric", "heat_mwh_per_yr"] = (
        per_home["heat_saved_kwh"] / 1000)
    per_home["option"] = per_home["option"].replace({"fabric": "fabric_first"})
    return per_home


def _heat_after(per_home: pd.DataFrame, homes: pd.DataFrame) -> np.ndarray:
    heat = pd.to_numeric(homes["heat_demand_kwh"], errors="coerce").fillna(0.0).to_numpy()
    heat = heat * home_weights(homes)
    return (heat[per_home["home"]] - per_home["heat_saved_kwh"].to_numpy()) / 1000


def _network_sums(homes: pd.DataFrame, density: pd.Series, settings: LaepSettings,
                  t: Mapping[str, Any]) -> tuple[pd.DataFrame, set[str]]:
    """Return the heat networks' part summed per zone (:func:`_part_sums`)."""
    return _part_sums(_network_homes(homes, density, settings, t), settings)


def _network_homes(homes: pd.DataFrame, density: pd.Series, settings: LaepSettings,
                   t: Mapping[str, Any]) -> pd.DataFrame:
    threshold = settings.heat_network_min_density_gwh_per_km2
    if threshold is None:
        threshold = pathway_value(t["heat_pathways"], "heat_network", "min_density_gwh_per_km2")
    eligible = map_distinct(homes["zone_id"].astype(str), density).fillna(0.0).to_numpy(
        ) >= threshold
    measures = t["retrofit_measures"]
    rows = measures[measures["measure"] == "heat_network_connection"]
    mats = measure_matrices(homes.assign(floor_area_m2=priced_floor_areas(homes)), rows)
    j = mats.index("heat_network_connection")
    keep = mats.applicable[:, j] & eligible
    if not keep.any() or "heat_network" not in settings.pathways:
        return pd.DataFrame()
    # only the columns read below: selecting rows copies every column kept
    chosen = homes.loc[keep, [c for c in (*SWITCH_COLUMNS, "zone_id") if c in homes.columns]]
    per_home = pathway_value(t["heat_pathways"], "heat_network", "network_cost_gbp_per_home")
    life = pathway_value(t["heat_pathways"], "heat_network", "lifetime_years")
    effects = switch_effects(chosen, np.zeros(len(chosen)), year=settings.year,
                             carbon=t["carbon_factors"], prices=t["fuel_prices"],
                             loads=t["heat_loads"], heat_factors=t["epc_heat"],
                             new_fuel=mats.new_fuel[j], scop=mats.scop[keep, j],
                             load="heat_network", years=settings.trajectory_years,
                             standing=t["standing_charges"])
    connection = mats.cost[keep, j]
    out = effects.drop(columns=["tco2e_change_per_yr"]).reset_index(drop=True)
    out["home"] = np.flatnonzero(keep)
    out["option"] = "heat_network"
    out["zone_id"] = chosen["zone_id"].astype(str).to_numpy()
    out["cost_gbp"] = connection + per_home
    out["lifetime_years"] = (connection * mats.lifetime[keep, j] + per_home * life) / np.where(
        out["cost_gbp"] > 0, out["cost_gbp"], 1.0)
    out["heat_mwh_per_yr"] = out["heat_kwh"] / 1000
    return weigh(out.drop(columns=["heat_kwh"]), out["home"].to_numpy(), homes)


def _pv_homes(homes: pd.DataFrame, settings: LaepSettings, t: Mapping[str, Any]
              ) -> pd.DataFrame:
    if "rooftop_pv" not in settings.pathways:
        return pd.DataFrame()
    p = {item: pathway_value(t["heat_pathways"], "rooftop_pv", item) for item in (
        "kwp_per_home", "cost_gbp_per_kwp", "yield_kwh_per_kwp", "suitable_share",
        "self_use_share", "export_pence_per_kwh", "lifetime_years")}
    roofs = homes["property_type"].isin(("house", "bungalow")).to_numpy()
    has_pv = roofs & existing_pv(homes)
    suitable = roofs & ~has_pv
    kwp = p["kwp_per_home"]
    generation = kwp * p["yield_kwh_per_kwp"]
    price = values_in_year(t["fuel_prices"], settings.year, ["electricity"])["electricity"]
    out = pd.DataFrame({  # one home fitted per row; whole homes per zone in _whole_pv_homes
        "home": np.flatnonzero(suitable), "option": "rooftop_pv",
        "zone_id": homes["zone_id"].astype(str)[suitable].to_numpy(),
        "cost_gbp": kwp * p["cost_gbp_per_kwp"],
        "bill_change_gbp_per_yr": generation * (p["self_use_share"] * price + (
            1 - p["self_use_share"]) * p["export_pence_per_kwh"]) / 100,
        "peak_kw_added": load_kw(t["heat_loads"], "rooftop_pv"),
        "lifetime_years": p["lifetime_years"], "heat_mwh_per_yr": 0.0,
    })
    for when in dict.fromkeys((settings.year, *settings.trajectory_years)):
        factor = values_in_year(t["carbon_factors"], when, ["electricity"])["electricity"]
        out[f"tco2e_per_yr_{when}"] = generation * factor / 1000
    out["tco2e_per_yr"] = out.pop(f"tco2e_per_yr_{settings.year}")
    if settings.year in settings.trajectory_years:
        out[f"tco2e_per_yr_{settings.year}"] = out["tco2e_per_yr"]
    weighted = weigh(out, out["home"].to_numpy(), homes)
    weighted["tco2e_per_yr_low"] = weighted["tco2e_per_yr_high"] = weighted["tco2e_per_yr"]
    already = pd.DataFrame({"zone_id": homes["zone_id"].astype(str)[has_pv].to_numpy(),
                            "option": "rooftop_pv", "homes": 0.0,
                            "homes_with_pv": home_weights(homes)[has_pv]})
    return pd.concat([weighted.assign(homes_with_pv=0.0), already], ignore_index=True)


def existing_pv(homes: pd.DataFrame) -> np.ndarray:
    """Whether each home already has solar PV (EPC ``photo_supply_pct`` > 0; else False)."""
    if "photo_supply_pct" not in homes.columns:
        return np.zeros(len(homes), dtype=bool)
    share = pd.to_numeric(homes["photo_supply_pct"], errors="coerce").to_numpy(float)
    return np.nan_to_num(share) > 0


_PV_SCALED = ("cost_gbp", "bill_change_gbp_per_yr", "saving_gbp_per_yr", "peak_kw_added",
              "heat_mwh_per_yr", "aggregated_homes")


def _whole_pv_homes(table: pd.DataFrame, share: float) -> pd.DataFrame:
    """Fit whole homes per zone: ``homes`` = round(share x roofs), its sums scaled to match.

    A zone where no home would be fitted keeps no PV option; ``pv_roofs`` and
    ``homes_with_pv`` are missing on other options.
    """
    pv = (table["option"] == "rooftop_pv").to_numpy()
    roofs = table["homes"].to_numpy(float)
    fitted = np.floor(share * roofs + 0.5)
    scale = np.where(pv & (roofs > 0), fitted / np.where(roofs > 0, roofs, 1.0), 1.0)
    out = table.copy()
    for column in out.columns:
        if column in _PV_SCALED or column.startswith("tco2e_per_yr"):
            out[column] = out[column].to_numpy(float) * scale
    out["pv_roofs"] = np.where(pv, roofs, np.nan)
    out["homes"] = np.where(pv, fitted, roofs)
    with_pv = out["homes_with_pv"] if "homes_with_pv" in out else np.zeros(len(out))
    out["homes_with_pv"] = np.where(pv, with_pv, np.nan)
    return out[~pv | (out["homes"] > 0)].reset_index(drop=True)


_UNPRICED = (*PROVENANCE_COLUMNS, "uprn", "building_id")
"""Buildings columns (the certificate's identity and provenance) no LAEP option reads."""


def _unpriced_dropped(homes: pd.DataFrame) -> pd.DataFrame:
    """``homes`` without :data:`_UNPRICED` (the rows taken then copy only what is priced)."""
    return homes.drop(columns=[c for c in _UNPRICED if c in homes.columns])


def _summed(settings: LaepSettings) -> list[str]:
    """Option columns summed per zone and option (``homes_with_pv`` too when a part has it)."""
    return ["cost_gbp", "bill_change_gbp_per_yr", "standing_change_gbp_per_yr",
            "peak_kw_added", "homes", "heat_mwh_per_yr",
            "life_cost", "tco2e_per_yr", *(f"tco2e_per_yr_{y}" for y in settings.trajectory_years),
            "aggregated_homes", "tco2e_per_yr_low", "tco2e_per_yr_high", "homes_with_pv"]


def _part_sums(options: pd.DataFrame, settings: LaepSettings) -> tuple[pd.DataFrame, set[str]]:
    """Return one part's sums per zone and option (pathways offered) and its columns.

    A column the part lacks sums to 0 (as a missing value does); ``homes`` missing counts 1.
    """
    columns = set(options.columns)
    if not columns:  # a pathway not offered, or no home it applies to
        return pd.DataFrame(), columns
    wanted = options["option"].isin(settings.pathways)
    if not wanted.all():  # a boolean selection copies every column, even keeping all rows
        options = options[wanted]
    options = options.assign(homes=options["homes"].fillna(1.0) if "homes" in options else 1.0,
                             life_cost=options["lifetime_years"] * options["cost_gbp"])
    sums = _summed(settings)
    absent = [c for c in sums if c not in options.columns]
    table = options.groupby(["zone_id", "option"], sort=True)[
        [c for c in sums if c in options.columns]].sum()
    for column in absent:
        table[column] = 0.0
    return table[sums].reset_index(), columns


def _zone_sums(parts: list[tuple[pd.DataFrame, set[str]]], zones: pd.Index,
               settings: LaepSettings) -> pd.DataFrame:
    """One row per zone and option from the parts' sums (:func:`_part_sums`), in key order.

    Each option's rows all come from one part (per-home packages, heat networks, rooftop
    PV), so each group is summed over the same rows, in the same order, as over the parts
    stacked.
    """
    seen = set().union(*(columns for _, columns in parts))
    sums = [c for c in _summed(settings) if c != "homes_with_pv" or c in seen]
    frames = [table[["zone_id", "option", *sums]] for table, _ in parts if len(table.columns)]
    table = pd.concat(frames, ignore_index=True).sort_values(["zone_id", "option"],
                                                             kind="stable")
    table = table.reset_index(drop=True)
    table["lifetime_years"] = np.where(table["cost_gbp"] > 0, table["life_cost"] / table[
        "cost_gbp"].where(table["cost_gbp"] > 0, 1.0), 1.0)
    table = table.drop(columns="life_cost")
    if "do_nothing" in settings.pathways:
        nothing = pd.DataFrame({"zone_id": zones.astype(str), "option": "do_nothing"})
        table = pd.concat([table, nothing], ignore_index=True)
        numeric = [c for c in table.columns if c not in ("zone_id", "option")]
        table[numeric] = table[numeric].fillna(0.0)
        table.loc[table["option"] == "do_nothing", "lifetime_years"] = 1.0
    table["saving_gbp_per_yr"] = table["bill_change_gbp_per_yr"]  # signed: a bill rise shows
    table["homes"] = table["homes"].astype(float)
    return table


def laep_model(candidates: pd.DataFrame, settings: LaepSettings | None = None, *,
               headroom: object = None) -> ModelParts:
    """Objective and constraints of an LAEP plan.

    Maximise ``settings.weights`` (normalised); with ``budget_gbp``, a budget on the ``laep``
    candidates. One pathway per zone comes from ``group_id``; grid headroom is added by the
    caller (``headroom`` is accepted for a uniform signature).
    """
    settings = settings or LaepSettings()
    del candidates, headroom
    constraints: tuple[Any, ...] = ()
    if settings.budget_gbp is not None:
        constraints = (Budget({"laep": float(settings.budget_gbp)}, by="workstream",
                              name="laep budget"),)
    return ModelParts(objective=(MaximiseBenefit(dict(settings.weights)),),
                      constraints=constraints)
