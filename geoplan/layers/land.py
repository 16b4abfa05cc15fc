"""Land available for carbon sequestration, from a land-cover raster, as the ``land`` layer.

:func:`land_parcels_from_raster` reads a land-cover GeoTIFF window by window (never whole),
maps each cell's code through a class table (:func:`read_land_classes`; by default the 21
UKCEH Land Cover Map classes) to an eligibility flag and a land use (``woodland_creation``,
``hedgerow``, ``peat_restoration`` or ``none``), removes cells inside exclusion layers
(protected sites, best and most versatile land, urban areas, flood zones: any, all or none),
groups the remaining eligible cells into candidate parcels and prices each parcel with the
land use's rate, cost and permanence buffer from ``layers/assumptions/sequestration.csv``
(:func:`read_sequestration`).

Rules, stated once:

* **Cells.** Nodata cells (nodata value, NaN or GDAL mask) are ignored. A cell is inside an
  exclusion layer when its centre is (GDAL's default rasterising rule). Areas are whole cells:
  ``area_ha = cells x cell area / 10,000``.
* **Parcels, method "blocks".** Fixed square blocks of ``block_size_m`` aligned on the
  raster's top-left corner; each block gives **one parcel per eligible class present** (not
  only the dominant class, so no eligible land is dropped and each parcel has one land use).
  Its geometry is the union of those cells. Blocks on the right and bottom edges may be
  smaller. Reading windows are whole numbers of blocks, so no block is ever cut.
* **Parcels, method "patches".** 4-connected patches (cells sharing an edge) of one eligible
  class. Patches cut by window edges are joined again, so any window size gives the same
  parcels as a single window.
* **Size.** Parcels smaller than ``min_area_ha`` are dropped (counted in the report).
* **Ids.** ``land-<easting>-<northing>-<code>``: the north-west corner of the parcel's first
  cell in raster order (for blocks, the block's corner) and its class code; parcels are
  sorted in that order. The same inputs always give the same ids and row order.
* **Carbon and cost.** ``seq_gross_tco2e_per_yr = rate x area_ha``;
  ``seq_tco2e_per_yr = gross x (1 - buffer_share)``; ``cost_gbp = cost_gbp_per_ha x area_ha``.
  For ``peat_restoration`` the "sequestration" is avoided emissions.
* **Zones.** Each parcel takes the zone it overlaps most (ties: lowest ``zone_id``); parcels
  outside every zone, or when no zones are given, have no ``zone_id``.

:func:`geoplan.layers.land_vector.land_parcels_from_polygons` is the open counterpart: any
polygon land-cover or habitat layer (Living England, CORINE, OpenStreetMap) mapped to these
classes by a table, with the same parcels for equivalent input. Exclusion layers may keep only
the features whose column holds given values (:class:`Exclusion`: e.g. ALC grades 1 to 3a).

The output follows :data:`geoplan.schemas.LAND` (EPSG:27700), then the extra columns
``land_use``, ``lcm_code``, ``eligible_cells``, ``seq_gross_tco2e_per_yr``, ``buffer_share``
and ``district_id``. ``frame.attrs["report"]`` holds a :class:`LandReport`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geoplan.errors import LayerSchemaError, Problems, ScenarioError, SourceFormatError
from geoplan.layers.land_classes import (
    LAND_CLASSES,
    NO_LAND_USE,
    SEQUESTRATION,
    class_table,
    read_land_classes,
    read_sequestration,
    sequestration_table,
)
from geoplan.layers.land_mapping import class_keys
from geoplan.layers.zones import zones_from_file
from geoplan.schemas import CRS, LAND, validate_layer
from geoplan.sources.raster import (
    MaskLayer,
    RasterGrid,
    RegionScan,
    inspect_raster,
    load_mask_layer,
    scan_regions,
)
from geoplan.sources.vector import read_vector, to_bng

__all__ = [
    "LAND_CLASSES",
    "METHODS",
    "NO_LAND_USE",
    "SEQUESTRATION",
    "Exclusion",
    "LandReport",
    "coordinate_texts",
    "exclusion_specs",
    "exclusions_from_files",
    "land_parcels_from_raster",
    "read_exclusion",
    "read_land_classes",
    "read_sequestration",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
VectorSource: TypeAlias = PathLike | gpd.GeoDataFrame | gpd.GeoSeries

METHODS = ("blocks", "patches")
"""Ways of grouping eligible cells into parcels (see the module docstring)."""


_M2_PER_HA = 10_000.0


@dataclass(frozen=True)
class Exclusion:
    """One exclusion layer: land inside it is not available.

    Parameters
    ----------
    label : str
        Name in the report, e.g. ``"protected_sites"``, ``"bmv_land"``, ``"flood_zone_3"``.
    source : path, geopandas.GeoDataFrame or geopandas.GeoSeries
        Polygons, in any CRS they declare.
    layer : str, optional
        Layer to read from a multi-layer file.
    column : str, optional
        Keep only the features whose ``column`` holds one of ``values`` (e.g. the
        Agricultural Land Classification's ``ALC_GRADE`` with ``("Grade 1", "Grade 2",
        "Grade 3a")``); values match trimmed and ignoring case. ``None``: every feature.
    values : tuple of str
        The values kept (needed with ``column``).
    """

    label: str
    source: VectorSource
    layer: str | None = None
    column: str | None = None
    values: tuple[str, ...] = ()


ExclusionsInput: TypeAlias = (Mapping[str, "VectorSource | Exclusion"]
                              | Iterable["Exclusion | tuple[str, VectorSource]"] | None)
"""``{label: source or Exclusion}``, ``[(label, source), ...]`` or :class:`Exclusion` objects."""


def exclusions_from_files(exclusions: Mapping[str, VectorSource | Exclusion]) -> list[Exclusion]:
    """:class:`Exclusion` objects for ``{label: source or Exclusion}``, finding each file's layer.

    A GeoPackage holding several layers, one of them named like the label (e.g.
    ``protected_sites`` in ``exclusions.gpkg``), is read at that layer; any other source as
    it is (a file with several layers and none named like the label is refused when read).
    An :class:`Exclusion` given as a value keeps its filter and its layer, if it names one.
    """
    out = []
    for label, given in exclusions.items():
        spec = given if isinstance(given, Exclusion) else Exclusion(label, given)
        source, layer = spec.source, spec.layer
        if layer is None and isinstance(source, str | os.PathLike) \
                and Path(source).suffix.lower() == ".gpkg" and Path(source).is_file():
            names = {str(name) for name, _ in pyogrio.list_layers(source)}
            layer = label if label in names and len(names) > 1 else None
        out.append(Exclusion(label, source, layer, spec.column, tuple(spec.values)))
    return out


def exclusion_specs(exclusions: ExclusionsInput) -> list[Exclusion]:
    """Normalise any form of ``exclusions`` to :class:`Exclusion` objects (labels unique)."""
    if isinstance(exclusions, Mapping):
        items: Iterable[object] = [v if isinstance(v, Exclusion) else (k, v)
                                   for k, v in exclusions.items()]
    else:
        items = exclusions or ()
    specs: list[Exclusion] = []
    for item in items:
        spec = item if isinstance(item, Exclusion) else Exclusion(*item)  # type: ignore[misc]
        if spec.label in {s.label for s in specs}:
            raise ScenarioError(f"exclusion label {spec.label!r} is used twice (fix: give "
                                "each exclusion layer its own label)")
        specs.append(spec)
    return specs


def read_exclusion(spec: Exclusion) -> tuple[gpd.GeoDataFrame | gpd.GeoSeries, str, list[str]]:
    """Read one exclusion layer and keep the features its filter names.

    Returns
    -------
    tuple
        The features, the name used in messages and warnings (named values not found).

    Raises
    ------
    SourceFormatError
        A filter column the layer lacks, a column without values, or values none of which
        the column holds (the message lists the values it holds).
    """
    if isinstance(spec.source, gpd.GeoDataFrame | gpd.GeoSeries):
        frame, where = spec.source, f"exclusion {spec.label!r}"
    else:
        frame, where = read_vector(spec.source, spec.layer), Path(spec.source).name
    if spec.column is None:
        if spec.values:
            raise ScenarioError(f"exclusion {spec.label!r}: values {list(spec.values)} given "
                                "without a column (fix: name the column they are read from)")
        return frame, where, []
    return _filtered(frame, spec, where)


def _filtered(frame: gpd.GeoDataFrame | gpd.GeoSeries, spec: Exclusion,
              where: str) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    column = str(spec.column)
    if not isinstance(frame, gpd.GeoDataFrame) or column not in frame.columns:
        found = list(frame.columns) if isinstance(frame, gpd.GeoDataFrame) else []
        raise SourceFormatError(f"{where}: exclusion {spec.label!r} filters on column "
                                f"{column!r}, which the layer lacks (columns: {found}) (fix: "
                                "name one of them in the exclusion's column)")
    if not spec.values:
        raise ScenarioError(f"exclusion {spec.label!r}: column {column!r} given without values "
                            "(fix: list the values to exclude, e.g. values: [Grade 1, Grade 2])")
    held = class_keys(frame[column])
    wanted = dict(zip(class_keys(pd.Series(list(spec.values), dtype=object)),
                      map(str, spec.values), strict=True))
    keep = held.isin(list(wanted)).to_numpy(dtype=bool)
    present = set(held)
    if not keep.any():
        values = sorted({str(v).strip() for v in frame[column].dropna()})
        raise SourceFormatError(f"{where}: no feature of exclusion {spec.label!r} has {column} "
                                f"in {list(spec.values)}; the column holds {values[:20]} (fix: "
                                "name values the column holds)")
    absent = [shown for key, shown in wanted.items() if key not in present]
    warnings = [f"{where}: exclusion {spec.label!r}: no feature has {column} = {shown!r}; "
                "nothing excluded for it" for shown in absent]
    kept = frame.loc[keep]
    logger.info("%s: exclusion %r keeps %d of %d features (%s in %s)", where, spec.label,
                len(kept), len(frame), column, list(spec.values))
    return kept, where, warnings


@dataclass(frozen=True)
class LandReport:
    """What one call of :func:`land_parcels_from_raster` read, removed and produced.

    Hectares are whole cells. ``excluded_ha`` counts, per layer, eligible land inside it
    (land inside two layers counts in both); ``excluded_total_ha`` counts it once.
    """

    source: str
    band: int
    method: str
    cell_size_m: tuple[float, float]
    windows: int
    cells_by_code: dict[int, int]
    nodata_cells: int
    eligible_ha: float
    excluded_ha: dict[str, float]
    excluded_total_ha: float
    available_ha: float
    parcels: int
    parcel_ha: float
    small_parcels_dropped: int
    small_ha_dropped: float
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Return the report as plain Python values (for JSON manifests)."""
        return asdict(self)


