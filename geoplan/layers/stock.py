r"""Zone-level building stock from open aggregated tables: archetypes with whole-home counts.

When certificate-level EPC rows are missing (bulk EPC data needs a registration), retrofit
and LAEP plan on a **stock of archetypes** per zone built by :func:`building_stock` from
tables per area (:mod:`geoplan.sources.stock_tables`; any ONS geography, apportioned to the
zones by :func:`geoplan.layers.apportion.apportion_table`: by code when the codes are zone
ids, else over the polygons of the areas, with its sliver rule):

1. **Households** :math:`H_z` per zone (Census 2021), whole homes. A coarser table (MSOA) is
   split to the zones by the ``weight`` (zone households are not known yet, so ``"even"``
   or ``"area"``; counted warning), a finer one (OA) adds up.
2. **Dwelling type shares** :math:`T_{zd}` (detached, semi-detached, terraced, flat, park
   home): a ``dwelling_types`` table (TS044); else the type columns of the ``epc_bands``
   table (the private-rented EPC summary: ``Houses`` less ``Terraces`` split detached/semi by
   national shares; **biased** toward the rented stock, more flats and terraces); else the
   national shares of ``stock_dwelling_types.csv``.
3. **Heating shares** :math:`F_{zf}` from a ``heating`` table (TS046 categories mapped to
   fuels by ``stock_heating.csv``), apportioned with the zones' households as weight; zones
   the table leaves without counts take the pooled shares of all zones (counted warning).
4. **Band shares** :math:`B_{zdb}`: the national band distribution of each type
   (``stock_dwelling_types.csv``) raked (iterative proportional fitting, 50 sweeps) to the
   zone's band margins from the ``epc_bands`` table when it has homes there: exact bands, or
   the groups A-C / D-E / F-G of the cumulative private-rented summary (**biased**: private
   rented homes are less efficient than owner-occupied and social homes on average).
5. Counts :math:`n_{zdfb} = H_z\,M_{zdb}\,F_{zf}` (type and band from the raked matrix
   :math:`M`, fuel independent of them), rounded to whole homes by largest remainder within
   the zone so :math:`\sum n = H_z`.
6. With a ``tenure`` table (TS054) each archetype's homes are split by the zone's tenure
   shares (whole homes per archetype); without one their tenure is ``unknown`` and the
   retrofit fuel poverty proxy (SAP and tenure) counts none of them (warned).

Each archetype row carries what the retrofit measures test, from ``stock_bands.csv`` (SAP at
the band mid-point, representative walls, loft, glazing, age) and ``stock_dwelling_types.csv``
(floor area), and ``heat_demand_kwh`` = band heat intensity x floor area (with
``heat_demand_kwh_low``/``_high`` from the table's bounds, which set the plan's stated
uncertainty). ``dwellings`` is the number of homes the row stands for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import LayerSchemaError, Problem
from geoplan.layers.apportion import apportion_table, even, largest_remainder, read_areas
from geoplan.layers.stock_calibration import ConsumptionInput
from geoplan.layers.zones import VECTOR_SUFFIXES
from geoplan.schemas import CRS, EPC_BANDS
from geoplan.sources.stock_tables import (
    LEVELS,
    AreaTable,
    code_level,
    find_code_columns,
    read_stock_table,
)
from geoplan.sources.vector import read_vector, to_bng
from geoplan.sources.zone_tables import Table

__all__ = ["STOCK_BANDS", "STOCK_DWELLING_TYPES", "STOCK_HEATING", "STOCK_TABLE_KEYS",
           "STOCK_TYPES", "Stock", "StockInputs", "building_stock", "read_area_polygons"]

PathLike = str | os.PathLike[str]

Weight = Literal["even", "area", "households"]
"""Weights of the stock's tables (:mod:`geoplan.layers.apportion`)."""

STOCK_TYPES = ("detached", "semi_detached", "terraced", "flat", "park_home")
"""Dwelling types of the archetypes."""

STOCK_HEATING = AssumptionTable("stock_heating", key=("category",),
                                text=("main_fuel", "heating_system"))
"""Census central heating category -> fuel and system (``stock_heating.csv``)."""

STOCK_DWELLING_TYPES = AssumptionTable(
    "stock_dwelling_types", key=("dwelling_type",),
    numbers={"floor_area_m2": 1.0, "national_share": 0.0,
             **{f"share_{b.lower()}": 0.0 for b in EPC_BANDS}},
    text=("property_type", "built_form"))
