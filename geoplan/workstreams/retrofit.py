"""Retrofit workstream: area-based (or per-home) retrofit candidates and their model parts.

For every home :func:`~geoplan.workstreams.retrofit_packages.home_packages` finds the cheapest
fabric package that reaches the target band and a heat pump package (fabric to make it
heat-pump ready, plus an air-source heat pump). :func:`retrofit_candidates` turns them into
two mutually exclusive options per zone (councils deliver retrofit street by street) or per
home (``unit="home"``):

``fabric``
    Every home of the zone below the target band that a fabric package brings to it.
``heat_pump`` (when ``heat_pump_ready``)
    Every home the heat pump applies to, with its heat pump package.

Per option: ``cost_gbp`` (sum of package costs), ``tco2e_per_yr`` (carbon saved in
``settings.year``, see :mod:`~geoplan.workstreams.savings`), ``saving_gbp_per_yr`` (bill
saving: the signed total ``bill_change_gbp_per_yr``, standing charges included, negative
where the option raises bills; ``standing_change_gbp_per_yr`` is its standing-charge part),
``homes``,
``homes_to_target`` (homes below the band before, at or above it after), ``fuel_poor_homes``
(homes helped in likely fuel poverty, :func:`fuel_poor`), ``peak_kw_added`` (0 for fabric),
``lifetime_years`` (cost-weighted over measures) and ``tco2e_per_yr_<year>`` for
``settings.trajectory_years``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.distinct import each_distinct
from geoplan.errors import GeoplanError, ScenarioError
from geoplan.forked import start
from geoplan.optimise import Budget, MaximiseBenefit
from geoplan.scenario.workstreams import RetrofitSettings
from geoplan.workstreams import retrofit_packages
from geoplan.workstreams.candidate_table import finish_candidates, zone_frame
from geoplan.workstreams.energy import read_carbon_factors, read_fuel_prices
from geoplan.workstreams.home_weights import weigh
from geoplan.workstreams.loft import read_loft_insulation
from geoplan.workstreams.measures import read_retrofit_measures
from geoplan.workstreams.parts import ModelParts
from geoplan.workstreams.pathways import pathway_value, read_heat_pathways
from geoplan.workstreams.retrofit_packages import HEAT_PUMP, floor_area_fallback, home_packages
from geoplan.workstreams.savings import (
    read_heat_loads,
    read_standing_charges,
    switch_effects,
)

__all__ = ["OPTIONS", "OPTION_FIELDS", "RetrofitSettings", "fuel_poor", "home_options",
           "retrofit_candidates", "retrofit_model", "same_home_options"]

OPTIONS = ("fabric", "heat_pump")
"""Retrofit options per zone or home."""

OPTION_FIELDS = ("target_band", "heat_pump_ready", "ready_max_kwh_per_m2", "year",
                 "trajectory_years", "fuel_poverty_sap_below", "fuel_poverty_tenures",
                 "fuel_poverty_imd_column", "fuel_poverty_imd_max")
"""The :class:`RetrofitSettings` fields :func:`home_options` reads (the others do not change it)."""


def same_home_options(first: RetrofitSettings, second: RetrofitSettings) -> bool:
    """Whether :func:`home_options` gives the same table under both settings (same homes, tables).

    Only the fields of :data:`OPTION_FIELDS` count: e.g. ``unit`` or ``weights`` may differ.
    """
    return all(getattr(first, name) == getattr(second, name) for name in OPTION_FIELDS)


def fuel_poor(homes: pd.DataFrame, settings: RetrofitSettings) -> np.ndarray:
    """Whether each home is likely in fuel poverty (a proxy).

    SAP below ``fuel_poverty_sap_below`` and, when ``homes`` has the IMD column, an IMD
    decile up to ``fuel_poverty_imd_max``; else a tenure in ``fuel_poverty_tenures``.
    """
    sap = pd.to_numeric(homes["sap_score"], errors="coerce").to_numpy(float)
    low = np.nan_to_num(sap, nan=np.inf) < settings.fuel_poverty_sap_below
    column = settings.fuel_poverty_imd_column
    if column in homes.columns:
        decile = pd.to_numeric(homes[column], errors="coerce").to_numpy(float)
        return low & (np.nan_to_num(decile, nan=np.inf) <= settings.fuel_poverty_imd_max)
    return low & homes["tenure"].isin(settings.fuel_poverty_tenures).to_numpy()


def home_options(buildings: pd.DataFrame, settings: RetrofitSettings | None = None, *,
                 tables: Mapping[str, pd.DataFrame | None] | None = None) -> pd.DataFrame:
    """One row per home and option with a package: cost, savings and benefit counts.

    Parameters
    ----------
    buildings : pandas.DataFrame
        A buildings layer (with the EPC extras: ``wall_type``, ``roof_insulation_mm``...).
    settings : RetrofitSettings, optional
    tables : Mapping, optional
        Replacement tables by name: ``retrofit_measures``, ``loft_insulation``,
        ``carbon_factors``, ``fuel_prices``, ``heat_loads``, ``heat_pathways``, ``epc_heat``,
        ``standing_charges``.

    Returns
    -------
    pandas.DataFrame
        ``home`` (position in ``buildings``), ``option``, ``measures``, ``cost_gbp``,
        ``tco2e_per_yr``, ``bill_change_gbp_per_yr``, ``peak_kw_added``, ``lifetime_years``,
        ``to_target``, ``fuel_poor``, ``heat_saved_kwh``, trajectory columns, and ``homes``,
        ``aggregated_homes``, ``tco2e_per_yr_low``/``_high``
        (:func:`~geoplan.workstreams.home_weights.weigh`: a row standing for several homes,
        its ``dwellings``, has its additive values multiplied by them).

    Notes
    -----
    Above one block of homes (:data:`~geoplan.workstreams.retrofit_packages.BLOCK`), the
    later blocks are priced in a forked child (:mod:`geoplan.forked`) while this process
    prices the first ones: the same table, to the last bit.
    """
    settings = settings or RetrofitSettings()
    t = _tables(tables)
    homes = pd.DataFrame(buildings).reset_index(drop=True)
    ready = settings.ready_max_kwh_per_m2 or _ready_default(t["heat_pathways"])
    part = partial(_part_options, settings=settings, tables=t, ready=ready,
                   fallback=floor_area_fallback(homes))
    cut = _cut(len(homes))
    if cut == len(homes):
        return part(homes)
    # the later homes' options in a forked child while this process prices the first ones
    try:
        with start(lambda: part(homes.iloc[cut:], warn=False)) as later:
            first = part(homes.iloc[:cut])
            rest = later.result()
    except GeoplanError:  # one pass names every problem of every home, as in turn
        return part(homes, warn=False)  # (a missing column was warned of already)
    return _joined(first, rest.assign(home=rest["home"].to_numpy() + cut))


def _cut(homes: int) -> int:
    """Where to split ``homes`` in two to price them in two processes (``homes``: no split).

    On a boundary of the packages' blocks of homes, so each block is the same as in one
    pass (the same matrix products, to the last bit), and nearest to half way.
    """
    block = retrofit_packages.BLOCK
    if homes <= block:
        return homes
    return int(max(round(homes / 2 / block), 1) * block)


def _joined(first: pd.DataFrame, rest: pd.DataFrame) -> pd.DataFrame:
    """Both parts' options as one pass gives them: fabric rows by home, then heat pumps."""
    fabric = [int((part["option"] == "fabric").sum()) for part in (first, rest)]
    return pd.concat([first.iloc[:fabric[0]], rest.iloc[:fabric[1]],
                      first.iloc[fabric[0]:], rest.iloc[fabric[1]:]], ignore_index=True)


