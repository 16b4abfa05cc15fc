"""Read any supported source as one kind of canonical layer, optionally limited to an area.

This is the one entry point the ``geoplan layers`` commands (and notebooks) use::

    tables = read_layers("sepd-network-headroom-report.xlsx", "substations",
                         within="Oxfordshire")
    tables.layers["substations"], tables.layers["headroom"]

Kinds (:data:`KINDS`) and what each gives:

* ``zones``: one ``zones`` layer (:func:`geoplan.zones.zones_from_file`);
* ``substations``: a ``substations`` layer plus the non-spatial ``headroom`` table
  (:func:`geoplan.sources.read_grid`);
* ``buildings``: EPC ``certificates.csv`` files located by ``uprn=`` and ``postcodes=``
  (:func:`geoplan.buildings.buildings_from_epc`), plus the ``zone_buildings`` table
  (:func:`geoplan.buildings.zone_summary`) when ``zones=`` is given;
* ``ev_demand``: a vehicles-by-zone table with ``zones=`` (needed), ``households=``,
  ``chargers=``, ``uptake=``, ``plan_year=`` (:func:`geoplan.ev.ev_demand_from_tables`);
* ``chargers``: the Chargepoint Registry CSV or GeoJSON, ``layer=``, ``crs=``
  (:func:`geoplan.sources.chargepoint_registry.read_chargepoints`);
* ``sites``: candidate charger sites from any layer, ``site_kind=`` or ``site_kind_column=``,
  ``layer=``, ``crs=`` (:func:`geoplan.sites.sites_from_layer`);
* ``land``: a land-cover raster with ``exclusions=`` ({label: path}), ``zones=``,
  ``method=``, ``block_size_m=``, ``min_area_ha=``
  (:func:`geoplan.land.land_parcels_from_raster`).

The readers of the kinds after ``substations`` live in :mod:`geoplan.layer_kinds`.

``within`` keeps part of any layer: a boundary file (features inside it), or a name: a DNO
reference area for substations, a district code or name for zones and for the other kinds
when ``zones=`` is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import (
    AreaNotFoundError,
    LayerSchemaError,
    SourceFormatError,
    SourceNotFoundError,
)
from geoplan.schemas import (
    BUILDINGS,
    CHARGERS,
    LAND,
    SITES,
    SUBSTATIONS,
    ZONES,
    LayerSchema,
    validate_layer,
)
from geoplan.sources import read_grid
from geoplan.sources._numbers import declared_decimal
from geoplan.sources.base import GridTables
from geoplan.vector import layer_fields, layer_names, read_vector, to_bng

__all__ = [
    "KINDS",
    "LayerSet",
    "crs_name",
    "open_layer",
    "read_layers",
    "rows_within",
    "select_grid",
    "source_name",
    "zones_layer",
]

KINDS = ("zones", "substations", "buildings", "ev_demand", "chargers", "sites", "land")
VECTOR_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".json", ".parquet", ".fgb", ".zip"})

PathLike = str | Path
Source = PathLike | Sequence[PathLike]
ZonesInput = PathLike | gpd.GeoDataFrame | None


@dataclass(frozen=True)
class LayerSet:
    """Canonical layers read from one source.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    layers : Mapping[str, pandas.DataFrame]
        Layer name -> table, in the order they are written.
    source : str
        What was read (file or folder name).
    format : str
        The reader used.
    warnings : tuple of str
        What the reader repaired or skipped.
    summary : Mapping[str, object]
        Counts for ``geoplan layers validate``.
    """

    kind: str
    layers: Mapping[str, pd.DataFrame]
    source: str
    format: str
    warnings: tuple[str, ...] = ()
    summary: Mapping[str, object] = field(default_factory=dict)


def read_layers(
    source: Source,
    kind: str,
    *,
    fmt: str = "auto",
    within: str | None = None,
    decimal: str | None = None,
    **options: object,
) -> LayerSet:
    """Read ``source`` as canonical layers of ``kind`` (module docstring).

    Parameters
    ----------
    source : path or sequence of paths
        A file, a folder (zones: vector files; buildings: EPC certificate folders), or
        several files (zones, buildings).
    kind : str
        One of :data:`KINDS`.
    fmt : str
        Grid format for ``substations`` (``"auto"`` detects it from the headers).
    within : str, optional
        Keep only part of the layer: a path to a polygon file (features inside it), or a
        name: for substations an area from the DNO's reference sheet (e.g.
        ``"Oxfordshire"``), for the other kinds a district code or name of the zones.
    decimal : {".", ","}, optional
        The decimal mark of numbers written as text in the source's files (CSV cells):
        with ``","``, ``"1,5"`` reads as 1.5 and ``"1.5"`` is refused as ambiguous. Default:
        the mark already declared (:func:`geoplan.sources._numbers.declared_decimal`), else
        ``"."``.
    **options
        Passed to the reader of ``kind``: zones and substations as their readers take them
        (``id_column=``, ``districts=``, ``columns=``, ``year=``, ``layer=``, ``crs=``...);
        the other kinds as named in the module docstring, plus ``zones=`` and
        ``districts=`` for ``within`` by district name.

    Returns
    -------
    LayerSet

    Raises
    ------
    ValueError
        For an unknown ``kind`` or ``decimal``; ``TypeError`` for an option the kind does not
        take.
    SourceFormatError
        If the main layer of the result has no rows (a header-only file, an empty collection,
        or every row left out): an empty layer is never returned as a success.
    GeoplanError
        As raised by the readers (every problem of one input listed at once).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, not {kind!r}")
    with declared_decimal(decimal):
        if kind == "zones":
            result = _zones(source, within, options)
        elif kind == "substations":
            result = _substations(source, fmt, within, options)
        else:
            from geoplan.layer_kinds import READERS

            result = READERS[kind](source, within, **options)
    return _refuse_empty(result)


