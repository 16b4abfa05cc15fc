"""``roads/roads.gpkg``: a connected road network in the layout of OS Open Roads (EPSG:27700).

Layer ``road_link``, one feature per link between junctions, with OS Open Roads' attribute
names (``road_classification``, ``road_function``, ``road_classification_number``,
``name_1``, ``form_of_way``, ``length``). The network is the motorway and A roads sketched in
:data:`~geoplan.sample.places.MAIN_ROADS_KM`, minor roads joining every town to its neighbours
(a minimum spanning tree plus each town's two nearest neighbours, so every town is reachable)
and a street grid in every town whose centre is a junction. All lines are split where they
cross, so junctions are shared vertices and a routing graph can be built from link ends.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import distance_matrix
from shapely import LineString

from geoplan.files.atomic import write_geopackage
from geoplan.sample.county import County
from geoplan.sample.places import rng_for
from geoplan.schemas import CRS

__all__ = ["roads_from_county", "write_roads"]

_STREETS = tuple(sorted({"High Street", "Station Road", "Church Lane", "Mill Lane",
                         "London Road", "Park Road", "Queens Road", "Manor Road",
                         "Victoria Road", "New Road", "Bridge Street", "West Way"}))
_FUNCTION = {"Motorway": "Motorway", "A Road": "A Road", "B Road": "B Road",
             "Unclassified": "Minor Road", "Not Classified": "Local Road"}


def roads_from_county(county: County, seed: int) -> gpd.GeoDataFrame:
    """Draw the road links (see the module docstring), split at every crossing."""
    rng = rng_for(seed, "roads")
    lines = _main_roads(county) + _link_roads(county, rng) + _street_grids(county, rng)
    frame = pd.DataFrame(lines, columns=["road_classification", "road_classification_number",
                                         "name_1", "geometry"])
    return _split_at_crossings(gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS))


def _main_roads(county: County) -> list[tuple[str, str, str, LineString]]:
    return [(kind, number, "", LineString(np.asarray(points) * 1000.0))
            for places in county.counties for (number, kind), points in places.roads.items()]


def _link_roads(county: County, rng: np.random.Generator) -> list[tuple[str, str, str,
                                                                         LineString]]:
    towns = county.towns
    xy = towns[["x", "y"]].to_numpy()
    distance = distance_matrix(xy, xy)
    tree = minimum_spanning_tree(distance).tocoo()
    pairs = {tuple(sorted((int(a), int(b)))) for a, b in zip(tree.row, tree.col, strict=True)}
    for i in range(len(xy)):
        for j in np.argsort(distance[i])[1:3]:
            pairs.add(tuple(sorted((i, int(j)))))
    roads = []
    for a, b in sorted(pairs):
        big = min(towns["population"].iloc[a], towns["population"].iloc[b]) >= 5_000
        middle = (xy[a] + xy[b]) / 2 + rng.normal(0, 0.06 * distance[a, b], 2)
        number = f"B{4000 + 10 * a + b % 10}" if big else ""
        roads.append(("B Road" if big else "Unclassified", number, "",
                      LineString([xy[a], middle, xy[b]])))
    return roads


def _street_grids(county: County, rng: np.random.Generator) -> list[tuple[str, str, str,
                                                                          LineString]]:
    streets = []
    for town in county.towns.itertuples():
        spacing = 160.0 if town.population > 20_000 else 130.0
        angle = rng.uniform(0, np.pi / 2)
        turn = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
        radius = town.radius_m * 0.9
        steps = int(radius // spacing)
        for k in range(-steps, steps + 1):
            half = float(np.sqrt(radius**2 - (k * spacing) ** 2))
            for line in (np.array([[-half, k * spacing], [half, k * spacing]]),
                         np.array([[k * spacing, -half], [k * spacing, half]])):
                name = _STREETS[int(rng.integers(len(_STREETS)))]
                streets.append(("Not Classified", "", name,
                                LineString(line @ turn + [town.x, town.y])))
    return streets


def _split_at_crossings(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Node the network; each piece keeps the attributes of the line it came from."""
    noded = shapely.get_parts(shapely.node(shapely.MultiLineString(list(lines.geometry))))
    middles = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    source = shapely.STRtree(lines.geometry.values).nearest(middles)
    pieces = lines.iloc[source].reset_index(drop=True)
    pieces = pieces.set_geometry(gpd.GeoSeries(noded, crs=CRS))
    pieces["road_function"] = pieces["road_classification"].map(_FUNCTION)
    pieces["form_of_way"] = np.where(pieces["road_classification"] == "Motorway",
                                     "Dual Carriageway", "Single Carriageway")
    pieces["length"] = np.round(pieces.geometry.length).astype(int)
    pieces.insert(0, "id", [f"SYN-RL-{i + 1:06d}" for i in range(len(pieces))])
    columns = ["id", "road_classification", "road_function", "road_classification_number",
               "name_1", "form_of_way", "length", "geometry"]
    return pieces[columns]


def write_roads(roads: gpd.GeoDataFrame, path: Path) -> dict[str, int]:
    """Write layer ``road_link``; return the number of links and total length in km."""
    write_geopackage({"road_link": roads}, path)
    return {"road_links": len(roads), "road_km": round(float(roads["length"].sum()) / 1000)}
