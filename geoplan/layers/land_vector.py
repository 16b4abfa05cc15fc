"""Land available for carbon sequestration, from a polygon land-cover or habitat layer.

:func:`land_parcels_from_polygons` is the open counterpart of
:func:`geoplan.layers.land.land_parcels_from_raster`: it reads any polygon layer with a class
column (Natural England's Living England habitat map, CORINE Land Cover, OpenStreetMap land
use), gives each polygon one of geoplan's land classes through a mapping table
(:mod:`geoplan.layers.land_mapping`), then applies the raster path's rules with exact polygon
areas, so that a polygon layer equivalent to a raster (its cells polygonised) gives the same
parcels, ids and hectares.

Rules, stated once (the rest as in :mod:`geoplan.layers.land`):

* **Features.** Rows without geometry are skipped and counted; points and lines are refused.
  Invalid polygons are repaired (``make_valid``).
* **Overlaps.** Land cover should cover each place once. Where two polygons overlap, the
  smaller one keeps the shared land (the more specific feature, as a wood mapped inside a
  residential area in OpenStreetMap); the area concerned is reported.
* **Unmapped classes.** Features the mapping does not map are left out, and a warning
  counts them by value with the hectares they cover.
* **Exclusions.** Exact: the part of a polygon inside an exclusion layer is removed.
* **Work.** Polygons are first cut along the National Grid lines (every block side for
  blocks, every 2 km at least for patches), so each later step (overlaps, exclusions,
  unions) works on small local pieces.
* **Blocks** are squares of ``block_size_m`` aligned on the National Grid's origin (easting
  and northing multiples of the block side): one parcel per block and eligible class.
  **Patches** are the connected pieces of the union of one eligible class (polygons sharing
  an edge join; touching at a corner does not).
* **Ids.** ``land-<easting>-<northing>-<code>``: the block's north-west corner, or for a
  patch the westmost point of its northmost edge; parcels sorted north to south, west to
  east, then by class code.

Every step is a vectorised shapely/numpy operation through spatial indexes (no Python loop
per polygon), so a county layer of tens of thousands of polygons takes seconds
(``benchmarks/bench_land_polygons.py``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.crs
import shapely

from geoplan.errors import SourceFormatError
from geoplan.layers.land import (
    ExclusionsInput,
    PathLike,
    assign_zones,
    check_options,
    coordinate_texts,
    exclusion_specs,
    read_exclusion,
    zones_input,
)
from geoplan.layers.land_classes import class_table, sequestration_table
from geoplan.layers.land_mapping import ClassMatch, match_classes
from geoplan.schemas import CRS, LAND, validate_layer
from geoplan.sources.raster import MaskLayer, load_mask_layer
from geoplan.sources.vector import read_vector, to_bng

__all__ = ["PolygonLandReport", "land_parcels_from_polygons", "union_by_group"]

logger = logging.getLogger(__name__)

_M2_PER_HA = 10_000.0
_POLYGONAL = (3, 6)  # Polygon, MultiPolygon
_FAR = 1e12  # beyond any projected coordinate: the open side of a clipping rectangle
_PATCH_TILE_M = 2000.0  # squares polygons are cut into for patches (work stays local)


@dataclass(frozen=True)
class PolygonLandReport:
    """What one call of :func:`land_parcels_from_polygons` read, removed and produced.

    ``area_ha_by_code``: mapped land per class code (after overlaps are resolved);
    ``unmapped_ha``: ``column=value`` -> hectares left out as unmapped; ``excluded_ha`` per
    layer counts eligible land inside it (land inside two layers counts in both),
    ``excluded_total_ha`` once.
    """

    source: str
    method: str
    mapping: str
    columns: tuple[str, ...]
    features: int
    features_without_geometry: int
    area_ha_by_code: dict[int, float]
    unmapped_ha: dict[str, float]
    overlap_ha: float
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


def land_parcels_from_polygons(
    source: PathLike | gpd.GeoDataFrame,
    *,
    mapping: str | PathLike | None = None,
    class_column: str | None = None,
    classes: PathLike | pd.DataFrame | None = None,
    sequestration: PathLike | pd.DataFrame | None = None,
    exclusions: ExclusionsInput = (),
    zones: PathLike | gpd.GeoDataFrame | None = None,
    method: str = "blocks",
    block_size_m: float = 500.0,
    min_area_ha: float = 1.0,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Candidate land parcels for sequestration from a polygon land-cover layer.

    Parameters
    ----------
    source : path or geopandas.GeoDataFrame
        Any vector file (GeoPackage, shapefile, GeoJSON, GeoParquet...) of polygons with a
        class column, in the CRS it declares.
    mapping : str or path, optional
        ``"living-england"``, ``"corine"``, ``"osm"`` or a mapping CSV
        (:mod:`geoplan.layers.land_mapping`); ``None``: detected from the class values.
    class_column : str, optional
        Read the classes from this column instead of the mapping's.
    classes, sequestration : path or pandas.DataFrame, optional
        As for :func:`geoplan.layers.land.land_parcels_from_raster`.
    exclusions, zones, method, min_area_ha
        As for :func:`geoplan.layers.land.land_parcels_from_raster`.
    block_size_m : float
        Block side for ``"blocks"`` (any positive length).
    layer : str, optional
        Layer to read from a multi-layer file.

    Returns
    -------
    geopandas.GeoDataFrame
        The ``land`` layer in EPSG:27700 plus ``land_use``, ``lcm_code``,
        ``seq_gross_tco2e_per_yr``, ``buffer_share`` and ``district_id``;
        ``attrs["report"]`` is a :class:`PolygonLandReport`.

    Raises
    ------
    GeoplanError
        ``SourceNotFoundError``, ``SourceFormatError`` (not polygons, unknown class column,
        no or several fitting mappings, bad tables), ``MissingCRSError``/``CRSError``,
        ``ScenarioError`` (bad option), ``LayerSchemaError`` (zones without ``zone_id``).
    """
    check_options(method, block_size_m, min_area_ha, 1)
    rates = sequestration_table(sequestration)
    table = class_table(classes, rates)
    frame, name = _read(source, layer)
    geoms, skipped = _polygons(frame, name)
    match = match_classes(frame.drop(columns=frame.geometry.name), name, table, mapping=mapping,
                          column=class_column)
    side = block_size_m if method == "blocks" else max(block_size_m, _PATCH_TILE_M)
    pieces, owner, tiles = _tiles(geoms, side)
    pieces, overlap = _resolve_overlaps(geoms, pieces, owner)
    klass = np.searchsorted(table["lcm_code"].to_numpy(), np.maximum(match.lcm_code, 0))
    eligible = (match.lcm_code >= 0) & table["eligible"].to_numpy()[klass]
    layers, notes = _exclusion_layers(exclusions)
    chosen = eligible[owner]
    available, excluded, excluded_any = _remove_exclusions(pieces[chosen], layers)
    parts, which = _polygonal_parts(available)
    part_class = klass[owner[chosen][which]]
    regions = (_blocks(parts, part_class, tiles[chosen][which], block_size_m)
               if method == "blocks" else _patches(parts, part_class))
    small = regions["area"].to_numpy() < min_area_ha * _M2_PER_HA * (1 - 1e-9)
    out = _parcel_frame(regions.loc[~small].reset_index(drop=True), table, rates)
    out = assign_zones(out, zones_input(zones))
    validate_layer(out, LAND, name)
    areas = np.bincount(owner, weights=shapely.area(pieces), minlength=len(geoms))
    warnings = _warnings(name, match, areas, skipped, overlap, notes)
    out.attrs["report"] = PolygonLandReport(
        source=name, method=method, mapping=match.mapping, columns=match.columns,
        features=len(frame), features_without_geometry=skipped,
        **_class_areas(match, areas), overlap_ha=overlap / _M2_PER_HA,
        eligible_ha=float(areas[eligible].sum()) / _M2_PER_HA,
        excluded_ha={layer.label: a / _M2_PER_HA for layer, a in zip(layers, excluded,
                                                                       strict=True)},
        excluded_total_ha=excluded_any / _M2_PER_HA,
        available_ha=float(shapely.area(available).sum()) / _M2_PER_HA,
        parcels=len(out), parcel_ha=float(out["area_ha"].sum()),
        small_parcels_dropped=int(small.sum()),
        small_ha_dropped=float(regions.loc[small, "area"].sum()) / _M2_PER_HA,
        warnings=tuple(warnings))
    logger.info("%s: %d parcels, %.1f ha", name, len(out), out["area_ha"].sum())
    return out


