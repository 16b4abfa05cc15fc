"""The synthetic county's geography: district polygons, LSOA-like zones, towns.

Districts are drawn from the hand sketch in :mod:`geoplan.sample.places`: the city of Oxford
is its own outline, and the rest of the county goes to the nearest town or anchor point of
each district (a labelled Voronoi diagram). Zones are Voronoi cells of seed points drawn
densely around towns and sparsely in the countryside, so they are small in towns and large in
the country, like LSOAs (about the same number of households each).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import MultiPoint, MultiPolygon, Polygon

from geoplan.files.atomic import write_geopackage
from geoplan.sample.places import OXFORDSHIRE, District, Places, rng_for
from geoplan.schemas import CRS

__all__ = ["County", "county_from_seed", "points_in_polygon", "towns_frame", "write_boundaries"]

_PEOPLE_PER_ZONE = 1750
_TOWN_SPACING_M = 350.0
_RURAL_SPACING_M = 1600.0


@dataclass(frozen=True)
class County:
    """Geography shared by every file of the sample (it does not depend on the scale).

    Attributes
    ----------
    outline : shapely.Polygon
        The county boundary (EPSG:27700).
    districts : geopandas.GeoDataFrame
        ``code``, ``name``, ``short``, geometry; one row per district.
    zones : geopandas.GeoDataFrame
        ``code``, ``name``, ``district``, ``district_name``, ``town`` (nearest town),
        ``urban`` (bool), ``households`` (int), ``ward`` (synthetic ward code), geometry.
    towns : pandas.DataFrame
        One row per :class:`~geoplan.sample.places.Town`, with ``radius_m``.
    counties : tuple of Places
        The hand sketch of each county drawn (Oxfordshire alone, or a region's counties).
    """

    outline: Polygon | MultiPolygon
    districts: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    towns: pd.DataFrame
    counties: tuple[Places, ...] = (OXFORDSHIRE,)

    def district_list(self) -> list[District]:
        """Every district of every county, in order."""
        return [d for places in self.counties for d in places.districts]

    def county_of(self) -> dict[str, Places]:
        """District code -> the county it lies in."""
        return {d.code: places for places in self.counties for d in places.districts}


def county_from_seed(seed: int, counties: tuple[Places, ...] = (OXFORDSHIRE,)) -> County:
    """Draw the districts and zones of the synthetic county (or of a region's counties).

    Parameters
    ----------
    seed : int
        Seed; the same seed always gives the same zones.
    counties : tuple of Places
        The counties to draw (default Oxfordshire alone); the first draws from the
        ``"zones"`` random stream, the ``k``-th from ``"zones-k"``. Zone codes are numbered
        across all of them, and ward codes by the district's place among all districts.

    Returns
    -------
    County
    """
    outlines, districts, zones = [], [], []
    first = 0
    for k, places in enumerate(counties):
        outline = Polygon(np.asarray(places.outline_km) * 1000.0)
        shapes = _districts(outline, places)
        rng = rng_for(seed, "zones" if k == 0 else f"zones-{k}")
        parts = [_district_zones(d, shapes.set_index("code").geometry[d.code], places, rng)
                 for d in places.districts]
        named = _name_zones(pd.concat(parts, ignore_index=True), places, rng, first)
        first += len(places.districts)
        outlines.append(outline)
        districts.append(shapes)
        zones.append(named)
    whole = outlines[0] if len(outlines) == 1 else MultiPolygon(outlines)
    zone_frame = pd.concat(zones, ignore_index=True)
    zone_frame["code"] = [f"E01{900001 + i:06d}" for i in range(len(zone_frame))]
    return County(whole, gpd.GeoDataFrame(pd.concat(districts, ignore_index=True),
                                          geometry="geometry", crs=CRS),
                  gpd.GeoDataFrame(zone_frame, geometry="geometry", crs=CRS),
                  towns_frame(counties), tuple(counties))


def towns_frame(counties: tuple[Places, ...] = (OXFORDSHIRE,)) -> pd.DataFrame:
    """Return the towns of ``counties`` (default Oxfordshire's) as a table, with ``radius_m``."""
    towns = [t for places in counties for t in places.towns]
    frame = pd.DataFrame([t.__dict__ for t in towns])
    frame["radius_m"] = [t.radius_m for t in towns]
    return frame


def _districts(outline: Polygon, places: Places) -> gpd.GeoDataFrame:
    cities = {code: Polygon(np.asarray(ring) * 1000.0) for code, ring in places.cities.items()}
    rest = outline.difference(shapely.union_all(list(cities.values()))) if cities else outline
    points, labels = [], []
    for town in places.towns:
        if town.district not in cities:
            points.append((town.x, town.y))
            labels.append(town.district)
    for code, anchors in places.anchors.items():
        points += [(x * 1000.0, y * 1000.0) for x, y in anchors]
        labels += [code] * len(anchors)
    cells = np.asarray(shapely.get_parts(shapely.voronoi_polygons(
        MultiPoint(points), extend_to=outline.buffer(20_000), ordered=True)))
    labels_arr = np.asarray(labels)
    shapes = [cities[d.code] if d.code in cities else
              _largest(shapely.union_all(cells[labels_arr == d.code]).intersection(rest))
              for d in places.districts]
    return gpd.GeoDataFrame({"code": [d.code for d in places.districts],
                             "name": [d.name for d in places.districts],
                             "short": [d.short for d in places.districts]},
                            geometry=shapes, crs=CRS)


def _largest(geom: shapely.Geometry) -> Polygon:
    parts = shapely.get_parts(geom)
    return max(parts, key=lambda p: p.area)


def _district_zones(district: District, shape: Polygon, places: Places,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Seed points for one district's zones, then their Voronoi cells inside it."""
    towns = [t for t in places.towns if t.district == district.code]
    wanted = [max(1, round(t.population / _PEOPLE_PER_ZONE)) for t in towns]
    while sum(wanted) > district.zones:
        wanted[int(np.argmax(wanted))] -= 1
    seeds: list[tuple[float, float]] = []
    owner: list[str | None] = []
    for town, count in zip(towns, wanted, strict=True):
        sampler = _gaussian(town.x, town.y, town.radius_m * 0.55)
        new = _spaced(sampler, shape, count, seeds, _TOWN_SPACING_M, rng)
        seeds += new
        owner += [town.name] * len(new)
    rural = _spaced(_uniform(shape), shape, district.zones - len(seeds), seeds,
                    _RURAL_SPACING_M, rng)
    seeds += rural
    owner += [None] * len(rural)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=shape.buffer(5_000),
                                     ordered=True)
    geoms = shapely.intersection(np.asarray(shapely.get_parts(cells)), shape)
    xy = np.asarray(seeds)
    return pd.DataFrame({"district": district.code, "district_name": district.name,
                         "seed_x": xy[:, 0], "seed_y": xy[:, 1], "town": owner,
                         "urban": [o is not None for o in owner], "geometry": geoms})


Sampler = Callable[[np.random.Generator, int], np.ndarray]


def _gaussian(x: float, y: float, sigma: float) -> Sampler:
    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal((x, y), sigma, size=(n, 2))
    return draw


def _uniform(shape: Polygon) -> Sampler:
    xmin, ymin, xmax, ymax = shape.bounds

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform((xmin, ymin), (xmax, ymax), size=(n, 2))
    return draw


def _spaced(sampler: Sampler, shape: Polygon, count: int, taken: list[tuple[float, float]],
            spacing: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Draw ``count`` points inside ``shape``, each ``spacing`` from every other point.

    The spacing shrinks when points are hard to place, so the loop always ends.
    """
    chosen: list[tuple[float, float]] = []
    existing = np.asarray(taken, dtype=float).reshape(-1, 2)
    while len(chosen) < count:
        placed_before = len(chosen)
        candidates = sampler(rng, 256)
        candidates = candidates[shapely.contains_xy(shape, candidates[:, 0], candidates[:, 1])]
        for point in candidates:
            if len(chosen) == count:
                break
            if existing.size and np.min(np.hypot(*(existing - point).T)) < spacing:
                continue
            chosen.append((float(point[0]), float(point[1])))
            existing = np.vstack([existing, point])
        if len(chosen) == placed_before:
            spacing *= 0.85
    return chosen


def _name_zones(zones: pd.DataFrame, places: Places, rng: np.random.Generator,
                first: int = 0) -> pd.DataFrame:
    """Name zones "<District> 001A" (MSOA-like groups of five, numbered north to south).

    ``first`` is the place of the county's first district among all districts drawn (ward
    codes are numbered by it).
    """
    zones = zones.assign(_band=-(zones["seed_y"] // 2500), _x=zones["seed_x"])
    zones = zones.sort_values(["district", "_band", "_x"], kind="stable").reset_index(drop=True)
    position = zones.groupby("district").cumcount().to_numpy()
    group, letter = position // 5, position % 5
    zones["name"] = [f"{d} {g + 1:03d}{'ABCDE'[k]}" for d, g, k in
                     zip(zones["district_name"], group, letter, strict=True)]
    zones["code"] = [f"E01{900001 + i:06d}" for i in range(len(zones))]
    district_index = zones["district"].map({d.code: first + i for i, d
                                            in enumerate(places.districts)})
    zones["ward"] = [f"E05{900000 + 100 * int(i) + int(g) + 1:06d}" for i, g in
                     zip(district_index, group, strict=True)]
    base = np.where(zones["urban"], 705, 655)
    zones["households"] = np.round(rng.normal(base, 70)).clip(420, 980).astype(int)
    zones["town"] = _nearest_town(zones["seed_x"].to_numpy(), zones["seed_y"].to_numpy(),
                                  towns_frame((places,)))
    columns = ["code", "name", "district", "district_name", "town", "urban", "households",
               "ward", "geometry"]
    return zones[columns]


def _nearest_town(x: np.ndarray, y: np.ndarray, towns: pd.DataFrame) -> list[str]:
    distance = np.hypot(x[:, None] - towns["x"].to_numpy()[None, :],
                        y[:, None] - towns["y"].to_numpy()[None, :])
    distance /= towns["radius_m"].to_numpy()[None, :]
    return towns["name"].to_numpy()[np.argmin(distance, axis=1)].tolist()


def points_in_polygon(shape: shapely.Geometry, centres: np.ndarray, sigma: float, count: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Draw ``count`` points near ``centres`` (normal, ``sigma`` metres) inside ``shape``.

    Points that fall outside are redrawn a few times, then placed uniformly in ``shape``.

    Returns
    -------
    numpy.ndarray
        ``(count, 2)`` coordinates.
    """
    out = np.empty((count, 2))
    todo = np.arange(count)
    pick = rng.integers(0, len(centres), size=count)
    for _ in range(6):
        if not len(todo):
            return out
        trial = rng.normal(centres[pick[todo]], sigma)
        inside = shapely.contains_xy(shape, trial[:, 0], trial[:, 1])
        out[todo[inside]] = trial[inside]
        todo = todo[~inside]
    sampler = _uniform(shape)
    while len(todo):
        trial = sampler(rng, max(64, 4 * len(todo)))
        trial = trial[shapely.contains_xy(shape, trial[:, 0], trial[:, 1])][: len(todo)]
        out[todo[: len(trial)]] = trial
        todo = todo[len(trial):]
    return out


def write_boundaries(county: County, folder: Path) -> dict[str, int]:
    """Write ``districts.gpkg`` and ``zones.gpkg`` with ONS column names; return counts.

    ``districts.gpkg`` has layer ``districts`` (``LAD21CD``, ``LAD21NM``); ``zones.gpkg`` has
    layer ``zones`` (``LSOA21CD``, ``LSOA21NM``, ``LAD21CD``, ``LAD21NM``), both in EPSG:27700
    and written with :func:`geoplan.outputs.write_geopackage` (byte-identical reruns).
    """
    districts = gpd.GeoDataFrame({"LAD21CD": county.districts["code"],
                                  "LAD21NM": county.districts["name"]},
                                 geometry=county.districts.geometry.values, crs=CRS)
    zones = county.zones
    zones = gpd.GeoDataFrame({"LSOA21CD": zones["code"], "LSOA21NM": zones["name"],
                              "LAD21CD": zones["district"], "LAD21NM": zones["district_name"]},
                             geometry=zones.geometry.values, crs=CRS)
    write_geopackage({"districts": districts}, folder / "districts.gpkg")
    write_geopackage({"zones": zones}, folder / "zones.gpkg")
    return {"districts": len(districts), "zones": len(zones)}
