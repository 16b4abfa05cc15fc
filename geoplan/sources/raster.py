"""Read categorical rasters window by window, and turn windows of cells into regions.

A county land-cover raster at 10 m holds tens of millions of cells, so nothing here reads a
raster whole. The grid, window and mask tools live in :mod:`geoplan.sources.raster_grid` and are
re-exported here: :func:`inspect_raster` checks a file once, :func:`iter_windows` cuts the
grid into square windows, :func:`read_codes` reads one window of one band with its nodata
mask, :func:`load_mask_layer` and :func:`rasterise_window` turn vector layers into cell masks
(a cell is inside a layer when its centre is, GDAL's default rule), and
:func:`polygons_from_labels` vectorises labelled cells (4-connected regions).

:func:`scan_regions` puts these together: it groups the cells of eligible codes that no mask
covers into regions (square blocks, or 4-connected patches of one code) window by window,
joining patches cut by window edges again, so that any window size gives the same regions as
a single window. Errors name the file and give the GDAL command that repairs it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine
from rasterio.windows import Window
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from geoplan.errors import ScenarioError
from geoplan.files.memory import reused_blocks
from geoplan.sources.raster_grid import (
    MaskLayer,
    RasterGrid,
    inspect_raster,
    iter_windows,
    load_mask_layer,
    polygons_from_labels,
    rasterise_window,
    read_codes,
    window_transform,
)

__all__ = [
    "MaskLayer",
    "RasterGrid",
    "RegionScan",
    "inspect_raster",
    "iter_windows",
    "load_mask_layer",
    "polygons_from_labels",
    "rasterise_window",
    "read_codes",
    "scan_regions",
    "window_transform",
]

logger = logging.getLogger(__name__)


def _join_across_seams(geometries: np.ndarray, values: np.ndarray,
                       on_seam: np.ndarray) -> np.ndarray:
    """Group number per piece: seam pieces of equal value sharing an edge are one region.

    Only pieces touching an inner window edge (``on_seam``) can join; pieces touching at a
    corner stay apart (4-connectivity, as within a window).
    """
    count = len(geometries)
    seam = np.flatnonzero(on_seam)
    left, right = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if len(seam) > 1:
        tree = shapely.STRtree(geometries[seam])
        a, b = tree.query(geometries[seam], predicate="intersects")
        keep = (a < b) & (values[seam[a]] == values[seam[b]])
        a, b = seam[a[keep]], seam[b[keep]]
        shared = shapely.length(shapely.intersection(geometries[a], geometries[b])) > 0
        left, right = a[shared], b[shared]
    graph = coo_array((np.ones(len(left)), (left, right)), shape=(count, count))
    _n, groups = connected_components(graph, directed=False)
    return groups.astype(np.int64)


# --- scanning a categorical raster into regions -------------------------------------------


@dataclass
class RegionScan:
    """Totals and regions gathered by :func:`scan_regions`.

    ``cells``: valid cells per code; ``unknown``: value -> cells for values not in ``codes``;
    ``excluded``: eligible cells inside each mask layer (a cell inside two counts in both),
    ``excluded_any`` once; ``dropped``/``dropped_cells``: regions under ``min_cells``.
    ``regions`` has one row per region: ``row``, ``col`` (its first cell in raster order; for
    blocks the block's first cell), ``klass`` (position in ``codes``), ``cells`` and
    ``geometry`` (raster CRS), sorted by row, column and class.
    """

    cells: np.ndarray
    excluded: np.ndarray
    unknown: dict[float, int] = field(default_factory=dict)
    nodata: int = 0
    eligible: int = 0
    excluded_any: int = 0
    windows: int = 0
    dropped: int = 0
    dropped_cells: int = 0
    regions: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class _Plan:
    """Fixed inputs of one scan."""

    grid: RasterGrid
    codes: np.ndarray
    eligible: np.ndarray
    layers: tuple[MaskLayer, ...]
    block: int | None
    min_cells: int


def scan_regions(grid: RasterGrid, codes: np.ndarray, eligible: np.ndarray,
                 layers: Sequence[MaskLayer] = (), *, block: int | None = None,
                 min_cells: int = 1, window_size: int = 1024) -> RegionScan:
    """Group eligible, unmasked cells into regions, reading the raster window by window.

    Parameters
    ----------
    grid : RasterGrid
        The checked raster.
    codes : numpy.ndarray of int
        Known codes, sorted ascending.
    eligible : numpy.ndarray of bool
        Whether each code may form regions.
    layers : sequence of MaskLayer
        Cells inside any of them are not available.
    block : int, optional
        Square blocks of this many cells: one region per (block, code) present. ``None``:
        4-connected patches of one code, joined across window edges.
    min_cells : int
        Regions with fewer cells are dropped (and counted).
    window_size : int
        Cells per window side (rounded down to whole blocks); does not change the result.

    Returns
    -------
    RegionScan
    """
    plan = _Plan(grid, np.asarray(codes, dtype=np.int64), np.asarray(eligible, dtype=bool),
                 tuple(layers), block, max(int(min_cells), 1))
    scan = RegionScan(np.zeros(len(codes), dtype=np.int64), np.zeros(len(layers), np.int64))
    parts = []
    cache = _cache_bytes(grid, window_size)
    # each window makes and drops the same large arrays: keep them in the heap meanwhile
    with reused_blocks(), rasterio.Env(GDAL_CACHEMAX=cache), rasterio.open(grid.path) as src:
        for window in iter_windows(grid, window_size, block or 1):
            parts.append(_scan_window(src, plan, window, scan))
    regions = pd.concat(parts, ignore_index=True) if parts else _pieces_frame()
    parts.clear()
    regions = regions if block else _join_patches(regions)
    small = regions["cells"].to_numpy() < plan.min_cells
    scan.dropped += int(small.sum())
    scan.dropped_cells += int(regions.loc[small, "cells"].sum())
    regions = (regions.loc[~small].drop(columns="on_seam")
               .sort_values(["row", "col", "klass"], kind="stable").reset_index(drop=True))
    wkb = regions.pop("geometry").to_numpy().copy()
    regions["geometry"] = _from_wkb(wkb)
    scan.regions = regions
    return scan


def _from_wkb(wkb: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Decode WKB chunk by chunk, releasing each chunk's bytes as it goes."""
    geoms = np.empty(len(wkb), dtype=object)
    for start in range(0, len(wkb), chunk):
        geoms[start:start + chunk] = shapely.from_wkb(wkb[start:start + chunk])
        wkb[start:start + chunk] = None
    return geoms


def _cache_bytes(grid: RasterGrid, window_size: int) -> int:
    """GDAL block cache for a scan: two rows of windows, not the whole raster.

    GDAL's default cache (5% of RAM) would otherwise end up holding every decoded tile.
    """
    row = min(window_size, grid.height) * grid.width * np.dtype(grid.dtype).itemsize
    return int(min(max(2 * row, 8 * 2**20), 512 * 2**20))


def _scan_window(src: rasterio.DatasetReader, plan: _Plan, window: Window,
                 scan: RegionScan) -> pd.DataFrame:
    values, valid = read_codes(src, plan.grid, window)
    index = _code_index(values, valid, plan.codes, scan)
    eligible = (index >= 0) & plan.eligible[np.maximum(index, 0)]
    transform = window_transform(plan.grid, window)
    excluded = np.zeros(eligible.shape, dtype=bool)
    for position, layer in enumerate(plan.layers):
        inside = rasterise_window(layer, transform, eligible.shape) & eligible
        scan.excluded[position] += int(inside.sum())
        excluded |= inside
    scan.eligible += int(eligible.sum())
    scan.excluded_any += int(excluded.sum())
    scan.windows += 1
    available = eligible & ~excluded
    if plan.block:
        return _block_pieces(index, available, window, transform, plan)
    return _patch_pieces(index, available, window, transform, plan, scan)


def _code_index(values: np.ndarray, valid: np.ndarray, codes: np.ndarray,
                scan: RegionScan) -> np.ndarray:
    """Position of each cell's code in ``codes`` (-1: nodata or an unknown code)."""
    if values.dtype.kind in "ui" and values.dtype.itemsize <= 2:
        low = int(np.iinfo(values.dtype).min)
        table = np.full(int(np.iinfo(values.dtype).max) - low + 1, -1, dtype=np.int32)
        inside = (codes >= low) & (codes <= low + len(table) - 1)
        table[codes[inside] - low] = np.flatnonzero(inside)
        position = table[values.astype(np.int32) - low if low else values]
        known = valid & (position >= 0)
    else:
        position = np.minimum(np.searchsorted(codes, values), len(codes) - 1)
        known = valid & (codes[position] == values)
    scan.cells += np.bincount(position[known], minlength=len(codes))
    scan.nodata += int((~valid).sum())
    strays = valid & ~known
    if strays.any():
        found, counts = np.unique(values[strays], return_counts=True)
        for value, count in zip(found.tolist(), counts.tolist(), strict=True):
            scan.unknown[value] = scan.unknown.get(value, 0) + int(count)
    return np.where(known, position, -1)


def _pieces_frame(**columns: object) -> pd.DataFrame:
    empty = {"row": np.empty(0, np.int64), "col": np.empty(0, np.int64),
             "klass": np.empty(0, np.int64), "cells": np.empty(0, np.int64),
             "geometry": np.empty(0, dtype=object), "on_seam": np.empty(0, dtype=bool)}
    return pd.DataFrame({**empty, **columns})


def _block_pieces(index: np.ndarray, available: np.ndarray, window: Window,
                  transform: Affine, plan: _Plan) -> pd.DataFrame:
    """One piece per (block, code) present; windows hold whole blocks, so pieces are final."""
    classes, block = len(plan.codes), int(plan.block or 1)
    height, width = index.shape
    across = -(-width // block)
    if -(-height // block) * across * classes >= 2**31:
        raise ScenarioError(f"{plan.grid.path.name}: window too large for {classes} classes "
                            "(fix: pass a smaller window_size)")
    blocks = ((np.arange(height, dtype=np.int32)[:, None] // block) * across
              + np.arange(width, dtype=np.int32)[None, :] // block)
    labels = blocks * np.int32(classes) + np.maximum(index, 0).astype(np.int32)
    counts = np.bincount(labels[available], minlength=int(labels.max()) + 1)
    geoms, values = polygons_from_labels(labels, available, transform)
    order = np.argsort(values, kind="stable")
    found, starts, sizes = np.unique(values[order], return_index=True, return_counts=True)
    block_id = found // classes
    return _pieces_frame(
        row=window.row_off + (block_id // across) * block,
        col=window.col_off + (block_id % across) * block,
        klass=found % classes, cells=counts[found],
        geometry=_wkb(_group_parts(geoms[order], starts, sizes)),
        on_seam=np.zeros(len(found), dtype=bool),
    )


def _group_parts(parts: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """One geometry per run of ``parts``: the polygon itself, or a MultiPolygon of the run."""
    out = parts[starts].copy()
    several = np.flatnonzero(sizes > 1)
    if len(several):
        run = np.repeat(np.arange(len(sizes)), sizes)
        rank = np.full(len(sizes), -1)
        rank[several] = np.arange(len(several))
        keep = rank[run] >= 0
        out[several] = shapely.multipolygons(parts[keep], indices=rank[run[keep]])
    return out


def _patch_pieces(index: np.ndarray, available: np.ndarray, window: Window,
                  transform: Affine, plan: _Plan, scan: RegionScan) -> pd.DataFrame:
    """4-connected patches of one code; small ones away from inner window edges are dropped."""
    grid, t = plan.grid, plan.grid.transform
    geoms, values = polygons_from_labels(index, available, transform)
    cells = np.rint(shapely.area(geoms) / grid.cell_area_m2).astype(np.int64)
    bounds = shapely.bounds(geoms).reshape(-1, 4)
    cols = np.rint((bounds[:, [0, 2]] - t.c) / t.a).astype(np.int64)  # first, one past last
    rows = np.rint((bounds[:, [3, 1]] - t.f) / t.e).astype(np.int64)
    top, left = window.row_off, window.col_off
    bottom, right = top + window.height, left + window.width
    on_seam = (((cols[:, 0] == left) & (left > 0)) | ((cols[:, 1] == right) & (right < grid.width))
               | ((rows[:, 0] == top) & (top > 0))
               | ((rows[:, 1] == bottom) & (bottom < grid.height)))
    small = (cells < plan.min_cells) & ~on_seam
    scan.dropped += int(small.sum())
    scan.dropped_cells += int(cells[small].sum())
    keep = ~small
    first = _first_columns(geoms[keep], bounds[keep, 3], grid)
    return _pieces_frame(row=rows[keep, 0], col=first, klass=values[keep], cells=cells[keep],
                         geometry=_wkb(geoms[keep]), on_seam=on_seam[keep])


def _wkb(geoms: object) -> np.ndarray:
    """Normalised geometries as WKB: compact while windows are being read."""
    return shapely.to_wkb(shapely.normalize(np.asarray(geoms, dtype=object)))


def _first_columns(geoms: np.ndarray, top: np.ndarray, grid: RasterGrid) -> np.ndarray:
    """Column of each polygon's first cell in raster order: leftmost cell of its top row."""
    if len(geoms) == 0:
        return np.empty(0, dtype=np.int64)
    coords, owner = shapely.get_coordinates(shapely.get_exterior_ring(geoms), return_index=True)
    at_top = np.abs(coords[:, 1] - top[owner]) <= grid.cell_size[1] * 1e-6
    left = np.full(len(geoms), np.inf)
    np.minimum.at(left, owner[at_top], coords[at_top, 0])
    return np.rint((left - grid.transform.c) / grid.transform.a).astype(np.int64)


def _join_patches(pieces: pd.DataFrame) -> pd.DataFrame:
    """Join patch pieces cut by window edges into whole patches."""
    on_seam = pieces["on_seam"].to_numpy()
    geoms = np.full(len(pieces), None, dtype=object)
    geoms[on_seam] = shapely.from_wkb(pieces["geometry"].to_numpy()[on_seam])
    groups = _join_across_seams(geoms, pieces["klass"].to_numpy(), on_seam)
    shared = np.bincount(groups)[groups] > 1
    if not shared.any():
        return pieces
    ordered = (pieces.loc[shared].assign(group=groups[shared], geometry=geoms[shared])
               .sort_values(["group", "row", "col"], kind="stable"))
    joined = ordered.groupby("group", sort=True).agg(
        row=("row", "first"), col=("col", "first"), klass=("klass", "first"),
        cells=("cells", "sum"), on_seam=("on_seam", "any"),
        geometry=("geometry", lambda parts: shapely.union_all(parts.to_numpy())),
    )
    joined["geometry"] = _wkb(joined["geometry"].to_numpy())
    return pd.concat([pieces.loc[~shared], joined.reset_index(drop=True)], ignore_index=True)