def _class_areas(match: ClassMatch, areas: np.ndarray) -> dict[str, dict[Any, float]]:
    """Hectares per class code and per unmapped value (features left with land only)."""
    land = areas > 0  # not missing, not given away to overlaps
    mapped = match.lcm_code >= 0
    return {
        "area_ha_by_code": {int(str(c)): a / _M2_PER_HA for c, a in
                            _sums(match.lcm_code[mapped & land], areas[mapped & land]).items()},
        "unmapped_ha": {str(k): a / _M2_PER_HA for k, a in
                        _sums(match.label[~mapped & land], areas[~mapped & land]).items()},
    }


def _warnings(name: str, match: ClassMatch, areas: np.ndarray, skipped: int, overlap: float,
              notes: list[str]) -> list[str]:
    """Unmapped classes, rows without geometry, overlaps and exclusion notes, logged."""
    warnings = [*_unmapped_warnings(name, match, areas), *notes]
    if skipped:
        warnings.append(f"{name}: {skipped:,} features have no geometry and were skipped")
    if overlap > 0:
        warnings.append(f"{name}: {overlap / _M2_PER_HA:,.2f} ha are covered by more than one "
                        "polygon; each place was given to the smallest polygon covering it")
    for text in warnings:
        logger.warning("%s", text)
    return warnings


