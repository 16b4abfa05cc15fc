"""``sites/car_parks.geojson``: car parks as an OpenStreetMap extract (GeoJSON, EPSG:4326).

The layout is that of GDAL's OpenStreetMap driver as republished for the county: car parks
drawn as areas are MultiPolygons with ``osm_way_id``; those tagged on a single node are Points
with ``osm_id``; tags without their own column sit in a nested ``other`` object (``access``,
``parking``, ``fee``, ``park_ride`` and, for some, ``capacity``); ``lad_code`` names the
district. About 350 car parks, most in towns (more in bigger towns), some village and lay-by
car parks in the country, and a few private ones that charger planning should leave out.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geoplan.sample.county import County
from geoplan.sample.places import rng_for
from geoplan.schemas import CRS

__all__ = ["car_parks_from_county", "write_car_parks"]

_TO_WGS84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
_PROPERTIES = ("osm_id", "highway", "osm_way_id", "name", "amenity", "building", "landuse",
               "natural", "other", "lad_code", "leisure", "ref", "man_made", "place", "shop")
_NAMES = ("{town} Station Car Park", "Market Place Car Park", "{town} Leisure Centre",
          "Church Street Car Park", "{town} Community Hospital", "Supermarket car park",
          "Health Centre", "Recreation Ground", "Village Hall", "Long Stay Car Park",
          "Short Stay Car Park", "Library Car Park")


def car_parks_from_county(county: County, seed: int) -> pd.DataFrame:
    """Draw the car parks of the county.

    Returns
    -------
    pandas.DataFrame
        ``x``, ``y`` (centre), ``width``, ``depth``, ``angle``, ``polygon`` (bool), ``name``,
        ``town``, ``tags`` (dict of OSM tags), ``district``, ``osm`` (id).
    """
    rng = rng_for(seed, "car-parks")
    rows = []
    for town in county.towns.itertuples():
        count = round(1.5 + town.population ** 0.75 / 150)
        centres = rng.normal((town.x, town.y), town.radius_m * 0.45, size=(count, 2))
        rows += [_car_park(x, y, town.name, True, rng) for x, y in centres]
    rural = _rural_points(county, 60, rng)
    rows += [_car_park(x, y, town, False, rng) for x, y, town in rural]
    for k, (name, offset) in enumerate((("North", (0, 3200)), ("South", (300, -3000)),
                                        ("East", (4300, 800)), ("West", (-2600, -200)))):
        x, y = 451_300 + offset[0], 206_200 + offset[1]
        rows.append(_car_park(x, y, "Oxford", True, rng, park_ride=f"Park and Ride {name}",
                              size=(150 + 10 * k, 120)))
    frame = pd.DataFrame(rows)
    frame["district"] = _districts(county, frame)
    frame = frame[frame["district"].notna()].reset_index(drop=True)
    frame["osm"] = 20_000_000 + np.cumsum(rng.integers(1_000, 3_000_000, len(frame)))
    return frame


def _car_park(x: float, y: float, town: str, urban: bool, rng: np.random.Generator,
              park_ride: str | None = None,
              size: tuple[float, float] | None = None) -> dict[str, object]:
    width, depth = size or (float(np.exp(rng.normal(3.6, 0.5))), float(np.exp(rng.normal(3.2,
                                                                                       0.4))))
    polygon = park_ride is not None or rng.random() < (0.85 if urban else 0.45)
    named = park_ride or (str(rng.choice(_NAMES)).format(town=town)
                          if rng.random() < 0.16 else None)
    tags: dict[str, str] = {"access": str(rng.choice(["yes", "customers", "private"],
                                                      p=[0.72, 0.18, 0.10]))}
    if polygon:
        tags["parking"] = str(rng.choice(["surface", "multi-storey", "underground"],
                                         p=[0.9, 0.07, 0.03]))
        tags["fee"] = str(rng.choice(["yes", "no"], p=[0.35, 0.65]))
    if park_ride:
        tags.update({"access": "yes", "park_ride": "yes", "fee": "yes"})
    if park_ride or rng.random() < 0.14:
        spaces = width * depth / 25 * (3 if tags.get("parking") == "multi-storey" else 1)
        tags["capacity"] = str(max(4, round(spaces)))
    if not polygon:
        tags = {"amenity": "parking", **tags}
        if not urban and rng.random() < 0.5:
            tags["description"] = "layby"
    return {"x": x, "y": y, "width": width, "depth": depth, "angle": rng.uniform(0, np.pi),
            "polygon": polygon, "name": named, "town": town, "tags": tags}


def _rural_points(county: County, count: int,
                  rng: np.random.Generator) -> list[tuple[float, float, str]]:
    xmin, ymin, xmax, ymax = county.outline.bounds
    points = rng.uniform((xmin, ymin), (xmax, ymax), size=(count * 3, 2))
    inside = shapely.contains_xy(county.outline, points[:, 0], points[:, 1])
    points = points[inside][:count]
    towns = county.towns
    nearest = [str(towns["name"].iloc[int(np.argmin(np.hypot(towns["x"] - x, towns["y"] - y)))])
               for x, y in points]
    return [(float(x), float(y), t) for (x, y), t in zip(points, nearest, strict=True)]


def _districts(county: County, frame: pd.DataFrame) -> pd.Series:
    result = pd.Series(None, index=frame.index, dtype=object)
    for district in county.districts.itertuples():
        inside = shapely.contains_xy(district.geometry, frame["x"], frame["y"])
        result[inside] = district.code
    return result


def _outline(row: pd.Series) -> list[list[list[float]]]:
    """Rotated rectangle ring in longitude/latitude."""
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]]) * 0.5
    corners = half * [row["width"], row["depth"]]
    c, s = np.cos(row["angle"]), np.sin(row["angle"])
    xy = corners @ np.array([[c, s], [-s, c]]) + [row["x"], row["y"]]
    lon, lat = _TO_WGS84.transform(xy[:, 0], xy[:, 1])
    return [[[round(a, 7), round(b, 7)] for a, b in zip(lon, lat, strict=True)]]


def _feature(row: pd.Series) -> dict[str, object]:
    properties: dict[str, object] = dict.fromkeys(_PROPERTIES)
    name = row["name"] if isinstance(row["name"], str) else None
    properties.update({"name": name, "other": row["tags"], "lad_code": row["district"]})
    if row["polygon"]:
        properties.update({"osm_way_id": str(row["osm"]), "amenity": "parking"})
        geometry = {"type": "MultiPolygon", "coordinates": [_outline(row)]}
    else:
        lon, lat = _TO_WGS84.transform(row["x"], row["y"])
        properties["osm_id"] = str(row["osm"])
        geometry = {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write_car_parks(car_parks: pd.DataFrame, path: Path) -> dict[str, int]:
    """Write the GeoJSON (points first, then areas, each by id); return counts."""
    order = car_parks.sort_values(["polygon", "osm"], kind="stable")
    features = [json.dumps(_feature(row), ensure_ascii=False) for _, row in order.iterrows()]
    head = ('{\n"type": "FeatureCollection",\n"name": "car_parks",\n"crs": { "type": "name", '
            '"properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } },\n"features": [\n')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + ",\n".join(features) + "\n]\n}\n", encoding="utf-8")
    return {"car_parks": len(car_parks), "car_park_polygons": int(car_parks["polygon"].sum()),
            "car_parks_with_capacity": int(car_parks["tags"].map(lambda t: "capacity" in t)
                                           .sum())}