"""Per dwelling type: floor area, national share and national band shares."""

STOCK_BANDS = AssumptionTable(
    "stock_bands", key=("epc_band",),
    numbers={"sap_score": 1.0, "heat_kwh_per_m2": 0.0, "heat_kwh_per_m2_low": 0.0,
             "heat_kwh_per_m2_high": 0.0, "roof_insulation_mm": 0.0},
    text=("wall_type", "wall_insulated", "glazing", "age_band"))
"""Per EPC band: SAP, heat intensity (with low/high) and representative fabric."""

_GROUPS = {"a_to_c": ("A", "B", "C"), "d_to_e": ("D", "E"), "f_to_g": ("F", "G")}


@dataclass(frozen=True)
class Stock:
    """The archetype stock and what went into it (:func:`building_stock`).

    Attributes
    ----------
    archetypes : geopandas.GeoDataFrame
        One row per zone, dwelling type, heating and band with ``dwellings`` > 0: the
        buildings columns retrofit and LAEP read (no geometry).
    zones : pandas.DataFrame
        Per zone: ``households``, ``type_source``, ``heating_source``, ``band_source``
        (``table`` or ``default``).
    tables : Mapping[str, pandas.DataFrame]
        Each input table apportioned to the zones (counts per zone).
    warnings : tuple of str
    """

    archetypes: gpd.GeoDataFrame
    zones: pd.DataFrame
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class StockInputs:
    """The files of a building stock (scenario key ``inputs.building_stock``).

    ``households`` is required; the other tables are optional (:data:`STOCK_TABLE_KEYS`);
    ``areas`` are polygon files or folders of the tables' areas; ``weight`` splits a coarser
    households table (``"even"`` or ``"area"``). ``gas_consumption`` and
    ``electricity_consumption`` (DESNZ sub-national domestic tables) calibrate the heat demand
    (:mod:`geoplan.layers.stock_calibration`).
    """

    households: Path
    heating: Path | None = None
    dwelling_types: Path | None = None
    tenure: Path | None = None
    epc_bands: Path | None = None
    areas: tuple[Path, ...] = ()
    weight: str = "even"
    gas_consumption: ConsumptionInput | None = None
    electricity_consumption: ConsumptionInput | None = None

    def consumption(self) -> dict[str, ConsumptionInput]:
        """Consumption tables by fuel (``gas``, ``electricity``; the ones given)."""
        named = {"gas": self.gas_consumption, "electricity": self.electricity_consumption}
        return {k: v for k, v in named.items() if v is not None}

    def tables(self) -> dict[str, Path]:
        """Table paths by kind (the ones given)."""
        named = {k: getattr(self, k) for k in STOCK_TABLE_KEYS}
        return {k: v for k, v in named.items() if v is not None}

    def files(self) -> dict[str, Path]:
        """Every file read, keyed for a run's manifest (``households``, ``areas:1``, ...)."""
        out = {k: Path(v) for k, v in self.tables().items()}
        out.update({f"areas:{n}": Path(p) for n, p in enumerate(self.areas, start=1)})
        for fuel, table in self.consumption().items():
            named = {"": table.path, ":lookup": table.lookup, ":areas": table.areas}
            out.update({f"{fuel}_consumption{k}": Path(v) for k, v in named.items()
                        if v is not None})
        return out


STOCK_TABLE_KEYS = ("households", "heating", "dwelling_types", "tenure", "epc_bands")
"""Table keys of :class:`StockInputs` (and of ``inputs.building_stock``)."""