def union_by_group(parts: np.ndarray, group: np.ndarray, count: int) -> np.ndarray:
    """Union of the ``parts`` of each group ``0 .. count-1`` (``None`` for groups without any).

    No Python loop per group: groups of similar size are unioned together as the rows of a
    2-D array (``shapely.union_all(..., axis=1)``), one array per power of two of size.
    """
    out = np.full(count, None, dtype=object)
    if len(parts) == 0:
        return out
    order = np.argsort(group, kind="stable")
    parts, group = np.asarray(parts, dtype=object)[order], np.asarray(group)[order]
    sizes = np.bincount(group, minlength=count)
    rank = np.arange(len(group)) - (np.cumsum(sizes) - sizes)[group]
    one = sizes[group] == 1
    out[group[one]] = parts[one]
    width = 2
    while width // 2 < sizes.max():
        chosen = np.flatnonzero((sizes > width // 2) & (sizes <= width) & (sizes > 1))
        if len(chosen):
            row = np.full(count, -1)
            row[chosen] = np.arange(len(chosen))
            inside = row[group] >= 0
            matrix = np.full((len(chosen), width), None, dtype=object)
            matrix[row[group[inside]], rank[inside]] = parts[inside]
            out[chosen] = shapely.union_all(matrix, axis=1)
        width *= 2
    return out


def _read(source: PathLike | gpd.GeoDataFrame, layer: str | None
          ) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(source, gpd.GeoDataFrame):
        name = "land-cover GeoDataFrame"
        return to_bng(source, name).reset_index(drop=True), name
    name = Path(source).name
    frame = read_vector(source, layer)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise SourceFormatError(f"{name}: the layer has no geometry (fix: give the land-cover "
                                "polygons, e.g. the Living England habitat map GeoPackage)")
    return to_bng(frame, name).reset_index(drop=True), name


def _polygons(frame: gpd.GeoDataFrame, name: str) -> tuple[np.ndarray, int]:
    """Repaired geometries (empty where missing) and the number of rows without one."""
    geoms = frame.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    kinds = shapely.get_type_id(geoms)
    bad = ~missing & ~np.isin(kinds, (*_POLYGONAL, 7))
    if bad.any():
        types = sorted({str(g.geom_type) for g in geoms[bad][:100]})
        raise SourceFormatError(f"{name}: {int(bad.sum()):,} features are not polygons "
                                f"({', '.join(types)}) (fix: give the land-cover polygons; "
                                "points and lines cover no land)")
    repaired = np.where(missing, shapely.Polygon(), geoms)
    invalid = ~missing & ~shapely.is_valid(repaired)
    repaired[invalid] = shapely.make_valid(repaired[invalid])
    parts, owner = _polygonal_parts(repaired)
    return _regroup(parts, owner, len(frame)), int(missing.sum())


def _polygonal_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygons of positive area inside each geometry, and the geometry each came from."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    nested = np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))
    while nested.any():  # multi-parts inside collections (make_valid, intersections)
        inner, index = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        owner = np.concatenate([owner[~nested], owner[nested][index]])
        nested = np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))
    keep = np.flatnonzero((shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0))
    keep = keep[np.argsort(owner[keep], kind="stable")]  # grouped by owner, in order
    return parts[keep], owner[keep]


