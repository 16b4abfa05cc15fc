r"""The ``buildings`` layer from EPC certificates: one located home per row, and zone totals.

:func:`buildings_from_epc` chains the steps, each also callable on its own:

1. :func:`geoplan.sources.epc.read_epc_certificates` reads and normalises the certificates
   (latest per home);
2. :func:`heat_demand` estimates each home's yearly space and water heat demand;
3. :func:`geoplan.sources.geocode.geocode_homes` gives each home a point (UPRN, else postcode);
4. :func:`assign_zone_ids` puts each point in a planning zone.

:func:`zone_summary` then totals the homes per zone.

Heat demand method
------------------
The EPC's ``ENERGY_CONSUMPTION_CURRENT`` is the SAP-modelled *primary* energy per m² for space
heating, water heating, lighting, pumps and fans. For a home with floor area :math:`A`
(m²), primary energy intensity :math:`e` (kWh/m²) and heating system :math:`s` (its main fuel,
or ``"heat pump"``):

.. math::

    N &= 1 + a\,(1 - e^{-b (A - c)^2}) + d\,(A - c) \quad (A > c;\ N = 1 \text{ otherwise})\\
    L &= L_0\,(A N)^{p}\,(1 - k\,\ell / 100)\\
    Q &= \frac{e A - L\, f_{\text{electricity}}}{f_s}\;\eta_s

where :math:`N` is SAP's assumed occupancy, :math:`L` SAP's lighting electricity
(:math:`\ell`: percentage of low-energy lighting, 0 when unknown), :math:`f` primary energy
factors and :math:`\eta_s` the heating system's efficiency (heat delivered to the home per kWh
of fuel). Every factor is a row of ``layers/assumptions/epc_heat.csv`` (:data:`HEAT_FACTORS`)
with its source. Pump and fan electricity (a few per cent) is left in; photovoltaic generation,
which SAP deducts from primary energy, makes :math:`Q` too low for homes with panels
(``photo_supply_pct`` > 0). The result is missing when :math:`e` or :math:`A` is, or when
:math:`Q \le 0`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.distinct import map_distinct
from geoplan.errors import LayerSchemaError, Problems, SourceFormatError
from geoplan.forked import on_two_threads
from geoplan.layers.layer_set import require_bng
from geoplan.schemas import BUILDINGS, CRS, EPC_BANDS, validate_layer
from geoplan.sources.epc import FUELS, TENURES, read_epc_certificates
from geoplan.sources.geocode import GeocodeReport, geocode_homes

__all__ = [
    "HEAT_FACTORS",
    "PROVENANCE_COLUMNS",
    "ZONE_SUMMARY_COLUMNS",
    "BuildingsReport",
    "assign_zone_ids",
    "buildings_from_epc",
    "heat_demand",
    "planned_homes",
    "without_provenance",
    "zone_summary",
    "zoned_homes",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

HEAT_FACTORS = AssumptionTable("epc_heat", key=("quantity", "item"), numbers={"value": 0.0},
                               text=("unit",))
"""The heat demand factors table (``layers/assumptions/epc_heat.csv``)."""

_SYSTEMS = (*FUELS, "heat pump")
_CONSTANTS = {"occupancy": ("a", "b", "c", "d"),
              "lighting": ("base_kwh", "exponent", "low_energy_saving")}


def _slug(text: str) -> str:
    return text.lower().replace("-", "_").replace(" ", "_")


ZONE_SUMMARY_COLUMNS = (
    "zone_id", "homes", *(f"homes_{b.lower()}" for b in EPC_BANDS), "homes_no_band",
    "homes_d_to_g", "share_d_to_g", "mean_sap", "floor_area_m2_total", "floor_area_m2_mean",
    *(f"fuel_{_slug(f)}" for f in FUELS), "homes_off_gas", "heat_demand_kwh", "co2_t",
    *(f"tenure_{_slug(t)}" for t in TENURES),
)
"""Columns of :func:`zone_summary`, in order."""


@dataclass(frozen=True)
class BuildingsReport:
    """What was found while building the layer (kept in ``buildings.attrs["report"]``).

    Parameters
    ----------
    files : tuple of str
        Certificate files read.
    rows_read : int
        Certificates read.
    duplicates_dropped : int
        Older certificates of the same homes dropped.
    homes : int
        Rows of the layer.
    sentinels, invalid : Mapping[str, int]
        Per source column: "no value" markers, and unreadable cells.
    encodings : Mapping[str, str]
        Encoding of each file.
    geocode : GeocodeReport
        How homes were located.
    outside_zones : int
        Located homes in no zone (0 when no zones were given).
    heat_demand_missing : int
        Homes whose heat demand could not be estimated.
    implausible : Mapping[str, int]
        Per source column: certificates dropped for an implausible value (see
        :attr:`geoplan.sources.epc.EpcRecords.implausible`).
    """

    files: tuple[str, ...]
    rows_read: int
    duplicates_dropped: int
    homes: int
    sentinels: Mapping[str, int]
    invalid: Mapping[str, int]
    encodings: Mapping[str, str]
    geocode: GeocodeReport
    outside_zones: int
    heat_demand_missing: int
    implausible: Mapping[str, int] = field(default_factory=dict)


def buildings_from_epc(
    source: PathLike | Sequence[PathLike],
    zones: gpd.GeoDataFrame | None = None,
    *,
    uprn_coordinates: PathLike | pd.DataFrame | None = None,
    postcodes: PathLike | pd.DataFrame | None = None,
    heat_factors: PathLike | None = None,
) -> gpd.GeoDataFrame:
    """Build the canonical ``buildings`` layer from EPC ``certificates.csv`` files.

    Parameters
    ----------
    source : path, directory, or list of them
        EPC certificate files (see :func:`~geoplan.sources.epc.read_epc_certificates`).
    zones : geopandas.GeoDataFrame, optional
        A ``zones`` layer in EPSG:27700 (e.g. from :func:`geoplan.layers.zones.zones_from_file`);
        without it ``zone_id`` stays missing.
    uprn_coordinates : path or pandas.DataFrame, optional
        OS Open UPRN coordinates (see :mod:`geoplan.sources.geocode`).
    postcodes : path or pandas.DataFrame, optional
        Code-Point Open postcode centroids.
    heat_factors : path, optional
        A copy of ``epc_heat.csv`` to use instead of the shipped one.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`geoplan.schemas.BUILDINGS` columns first, then the extra columns of
        :data:`geoplan.sources.epc.EPC_COLUMNS` and ``geocode_method``; EPSG:27700; sorted by
        ``building_id``. Homes that could not be located keep no geometry and no zone.
        ``attrs["report"]`` is a :class:`BuildingsReport`.

    Raises
    ------
    GeoplanError
        As raised by the readers, and ``LayerSchemaError`` for an unusable ``zones`` layer.
    """
    # a UPRN file is read beside the certificates' deduplication (a table is used as given)
    read_too = None if isinstance(uprn_coordinates, pd.DataFrame) else uprn_coordinates
    records = read_epc_certificates(source, uprn_coordinates=read_too)
    factors = read_assumptions(HEAT_FACTORS, heat_factors)
    frame = records.frame.assign(heat_demand_kwh=heat_demand(records.frame, factors))
    located, geocoded = geocode_homes(
        frame, uprn_coordinates=uprn_coordinates if read_too is None else records.uprn_coordinates,
        postcodes=postcodes)
    outside = 0
    if zones is not None:
        located["zone_id"] = assign_zone_ids(located.geometry, zones)
        outside = int((located["zone_id"].isna() & located.geometry.notna()).sum())
        if outside:
            logger.warning("%d located homes fall in no zone; they keep zone_id missing",
                           outside)
    else:
        located["zone_id"] = pd.Series(np.nan, index=located.index, dtype="str")
    canonical = [c for c in BUILDINGS.columns if c != "geometry"]
    extras = [c for c in located.columns if c not in (*canonical, "geometry")]
    layer = gpd.GeoDataFrame(located[[*canonical, "geometry", *extras]], geometry="geometry",
                             crs=CRS)
    validate_layer(layer, BUILDINGS, source=", ".join(records.files[:3]))
    layer.attrs["report"] = BuildingsReport(
        records.files, records.rows_read, records.duplicates_dropped, len(layer),
        dict(records.sentinels), dict(records.invalid), dict(records.encodings), geocoded,
        outside, int(layer["heat_demand_kwh"].isna().sum()), dict(records.implausible))
    return layer


def heat_demand(frame: pd.DataFrame, factors: pd.DataFrame | None = None) -> pd.Series:
    """Estimate each home's yearly space and water heat demand in kWh (module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame
        Homes with ``floor_area_m2``, ``energy_consumption_kwh_m2``,
        ``low_energy_lighting_pct`` and ``heating_system``.
    factors : pandas.DataFrame, optional
        The :data:`HEAT_FACTORS` table; the shipped ``epc_heat.csv`` when None.

    Returns
    -------
    pandas.Series
        kWh per year (float64, NaN where it cannot be estimated), aligned with ``frame``.

    Raises
    ------
    SourceFormatError
        If the factors table lacks a factor the method needs.
    """
    f = _factor_lookup(read_assumptions(HEAT_FACTORS) if factors is None else factors)
    area = frame["floor_area_m2"].to_numpy(float)
    excess = np.clip(area - f[("occupancy", "c")], 0.0, None)
    occupancy = (1 + f[("occupancy", "a")] * (1 - np.exp(-f[("occupancy", "b")] * excess**2))
                 + f[("occupancy", "d")] * excess)
    low_energy = np.nan_to_num(frame["low_energy_lighting_pct"].to_numpy(float)).clip(0, 100)
    lighting = (f[("lighting", "base_kwh")] * (area * occupancy) ** f[("lighting", "exponent")]
                * (1 - f[("lighting", "low_energy_saving")] * low_energy / 100))
    system = frame["heating_system"].fillna("unknown").astype(str)
    system = system.where(system.isin(_SYSTEMS), "other")
    pef = map_distinct(system, {s: f[("primary_energy_factor", s)] for s in _SYSTEMS}
                       ).to_numpy(float)
    efficiency = map_distinct(system, {s: f[("efficiency", s)] for s in _SYSTEMS}).to_numpy(float)
    primary = frame["energy_consumption_kwh_m2"].to_numpy(float) * area
    heat = (primary - lighting * f[("primary_energy_factor", "electricity")]) / pef * efficiency
    return pd.Series(np.where(heat > 0, heat, np.nan), index=frame.index, dtype="float64")


def _factor_lookup(table: pd.DataFrame) -> dict[tuple[str, str], float]:
    values = {(q, i): float(v) for q, i, v in
              zip(table["quantity"], table["item"], table["value"], strict=True)}
    needed = [("primary_energy_factor", s) for s in _SYSTEMS]
    needed += [("efficiency", s) for s in _SYSTEMS]
    needed += [(q, i) for q, items in _CONSTANTS.items() for i in items]
    missing = [key for key in needed if key not in values]
    if missing:
        problems = Problems(table.attrs.get("path"), sheet=HEAT_FACTORS.name)
        for quantity, item in missing:
            problems.add(f"no row for quantity {quantity!r}, item {item!r}",
                         column="quantity, item", fix="add the row with its value and source")
        problems.raise_if_any(SourceFormatError)
    return values


def assign_zone_ids(points: gpd.GeoSeries, zones: gpd.GeoDataFrame) -> pd.Series:
    """Find the ``zone_id`` of the zone containing each point (point-in-polygon).

    A point on the boundary of several zones goes to the smallest ``zone_id``; points outside
    every zone, and missing or empty geometries, get a missing zone.

    Parameters
    ----------
    points : geopandas.GeoSeries
        Points in EPSG:27700.
    zones : geopandas.GeoDataFrame
        A ``zones`` layer (needs ``zone_id`` and polygons) in EPSG:27700.

    Returns
    -------
    pandas.Series
        ``zone_id`` (str dtype) aligned with ``points``.

    Raises
    ------
    MissingCRSError
        If ``zones`` or ``points`` has no CRS.
    LayerSchemaError
        If ``zones`` lacks ``zone_id`` or either input is not in EPSG:27700.
    """
    _check_zones(points, zones)
    geometries = np.asarray(points.values, dtype=object)
    valid = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    hits_point, hits_zone = _zones_hit(geometries[valid], zones)
    hits_point = np.flatnonzero(valid)[hits_point]
    ids = zones["zone_id"].astype(str).to_numpy()
    out = np.full(len(points), np.nan, dtype=object)
    alone = np.bincount(hits_point, minlength=len(points))[hits_point] == 1
    out[hits_point[alone]] = ids[hits_zone[alone]]  # most points: in one zone only
    pairs = pd.DataFrame({"point": hits_point[~alone], "zone_id": ids[hits_zone[~alone]]})
    first = pairs.sort_values(["point", "zone_id"]).drop_duplicates("point")
    out[first["point"].to_numpy()] = first["zone_id"].to_numpy()
    return pd.Series(out, index=points.index, dtype="str")


QUERY_HALVES_FROM = 100_000
"""Points from which :func:`assign_zone_ids` queries the zones in two halves on two threads
(shapely's tree query lets the other thread run: 1.2M homes 0.60 -> 0.34 s)."""


def _zones_hit(geometries: np.ndarray, zones: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the (point position, zone position) pairs where a point intersects a zone.

    In two halves on two threads from :data:`QUERY_HALVES_FROM` points (one at a time with
    ``GEOPLAN_FORK=0``); the pairs are the same either way, in the halves' order.
    """
    tree = zones.sindex
    parts = np.array_split(geometries, 2) if len(geometries) >= QUERY_HALVES_FROM \
        else [geometries]
    found = on_two_threads(lambda part: tree.query(part, predicate="intersects"), parts)
    starts = np.cumsum([0, *(len(part) for part in parts[:-1])])
    return (np.concatenate([hits[0] + start for hits, start in zip(found, starts, strict=True)]),
            np.concatenate([hits[1] for hits in found]))


def _check_zones(points: gpd.GeoSeries, zones: gpd.GeoDataFrame) -> None:
    for name, data in (("zones", zones), ("points", points)):
        require_bng(name, data)
    if "zone_id" not in zones.columns:
        raise LayerSchemaError(f"zones have no 'zone_id' column (columns: {list(zones.columns)}) "
                               "(fix: read them with geoplan.layers.zones.zones_from_file)")


PROVENANCE_COLUMNS = ("source_file", "lmk_key", "address", "postcode", "geocode_method",
                      "local_authority", "lodgement_date", "certificates")
"""Buildings columns that say where a home's certificate came from and how it was located:
no plan reads them (``building_id`` and ``uprn``, which the layer's schema requires, stay)."""


def without_provenance(buildings: pd.DataFrame | None) -> pd.DataFrame | None:
    """Return ``buildings`` without :data:`PROVENANCE_COLUMNS` (itself when it has none).

    A run drops them once the layers are read (:func:`geoplan.pipeline.run_scenario`): on the
    county sample they are 51 MiB of text held through the solve and the outputs for nothing.
    """
    if buildings is None:
        return None
    dropped = [c for c in PROVENANCE_COLUMNS if c in buildings.columns]
    return buildings.drop(columns=dropped) if dropped else buildings


def zoned_homes(buildings: pd.DataFrame | None) -> pd.DataFrame | None:
    """Return the homes of ``buildings`` with a ``zone_id``: the homes a plan is about.

    No workstream plans a home in no zone (outside the plan's zones, or never located): the
    retrofit and LAEP candidates are zones' sums, the charger demand is spread over zones,
    and such a home's substation is on no served chain
    (:func:`geoplan.planning.headroom.served_chain`). The candidates are built from these
    homes (:func:`geoplan.planning.solve.workstream_models`), so retrofit and LAEP price the
    same homes, and both give a home without a floor area the median of these. ``buildings``
    itself when every home has a zone (no copy); row labels are kept (they name rows of the
    buildings layer).
    """
    if buildings is None or "zone_id" not in buildings.columns:
        return buildings
    zoned = buildings["zone_id"].notna().to_numpy()
    return buildings if zoned.all() else buildings[zoned]


def planned_homes(buildings: pd.DataFrame | None) -> pd.DataFrame | None:
    """Return :func:`zoned_homes` of ``buildings``, :func:`without_provenance`.

    A run (:func:`geoplan.pipeline.run_scenario`) keeps only these once the layers are
    prepared (the serving substations, zone summaries and the buildings report that counts
    homes in no zone are built before): the candidates and the outputs are the same as with
    every home, and neither the candidates nor the served chain copy the layer again.
    """
    return zoned_homes(without_provenance(buildings))


_SUMMED = ("zone_id", "epc_band", "sap_score", "floor_area_m2", "main_fuel", "mains_gas",
           "heat_demand_kwh", "co2_t", "tenure")
"""The buildings columns :func:`zone_summary` reads."""


def zone_summary(buildings: pd.DataFrame, zones: pd.DataFrame | None = None) -> pd.DataFrame:
    """Total the homes of each zone.

    Parameters
    ----------
    buildings : pandas.DataFrame
        A ``buildings`` layer (e.g. from :func:`buildings_from_epc`). Homes without a
        ``zone_id`` are left out and counted in ``attrs["homes_without_zone"]``.
    zones : pandas.DataFrame, optional
        With a ``zone_id`` column: zones without homes get a row too (counts 0, means NaN).
        Zones that have homes always get a row.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``zone_id``, columns :data:`ZONE_SUMMARY_COLUMNS`:

        * ``homes``: homes in the zone;
        * ``homes_a`` ... ``homes_g``, ``homes_no_band``: homes per current EPC band;
        * ``homes_d_to_g``; ``share_d_to_g`` = ``homes_d_to_g`` / homes with a band (NaN if
          none);
        * ``mean_sap``: mean SAP score of homes with one;
        * ``floor_area_m2_total``, ``floor_area_m2_mean``: over homes with a floor area;
        * ``fuel_mains_gas`` ... ``fuel_unknown``: homes per normalised main heating fuel
          (:data:`geoplan.sources.epc.FUELS`);
        * ``homes_off_gas``: homes whose certificate says there is no mains gas (flag N);
        * ``heat_demand_kwh`` (kWh/yr), ``co2_t`` (t/yr): sums over homes with a value;
        * ``tenure_owner_occupied`` ... ``tenure_unknown``: homes per tenure.
    """
    placed = pd.DataFrame(buildings[[c for c in _SUMMED if c in buildings.columns]])
    # a home in no zone keeps a missing key, which every groupby and crosstab below leaves
    # out: no rows are taken (that would copy each column read)
    zone = placed["zone_id"].astype(str).where(placed["zone_id"].notna())
    groups = pd.DataFrame(placed).groupby(zone, sort=True)
    out = pd.DataFrame({"homes": groups.size()})
    out = out.join(_counts(zone, placed["epc_band"], EPC_BANDS, "homes_"))
    bands = [f"homes_{b.lower()}" for b in EPC_BANDS]
    out["homes_no_band"] = out["homes"] - out[bands].sum(axis=1)
    out["homes_d_to_g"] = out[bands[3:]].sum(axis=1)
    banded = out["homes"] - out["homes_no_band"]
    out["share_d_to_g"] = out["homes_d_to_g"] / banded.where(banded > 0)
    out["mean_sap"] = groups["sap_score"].mean()
    out["floor_area_m2_total"] = groups["floor_area_m2"].sum()
    out["floor_area_m2_mean"] = groups["floor_area_m2"].mean()
    out = out.join(_counts(zone, placed["main_fuel"], FUELS, "fuel_"))
    out["homes_off_gas"] = placed["mains_gas"].eq(False).fillna(False).groupby(zone).sum()
    out["heat_demand_kwh"] = groups["heat_demand_kwh"].sum()
    out["co2_t"] = groups["co2_t"].sum()
    out = out.join(_counts(zone, placed["tenure"], TENURES, "tenure_"))
    if zones is not None:
        listed = set(zones["zone_id"].astype(str)) | set(out.index)
        index = pd.Index(sorted(listed), name=out.index.name)
        out = out.reindex(index)
        counts = [c for c in out.columns if c.startswith(("homes", "fuel_", "tenure_"))]
        sums = ["floor_area_m2_total", "heat_demand_kwh", "co2_t"]
        out[counts + sums] = out[counts + sums].fillna(0)
    out = out.rename_axis("zone_id").reset_index()
    counts = [c for c in out.columns if c.startswith(("homes", "fuel_", "tenure_"))]
    out[counts] = out[counts].astype("int64")
    out.attrs["homes_without_zone"] = int(zone.isna().sum())
    return out[list(ZONE_SUMMARY_COLUMNS)]


def _counts(zone: pd.Series, values: pd.Series, labels: Sequence[str], prefix: str
            ) -> pd.DataFrame:
    """Homes per zone (rows, sorted) and label (columns); other and missing values uncounted.

    Counted on integer codes (each zone and each distinct value looked up once), not by a
    crosstab of the text. Every zone gets a row.
    """
    zones, zone_ids = pd.factorize(zone, sort=True)
    codes, distinct = pd.factorize(values)
    label_of = pd.Index(list(labels)).get_indexer(pd.Index(distinct, dtype=object))
    label = np.where(codes >= 0, np.append(label_of, -1)[codes], -1)
    counted = (zones >= 0) & (label >= 0)
    size = len(labels)
    counts = np.bincount(zones[counted] * size + label[counted],
                         minlength=len(zone_ids) * size).reshape(len(zone_ids), size)
    return pd.DataFrame(counts.astype("int64"), index=pd.Index(zone_ids, name=zone.name),
                        columns=[f"{prefix}{_slug(label)}" for label in labels])
