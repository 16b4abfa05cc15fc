"""One band of a raster file as a checked grid, read window by window, and cell masks.

:func:`inspect_raster` checks a file once (it exists, is a raster, has a projected CRS in
metres, a north-up grid and the band asked for), :func:`iter_windows` cuts the grid into
square windows, and :func:`read_codes` reads one window of one band with its nodata mask.
Vector layers become boolean cell masks window by window (:func:`load_mask_layer`,
:func:`rasterise_window`: a cell is inside a layer when its centre is, GDAL's default rule),
and :func:`polygons_from_labels` vectorises labelled cells with
:func:`rasterio.features.shapes` (4-connected regions, cells sharing an edge). Errors name
the file and give the GDAL command that repairs it. :mod:`geoplan.sources.raster` builds on these.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.crs
import rasterio.features
import shapely
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.windows import Window

from geoplan.errors import (
    CRSError,
    MissingCRSError,
    SourceFormatError,
)
from geoplan.sources.sniff import check_file

__all__ = [
    "MaskLayer",
    "RasterGrid",
    "inspect_raster",
    "iter_windows",
    "load_mask_layer",
    "polygons_from_labels",
    "rasterise_window",
    "read_codes",
    "window_transform",
]

logger = logging.getLogger("geoplan.sources.raster")

PathLike = str | os.PathLike[str]

_FIX_CRS = "assign one with gdal_edit.py -a_srs EPSG:27700 FILE if it is British National Grid"

_FIX_WARP = "reproject it with gdalwarp -t_srs EPSG:27700 -tr 10 10 -r near IN.tif OUT.tif"


@dataclass(frozen=True)
class RasterGrid:
    """What geoplan needs to know about one band of a raster file.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    band : int
        1-based band read.
    band_count : int
        Bands in the file.
    crs : rasterio.crs.CRS
        Its projected CRS (linear unit: metre).
    transform : affine.Affine
        North-up cell-to-map transform.
    width, height : int
        Columns and rows.
    dtype : str
        Data type of the band (e.g. ``"uint8"``).
    warnings : tuple of str
        Things worth telling the user (e.g. which band of several is read).
    """

    path: Path
    band: int
    band_count: int
    crs: rasterio.crs.CRS
    transform: Affine
    width: int
    height: int
    dtype: str = "uint8"
    warnings: tuple[str, ...] = ()

    @property
    def cell_size(self) -> tuple[float, float]:
        """Cell width and height in metres (both positive)."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell in square metres."""
        width, height = self.cell_size
        return width * height

    def cell_corners(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates of the north-west corners of cells ``(rows, cols)``."""
        t = self.transform
        return t.c + t.a * np.asarray(cols, dtype=float), t.f + t.e * np.asarray(rows, float)


def inspect_raster(path: PathLike, band: int | None = None) -> RasterGrid:
    """Open a raster once and check it can be read as a grid of codes.

    Parameters
    ----------
    path : path
        A raster file GDAL can read (GeoTIFF, typically).
    band : int, optional
        1-based band to read. Default: band 1; when the file has several bands a warning
        says so (UKCEH LCM 10 m files hold the class in band 1 and a probability in band 2).

    Returns
    -------
    RasterGrid
        The checked description of the band.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If GDAL cannot read it as a raster, the band does not exist, or the grid is rotated.
    MissingCRSError
        If the raster has no CRS.
    CRSError
        If its CRS is geographic (degrees) or not in metres: areas need a projected CRS.
    """
    path = check_file(path, "a land-cover raster (GeoTIFF)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                count, crs, transform = src.count, src.crs, src.transform
                width, height, names = src.width, src.height, src.descriptions
                dtypes = src.dtypes
    except RasterioIOError as exc:
        raise SourceFormatError(
            f"{path.name}: cannot be read as a raster ({exc}) (fix: give a GeoTIFF of "
            "land-cover codes, e.g. the UKCEH Land Cover Map 10 m classified pixels)"
        ) from exc
    chosen, notes = _choose_band(path.name, count, names, band)
    _check_crs(path.name, crs)
    _check_transform(path.name, transform)
    return RasterGrid(path, chosen, count, crs, transform, width, height, dtypes[chosen - 1],
                      tuple(notes))


def _choose_band(name: str, count: int, names: tuple[str | None, ...],
                 band: int | None) -> tuple[int, list[str]]:
    listed = ", ".join(f"{i} ({d})" if d else str(i) for i, d in enumerate(names, start=1))
    if band is not None and not 1 <= band <= count:
        raise SourceFormatError(f"{name}: band {band} was asked for but the file has "
                                f"{count} band(s): {listed} (fix: pass band= between 1 and "
                                f"{count})")
    if band is None and count > 1:
        message = (f"{name}: the file has {count} bands ({listed}); reading band 1 as the "
                   "land-cover code (UKCEH LCM 10 m files hold the class in band 1); pass "
                   "band= to read another")
        logger.warning("%s", message)
        return 1, [message]
    return band or 1, []


def _check_crs(name: str, crs: rasterio.crs.CRS | None) -> None:
    if crs is None:
        raise MissingCRSError(f"{name}: the raster has no coordinate reference system "
                              f"(fix: {_FIX_CRS}; geoplan never guesses)")
    if not crs.is_projected:
        raise CRSError(f"{name}: the raster's CRS {crs.to_string()} is geographic (degrees); "
                       f"cell areas need a projected CRS in metres (fix: {_FIX_WARP})")
    unit, _factor = crs.linear_units_factor
    if unit not in ("metre", "meter"):
        raise CRSError(f"{name}: the raster's CRS {crs.to_string()} is in {unit}, not "
                       f"metres (fix: {_FIX_WARP})")


def _check_transform(name: str, transform: Affine) -> None:
    if transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e >= 0:
        raise SourceFormatError(f"{name}: the grid is rotated or not north-up (transform "
                                f"{tuple(transform)[:6]}) (fix: {_FIX_WARP})")


def iter_windows(grid: RasterGrid, size: int, multiple: int = 1) -> Iterator[Window]:
    """Square windows covering the grid in row-major order (edge windows may be smaller).

    ``size`` cells per side is rounded down to a multiple of ``multiple`` (at least one), so
    that blocks of ``multiple`` cells never straddle two windows.
    """
    step = max(multiple, (size // multiple) * multiple)
    for row in range(0, grid.height, step):
        for col in range(0, grid.width, step):
            yield Window(col, row, min(step, grid.width - col), min(step, grid.height - row))


def window_transform(grid: RasterGrid, window: Window) -> Affine:
    """Transform of ``window`` (its top-left cell at the window's origin)."""
    t = grid.transform
    return Affine(t.a, 0.0, t.c + t.a * window.col_off, 0.0, t.e, t.f + t.e * window.row_off)


def read_codes(src: rasterio.DatasetReader, grid: RasterGrid,
               window: Window) -> tuple[np.ndarray, np.ndarray]:
    """Read one window of the chosen band.

    Returns the values as stored and ``valid``, ``False`` where the cell is nodata (nodata
    value, NaN or GDAL mask).
    """
    data = src.read(grid.band, window=window, masked=True)
    return np.ma.getdata(data), ~np.ma.getmaskarray(data)


@dataclass(frozen=True)
class MaskLayer:
    """Polygons of one vector layer in the raster's CRS, ready to rasterise by window.

    Parameters
    ----------
    label : str
        Name used in reports (e.g. ``"protected_sites"``).
    geometries : numpy.ndarray of shapely geometries
        Polygonal geometries in the raster CRS.
    tree : shapely.STRtree
        Spatial index over ``geometries``.
    """

    label: str
    geometries: np.ndarray
    tree: shapely.STRtree


def load_mask_layer(label: str, frame: gpd.GeoDataFrame | gpd.GeoSeries, crs: rasterio.crs.CRS,
                    source: str) -> MaskLayer:
    """Reproject a polygon layer to the raster CRS and index it.

    Parameters
    ----------
    label : str
        The layer's label.
    frame : geopandas.GeoDataFrame or geopandas.GeoSeries
        Its features; rows without geometry are skipped.
    crs : rasterio.crs.CRS
        The raster's CRS.
    source : str
        File name or description, for messages.

    Raises
    ------
    MissingCRSError
        If the layer has no CRS.
    SourceFormatError
        If it holds points or lines, which cover no cells.
    """
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if series.crs is None:
        raise MissingCRSError(f"{source}: exclusion layer {label!r} has no coordinate "
                              "reference system (fix: set it with .set_crs(...) or save the "
                              "file with its CRS)")
    geoms = series.to_crs(crs.to_wkt()).to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    bad = ~np.isin(shapely.get_type_id(geoms), (3, 6, 7))
    if bad.any():
        types = sorted({g.geom_type for g in geoms[bad]})
        raise SourceFormatError(f"{source}: exclusion layer {label!r} has {int(bad.sum())} "
                                f"features that are not polygons ({', '.join(types)}) "
                                "(fix: buffer points and lines into polygons first)")
    geoms = shapely.make_valid(geoms)
    return MaskLayer(label, geoms, shapely.STRtree(geoms))


def rasterise_window(layer: MaskLayer, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Cells of a window whose centre lies inside the layer (``True`` = inside)."""
    height, width = shape
    box = shapely.box(transform.c, transform.f + transform.e * height,
                      transform.c + transform.a * width, transform.f)
    hits = layer.tree.query(box, predicate="intersects")
    if len(hits) == 0:
        return np.zeros(shape, dtype=bool)
    return rasterio.features.geometry_mask(layer.geometries[np.sort(hits)], out_shape=shape,
                                           transform=transform, invert=True)


def polygons_from_labels(labels: np.ndarray, mask: np.ndarray,
                         transform: Affine) -> tuple[np.ndarray, np.ndarray]:
    """Vectorise 4-connected regions of equal label (int32 values) where ``mask`` is true.

    Returns one polygon per region, in GDAL's order, and the label of each.
    """
    if not mask.any():
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    pairs = rasterio.features.shapes(labels.astype(np.int32), mask=mask, connectivity=4,
                                     transform=transform)
    coords, lengths, owner, values = [], [], [], []
    for number, (geojson, value) in enumerate(pairs):
        for ring in geojson["coordinates"]:
            coords.extend(ring)
            lengths.append(len(ring))
            owner.append(number)
        values.append(value)
    rings = shapely.linearrings(np.array(coords, dtype=float),
                                indices=np.repeat(np.arange(len(lengths)), lengths))
    polygons = shapely.polygons(rings, indices=np.array(owner))
    return np.asarray(polygons, dtype=object), np.array(values, dtype=np.int64)