def _regroup(parts: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    """One (multi)polygon per owner, empty for owners without parts."""
    out = np.full(count, shapely.Polygon(), dtype=object)
    if len(parts):
        present, dense = np.unique(owner, return_inverse=True)
        merged = shapely.multipolygons(parts, indices=dense.ravel())
        single = np.bincount(owner, minlength=count)[present] == 1
        out[present] = np.where(single, shapely.get_geometry(merged, 0), merged)
    return out


def _tiles(geoms: np.ndarray, side: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut polygons along the National Grid lines every ``side`` metres.

    Returns the pieces, the feature each came from and its tile (column, row of the grid
    squares, counted from the origin). A piece spanning several squares is halved along its
    longer side at a grid line, level by level, so a polygon with many vertices is cut in
    about log2(squares) passes, not once per square.
    """
    pieces, owner = _polygonal_parts(geoms)
    done: list[tuple[np.ndarray, np.ndarray]] = []
    for _level in range(64):  # 2**64 squares: always enough
        bounds = shapely.bounds(pieces).reshape(-1, 4)
        lo = np.floor(bounds[:, :2] / side + 1e-6).astype(np.int64)
        span = np.maximum(np.ceil(bounds[:, 2:] / side - 1e-6).astype(np.int64) - lo, 1)
        whole = (span == 1).all(axis=1)
        done.append((pieces[whole], owner[whole]))
        if whole.all():
            break
        pieces, owner, bounds = pieces[~whole], owner[~whole], bounds[~whole]
        lo, span = lo[~whole], span[~whole]
        axis = (span[:, 1] > span[:, 0]).astype(np.int64)  # 0: cut x, 1: cut y
        at = (lo[np.arange(len(lo)), axis] + span[np.arange(len(lo)), axis] // 2) * side
        pieces, which = _polygonal_parts(_halves(pieces, axis, at))
        owner = np.concatenate([owner, owner])[which]
    else:  # pragma: no cover - unreachable: 64 halvings split any span
        done.append((pieces, owner))
    pieces = np.concatenate([p for p, _ in done])
    owner = np.concatenate([o for _, o in done])
    bounds = shapely.bounds(pieces).reshape(-1, 4)
    centre = (bounds[:, :2] + bounds[:, 2:]) / 2
    return pieces, owner, np.floor(centre / side).astype(np.int64)


def _halves(pieces: np.ndarray, axis: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Both sides of each piece's cut line (x = at for axis 0, y = at for axis 1).

    GEOS's rectangle clipping (``clip_by_rect``, several times faster than a general
    intersection) takes one rectangle per call, so pieces are clipped together per cut line:
    one call per grid line crossed (a few hundred at most), never one per polygon. Any
    invalid result is repaired. Returns the first sides, then the second sides.
    """
    out = np.empty(2 * len(pieces), dtype=object)
    lines, line = np.unique(np.stack([axis, at], axis=1), axis=0, return_inverse=True)
    order = np.argsort(line.ravel(), kind="stable")
    bounds = np.cumsum(np.bincount(line.ravel(), minlength=len(lines)))
    for (cut_y, value), end, count in zip(lines, bounds, np.diff(bounds, prepend=0),
                                          strict=True):
        rows = order[end - count:end]
        low = (-_FAR, -_FAR, _FAR, value) if cut_y else (-_FAR, -_FAR, value, _FAR)
        high = (-_FAR, value, _FAR, _FAR) if cut_y else (value, -_FAR, _FAR, _FAR)
        out[rows] = shapely.clip_by_rect(pieces[rows], *low)
        out[rows + len(pieces)] = shapely.clip_by_rect(pieces[rows], *high)
    invalid = ~shapely.is_valid(out)
    out[invalid] = shapely.make_valid(out[invalid])
    return out


def _resolve_overlaps(geoms: np.ndarray, pieces: np.ndarray, owner: np.ndarray
                      ) -> tuple[np.ndarray, float]:
    """Give land covered twice to the smaller feature; return the pieces and m2 shared.

    GEOS's coverage validation (one pass over the features) finds the features with edges
    inside or across another's; only their pieces are tested against their neighbours, so a
    clean coverage (a habitat map) costs one validation.
    """
    suspect = ~shapely.is_empty(shapely.coverage_invalid_edges(geoms))
    chosen = np.flatnonzero(suspect[owner])
    if len(chosen) == 0:
        return pieces, 0.0
    tree = shapely.STRtree(pieces)
    pairs = [tree.query(pieces[chosen], predicate=p) for p in ("overlaps", "contains", "within")]
    first = chosen[np.concatenate([p[0] for p in pairs])]
    second = np.concatenate([p[1] for p in pairs])
    area = shapely.area(geoms)
    a, b = owner[first], owner[second]
    # the piece of the larger feature loses; equal areas: the later feature loses
    first_loses = (area[a] > area[b]) | ((area[a] == area[b]) & (a > b))
    keep = a != b
    loser = np.where(first_loses, first, second)[keep]
    winner = np.where(first_loses, second, first)[keep]
    if len(loser) == 0:
        return pieces, 0.0
    key = np.unique(np.stack([loser, winner], axis=1), axis=0)
    covered = union_by_group(pieces[key[:, 1]], key[:, 0], len(pieces))
    hit = np.unique(key[:, 0])
    out = pieces.copy()
    before = float(shapely.area(out[hit]).sum())
    out[hit] = shapely.difference(out[hit], covered[hit])
    return out, before - float(shapely.area(out[hit]).sum())


def _exclusion_layers(exclusions: ExclusionsInput) -> tuple[list[MaskLayer], list[str]]:
    bng = rasterio.crs.CRS.from_string(CRS)
    layers, notes = [], []
    for spec in exclusion_specs(exclusions):
        frame, where, warnings = read_exclusion(spec)
        notes += warnings
        layers.append(load_mask_layer(spec.label, frame, bng, where))
    return layers, notes


def _remove_exclusions(geoms: np.ndarray, layers: list[MaskLayer]
                       ) -> tuple[np.ndarray, list[float], float]:
    """Geometries minus every layer; m2 inside each layer and inside any."""
    excluded, owners, covers = [], [], []
    for layer in layers:
        which, hit = layer.tree.query(geoms, predicate="intersects")
        union = union_by_group(layer.geometries[hit], which, len(geoms))
        where = np.unique(which)
        excluded.append(float(shapely.area(shapely.intersection(geoms[where],
                                                                 union[where])).sum()))
        owners.append(where)
        covers.append(union[where])
    if not layers or not sum(len(w) for w in owners):
        return geoms, excluded, 0.0
    everything = union_by_group(np.concatenate(covers), np.concatenate(owners), len(geoms))
    where = np.unique(np.concatenate(owners))
    out = geoms.copy()
    out[where] = shapely.difference(geoms[where], everything[where])
    return out, excluded, float(shapely.area(geoms).sum() - shapely.area(out).sum())


def _blocks(parts: np.ndarray, klass: np.ndarray, tiles: np.ndarray, side: float
            ) -> pd.DataFrame:
    """One region per (grid square, class): the union of its parts."""
    if len(parts) == 0:
        return _regions()
    key = np.stack([-tiles[:, 1], tiles[:, 0], klass], axis=1)
    found, group = np.unique(key, axis=0, return_inverse=True)
    geoms = union_by_group(parts, group.ravel(), len(found))
    return _regions(east=found[:, 1] * side, north=(1 - found[:, 0]) * side, klass=found[:, 2],
                    geometry=geoms)


def _patches(parts: np.ndarray, klass: np.ndarray) -> pd.DataFrame:
    """Return the connected pieces of the union of each class."""
    if len(parts) == 0:
        return _regions()
    codes, group = np.unique(klass, return_inverse=True)
    merged = union_by_group(parts, group.ravel(), len(codes))
    pieces, owner = _polygonal_parts(merged)
    top = shapely.bounds(pieces)[:, 3]
    coords, index = shapely.get_coordinates(shapely.get_exterior_ring(pieces), return_index=True)
    at_top = np.abs(coords[:, 1] - top[index]) <= 1e-6
    west = np.full(len(pieces), np.inf)
    np.minimum.at(west, index[at_top], coords[at_top, 0])
    return _regions(east=west, north=top, klass=codes[owner], geometry=pieces)


def _regions(**columns: object) -> pd.DataFrame:
    empty = {"east": np.empty(0), "north": np.empty(0), "klass": np.empty(0, np.int64),
             "geometry": np.empty(0, dtype=object)}
    frame = pd.DataFrame({**empty, **columns})
    frame["geometry"] = shapely.normalize(frame["geometry"].to_numpy())
    frame["area"] = shapely.area(frame["geometry"].to_numpy()).astype(float)
    order = np.lexsort((frame["klass"].to_numpy(), frame["east"].to_numpy(),
                        -frame["north"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _parcel_frame(regions: pd.DataFrame, table: pd.DataFrame, rates: pd.DataFrame
                  ) -> gpd.GeoDataFrame:
    klass = regions["klass"].to_numpy(dtype=np.int64)
    codes = table["lcm_code"].to_numpy()[klass]
    uses = table["land_use"].to_numpy()[klass]
    rate = rates.assign(land_use=rates["land_use"].astype(str)).set_index("land_use")
    area = regions["area"].to_numpy(dtype=float) / _M2_PER_HA
    gross = area * rate["seq_tco2e_per_ha_yr"].reindex(uses).to_numpy(dtype=float)
    share = rate["buffer_share"].reindex(uses).to_numpy(dtype=float)
    east, north = coordinate_texts(regions["east"]), coordinate_texts(regions["north"])
    ids = [f"land-{e}-{n}-{c}" for e, n, c in zip(east, north, codes, strict=True)]
    return gpd.GeoDataFrame({
        "parcel_id": pd.Series(ids, dtype="str"),
        "land_class": pd.Series(table["name"].to_numpy()[klass], dtype="str"),
        "area_ha": area,
        "seq_tco2e_per_yr": gross * (1.0 - share),
        "cost_gbp": area * rate["cost_gbp_per_ha"].reindex(uses).to_numpy(dtype=float),
        "geometry": regions["geometry"].to_numpy(),
        "land_use": pd.Series(uses, dtype="str"),
        "lcm_code": codes.astype(np.int64),
        "seq_gross_tco2e_per_yr": gross,
        "buffer_share": share,
    }, geometry="geometry", crs=CRS)


def _sums(keys: np.ndarray, values: np.ndarray) -> dict[object, float]:
    if len(keys) == 0:
        return {}
    totals = pd.Series(values).groupby(pd.Series(keys), sort=True).sum()
    return {k: float(v) for k, v in totals.items()}


def _unmapped_warnings(name: str, match: ClassMatch, areas: np.ndarray) -> list[str]:
    unmapped = (match.lcm_code < 0) & (areas > 0)
    if not unmapped.any():
        return []
    totals = pd.Series(areas[unmapped]).groupby(pd.Series(match.label[unmapped])).agg(
        ["size", "sum"]).sort_values("sum", ascending=False)
    listed = ", ".join(f"{label} ({int(row['size']):,} features, "
                       f"{row['sum'] / _M2_PER_HA:,.2f} ha)"
                       for label, row in totals.head(12).iterrows())
    more = f" and {len(totals) - 12} more" if len(totals) > 12 else ""
    return [f"{name}: {int(unmapped.sum()):,} features ({areas[unmapped].sum() / _M2_PER_HA:,.2f} "
            f"ha) have classes mapping {match.mapping!r} does not map, left out of the land "
            f"(neither eligible nor ineligible): {listed}{more} (fix: add a row per class to a "
            "copy of the mapping table and name it with inputs.land_cover_classes)"]