def land_parcels_from_raster(
    raster: PathLike,
    *,
    classes: PathLike | pd.DataFrame | None = None,
    sequestration: PathLike | pd.DataFrame | None = None,
    exclusions: ExclusionsInput = (),
    zones: PathLike | gpd.GeoDataFrame | None = None,
    method: str = "blocks",
    block_size_m: float = 500.0,
    min_area_ha: float = 1.0,
    band: int | None = None,
    window_size: int = 1024,
) -> gpd.GeoDataFrame:
    """Candidate land parcels for sequestration from a land-cover raster.

    Parameters
    ----------
    raster : path
        Land-cover GeoTIFF (any GDAL raster) in a projected CRS in metres.
    classes : path or pandas.DataFrame, optional
        Class table (see :func:`read_land_classes`); default: UKCEH LCM 21 classes.
    sequestration : path or pandas.DataFrame, optional
        Rates, costs and buffers per land use (see :func:`read_sequestration`).
    exclusions : mapping or iterable
        ``{label: source or Exclusion}``, ``[(label, source), ...]`` or :class:`Exclusion`
        objects (which may keep only the features whose column holds given values); a
        source is a vector file or a GeoDataFrame. Any may be left out.
    zones : path or geopandas.GeoDataFrame, optional
        Planning zones (``zone_id``, optionally ``district_id``); a path is read with
        :func:`geoplan.layers.zones.zones_from_file` (which needs district codes in the file).
    method : {"blocks", "patches"}
        How eligible cells become parcels (module docstring).
    block_size_m : float
        Block side for ``"blocks"``; a whole number of cells.
    min_area_ha : float
        Smallest parcel kept.
    band : int, optional
        Band holding the codes (default 1, with a warning when there are several).
    window_size : int
        Cells per side of a reading window (rounded down to whole blocks). Results do not
        depend on it; memory does.

    Returns
    -------
    geopandas.GeoDataFrame
        The ``land`` layer in EPSG:27700 plus extras (module docstring);
        ``attrs["report"]`` is a :class:`LandReport`.

    Raises
    ------
    GeoplanError
        ``SourceNotFoundError`` (missing file), ``SourceFormatError`` (not a raster, missing
        band, rotated grid, codes missing from the class table, bad tables),
        ``MissingCRSError``/``CRSError`` (raster or layer without a usable CRS),
        ``ScenarioError`` (bad option), ``LayerSchemaError`` (zones without ``zone_id``).
    """
    check_options(method, block_size_m, min_area_ha, window_size)
    rates = sequestration_table(sequestration)
    table = class_table(classes, rates)
    grid = inspect_raster(raster, band)
    block = _block_cells(grid, block_size_m) if method == "blocks" else None
    layers, notes = _load_exclusions(exclusions, grid)
    min_cells = int(np.ceil(min_area_ha * _M2_PER_HA / grid.cell_area_m2 - 1e-9))
    scan = scan_regions(grid, table["lcm_code"].to_numpy(), table["eligible"].to_numpy(),
                        layers, block=block, min_cells=min_cells, window_size=window_size)
    _raise_unknown_codes(grid, scan)
    frame = _parcel_frame(scan.regions, table, rates, grid)
    frame = assign_zones(frame, zones_input(zones))
    validate_layer(frame, LAND, grid.path.name)
    frame.attrs["report"] = _report(grid, method, table, layers, scan, frame, notes)
    logger.info("%s: %d parcels, %.1f ha", grid.path.name, len(frame), frame["area_ha"].sum())
    return frame


