"""Read vector files and bring them into British National Grid, with one set of CRS rules.

Every reader of spatial files (zones, generic grid files, ``--within`` boundaries) goes
through these functions, so a user meets the same behaviour everywhere:

* a file with several layers needs ``layer=`` (``--layer``); a missing layer lists those present;
* a file GDAL cannot read is a :class:`~geoplan.errors.SourceFormatError` naming the file;
* a layer without a CRS is refused unless ``crs=`` (``--crs``) *declares* it; ``crs=`` never
  overrides a CRS the file states (that is a :class:`~geoplan.errors.CRSError`), and geoplan
  never guesses;
* a coordinate that is NaN or infinite is refused (naming the features), and so are
  coordinates that cannot be in the CRS the file declares (degrees beyond 180/90: the file's
  CRS is wrong), rather than becoming empty or broken shapes;
* :func:`check_in_gb` refuses features outside Great Britain, saying when the coordinates
  look like [latitude, longitude] written in the wrong order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import shapely
from pyproj.exceptions import CRSError as ProjCRSError

from geoplan.errors import CRSError, MissingCRSError, SourceFormatError, SourceNotFoundError
from geoplan.schemas import CRS
from geoplan.sources.osgb import inside_gb, looks_swapped
from geoplan.sources.sniff import check_file

__all__ = ["PARQUET_SUFFIXES", "check_in_gb", "layer_fields", "layer_names", "parse_crs",
           "read_vector", "to_bng"]

PARQUET_SUFFIXES = frozenset({".parquet", ".geoparquet"})
_FORMATS = "a GeoPackage, Shapefile, GeoJSON or GeoParquet file"

_Spatial = TypeVar("_Spatial", gpd.GeoDataFrame, gpd.GeoSeries)
_Read = TypeVar("_Read")


def read_vector(path: str | os.PathLike[str], layer: str | None = None) -> gpd.GeoDataFrame:
    """Read one layer of a vector file (any GDAL format, or GeoParquet).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    layer : str, optional
        Layer to read; required when the file holds several.

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        As read, in the file's own CRS (a DataFrame for a layer without geometry).

    Raises
    ------
    SourceNotFoundError
        If the file or the layer does not exist (the message lists the layers present).
    SourceFormatError
        If the file holds several layers and none was chosen, or cannot be read.
    """
    path = check_file(path, _FORMATS)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        _check_layer(path, layer, [path.stem])
        return _guarded(path, "GeoParquet", gpd.read_parquet, path)
    names = layer_names(path)
    _check_layer(path, layer, names)
    return _guarded(path, "a vector file", gpd.read_file, path, layer=layer, engine="pyogrio")


def layer_names(path: str | Path) -> list[str]:
    """Names of the layers of a vector file (GDAL formats).

    Raises
    ------
    SourceNotFoundError
        If the path does not exist or is a symlink loop.
    SourceFormatError
        If it is a folder or device, or GDAL cannot read it (e.g. a truncated GeoPackage).
    """
    path = check_file(path, _FORMATS)
    return [str(n) for n in _guarded(path, "a vector file", pyogrio.list_layers, path)[:, 0]]


def layer_fields(path: str | Path, layer: str) -> list[str]:
    """Attribute column names of one layer of a vector file, without reading its features.

    Raises
    ------
    SourceFormatError
        If GDAL cannot read the file or the layer.
    """
    path = check_file(path, _FORMATS)
    info = _guarded(path, "a vector file", pyogrio.read_info, path, layer=layer)
    return [str(f) for f in info["fields"]]


def _check_layer(path: Path, layer: str | None, names: list[str]) -> None:
    if layer is not None and layer not in names:
        raise SourceNotFoundError(f"{path.name}: layer {layer!r} not found; the file has layers "
                                  f"{names} (fix: pass one of them as layer= or --layer)")
    if layer is None and len(names) > 1:
        raise SourceFormatError(f"{path.name}: the file has layers {names}; say which to read "
                                "(fix: pass layer= or --layer)")


def _guarded(path: Path, what: str, reader: Callable[..., _Read], *args: object,
             **options: object) -> _Read:
    """Call ``reader``, turning GDAL and parser failures into a SourceFormatError."""
    try:
        return reader(*args, **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError, ValueError, OSError,
            RuntimeError) as exc:
        damaged = "malformed" in str(exc) or "truncated" in str(exc).casefold()
        hint = "; the file looks damaged or cut short" if damaged else ""
        raise SourceFormatError(f"{path.name}: cannot be read as {what} ({exc}){hint} (fix: "
                                f"give {_FORMATS}; download or export it again)") from exc


def parse_crs(crs: str | None, source: str | Path = "") -> pyproj.CRS | None:
    """Parse a user-given CRS (``"EPSG:27700"``, a WKT or PROJ string); ``None`` stays None.

    Raises
    ------
    CRSError
        If the text is not a coordinate reference system.
    """
    if crs is None:
        return None
    try:
        return pyproj.CRS.from_user_input(crs)
    except ProjCRSError as exc:
        where = f"{Path(source).name}: " if source else ""
        raise CRSError(f"{where}crs={crs!r} is not a coordinate reference system (fix: give an "
                       "EPSG code such as 'EPSG:27700' or 'EPSG:4326')") from exc


def to_bng(data: _Spatial, source: str | Path, crs: str | None = None) -> _Spatial:
    """Reproject a GeoDataFrame or GeoSeries to EPSG:27700, declaring its CRS if it has none.

    Parameters
    ----------
    data : geopandas.GeoDataFrame or geopandas.GeoSeries
        As read from ``source``.
    source : str or pathlib.Path
        Where it came from, for messages.
    crs : str, optional
        The CRS of a file that declares none. Never used to relabel a file that has one.

    Raises
    ------
    MissingCRSError
        If the data has no CRS and ``crs`` is not given.
    CRSError
        If ``crs`` is not a CRS, or contradicts the CRS the file declares.
    """
    name = Path(source).name
    given = parse_crs(crs, source)
    if data.crs is None:
        if given is None:
            raise MissingCRSError(
                f"{name}: the file declares no coordinate reference system (fix: pass crs= or "
                '--crs to declare it, e.g. crs="EPSG:xxxx" with --crs EPSG:27700 for '
                "eastings/northings or EPSG:4326 for longitude/latitude; geoplan never guesses)"
            )
        data = data.set_crs(given)
    elif given is not None and not _same_crs(data.crs, given):
        raise CRSError(f"{name}: the file declares CRS {data.crs.to_string()} but crs={crs!r} "
                       "was given (fix: drop crs= (--crs): it only declares a CRS for files "
                       "that have none)")
    _refuse_nonfinite(data, name)
    _refuse_impossible_degrees(data, name)
    projected = data.to_crs(CRS)
    _refuse_nonfinite(projected, name, after=data.crs)
    return projected


def _geometries(data: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    return np.asarray(data.geometry.values if isinstance(data, gpd.GeoDataFrame)
                      else data.values)


def _refuse_nonfinite(data: gpd.GeoDataFrame | gpd.GeoSeries, name: str,
                      after: pyproj.CRS | None = None) -> None:
    """Refuse NaN or infinite coordinates (as read, or once projected from ``after``)."""
    coords, index = shapely.get_coordinates(_geometries(data), return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if not bad.any():
        return
    features = sorted({int(i) + 1 for i in index[bad]})
    if after is None:
        raise SourceFormatError(
            f"{name}: {len(features)} features have a coordinate that is NaN or infinite "
            f"(feature numbers {features[:10]}) (fix: repair or redraw those shapes, e.g. "
            "with QGIS's 'Check validity', then export the file again)")
    raise CRSError(f"{name}: {len(features)} features cannot be projected from "
                   f"{after.to_string()} to {CRS} (feature numbers {features[:10]}); the "
                   "coordinates do not fit the CRS the file declares (fix: export the file "
                   "with its true CRS)")


def _refuse_impossible_degrees(data: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> None:
    """Refuse a geographic CRS whose coordinates are not degrees (e.g. metres labelled 4326)."""
    if data.crs is None or not data.crs.is_geographic or data.empty:
        return
    xmin, ymin, xmax, ymax = data.total_bounds
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return
    if max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90:
        return
    looks = (" (they look like British National Grid eastings and northings, EPSG:27700)"
             if inside_gb([xmin, xmax], [ymin, ymax]).all() else "")
    raise CRSError(f"{name}: the file declares {data.crs.to_string()} (longitude/latitude in "
                   f"degrees) but its coordinates span x {xmin:,.0f} to {xmax:,.0f}, y "
                   f"{ymin:,.0f} to {ymax:,.0f}, which are not degrees{looks} (fix: save the "
                   "file with its true CRS; the wrong CRS is written in the file, so --crs "
                   "cannot override it)")


def check_in_gb(raw: gpd.GeoDataFrame | gpd.GeoSeries, bng: gpd.GeoDataFrame | gpd.GeoSeries,
                source: str | Path, what: str = "features") -> None:
    """Refuse features that lie outside Great Britain once in British National Grid.

    Parameters
    ----------
    raw : geopandas.GeoDataFrame or GeoSeries
        As read (its own CRS), to say when coordinates look like [latitude, longitude].
    bng : geopandas.GeoDataFrame or GeoSeries
        The same rows in EPSG:27700 (from :func:`to_bng`).
    source : str or pathlib.Path
        The file, for messages.
    what : str
        What a row is, for messages.

    Raises
    ------
    SourceFormatError
        Naming how many features lie outside the grid's extent, the first few feature
        numbers and their coordinates, and the likely fix.
    """
    geoms = _geometries(bng)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bounds = shapely.bounds(geoms)
    inside = inside_gb(bounds[:, 0], bounds[:, 1]) & inside_gb(bounds[:, 2], bounds[:, 3])
    outside = np.flatnonzero(present & ~inside)
    if not len(outside):
        return
    name = Path(source).name
    first = bounds[outside[0]]
    hint = _swap_hint(raw, outside)
    raise SourceFormatError(
        f"{name}: {len(outside)} of {len(geoms)} {what} lie outside Great Britain (feature "
        f"numbers {[int(i) + 1 for i in outside[:10]]}; the first spans easting "
        f"{first[0]:,.0f} to {first[2]:,.0f}, northing {first[1]:,.0f} to {first[3]:,.0f} in "
        f"{CRS}, where Great Britain is eastings 0-700,000 and northings 0-1,300,000){hint} "
        "(fix: check the coordinates and the CRS the file declares)")


def _swap_hint(raw: gpd.GeoDataFrame | gpd.GeoSeries, rows: np.ndarray) -> str:
    if raw.crs is None or not raw.crs.is_geographic:
        return ""
    points = shapely.get_coordinates(shapely.point_on_surface(_geometries(raw)[rows]))
    if len(points) and looks_swapped(points[:, 0], points[:, 1]).all():
        return ("; the coordinates look like [latitude, longitude], but GeoJSON and "
                "longitude/latitude CRSs need [longitude, latitude]: swap them")
    return ""


def _same_crs(first: pyproj.CRS, second: pyproj.CRS) -> bool:
    epsg = first.to_epsg()
    return bool(first == second or (epsg is not None and epsg == second.to_epsg()))