def read_area_polygons(paths: PathLike | Sequence[PathLike]) -> list[gpd.GeoDataFrame]:
    """Read polygon files of table areas (MSOA, OA...); folders give every vector file."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    files: list[Path] = []
    for item in map(Path, items):
        files += sorted(p for p in item.iterdir() if p.suffix.lower() in VECTOR_SUFFIXES) \
            if item.is_dir() else [item]
    return [read_vector(f) for f in files]


def building_stock(zones: gpd.GeoDataFrame, tables: Mapping[str, Table], *,
                   areas: Sequence[gpd.GeoDataFrame] = (), weight: Weight = "even",
                   assumptions: Mapping[str, pd.DataFrame] | None = None) -> Stock:
    """Build the archetype stock of every zone (module docstring).

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The zones layer (``zone_id``, polygons in EPSG:27700).
    tables : Mapping
        By kind (``households`` required; ``heating``, ``dwelling_types``, ``tenure``,
        ``epc_bands`` optional): a CSV path or DataFrame
        (:func:`~geoplan.sources.stock_tables.read_stock_table`).
    areas : sequence of geopandas.GeoDataFrame
        Polygons of the tables' areas when their codes are not zone ids (e.g. MSOA and OA
        boundaries; :func:`read_area_polygons`).
    weight : {"even", "area", "households"}
        How a coarser households table is split over its zones (``"households"`` needs zone
        households, so it falls back to ``"even"`` for that table).
    assumptions : Mapping, optional
        Replacement ``stock_heating``, ``stock_dwelling_types``, ``stock_bands`` tables.

    Raises
    ------
    LayerSchemaError
        Without a households table, or when a table's codes cannot be placed in the zones.
    """
    if weight not in get_args(Weight):
        raise LayerSchemaError(f"unknown building stock weight {weight!r} (fix: use one of "
                               f"{list(get_args(Weight))})")
    if tables.get("households") is None:
        raise LayerSchemaError("building_stock needs a households table (fix: set "
                               "inputs.building_stock.households to a Census households CSV)")
    t = _assumption_tables(assumptions)
    warnings: list[str] = []
    placer = _Placer(zones, areas)
    ids = placer.zone_ids
    read = {k: read_stock_table(v, k) for k, v in tables.items() if v is not None}
    for table in read.values():
        warnings += table.warnings
    first: Weight = "area" if weight == "area" else "even"
    households = placer.place(read["households"], first, None, warnings)["households"]
    if weight == "households" and placer.coarser(read["households"]):
        warnings.append("households: zone households unknown before this table, so it is "
                        "split evenly over the zones of each area")
    placed = {"households": households.to_frame()}
    for kind in ("heating", "dwelling_types", "tenure", "epc_bands"):
        if kind in read:
            placed[kind] = placer.place(read[kind], "households", households, warnings,
                                        whole=False)
    types, type_source = _type_shares(placed, t["stock_dwelling_types"], ids, warnings)
    fuels, heating_source = _fuel_shares(placed.get("heating"), t["stock_heating"], ids,
                                         warnings)
    matrix, band_source = _band_matrix(types, placed.get("epc_bands"),
                                       t["stock_dwelling_types"], ids)
    counts = _with_tenure(_counts(households, matrix, fuels), placed.get("tenure"), warnings)
    archetypes = _archetypes(counts, t)
    summary = pd.DataFrame({"zone_id": ids, "households": households.reindex(ids).to_numpy(),
                            "type_source": type_source, "heating_source": heating_source,
                            "band_source": band_source})
    return Stock(archetypes, summary, placed, tuple(warnings))


def _assumption_tables(given: Mapping[str, pd.DataFrame] | None) -> dict[str, pd.DataFrame]:
    given = dict(given or {})
    specs = {s.name: s for s in (STOCK_HEATING, STOCK_DWELLING_TYPES, STOCK_BANDS)}
    return {name: given[name] if given.get(name) is not None else read_assumptions(spec)
            for name, spec in specs.items()}


class _Placer:
    """Places table areas in zones: by code when the codes are zone ids, else by polygons."""

    def __init__(self, zones: gpd.GeoDataFrame, areas: Sequence[gpd.GeoDataFrame]) -> None:
        self.zones = zones
        self.zone_ids = pd.Index(zones["zone_id"].astype(str), name="zone_id")
        ids = list(self.zone_ids[:50])
        self.zone_level = find_code_columns(pd.DataFrame({"id": ids}))[1] if all(
            _is_code(i) for i in ids) else None
        self.areas = list(areas)
        self._polygons: dict[str, gpd.GeoSeries] = {}

    def coarser(self, table: AreaTable) -> bool:
        return self.zone_level is not None and LEVELS.index(table.level) > LEVELS.index(
            self.zone_level)

    def polygons(self, table: AreaTable) -> gpd.GeoSeries | None:
        """Return the polygons of the table's areas (None when its codes are zone ids)."""
        codes = table.values.index
        if codes.isin(self.zone_ids).mean() >= 0.5:
            return None
        if table.level not in self._polygons:
            self._polygons[table.level] = self._find_polygons(table)
        return self._polygons[table.level]

    def _find_polygons(self, table: AreaTable) -> gpd.GeoSeries:
        codes = set(table.values.index)
        for frame in self.areas:
            columns = [c for c in frame.columns if c != frame.geometry.name]
            try:
                found, level = find_code_columns(pd.DataFrame(frame[columns]), "area polygons")
            except LayerSchemaError:
                continue
            column = max(found, key=lambda c: len(codes & set(frame[c].astype(str))))
            if level == table.level and codes & set(frame[column].astype(str)):
                same = [to_bng(f, "area polygons") for f in self.areas if column in f.columns]
                joined = gpd.GeoDataFrame(
                    {column: pd.concat([f[column].astype(str) for f in same]).to_numpy()},
                    geometry=pd.concat([f.geometry for f in same]).to_numpy(), crs=CRS)
                return read_areas(joined, sorted(codes))
        message = (f"its {table.level.upper()} codes are not zone ids and no area polygons "
                   "of that geography were given")
        raise LayerSchemaError(f"{table.source}: {message}", [Problem(
            message, file=table.source,
            fix=f"add the {table.level.upper()} boundaries to inputs.building_stock.areas")])

    def place(self, table: AreaTable, weight: Weight, households: pd.Series | None,
              warnings: list[str], whole: bool = True) -> pd.DataFrame:
        """Return the table per zone (0 where no area reaches a zone); warnings appended."""
        zone_weights = None if weight == "area" else even(self.zones) if weight == "even" \
            else pd.Series(pd.Series(households).reindex(self.zone_ids).to_numpy(float),
                           index=self.zones.index)
        result = apportion_table(table.values, self.zones, areas=self.polygons(table),
                                 zone_weights=zone_weights, source=table.source, whole=whole)
        warnings += result.warnings
        return result.values.rename_axis("zone_id").fillna(0.0)