def check_options(method: str, block_size_m: float, min_area_ha: float,
                   window_size: int) -> None:
    if method not in METHODS:
        raise ScenarioError(f"method={method!r} is not one of {list(METHODS)} (fix: pass "
                            "method='blocks' or method='patches')")
    if not block_size_m > 0:
        raise ScenarioError(f"block_size_m={block_size_m!r} must be positive (fix: e.g. 500)")
    if not min_area_ha >= 0:
        raise ScenarioError(f"min_area_ha={min_area_ha!r} must be 0 or more (fix: e.g. 1.0)")
    if int(window_size) != window_size or window_size < 1:
        raise ScenarioError(f"window_size={window_size!r} must be a whole number of cells "
                            "(fix: e.g. 1024)")


def _block_cells(grid: RasterGrid, block_size_m: float) -> int:
    width, height = grid.cell_size
    name = grid.path.name
    if not np.isclose(width, height, rtol=1e-9):
        raise ScenarioError(f"{name}: cells are {width:g} x {height:g} m; blocks need square "
                            "cells (fix: use method='patches' or resample with gdalwarp -tr)")
    cells = block_size_m / width
    if not np.isclose(cells, round(cells), rtol=0, atol=1e-6) or round(cells) < 1:
        below, above = max(1, int(cells)) * width, (int(cells) + 1) * width
        raise ScenarioError(f"{name}: block_size_m={block_size_m:g} is not a whole number of "
                            f"{width:g} m cells (fix: use e.g. {below:g} or {above:g})")
    return round(cells)


