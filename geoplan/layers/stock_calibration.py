r"""Heat demand calibrated to metered domestic gas and electricity per zone (the prebound effect).

EPC and archetype heat demand is **modelled** (SAP): for poorly rated homes it overstates what
the meters record, because occupants of cold, expensive homes heat less (the *prebound
effect*, Sunikka-Blank and Galvin 2012). With DESNZ's sub-national domestic consumption
(:mod:`geoplan.sources.consumption_tables`) brought to the zones by households
(:func:`metered_per_zone`, :func:`geoplan.layers.apportion.apportion_table`),
:func:`calibrate_heat` corrects the buildings layer (archetypes, or reweighted certificates):

1. **Prebound, explicitly by band**: each home's modelled heat :math:`h` is first multiplied by
   its band's ratio :math:`p_b` of metered to modelled heat (``stock_calibration.csv``,
   ``prebound``: 1 for A-E, indicative 0.75 for F and 0.65 for G with low/high), in every
   zone, metered or not.
2. **Gas factor per zone**: with :math:`n` homes per row and :math:`\eta` the heating
   efficiency (``epc_heat.csv``), the modelled gas of the zone's gas-heated homes is
   :math:`M^{gas}_z = \sum n\,h\,p_b/\eta`, and :math:`f^{gas}_z = G_z / M^{gas}_z`, bounded to
   [``factor,min``, ``factor,max``], where :math:`G_z` is the zone's metered domestic gas.
   Zones without metered gas or without gas-heated homes keep :math:`f = 1` (NaN in the
   zones layer: not calibrated).
3. **Electricity factor per zone**: metered domestic electricity net of a non-heating baseline
   per home (``electricity,baseline_kwh_per_home``, Ofgem TDCV) over the modelled electricity
   of electrically heated homes (direct electric and heat pumps):
   :math:`f^{el}_z = (E_z - b H_z) / M^{el}_z`, bounded likewise, computed only where
   :math:`M^{el}_z` is at least ``electricity,min_heat_share`` of :math:`E_z` (else the
   factor would measure the baseline, not the heating).
4. Each row's ``heat_demand_kwh`` (and ``_low``/``_high``) is multiplied by
   :math:`p_b f_z` of its fuel (``heat_calibration`` holds the product); homes heated by other
   fuels (oil, LPG, biomass) get :math:`p_b` only, as no meters are published for them.

So in a calibrated zone the modelled gas of its gas-heated homes equals its metered gas
(unless bounded), and bands F/G carry less of it than their SAP demand says. Carbon and bill
savings, which are shares of the heat demand, scale with it.

Without metered consumption step 1 still applies: :func:`apply_prebound` (and
:func:`prebound_layers` on a buildings :class:`~geoplan.layers.layer_set.LayerSet`) scales
each home's modelled heat by its band's :math:`p_b` and records it in ``heat_calibration``,
so certificate and archetype homes of bands F/G are never planned on SAP demand the prebound
effect says they do not use. EPC certificates get it when they are read
(:mod:`geoplan.layers.kinds`), archetypes when the layers are prepared; rows that already
carry ``heat_calibration`` (e.g. a converted layer read back) are left as they are, and
:func:`calibrate_heat` first divides out a ``heat_calibration`` already applied, so no home
is scaled twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import LayerSchemaError, Problem, SourceFormatError
from geoplan.layers.apportion import apportion_table, read_areas, read_lookup
from geoplan.layers.buildings import HEAT_FACTORS, zone_summary
from geoplan.layers.layer_set import LayerSet
from geoplan.sources.consumption_tables import read_consumption_table

__all__ = ["CALIBRATION_COLUMNS", "STOCK_CALIBRATION", "Calibration", "ConsumptionInput",
           "apply_prebound", "calibrate_heat", "calibration_kpis", "metered_per_zone",
           "prebound_layers", "prebound_ratio"]

STOCK_CALIBRATION = AssumptionTable(
    "stock_calibration", key=("quantity", "item"),
    numbers={"value": 0.0, "value_low": 0.0, "value_high": 0.0}, text=("unit",))
"""Prebound ratios per band, factor bounds and the electricity baseline."""

CALIBRATION_COLUMNS = ("metered_gas_kwh", "metered_electricity_kwh", "heat_calibration_gas",
                       "heat_calibration_electric")
"""Columns :func:`calibrate_heat` adds to the zones layer (NaN: not calibrated)."""

_ELECTRIC = ("electricity", "heat pump")
_HEAT_COLUMNS = ("heat_demand_kwh", "heat_demand_kwh_low", "heat_demand_kwh_high")


@dataclass(frozen=True)
class ConsumptionInput:
    """A DESNZ consumption table and how to bring it to the zones.

    ``year``: the year kept (default the latest); ``lookup``: an ONS code lookup (e.g. MSOA
    2011 -> 2021); ``areas``: polygons of the codes after the lookup (default: the building
    stock's ``areas`` holding them; none needed when the codes are zone ids).
    """

    path: Path
    year: int | None = None
    lookup: Path | None = None
    areas: Path | None = None


@dataclass(frozen=True)
class Calibration:
    """The calibrated buildings and what calibration did.

    Attributes
    ----------
    buildings : pandas.DataFrame
        The input rows with heat demand scaled and a ``heat_calibration`` column.
    zones : pandas.DataFrame
        Indexed by zone id: :data:`CALIBRATION_COLUMNS` plus ``modelled_gas_kwh`` and
        ``modelled_electric_heat_kwh`` (after prebound, before the factor).
    notes : tuple of str
    """

    buildings: pd.DataFrame
    zones: pd.DataFrame
    notes: tuple[str, ...]


def metered_per_zone(spec: ConsumptionInput, fuel: str, zones: gpd.GeoDataFrame,
                     households: pd.Series, areas: Sequence[gpd.GeoDataFrame] = ()
                     ) -> tuple[pd.Series, tuple[str, ...]]:
    """Metered domestic kWh per zone (index: zone ids), shared by the zones' households.

    Parameters
    ----------
    spec : ConsumptionInput
    fuel : {"gas", "electricity"}
    zones : geopandas.GeoDataFrame
        Zones with ``zone_id``, EPSG:27700.
    households : pandas.Series
        Households per zone id: the weight of every split (lookup and polygons).
    areas : sequence of geopandas.GeoDataFrame
        Candidate polygons of the codes when ``spec.areas`` is None.

    Raises
    ------
    LayerSchemaError
        When the codes are not zone ids and no polygons hold them.
    """
    table = read_consumption_table(spec.path, fuel, spec.year)
    values = table.values[["consumption_kwh"]]
    lookup = read_lookup(spec.lookup, list(values.index)) if spec.lookup is not None else None
    targets = list(values.index if lookup is None else lookup["target"].unique())
    ids = pd.Index(zones["zone_id"].astype(str))
    polygons = None
    if pd.Index(targets).isin(ids).mean() < 0.5:
        polygons = _polygons(spec, targets, areas, table.source)
    weights = pd.Series(households.reindex(ids).to_numpy(float), index=zones.index)
    result = apportion_table(values, zones, lookup=lookup, areas=polygons,
                             zone_weights=weights, source=table.source)
    year = f" {table.year}" if table.year is not None else ""
    notes = (*table.warnings, *result.warnings,
             f"{table.source}: {fuel}{year} domestic consumption, "
             f"{values['consumption_kwh'].sum():,.0f} kWh read, "
             f"{result.values['consumption_kwh'].sum():,.0f} kWh in the zones")
    return result.values["consumption_kwh"], tuple(notes)


def _polygons(spec: ConsumptionInput, codes: list[str], areas: Sequence[gpd.GeoDataFrame],
              source: str) -> gpd.GeoSeries:
    if spec.areas is not None:
        return read_areas(spec.areas, codes)
    parts = []  # a folder of one file per district gives one frame per district
    for frame in areas:
        try:
            found = read_areas(frame, codes)
        except SourceFormatError:
            continue
        parts.append(found[found.index.isin(codes)])
    if parts:
        joined = pd.concat(parts)
        return gpd.GeoSeries(joined[~joined.index.duplicated()], crs=joined.crs)
    message = f"its area codes are not zone ids and no area polygons hold them (e.g. {codes[:3]})"
    raise LayerSchemaError(f"{source}: {message}", [Problem(
        message, file=source, fix="give the areas' boundaries (areas: in the mapping, or "
        "inputs.building_stock.areas), and a lookup for 2011 codes")])


def _values(table: pd.DataFrame, quantity: str) -> pd.Series:
    rows = table[table["quantity"] == quantity]
    return pd.Series(rows["value"].astype(float).to_numpy(), index=rows["item"].astype(str))


def calibrate_heat(buildings: pd.DataFrame, metered: Mapping[str, pd.Series],
                   households: pd.Series, *, table: pd.DataFrame | None = None,
                   heat_factors: pd.DataFrame | None = None) -> Calibration:
    """Scale each home's heat demand to its zone's metered fuel (module docstring).

    Parameters
    ----------
    buildings : pandas.DataFrame
        ``zone_id``, ``epc_band``, ``main_fuel``, ``heat_demand_kwh`` (``heating_system``,
        ``dwellings`` and ``heat_demand_kwh_low``/``_high`` used when present).
    metered : Mapping
        ``"gas"`` and/or ``"electricity"``: metered domestic kWh per zone id.
    households : pandas.Series
        Households per zone id (the electricity baseline's homes); its index is the zones.
    table, heat_factors : pandas.DataFrame, optional
        Replacement ``stock_calibration.csv`` and ``epc_heat.csv``.
    """
    t = read_assumptions(STOCK_CALIBRATION) if table is None else table
    factors = read_assumptions(HEAT_FACTORS) if heat_factors is None else heat_factors
    ids = pd.Index(households.index.astype(str), name="zone_id")
    lo, hi = _values(t, "factor")["min"], _values(t, "factor")["max"]
    electricity = _values(t, "electricity")
    eff = _values(factors, "efficiency")
    homes = _undo_calibration(buildings)
    system = homes.get("heating_system", homes["main_fuel"]).astype(object).fillna(
        homes["main_fuel"]).astype(str)
    gas = homes["main_fuel"].astype(str).eq("mains gas").to_numpy()
    electric = system.isin(_ELECTRIC).to_numpy() & ~gas
    prebound = prebound_ratio(homes, t)
    weight = pd.to_numeric(homes.get("dwellings", 1.0), errors="coerce")
    weight = np.nan_to_num(np.broadcast_to(np.asarray(weight, float), (len(homes),)), nan=1.0)
    heat = np.nan_to_num(pd.to_numeric(homes["heat_demand_kwh"], errors="coerce").to_numpy(
        float))
    bought = weight * heat * prebound / system.map(eff).fillna(eff.get("other", 0.84)).to_numpy(
        float)
    zone = homes["zone_id"].astype(object).where(homes["zone_id"].notna(), None)

    def per_zone(mask: np.ndarray) -> pd.Series:
        return pd.Series(bought[mask]).groupby(zone[mask].to_numpy()).sum().reindex(
            ids).fillna(0.0)

    out = pd.DataFrame(index=ids)
    out["metered_gas_kwh"] = _aligned(metered.get("gas"), ids)
    out["metered_electricity_kwh"] = _aligned(metered.get("electricity"), ids)
    out["modelled_gas_kwh"] = per_zone(gas)
    out["modelled_electric_heat_kwh"] = per_zone(electric)
    g, m = out["metered_gas_kwh"], out["modelled_gas_kwh"]
    out["heat_calibration_gas"] = (g / m).where((m > 0) & (g > 0)).clip(lo, hi)
    e, me = out["metered_electricity_kwh"], out["modelled_electric_heat_kwh"]
    net = e - electricity["baseline_kwh_per_home"] * households.reindex(ids).to_numpy(float)
    material = (me > 0) & (e > 0) & (me >= electricity["min_heat_share"] * e)
    out["heat_calibration_electric"] = (net / me).where(material).clip(lo, hi)
    factor = np.ones(len(homes))
    for mask, column in ((gas, "heat_calibration_gas"), (electric,
                                                        "heat_calibration_electric")):
        zf = zone.map(out[column]).astype(float).to_numpy()
        factor = np.where(mask & np.isfinite(zf), zf, factor)
    row = prebound * factor
    for column in (c for c in _HEAT_COLUMNS if c in homes.columns):
        homes[column] = pd.to_numeric(homes[column], errors="coerce") * row
    homes["heat_calibration"] = row
    return Calibration(homes, out, tuple(_notes(out, t, lo, hi)))


def prebound_ratio(buildings: pd.DataFrame, table: pd.DataFrame | None = None) -> np.ndarray:
    """Metered over modelled heat of each home's EPC band (``prebound`` rows; 1 if none)."""
    t = read_assumptions(STOCK_CALIBRATION) if table is None else table
    band = buildings["epc_band"].astype(object)
    return band.map(_values(t, "prebound")).astype(float).fillna(1.0).to_numpy(float)


def _applied(buildings: pd.DataFrame) -> np.ndarray:
    """Return the ``heat_calibration`` already applied to each row (NaN: none)."""
    if "heat_calibration" not in buildings.columns:
        return np.full(len(buildings), np.nan)
    return pd.to_numeric(buildings["heat_calibration"], errors="coerce").to_numpy(float)


def _undo_calibration(buildings: pd.DataFrame) -> pd.DataFrame:
    """Copy the rows, dividing any ``heat_calibration`` already applied out of the heat."""
    homes = buildings.copy(deep=False)  # the columns changed are replaced, not written into
    done = _applied(homes)
    undo = np.where(np.isfinite(done) & (done > 0), done, 1.0)
    for column in (c for c in _HEAT_COLUMNS if c in homes.columns):
        homes[column] = pd.to_numeric(homes[column], errors="coerce") / undo
    return homes


def apply_prebound(buildings: pd.DataFrame, table: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Scale modelled heat demand by the band's prebound ratio (no metered consumption).

    Parameters
    ----------
    buildings : pandas.DataFrame
        ``epc_band`` and ``heat_demand_kwh`` (``_low``/``_high`` and ``dwellings`` used when
        present). Rows with a ``heat_calibration`` value already are left as they are.
    table : pandas.DataFrame, optional
        A replacement ``stock_calibration.csv``.

    Returns
    -------
    tuple
        The buildings with heat demand scaled and ``heat_calibration`` (the ratio applied),
        and a note counting the homes whose heat demand changed (none when no row was
        scaled).
    """
    done = np.isfinite(_applied(buildings))
    if done.all():
        return buildings, ()
    t = read_assumptions(STOCK_CALIBRATION) if table is None else table
    ratio = np.where(done, 1.0, prebound_ratio(buildings, t))
    homes = buildings.copy(deep=False)  # the columns changed are replaced, not written into
    for column in (c for c in _HEAT_COLUMNS if c in homes.columns):
        homes[column] = pd.to_numeric(homes[column], errors="coerce") * ratio
    homes["heat_calibration"] = np.where(done, _applied(buildings), ratio)
    weight = pd.to_numeric(homes["dwellings"], errors="coerce").fillna(1.0).to_numpy(float) \
        if "dwellings" in homes.columns else np.ones(len(homes))
    bands = _values(t, "prebound")
    scaled = ", ".join(f"{b} x{bands[b]:.2f}" for b in bands.index if bands[b] != 1.0)
    note = (f"heat demand: the modelled heat of {weight[ratio != 1.0].sum():,.0f} homes in "
            f"bands with a prebound effect ({scaled or 'none'}) is scaled to what such homes "
            "are metered to use (stock_calibration.csv; Sunikka-Blank and Galvin 2012); "
            "metered consumption, when given, calibrates it further")
    return homes, (note,)


def prebound_layers(found: LayerSet, zones: gpd.GeoDataFrame | None = None,
                    table: pd.DataFrame | None = None) -> LayerSet:
    """:func:`apply_prebound` to a buildings layer set (its zone totals recomputed)."""
    homes, notes = apply_prebound(found.layers["buildings"], table)
    if not notes:
        return found
    layers = {**found.layers, "buildings": homes}
    if "zone_buildings" in layers and zones is not None:
        layers["zone_buildings"] = zone_summary(homes, zones)
    summary = {**found.summary, "heat_demand": "prebound by band"}
    return replace(found, layers=layers, warnings=(*found.warnings, *notes), summary=summary)


def _aligned(values: pd.Series | None, ids: pd.Index) -> pd.Series:
    if values is None:
        return pd.Series(np.nan, index=ids)
    return pd.Series(values.to_numpy(float), index=values.index.astype(str)).reindex(ids)


def _notes(zones: pd.DataFrame, table: pd.DataFrame, lo: float, hi: float) -> list[str]:
    prebound = _values(table, "prebound")
    notes = []
    for fuel, column in (("gas", "heat_calibration_gas"),
                         ("electricity", "heat_calibration_electric")):
        if zones[f"metered_{fuel}_kwh"].isna().all():
            continue
        f = zones[column].dropna()
        if f.empty:
            notes.append(f"heat calibration: no zone calibrated to metered {fuel}")
            continue
        bounded = int(((f <= lo) | (f >= hi)).sum())
        notes.append(f"heat calibration: {fuel}-heated homes' modelled heat scaled to metered "
                     f"{fuel} in {len(f)} of {len(zones)} zones, median factor "
                     f"{f.median():.2f} (range {f.min():.2f}-{f.max():.2f}; {bounded} at the "
                     f"bounds {lo:g}-{hi:g})")
    poor = ", ".join(f"{b} x{prebound[b]:.2f}" for b in ("F", "G") if b in prebound.index)
    notes.append(f"heat calibration: prebound effect, modelled heat of bands {poor} first "
                 "(stock_calibration.csv; Sunikka-Blank and Galvin 2012)")
    return notes


def calibration_kpis(zones: pd.DataFrame) -> dict[str, float]:
    """Summary figures of a calibrated zones layer: zones calibrated, median factor, range."""
    out: dict[str, float] = {}
    for fuel, column in (("gas", "heat_calibration_gas"),
                         ("electric", "heat_calibration_electric")):
        if column not in zones.columns:
            continue
        f = pd.to_numeric(zones[column], errors="coerce").dropna()
        if f.empty:
            continue
        out |= {f"zones_heat_calibrated_{fuel}": float(len(f)),
                f"heat_calibration_{fuel}_median": round(float(f.median()), 3),
                f"heat_calibration_{fuel}_min": round(float(f.min()), 3),
                f"heat_calibration_{fuel}_max": round(float(f.max()), 3)}
    return out