def _part_options(homes: pd.DataFrame, *, settings: RetrofitSettings, tables: dict[str, Any],
                  ready: float, fallback: float, warn: bool = True) -> pd.DataFrame:
    """:func:`home_options` of ``homes`` (``home`` numbered from 0 among them).

    ``fallback`` is the floor area priced for a home without one (that of all the homes);
    ``warn`` whether to warn of a column the measures test that the homes lack.
    """
    t = tables
    homes = homes.reset_index(drop=True)
    packages = home_packages(homes, t["retrofit_measures"], target_band=settings.target_band,
                             ready_max_kwh_per_m2=ready, loft=t["loft_insulation"],
                             floor_area_fallback=fallback, warn=warn)
    poor = fuel_poor(homes, settings)
    common = {"year": settings.year, "carbon": t["carbon_factors"],
              "prices": t["fuel_prices"], "loads": t["heat_loads"],
              "standing": t["standing_charges"],
              "heat_factors": t["epc_heat"], "years": settings.trajectory_years}
    frames = []
    has_fabric = packages["needs_work"] & packages["reaches_target"]
    fabric = switch_effects(homes, packages["target_saving_share"].to_numpy(), **common)
    frames.append(_option(fabric, packages, has_fabric, "fabric", "target", poor))
    del fabric  # its rows are in ``frames``
    if settings.heat_pump_ready:
        scop = _scop(t["retrofit_measures"], homes)
        pump = switch_effects(homes, packages["hp_saving_share"].to_numpy(),
                              new_fuel="electricity", scop=scop, load="heat_pump", **common)
        frames.append(_option(pump, packages, packages["hp_applicable"], "heat_pump", "hp",
                              poor))
    options = pd.concat(frames, ignore_index=True)
    return weigh(options, options["home"].to_numpy(), homes)