def _refuse_empty(result: LayerSet) -> LayerSet:
    """Refuse a result whose main layer has no rows: never write an empty layer with success.

    Raises
    ------
    SourceFormatError
        Naming the source, saying what was left out (the reader's warnings) and the fix.
    """
    name, frame = next(iter(result.layers.items()))
    if len(frame):
        return result
    left = "; ".join(result.warnings[:3])
    why = f" ({left})" if left else " (it holds a header or an empty collection, but no data)"
    raise SourceFormatError(f"{result.source}: no rows: nothing was read into the {name} "
                            f"layer{why} (fix: give a file that holds data; download it again "
                            "if it was cut short)")


def _substations(source: Source, fmt: str, within: str | None,
                 options: dict[str, object]) -> LayerSet:
    if not isinstance(source, str | Path):
        raise ValueError("substations are read from one file at a time")
    grid = select_grid(read_grid(source, fmt, **options), within)
    return LayerSet("substations", {"substations": grid.substations, "headroom": grid.headroom},
                    Path(source).name, grid.format, grid.warnings, grid.describe())


def select_grid(grid: GridTables, within: str | None) -> GridTables:
    """Keep the substations serving ``within`` (see :func:`read_layers`); all when None."""
    return grid if within is None else grid.filter(_substations_within(grid, within))


_SCHEMAS: dict[str, LayerSchema] = {"zones": ZONES, "substations": SUBSTATIONS,
                                    "buildings": BUILDINGS, "chargers": CHARGERS,
                                    "sites": SITES, "land": LAND}


def open_layer(path: str | Path, name: str) -> gpd.GeoDataFrame:
    """Open a canonical layer written by ``geoplan layers convert`` and check its schema.

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoPackage holding the layer.
    name : {"zones", "substations", "buildings", "chargers", "sites", "land"}
        Layer name.

    Raises
    ------
    SourceNotFoundError
        If the file or the layer is missing (the message lists the layers present).
    LayerSchemaError
        If the layer does not follow the canonical schema.
    """
    path = Path(path)
    present = layer_names(path)
    if name not in present:
        raise SourceNotFoundError(
            f"{path.name}: no layer {name!r} (it has {present}); fix: write it with "
            f"`geoplan layers convert ... --kind {name} -o {path.name}`"
        )
    frame = read_vector(path, name)
    canonical = list(_SCHEMAS[name].columns)
    frame = frame[[*canonical, *[c for c in frame.columns if c not in canonical]]]
    for column in ("parent_id", "district_id", "district_name", "zone_name", "zone_id"):
        if column in frame.columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    validate_layer(frame, _SCHEMAS[name], path.name)
    return frame


def zones_layer(zones: ZonesInput, districts: PathLike | None = None
                ) -> gpd.GeoDataFrame | None:
    """Return the ``zones`` layer given as a frame or a file.

    A GeoPackage written by ``geoplan layers convert`` (layer ``zones`` with ``zone_id``) is
    opened as it is; any other file is read by :func:`geoplan.zones.zones_from_file`.

    Raises
    ------
    LayerSchemaError
        If a frame has no ``zone_id`` column.
    """
    if zones is None or isinstance(zones, gpd.GeoDataFrame):
        if zones is not None and "zone_id" not in zones.columns:
            raise LayerSchemaError(f"zones: no zone_id column among {list(zones.columns)} "
                                   "(fix: read them with geoplan.zones.zones_from_file)")
        return zones
    path = Path(zones)
    if (path.suffix.lower() == ".gpkg" and "zones" in layer_names(path)
            and "zone_id" in layer_fields(path, "zones")):
        return open_layer(path, "zones")
    from geoplan.zones import zones_from_file

    return zones_from_file(path, districts=districts)