def _is_code(text: str) -> bool:
    return code_level(text) is not None


def _type_shares(placed: Mapping[str, pd.DataFrame], types: pd.DataFrame, ids: pd.Index,
                 warnings: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    national = types.set_index("dwelling_type")["national_share"].reindex(STOCK_TYPES)
    national = national.fillna(0.0) / national.fillna(0.0).sum()
    counts = pd.DataFrame(0.0, index=ids, columns=list(STOCK_TYPES))
    if "dwelling_types" in placed:
        given = placed["dwelling_types"]
        for column in STOCK_TYPES:
            counts[column] = given.get(column, 0.0)
        unstated = given.get("house", pd.Series(0.0, index=ids))
    elif "epc_bands" in placed and "type_house" in placed["epc_bands"]:
        given = placed["epc_bands"]
        counts["terraced"] = given.get("type_terraced", 0.0)
        counts["flat"] = given.get("type_flat", 0.0)
        unstated = (given["type_house"] - counts["terraced"]).clip(lower=0.0)
        warnings.append("dwelling types: taken from the EPC summary's type counts (private "
                        "rented homes: more flats and terraces than the whole stock)")
    else:
        unstated = pd.Series(0.0, index=ids)
    split = national[["detached", "semi_detached"]] / national[["detached",
                                                                "semi_detached"]].sum()
    for column in ("detached", "semi_detached"):
        counts[column] += unstated * split[column]
    total = counts.sum(axis=1)
    known = (total > 0).to_numpy()
    shares = counts.div(total.where(total > 0), axis=0)
    shares.loc[~known] = national.to_numpy()
    if (~known).any() and known.any():
        warnings.append(f"dwelling types: {int((~known).sum())} zones have no type counts; "
                        "national shares used")
    return shares, np.where(known, "table", "default")


def _fuel_shares(heating: pd.DataFrame | None, table: pd.DataFrame, ids: pd.Index,
                 warnings: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    rows = table.set_index("category")
    keys = [f"{rows.loc[c, 'main_fuel']}|{rows.loc[c, 'heating_system']}" for c in rows.index]
    if heating is None:
        warnings.append("heating: no heating table; every home's fuel is unknown")
        shares = pd.DataFrame(1.0, index=ids, columns=["unknown|unknown"])
        return shares, np.full(len(ids), "default")
    missing = sorted(set(heating.columns) - set(rows.index))
    if missing:
        raise LayerSchemaError(f"stock_heating has no rows for categories {missing} (fix: add "
                               "them with their fuel and a source)")
    by_fuel = heating.T.groupby(pd.Series(keys, index=rows.index).reindex(heating.columns)).sum().T
    total = by_fuel.sum(axis=1)
    known = (total > 0).to_numpy()
    shares = by_fuel.div(total.where(total > 0), axis=0)
    pooled = by_fuel[known].sum() / by_fuel[known].to_numpy().sum() if known.any() else None
    if pooled is None:
        raise LayerSchemaError("heating table: no heating counts fall in any zone (fix: check "
                               "that its area codes cover the zones)")
    shares.loc[~known] = pooled.to_numpy()
    if (~known).any():
        warnings.append(f"heating: {int((~known).sum())} zones get no heating counts from the "
                        "table; the pooled shares of the other zones are used")
    return shares, np.where(known, "table", "pooled")


def _band_matrix(types: pd.DataFrame, bands: pd.DataFrame | None, table: pd.DataFrame,
                 ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    national = table.set_index("dwelling_type").reindex(STOCK_TYPES)[
        [f"share_{b.lower()}" for b in EPC_BANDS]].fillna(0.0).to_numpy()
    national = national / np.where(national.sum(axis=1, keepdims=True) > 0,
                                   national.sum(axis=1, keepdims=True), 1.0)
    out = types.to_numpy()[:, :, None] * national[None, :, :]
    source = np.full(len(ids), "default", dtype=object)
    if bands is None:
        return out, source
    margins, groups = _band_margins(bands)
    for i in np.flatnonzero(np.isfinite(margins).all(axis=1)):
        out[i] = _rake(out[i], types.to_numpy()[i], margins[i], groups)
        source[i] = "table"
    return out, source


def _band_margins(bands: pd.DataFrame) -> tuple[np.ndarray, list[list[int]]]:
    exact = [f"band_{b.lower()}" for b in EPC_BANDS]
    if "d_or_below" in bands.columns:
        homes = bands["homes"].to_numpy(float)
        d, f = bands["d_or_below"].to_numpy(float), bands["f_or_below"].to_numpy(float)
        parts = np.column_stack([homes - d, d - f, f]).clip(min=0.0)
        groups = [[EPC_BANDS.index(b) for b in g] for g in _GROUPS.values()]
    else:
        parts = bands.reindex(columns=exact).fillna(0.0).to_numpy(float)
        groups = [[i] for i in range(len(EPC_BANDS))]
    total = parts.sum(axis=1, keepdims=True)
    return np.where(total > 0, parts / np.where(total > 0, total, 1.0), np.nan), groups


def _rake(matrix: np.ndarray, rows: np.ndarray, groups_share: np.ndarray,
          groups: list[list[int]], sweeps: int = 50) -> np.ndarray:
    """Fit ``matrix`` (types x bands) to row sums ``rows`` and band-group sums (IPF)."""
    m = matrix.copy()
    for _ in range(sweeps):
        for share, members in zip(groups_share, groups, strict=True):
            current = m[:, members].sum()
            if current > 0:
                m[:, members] *= share / current
        sums = m.sum(axis=1)
        m *= np.where(sums > 0, rows / np.where(sums > 0, sums, 1.0), 0.0)[:, None]
    return m


def _counts(households: pd.Series, matrix: np.ndarray, fuels: pd.DataFrame) -> pd.DataFrame:
    """Whole homes per zone, type, fuel and band.

    Type totals are rounded first (largest remainder within the zone), then each type's
    homes are spread over fuels and bands.
    """
    zones = np.repeat(np.arange(len(fuels.index)), len(STOCK_TYPES))
    type_amount = (matrix.sum(axis=2) * households.to_numpy(float)[:, None]).reshape(-1)
    type_whole = largest_remainder(type_amount, zones).reshape(matrix.shape[:2])
    within = matrix / np.where(matrix.sum(axis=2, keepdims=True) > 0,
                               matrix.sum(axis=2, keepdims=True), 1.0)
    amount = (within[:, :, None, :] * fuels.to_numpy()[:, None, :, None]
              * type_whole[:, :, None, None])
    index = pd.MultiIndex.from_product(
        [fuels.index, STOCK_TYPES, list(fuels.columns), EPC_BANDS],
        names=["zone_id", "dwelling_type", "fuel", "epc_band"])
    long = pd.Series(amount.reshape(-1), index=index).reset_index(name="amount")
    long = long[long["amount"] > 1e-9].reset_index(drop=True)
    cell = (long["zone_id"] + "|" + long["dwelling_type"]).to_numpy()
    long["dwellings"] = largest_remainder(long["amount"].to_numpy(), cell).astype("int64")
    return long[long["dwellings"] > 0].drop(columns="amount").reset_index(drop=True)


def _with_tenure(counts: pd.DataFrame, tenure: pd.DataFrame | None, warnings: list[str]
                 ) -> pd.DataFrame:
    """Split each archetype's homes by its zone's tenure shares (whole homes per archetype).

    Tenure drives the fuel poverty proxy of retrofit (``fuel_poverty_tenures``); without a
    tenure table every archetype's tenure is unknown, so none counts as fuel poor (warned).
    """
    if tenure is None:
        warnings.append("tenure: no tenure table; archetypes have tenure 'unknown', so none "
                        "counts as likely fuel poor (give inputs.building_stock.tenure)")
        return counts.assign(tenure="unknown")
    kinds = [k for k in ("owner-occupied", "social rented", "private rented")
             if k in tenure.columns]
    table = tenure[kinds]
    shares = table.div(table.sum(axis=1).where(table.sum(axis=1) > 0), axis=0)
    long = counts.merge(shares.rename_axis("zone_id").reset_index(), on="zone_id", how="left")
    parts = []
    for kind in kinds:
        parts.append(long.assign(tenure=kind, amount=long["dwellings"] * long[kind]))
    split = pd.concat(parts, ignore_index=True)
    row = np.tile(np.arange(len(long)), len(kinds))
    unknown = ~np.isfinite(split["amount"].to_numpy(float))
    split.loc[unknown, "amount"] = np.where(split.loc[unknown, "tenure"] == kinds[0],
                                            split.loc[unknown, "dwellings"], 0.0)
    split.loc[unknown, "tenure"] = np.where(split.loc[unknown, "tenure"] == kinds[0],
                                            "unknown", split.loc[unknown, "tenure"])
    split["dwellings"] = largest_remainder(split["amount"].to_numpy(float), row).astype(
        "int64")
    keep = [*counts.columns, "tenure"]
    return split.loc[split["dwellings"] > 0, keep].reset_index(drop=True)


def _archetypes(counts: pd.DataFrame, t: Mapping[str, pd.DataFrame]) -> gpd.GeoDataFrame:
    kinds = t["stock_dwelling_types"].set_index("dwelling_type")
    bands = t["stock_bands"].set_index("epc_band")
    frame = counts.copy()
    fuel = frame.pop("fuel").str.split("|", expand=True)
    frame["main_fuel"], frame["heating_system"] = fuel[0], fuel[1]
    kind, band = frame["dwelling_type"], frame["epc_band"]
    frame["property_type"] = kind.map(kinds["property_type"])
    frame["built_form"] = kind.map(kinds["built_form"]).replace("", np.nan)
    frame["floor_area_m2"] = kind.map(kinds["floor_area_m2"]).astype(float)
    for column in ("sap_score", "roof_insulation_mm"):
        frame[column] = band.map(bands[column]).astype(float)
    for column in ("wall_type", "glazing", "age_band"):
        frame[column] = band.map(bands[column])
    frame["wall_insulated"] = band.map(bands["wall_insulated"]).str.lower().eq("true")
    frame["mains_gas"] = frame["main_fuel"].eq("mains gas")
    for suffix in ("", "_low", "_high"):
        frame[f"heat_demand_kwh{suffix}"] = (band.map(bands[f"heat_kwh_per_m2{suffix}"])
                                             .astype(float) * frame["floor_area_m2"])
    frame["building_id"] = ("stock:" + frame["zone_id"] + ":" + kind + ":"
                            + frame["heating_system"] + ":" + band + ":" + frame["tenure"])
    frame["uprn"] = pd.Series(np.nan, index=frame.index, dtype=object)
    frame["co2_t"] = np.nan
    frame["low_energy_lighting_pct"] = np.nan
    frame["stock_source"] = "aggregated"
    frame = frame.sort_values("building_id", ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), crs=CRS),
                            crs=CRS)