def _option(effects: pd.DataFrame, packages: pd.DataFrame, chosen: pd.Series, option: str,
            prefix: str, poor: np.ndarray) -> pd.DataFrame:
    keep = chosen.to_numpy(dtype=bool)
    before_below = packages["needs_work"].to_numpy(dtype=bool)
    reached = packages[f"{prefix}_reaches_target" if prefix == "hp" else "reaches_target"]
    out = pd.DataFrame({
        "home": np.flatnonzero(keep), "option": option,
        # text even with no row (inferred, an empty column would be object)
        "measures": pd.array(packages[f"{prefix}_measures"].to_numpy()[keep], dtype="str"),
        "cost_gbp": packages[f"{prefix}_cost_gbp"].to_numpy(float)[keep],
        "lifetime_years": packages[f"{prefix}_lifetime_years"].to_numpy(float)[keep],
        "to_target": (before_below & reached.to_numpy(dtype=bool))[keep],
        "fuel_poor": poor[keep],
    })
    for column in effects.columns:
        if column not in ("heat_kwh", "tco2e_change_per_yr"):
            out[column] = effects[column].to_numpy()[keep]
    return out


def _scop(measures: pd.DataFrame, homes: pd.DataFrame) -> np.ndarray:
    rows = measures[measures["measure"] == HEAT_PUMP].set_index("property_type")["scop"]
    default = float(rows.get("any", rows.iloc[0]))
    scop = rows.to_dict()
    # object cells, looked up once per distinct type (a categorical column maps as text)
    return each_distinct(homes["property_type"], lambda types: types.astype(object).map(scop)
                         ).fillna(default).to_numpy(float)


def _ready_default(pathways: pd.DataFrame) -> float:
    return pathway_value(pathways, "heat_pump", "ready_max_kwh_per_m2")


def _tables(tables: Mapping[str, pd.DataFrame | None] | None) -> dict[str, Any]:
    from geoplan.assumptions import read_assumptions
    from geoplan.layers.buildings import HEAT_FACTORS

    given = dict(tables or {})
    readers = {"retrofit_measures": read_retrofit_measures,
               "loft_insulation": read_loft_insulation,
               "carbon_factors": read_carbon_factors, "fuel_prices": read_fuel_prices,
               "heat_loads": read_heat_loads, "heat_pathways": read_heat_pathways,
               "epc_heat": lambda: read_assumptions(HEAT_FACTORS),
               "standing_charges": read_standing_charges}
    unknown = sorted(set(given) - set(readers))
    if unknown:
        raise ScenarioError(f"unknown assumption tables {unknown}; use {sorted(readers)}")
    return {name: given[name] if given.get(name) is not None else read()
            for name, read in readers.items()}


_LABELS = {"fabric": "fabric to EPC {band}", "heat_pump": "heat pump ready + air-source heat pump"}


