"""``land/``: a land-cover GeoTIFF with UKCEH Land Cover Map codes, and exclusion polygons.

``land_cover.tif`` (EPSG:27700, uint8, nodata 0 outside the county, codes 1-21 of the UKCEH
Land Cover Map) is drawn as fields: the county is cut into field-sized Voronoi cells (about
350 m across) and each field takes one class, with probabilities that depend on where it is:
urban and suburban cover at towns; arable and improved grassland almost everywhere; woodland
patches that cluster (a smooth random field raises their odds) and are commonest on the
Chiltern scarp; calcareous grassland on the chalk downs; wet grassland and some fen on the
flood plains; freshwater along rivers and in a reservoir and gravel-pit lakes. The pattern is
drawn on a 50 m grid; the county scale repeats each 50 m cell as 5 x 5 10 m cells and then
draws rivers and lakes again at 10 m.

``exclusions.gpkg`` holds ``protected_sites`` (synthetic SSSI-like sites) and
``flood_zones`` (Flood Zones 2 and 3 as bands along the rivers).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.features import rasterize
from rasterio.transform import Affine
from scipy.ndimage import gaussian_filter
from scipy.spatial import cKDTree
from shapely import LineString, Polygon

from geoplan.files.atomic import write_geopackage
from geoplan.sample.county import County
from geoplan.sample.places import rng_for
from geoplan.schemas import CRS

__all__ = ["LCM_CLASSES", "write_exclusions", "write_land_cover"]

LCM_CLASSES = {
    1: "Deciduous woodland", 2: "Coniferous woodland", 3: "Arable", 4: "Improved grassland",
    5: "Neutral grassland", 6: "Calcareous grassland", 7: "Acid grassland", 8: "Fen",
    9: "Heather", 10: "Heather grassland", 11: "Bog", 12: "Inland rock", 13: "Saltwater",
    14: "Freshwater", 15: "Supralittoral rock", 16: "Supralittoral sediment",
    17: "Littoral rock", 18: "Littoral sediment", 19: "Saltmarsh", 20: "Urban", 21: "Suburban",
}
"""UKCEH Land Cover Map class codes and names."""

_BASE_M = 50
_FIELD_M = 350.0
_CLASSES = np.array([1, 2, 3, 4, 5, 6, 8])
_MIX = {  # share of fields per class, in the order of _CLASSES
    "vale": (0.07, 0.015, 0.52, 0.33, 0.05, 0.005, 0.0),
    "downs": (0.08, 0.02, 0.56, 0.17, 0.03, 0.14, 0.0),
    "chilterns": (0.30, 0.04, 0.33, 0.26, 0.03, 0.04, 0.0),
    "floodplain": (0.04, 0.0, 0.24, 0.45, 0.21, 0.0, 0.06),
}
_LAKES = ((443_700, 206_600, 520), (438_400, 203_900, 220), (439_100, 203_300, 180),
          (437_700, 204_400, 150), (452_900, 198_300, 200), (453_400, 197_800, 160))
_COLOURS = {1: (255, 0, 0), 2: (0, 102, 0), 3: (115, 38, 0), 4: (0, 255, 0),
            5: (127, 229, 127), 6: (112, 168, 0), 8: (255, 255, 0), 14: (0, 0, 255),
            20: (0, 0, 0), 21: (128, 128, 128)}


def _bounds(county: County) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = county.outline.bounds
    return (np.floor(xmin / 1000) * 1000, np.floor(ymin / 1000) * 1000,
            np.ceil(xmax / 1000) * 1000, np.ceil(ymax / 1000) * 1000)


def _rivers(county: County) -> dict[str, LineString]:
    return {name: LineString(np.asarray(points) * 1000.0) for places in county.counties
            for name, points in places.rivers.items()}


def _field_classes(county: County, seeds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One land-cover class per field seed."""
    x, y = seeds[:, 0], seeds[:, 1]
    river_distance = np.min([shapely.distance(line, shapely.points(seeds))
                             for line in _rivers(county).values()], axis=0)
    region = np.select([river_distance < 450, (x > 466_000) & (y < 201_000),
                        (y < 187_500) & (x < 458_000)],
                       ["floodplain", "chilterns", "downs"], "vale")
    weights = np.asarray([_MIX[r] for r in region])
    xmin, ymin, xmax, ymax = _bounds(county)
    noise = gaussian_filter(rng.normal(size=(int((ymax - ymin) // 1000) + 1,
                                             int((xmax - xmin) // 1000) + 1)), 2.0)
    local = noise[((y - ymin) // 1000).astype(int), ((x - xmin) // 1000).astype(int)]
    weights[:, :2] *= np.exp(4.0 * local)[:, None]
    cumulative = np.cumsum(weights, axis=1)
    pick = (cumulative < (rng.random(len(seeds)) * cumulative[:, -1])[:, None]).sum(axis=1)
    classes = _CLASSES[pick]
    towns = county.towns
    reach = np.min([np.hypot(x - t.x, y - t.y) / t.radius_m for t in towns.itertuples()],
                   axis=0) * rng.uniform(0.85, 1.15, len(seeds))
    return np.select([reach < 0.4, reach < 1.0], [20, 21], classes).astype(np.uint8)


def _base_grid(county: County, seed: int) -> tuple[np.ndarray, tuple[float, ...]]:
    """Class codes on the 50 m grid (0 outside the county)."""
    rng = rng_for(seed, "land")
    bounds = _bounds(county)
    xmin, ymin, xmax, ymax = bounds
    width, height = int((xmax - xmin) // _BASE_M), int((ymax - ymin) // _BASE_M)
    count = int((xmax - xmin) * (ymax - ymin) / _FIELD_M**2)
    seeds = rng.uniform((xmin, ymin), (xmax, ymax), size=(count, 2))
    classes = _field_classes(county, seeds, rng)
    cx = xmin + (np.arange(width) + 0.5) * _BASE_M
    cy = ymax - (np.arange(height) + 0.5) * _BASE_M
    gx, gy = np.meshgrid(cx, cy)
    _, field = cKDTree(seeds).query(np.column_stack([gx.ravel(), gy.ravel()]), workers=1)
    grid = classes[field].reshape(height, width)
    return grid, bounds


def _water_shapes(county: County, cell: float) -> list[tuple[object, int]]:
    widths = {name: 22.0 for name in _rivers(county) if name.split()[0] == "Thames"}
    shapes: list[tuple[object, int]] = [
        (line.buffer(max(widths.get(name, 7.0), cell * 0.3)), 14)
        for name, line in _rivers(county).items()]
    shapes += [(shapely.Point(x, y).buffer(r), 14) for x, y, r in _LAKES]
    return shapes


def write_land_cover(county: County, seed: int, cell_m: int, path: Path) -> dict[str, object]:
    """Write the GeoTIFF at ``cell_m`` metres (a divisor of 50); return its size and classes."""
    if _BASE_M % cell_m:
        raise ValueError(f"cell size {cell_m} m must divide {_BASE_M} m")
    grid, (xmin, _, _, ymax) = _base_grid(county, seed)
    factor = _BASE_M // cell_m
    if factor > 1:
        grid = grid.repeat(factor, axis=0).repeat(factor, axis=1)
    transform = Affine(cell_m, 0.0, xmin, 0.0, -cell_m, ymax)
    shape = grid.shape
    water = rasterize(_water_shapes(county, cell_m), out_shape=shape, transform=transform,
                      all_touched=factor == 1, dtype="uint8")
    grid = np.where(water > 0, water, grid)
    inside = rasterize([(county.outline, 1)], out_shape=shape, transform=transform,
                       dtype="uint8")
    grid = np.where(inside > 0, grid, 0).astype(np.uint8)
    _write_tiff(grid, transform, path)
    codes, counts = np.unique(grid[grid > 0], return_counts=True)
    return {"land_cell_m": cell_m, "land_width": shape[1], "land_height": shape[0],
            "class_cells": {int(c): int(n) for c, n in zip(codes, counts, strict=True)}}


def _write_tiff(grid: np.ndarray, transform: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {"driver": "GTiff", "width": grid.shape[1], "height": grid.shape[0], "count": 1,
               "dtype": "uint8", "crs": CRS, "transform": transform, "nodata": 0,
               "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
               "interleave": "band"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grid, 1)
        dst.write_colormap(1, {**dict.fromkeys(range(256), (255, 255, 255)), **_COLOURS})
        dst.update_tags(SYNTHETIC="yes: geoplan sample data, not a real land cover map",
                        CLASSES="UKCEH Land Cover Map codes 1-21; 0 = outside the county")


def write_exclusions(county: County, seed: int, path: Path) -> dict[str, int]:
    """Write ``protected_sites`` and ``flood_zones``; return their feature counts."""
    rng = rng_for(seed, "exclusions")
    sites = _protected_sites(county, rng)
    floods = _flood_zones(county)
    write_geopackage({"protected_sites": sites, "flood_zones": floods}, path)
    return {"protected_sites": len(sites), "flood_zone_features": len(floods)}


def _protected_sites(county: County, rng: np.random.Generator) -> gpd.GeoDataFrame:
    xmin, ymin, xmax, ymax = county.outline.bounds
    centres = rng.uniform((xmin, ymin), (xmax, ymax), size=(80, 2))
    towns = county.towns
    far = np.min([np.hypot(centres[:, 0] - t.x, centres[:, 1] - t.y) - t.radius_m * 1.2
                  for t in towns.itertuples()], axis=0) > 0
    inside = shapely.contains_xy(county.outline, centres[:, 0], centres[:, 1])
    centres = centres[far & inside][:28]
    kinds = rng.choice(["Wood", "Meadows", "Down", "Fen", "Common"], size=len(centres))
    rows = []
    for k, ((x, y), kind) in enumerate(zip(centres, kinds, strict=True)):
        angles = np.linspace(0, 2 * np.pi, 13)[:-1]
        radius = rng.uniform(150, 700) * rng.uniform(0.6, 1.4, len(angles))
        ring = np.column_stack([x + radius * np.cos(angles), y + radius * np.sin(angles)])
        shape = shapely.make_valid(Polygon(ring)).intersection(county.outline)
        town = towns["name"].iloc[int(np.argmin(np.hypot(towns["x"] - x, towns["y"] - y)))]
        rows.append({"site_id": f"SYN-SSSI-{k + 1:03d}",
                     "name": f"{town} {kind} (synthetic)",
                     "designation": str(rng.choice(["SSSI", "SAC", "Local Nature Reserve"],
                                                   p=[0.8, 0.05, 0.15])),
                     "area_ha": round(shape.area / 10_000, 2), "geometry": shape})
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=CRS)


def _flood_zones(county: County) -> gpd.GeoDataFrame:
    rows = []
    for name, line in _rivers(county).items():
        wide = 2.0 if name.split()[0] == "Thames" else 1.0
        for zone, width in (("3", 150.0), ("2", 350.0)):
            shape = line.buffer(width * wide).intersection(county.outline)
            rows.append({"flood_zone": zone, "label": f"Flood Zone {zone}", "river": name,
                         "geometry": shape})
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=CRS)