def _zones(source: object, within: str | None, options: dict[str, object]) -> LayerSet:
    from geoplan.zones import zones_from_file

    zones = zones_from_file(source, **options)  # type: ignore[arg-type]
    warnings = tuple(zones.attrs.get("warnings", ()))
    if within is not None:
        zones = zones[_zones_within(zones, within)].reset_index(drop=True)
    name = source_name(source)
    summary = {
        "source": name, "format": "vector", "crs": crs_name(zones), "zones": len(zones),
        "districts": {str(k): int(v) for k, v in
                      zones.groupby("district_name", dropna=False).size().items()},
        "area_km2": round(float(zones.area.sum()) / 1e6, 1), "warnings": list(warnings),
    }
    return LayerSet("zones", {"zones": zones}, name, "vector", warnings, summary)


def source_name(source: object) -> str:
    """Return the file name of ``source``, or ``"<n> files"`` for several paths."""
    if isinstance(source, str | Path):
        return Path(source).name
    return f"{len(source)} files"  # type: ignore[arg-type]


def crs_name(frame: gpd.GeoDataFrame) -> str | None:
    """Return ``frame``'s CRS as ``EPSG:<code>`` (or its name), None when it has none."""
    if frame.crs is None:
        return None
    epsg = frame.crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else frame.crs.name


def rows_within(frame: pd.DataFrame, within: str, zones: gpd.GeoDataFrame | None,
                noun: str) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None]:
    """Keep the rows of ``frame`` in ``within`` (see :func:`read_layers`).

    Parameters
    ----------
    frame : pandas.DataFrame
        A layer; selected by ``zone_id`` when it has one and ``zones`` is given, else by
        where its geometry lies.
    within : str
        A boundary file, or a district code or name of ``zones``.
    zones : geopandas.GeoDataFrame or None
        The zones (needed to select by district).
    noun : str
        What a row is (``"home"``, ``"site"``...), for messages.

    Returns
    -------
    tuple
        The rows kept (index reset) and the zones in ``within`` (None without zones).

    Raises
    ------
    AreaNotFoundError
        If ``within`` names no file and no zones are given, or no row lies inside it.
    """
    chosen = None if zones is None else zones[_zones_within(zones, within)]
    if chosen is not None and "zone_id" in frame.columns:
        keep = frame["zone_id"].isin(set(chosen["zone_id"])).to_numpy()
    elif _is_boundary_file(within) or chosen is not None:
        area = _boundary(within) if chosen is None else chosen.geometry.union_all()
        points = frame.geometry.representative_point()
        keep = np.asarray(frame.geometry.notna() & points.within(area))
    else:
        raise AreaNotFoundError(f"--within {within!r} names no file; to select {noun}s by "
                                "district name, also give the zones (zones= or --zones)")
    _nonempty(keep, noun, within)
    return frame[keep].reset_index(drop=True), chosen


def _is_boundary_file(within: str) -> bool:
    path = Path(within)
    return path.suffix.lower() in VECTOR_SUFFIXES and path.exists()


def _boundary(within: str) -> object:
    return to_bng(read_vector(within), within).union_all()


def _nonempty(keep: np.ndarray, noun: str, within: str) -> np.ndarray:
    if not keep.any():
        raise AreaNotFoundError(f"no {noun} lies inside {Path(within).name} (fix: check the "
                                "boundary covers the area, and that its CRS is right)")
    return keep


def _substations_within(grid: GridTables, within: str) -> np.ndarray:
    subs = grid.substations
    if _is_boundary_file(within):
        keep = np.asarray(subs.geometry.notna() & subs.geometry.within(_boundary(within)))
        return _nonempty(keep, "substation", within)
    if "areas" not in subs.columns:
        raise AreaNotFoundError(
            f"{grid.source.name} lists no areas to select {within!r} from "
            "(fix: pass a boundary file to --within instead)"
        )
    wanted = within.strip().casefold()
    listed = subs["areas"].fillna("").map(lambda text: [a.casefold() for a in text.split("; ")])
    keep = listed.map(lambda areas: wanted in areas).to_numpy()
    if not keep.any():
        known = sorted({a for text in subs["areas"].dropna() for a in text.split("; ")})
        raise AreaNotFoundError(f"no substation serves area {within!r}; the file lists "
                                f"{known} (fix: use one of these names, or a boundary file)")
    return keep


def _zones_within(zones: gpd.GeoDataFrame, within: str) -> np.ndarray:
    if _is_boundary_file(within):
        keep = np.asarray(zones.representative_point().within(_boundary(within)))
        return _nonempty(keep, "zone", within)
    wanted = within.strip().casefold()
    keep = (zones["district_id"].fillna("").str.casefold().eq(wanted)
            | zones["district_name"].fillna("").str.casefold().eq(wanted)).to_numpy()
    if not keep.any():
        known = sorted(set(zones["district_id"].dropna()) | set(zones["district_name"].dropna()))
        raise AreaNotFoundError(f"no zone is in district {within!r}; districts are {known} "
                                "(fix: use a code or name from this list, or a boundary file)")
    return keep