def retrofit_candidates(buildings: pd.DataFrame, zones: gpd.GeoDataFrame | None = None,
                        settings: RetrofitSettings | None = None, *,
                        tables: Mapping[str, pd.DataFrame | None] | None = None,
                        options: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Retrofit candidates per zone or home (module docstring).

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Buildings layer (EPSG:27700); ``substation_id`` used when present.
    zones : geopandas.GeoDataFrame, optional
        Zones layer (names, districts, polygons and ``substation_id`` of zone candidates).
    settings : RetrofitSettings, optional
    tables : Mapping, optional
        Replacement assumption tables (see :func:`home_options`).
    options : pandas.DataFrame, optional
        ``home_options(buildings, settings, tables=tables)`` already computed (e.g. shared
        with LAEP, :func:`same_home_options`); not changed here. Default: computed here.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`geoplan.schemas.CANDIDATES` columns, then ``label``, ``option``,
        ``saving_gbp_per_yr``, ``lifetime_years``, ``homes``, ``homes_to_target``,
        ``fuel_poor_homes``, ``bill_change_gbp_per_yr``, ``heat_saved_mwh_per_yr``,
        ``measures`` (per home) and trajectory columns.
    """
    settings = settings or RetrofitSettings()
    if options is None:
        options = home_options(buildings, settings, tables=tables)
    options = options.copy(deep=False)  # the caller's table keeps its columns
    homes = pd.DataFrame(buildings).reset_index(drop=True)
    options["zone_id"] = homes["zone_id"].astype("str").take(options["home"]).array  # in Arrow
    zoned = options["zone_id"].notna()
    if not zoned.all():  # a boolean selection copies every column, even keeping all rows
        options = options[zoned]
    area = zone_frame(homes, zones)
    if settings.unit == "home":
        table = _per_home(options, homes, area)
    else:
        table = _per_zone(options, area, settings.min_homes)
    band = settings.target_band
    table["label"] = [f"Retrofit: {name} ({_LABELS[o].format(band=band)})"
                      for name, o in zip(table["place"], table["option"], strict=True)]
    return finish_candidates(table, "retrofit")


def _sums(options: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    options = options.assign(life_cost=options["lifetime_years"] * options["cost_gbp"],
                             heat_saved_mwh_per_yr=options["heat_saved_kwh"] / 1000,
                             to_target=options["to_target"] * options["homes"],
                             fuel_poor=options["fuel_poor"] * options["homes"])
    sums = [c for c in options.columns if c.startswith("tco2e_per_yr")] + [
        "cost_gbp", "bill_change_gbp_per_yr", "standing_change_gbp_per_yr", "peak_kw_added",
        "life_cost", "homes",
        "aggregated_homes", "heat_saved_mwh_per_yr"]
    out = options.groupby(keys, sort=True).agg(
        **{c: (c, "sum") for c in sums}, homes_to_target=("to_target", "sum"),
        fuel_poor_homes=("fuel_poor", "sum")).reset_index()
    out["lifetime_years"] = np.where(out["cost_gbp"] > 0, out["life_cost"] /
                                     out["cost_gbp"].where(out["cost_gbp"] > 0, 1), 1.0)
    out["saving_gbp_per_yr"] = out["bill_change_gbp_per_yr"]  # signed: a bill rise shows
    return out.drop(columns="life_cost")


def _per_zone(options: pd.DataFrame, area: pd.DataFrame, min_homes: int) -> pd.DataFrame:
    table = _sums(options, ["zone_id", "option"])
    table = table[table["homes"] >= max(min_homes, 1)]
    table = table.merge(area, on="zone_id", how="left")
    table["candidate_id"] = "retrofit:" + table["zone_id"] + ":" + table["option"]
    table["group_id"] = "retrofit:" + table["zone_id"]
    return table


def _per_home(options: pd.DataFrame, homes: pd.DataFrame, area: pd.DataFrame) -> pd.DataFrame:
    ids = homes["building_id"].astype(str).to_numpy()
    table = _sums(options.assign(building_id=ids[options["home"]]),
                  ["building_id", "zone_id", "option"])
    table = table.merge(area.drop(columns="geometry"), on="zone_id", how="left")
    position = pd.Series(np.arange(len(homes)), index=ids)
    at = position.reindex(table["building_id"]).to_numpy()
    geometry = gpd.GeoSeries(homes["geometry"]) if "geometry" in homes else None
    table["geometry"] = geometry.to_numpy()[at] if geometry is not None else None
    if "substation_id" in homes.columns:
        table["substation_id"] = homes["substation_id"].astype(object).to_numpy()[at]
    table["measures"] = _measures(options, ids, table)
    table["place"] = table["place"] + " " + table["building_id"]
    table["candidate_id"] = "retrofit:" + table["building_id"] + ":" + table["option"]
    table["group_id"] = "retrofit:" + table["building_id"]
    return table.drop(columns="building_id")


def _measures(options: pd.DataFrame, ids: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    keyed = pd.Series(options["measures"].to_numpy(),
                      index=pd.MultiIndex.from_arrays([ids[options["home"]], options["option"]]))
    wanted = pd.MultiIndex.from_arrays([table["building_id"], table["option"]])
    return keyed.reindex(wanted).to_numpy()


def retrofit_model(candidates: pd.DataFrame, settings: RetrofitSettings | None = None,
                   *, headroom: object = None) -> ModelParts:
    """Objective and constraints of a retrofit plan.

    Maximise ``settings.weights`` (normalised); with ``budget_gbp``, a budget on the
    ``retrofit`` candidates. One option per zone (or home) is built in through ``group_id``.
    ``headroom`` is accepted for a uniform signature: grid headroom is added by the caller.
    """
    settings = settings or RetrofitSettings()
    del candidates, headroom
    constraints: tuple[Any, ...] = ()
    if settings.budget_gbp is not None:
        constraints = (Budget({"retrofit": float(settings.budget_gbp)}, by="workstream",
                              name="retrofit budget"),)
    return ModelParts(objective=(MaximiseBenefit(dict(settings.weights)),),
                      constraints=constraints)