# --- tables -----------------------------------------------------------------------------


# --- exclusions and zones -------------------------------------------------------------------


def _load_exclusions(exclusions: ExclusionsInput, grid: RasterGrid
                     ) -> tuple[list[MaskLayer], list[str]]:
    layers: list[MaskLayer] = []
    warnings: list[str] = []
    for spec in exclusion_specs(exclusions):
        frame, where, notes = read_exclusion(spec)
        warnings += notes
        layers.append(load_mask_layer(spec.label, frame, grid.crs, where))
    return layers, warnings


def zones_input(zones: PathLike | gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if zones is None:
        return None
    if not isinstance(zones, gpd.GeoDataFrame):
        return zones_from_file(zones)
    if "zone_id" not in zones.columns:
        raise LayerSchemaError(f"zones GeoDataFrame: no zone_id column among "
                               f"{list(zones.columns)} (fix: read zones with zones_from_file)")
    return to_bng(zones, "zones GeoDataFrame")


def assign_zones(frame: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Give each parcel the zone it overlaps most (ties: lowest zone_id)."""
    zone = pd.Series(pd.NA, index=frame.index, dtype="str")
    district = pd.Series(pd.NA, index=frame.index, dtype="str")
    if zones is not None and len(frame):
        ids = zones["zone_id"].astype("str").to_numpy()
        parcel, which = zones.sindex.query(frame.geometry.values, predicate="intersects")
        area = _overlap_areas(frame.geometry.values, zones.geometry.values, parcel, which)
        pairs = pd.DataFrame({"parcel": parcel, "zone": ids[which], "row": which,
                              "area": area})
        best = pairs[pairs["area"] > 0].sort_values(
            ["parcel", "area", "zone"], ascending=[True, False, True]).drop_duplicates("parcel")
        zone.iloc[best["parcel"].to_numpy()] = best["zone"].to_numpy()
        if "district_id" in zones.columns:
            districts = zones["district_id"].astype("str").to_numpy()
            district.iloc[best["parcel"].to_numpy()] = districts[best["row"].to_numpy()]
    frame.insert(list(frame.columns).index("geometry"), "zone_id", zone)
    frame["district_id"] = district
    return frame


def _overlap_areas(parcels: np.ndarray, zones: np.ndarray, parcel: np.ndarray,
                   which: np.ndarray) -> np.ndarray:
    """Area each (parcel, zone) pair shares; a parcel with one zone inside it needs no cut.

    Most parcels lie inside a single zone: their pair's shared area is the parcel's own area,
    found without computing the intersection (the slow part on a county's parcels).
    """
    area = np.zeros(len(parcel))
    alone = np.bincount(parcel, minlength=len(parcels))[parcel] == 1
    inside = np.zeros(len(parcel), dtype=bool)
    inside[alone] = shapely.covered_by(parcels[parcel[alone]], zones[which[alone]])
    area[inside] = shapely.area(parcels[parcel[inside]])
    cut = ~inside
    area[cut] = shapely.area(shapely.intersection(parcels[parcel[cut]], zones[which[cut]]))
    return area


# --- parcels and report ---------------------------------------------------------------------


def _raise_unknown_codes(grid: RasterGrid, scan: RegionScan) -> None:
    if not scan.unknown:
        return
    listed = ", ".join(f"{value:g}: {count:,} cells" for value, count in
                       sorted(scan.unknown.items()))
    problems = Problems(grid.path)
    problems.add(f"band {grid.band} holds codes missing from the class table ({listed})",
                 fix="add them to the class table (eligible 0, land_use none if they offer "
                     "nothing), or declare them nodata, e.g. gdal_edit.py -a_nodata 0 FILE")
    problems.raise_if_any(SourceFormatError)


def _parcel_frame(regions: pd.DataFrame, table: pd.DataFrame, rates: pd.DataFrame,
                  grid: RasterGrid) -> gpd.GeoDataFrame:
    klass = regions["klass"].to_numpy(dtype=np.int64)
    codes = table["lcm_code"].to_numpy()[klass]
    uses = table["land_use"].to_numpy()[klass]
    rate = rates.assign(land_use=rates["land_use"].astype(str)).set_index("land_use")
    cells = regions["cells"].to_numpy(dtype=np.int64)
    area = cells * grid.cell_area_m2 / _M2_PER_HA
    gross = area * rate["seq_tco2e_per_ha_yr"].reindex(uses).to_numpy(dtype=float)
    share = rate["buffer_share"].reindex(uses).to_numpy(dtype=float)
    x, y = grid.cell_corners(regions["row"].to_numpy(), regions["col"].to_numpy())
    east, north = coordinate_texts(x), coordinate_texts(y)
    ids = [f"land-{e}-{n}-{c}" for e, n, c in zip(east, north, codes, strict=True)]
    frame = gpd.GeoDataFrame({
        "parcel_id": pd.Series(ids, dtype="str"),
        "land_class": pd.Series(table["name"].to_numpy()[klass], dtype="str"),
        "area_ha": area.astype(float),
        "seq_tco2e_per_yr": gross * (1.0 - share),
        "cost_gbp": area * rate["cost_gbp_per_ha"].reindex(uses).to_numpy(dtype=float),
        "geometry": regions["geometry"].to_numpy(),
        "land_use": pd.Series(uses, dtype="str"),
        "lcm_code": codes.astype(np.int64),
        "eligible_cells": cells,
        "seq_gross_tco2e_per_yr": gross,
        "buffer_share": share,
    }, geometry="geometry", crs=grid.crs.to_wkt())
    return frame if frame.crs == gpd.GeoSeries(crs=CRS).crs else frame.to_crs(CRS)


def coordinate_texts(values: np.ndarray) -> list[str]:
    """Each coordinate of a parcel's id: metres to the centimetre, as few digits as needed.

    Each distinct value is written once (parcels share their blocks' corners).
    """
    bits = np.ascontiguousarray(values, dtype=float).view(np.int64)  # -0.0 apart from 0.0
    distinct, position = np.unique(bits, return_inverse=True)
    text = [np.format_float_positional(round(float(v), 2), trim="-")
            for v in distinct.view(float)]
    return [text[i] for i in position.ravel().tolist()]


def _report(grid: RasterGrid, method: str, table: pd.DataFrame, layers: list[MaskLayer],
            scan: RegionScan, frame: gpd.GeoDataFrame, notes: list[str]) -> LandReport:
    to_ha = grid.cell_area_m2 / _M2_PER_HA
    read = {int(c): int(n) for c, n in zip(table["lcm_code"], scan.cells, strict=True) if n}
    return LandReport(
        source=grid.path.name, band=grid.band, method=method, cell_size_m=grid.cell_size,
        windows=scan.windows, cells_by_code=read, nodata_cells=scan.nodata,
        eligible_ha=scan.eligible * to_ha,
        excluded_ha={layer.label: int(n) * to_ha
                     for layer, n in zip(layers, scan.excluded, strict=True)},
        excluded_total_ha=scan.excluded_any * to_ha,
        available_ha=(scan.eligible - scan.excluded_any) * to_ha,
        parcels=len(frame), parcel_ha=float(frame["area_ha"].sum()),
        small_parcels_dropped=scan.dropped, small_ha_dropped=scan.dropped_cells * to_ha,
        warnings=(*grid.warnings, *notes),
    )
