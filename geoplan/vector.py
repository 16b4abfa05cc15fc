"""Read vector files and bring them into British National Grid, with one set of CRS rules.

Every reader of spatial files (zones, generic grid files, ``--within`` boundaries) goes
through these functions, so a user meets the same behaviour everywhere:

* a file with several layers needs ``layer=`` (``--layer``); a missing layer lists those present;
* a file GDAL cannot read is a :class:`~geoplan.errors.SourceFormatError` naming the file;
* a layer without a CRS is refused unless ``crs=`` (``--crs``) *declares* it; ``crs=`` never
  overrides a CRS the file states (that is a :class:`~geoplan.errors.CRSError`), and geoplan
  never guesses.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import pyogrio
import pyproj
from pyproj.exceptions import CRSError as ProjCRSError

from geoplan.errors import CRSError, MissingCRSError, SourceFormatError, SourceNotFoundError
from geoplan.schemas import CRS

__all__ = ["PARQUET_SUFFIXES", "parse_crs", "read_vector", "to_bng"]

PARQUET_SUFFIXES = frozenset({".parquet", ".geoparquet"})
_FORMATS = "a GeoPackage, Shapefile, GeoJSON or GeoParquet file"

_Spatial = TypeVar("_Spatial", gpd.GeoDataFrame, gpd.GeoSeries)


def read_vector(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
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
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"{path}: no such file")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        _check_layer(path, layer, [path.stem])
        return _guarded(path, "GeoParquet", gpd.read_parquet, path)
    names = [str(n) for n in _guarded(path, "a vector file", pyogrio.list_layers, path)[:, 0]]
    _check_layer(path, layer, names)
    return _guarded(path, "a vector file", gpd.read_file, path, layer=layer, engine="pyogrio")


def _check_layer(path: Path, layer: str | None, names: list[str]) -> None:
    if layer is not None and layer not in names:
        raise SourceNotFoundError(f"{path.name}: layer {layer!r} not found; the file has layers "
                                  f"{names} (fix: pass one of them as layer= or --layer)")
    if layer is None and len(names) > 1:
        raise SourceFormatError(f"{path.name}: the file has layers {names}; say which to read "
                                "(fix: pass layer= or --layer)")


def _guarded(path: Path, what: str, reader: object, *args: object, **options: object) -> object:
    """Call ``reader``, turning GDAL and parser failures into a SourceFormatError."""
    try:
        return reader(*args, **options)  # type: ignore[operator]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError,
            OSError) as exc:
        raise SourceFormatError(f"{path.name}: cannot be read as {what} ({exc}) (fix: give "
                                f"{_FORMATS})") from exc


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
    return data.to_crs(CRS)


def _same_crs(first: pyproj.CRS, second: pyproj.CRS) -> bool:
    epsg = first.to_epsg()
    return bool(first == second or (epsg is not None and epsg == second.to_epsg()))
