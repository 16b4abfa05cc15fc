"""Postcodes and homes of the synthetic county, and the two address files.

* ``postcodes/codepoint.csv``: OS Code-Point Open layout (one row per postcode unit, its
  centroid in eastings/northings, and the ONS codes of the areas it falls in);
* ``uprn/osopenuprn.csv``: OS Open UPRN layout for about half of the homes.

Postcodes do not depend on the scale (about one per 14 households, like the real county);
homes are a sample of the households whose size is set by the scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely import Point
from shapely.geometry.base import BaseGeometry

from geoplan.sample.county import County, points_in_polygon
from geoplan.sample.places import OXFORDSHIRE, rng_for
from geoplan.schemas import CRS

__all__ = [
    "CODEPOINT_COLUMNS",
    "UPRN_COLUMNS",
    "Addresses",
    "addresses_from_county",
    "write_codepoint",
    "write_uprn",
]

CODEPOINT_COLUMNS = [
    "Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
    "NHS_regional_HA_code", "NHS_HA_code", "Admin_county_code", "Admin_district_code",
    "Admin_ward_code", "lsoa11cd_spatial_derived",
]
"""Header of a Code-Point Open CSV as republished for the county."""

UPRN_COLUMNS = ["UPRN", "X_COORDINATE", "Y_COORDINATE", "LATITUDE", "LONGITUDE"]
"""Header of OS Open UPRN."""

_HOUSEHOLDS_PER_POSTCODE = 14
_NHS_REGION, _NHS_AREA = "E19900001", "E18900001"  # synthetic codes in the real code formats
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_TO_WGS84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


@dataclass(frozen=True)
class Addresses:
    """Postcodes and homes.

    Attributes
    ----------
    postcodes : pandas.DataFrame
        ``postcode``, ``x``, ``y``, ``zone``, ``district``, ``ward``, ``quality``, ``town``.
    homes : pandas.DataFrame
        ``uprn`` (int), ``x``, ``y``, ``zone``, ``district``, ``postcode``, ``town``,
        ``urban`` (bool), ``in_uprn_file`` (bool); one row per home, sorted by ``uprn``.
    """

    postcodes: pd.DataFrame
    homes: pd.DataFrame


def addresses_from_county(county: County, homes: int, seed: int) -> Addresses:
    """Draw postcodes (scale-independent) and ``homes`` homes spread over the zones.

    Parameters
    ----------
    county : County
        The geography.
    homes : int
        Number of homes to draw, shared between zones in proportion to households.
    seed : int
        Seed.

    Returns
    -------
    Addresses
    """
    postcodes = _postcodes(county, rng_for(seed, "postcodes"))
    return Addresses(postcodes, _homes(county, postcodes, homes, rng_for(seed, "homes")))


def _postcodes(county: County, rng: np.random.Generator) -> pd.DataFrame:
    parts = []
    for zone in county.zones.itertuples():
        count = max(3, round(zone.households / _HOUSEHOLDS_PER_POSTCODE))
        centres = _cluster_centres(zone.geometry, zone.urban, county.towns, rng)
        spread = 220.0 if zone.urban else 380.0
        xy = points_in_polygon(zone.geometry, centres, spread, count, rng)
        parts.append(pd.DataFrame({"x": np.round(xy[:, 0]), "y": np.round(xy[:, 1]),
                                   "zone": zone.code, "district": zone.district,
                                   "ward": zone.ward, "town": zone.town}))
    frame = pd.concat(parts, ignore_index=True)
    frame["quality"] = rng.choice([10, 30, 50], size=len(frame), p=[0.985, 0.005, 0.01])
    frame["postcode"] = _postcode_names(frame, county)
    frame = frame.drop_duplicates("postcode").sort_values("postcode", kind="stable")
    return frame.reset_index(drop=True)


def _cluster_centres(geometry: BaseGeometry, urban: bool, towns: pd.DataFrame,
                     rng: np.random.Generator) -> np.ndarray:
    """Village and hamlet centres in a zone: towns inside it, plus random hamlets."""
    if urban:
        return np.asarray([geometry.representative_point().coords[0]])
    inside = [(t.x, t.y) for t in towns.itertuples() if geometry.contains(Point(t.x, t.y))]
    hamlets = 2 + int(geometry.area // 8e6)
    xy = points_in_polygon(geometry, np.asarray([geometry.representative_point().coords[0]]),
                           1e9, hamlets, rng)
    return np.vstack([np.asarray(inside * 3).reshape(-1, 2), xy])


def _postcode_names(frame: pd.DataFrame, county: County) -> list[str]:
    """Outward code of the nearest town, then sector and unit in north-to-south order."""
    towns = county.towns.set_index("name")
    outward = towns.loc[frame["town"], "outward"].to_numpy().astype(object)
    for places in county.counties:
        for code, (name, sectors) in places.city_sectors.items():
            outward = _city_sectors(frame, outward, code, towns.loc[name], sectors)
    order = pd.DataFrame({"outward": outward, "y": -frame["y"], "x": frame["x"]})
    order = order.sort_values(["outward", "y", "x"], kind="stable")
    rank = order.groupby("outward").cumcount().reindex(frame.index).to_numpy()
    if rank.max() >= 9 * 400:
        raise RuntimeError("too many postcodes for one outward code")  # pragma: no cover
    letters = _UNIT_LETTERS
    return [f"{o} {1 + r // 400}{letters[(r % 400) // 20]}{letters[r % 20]}"
            for o, r in zip(outward, rank, strict=True)]


def _city_sectors(frame: pd.DataFrame, outward: np.ndarray, code: str, centre: pd.Series,
                  sectors: tuple[str, ...]) -> np.ndarray:
    """Split the postcodes of outward ``code`` by quarter round a city's centre."""
    dx, dy = frame["x"].to_numpy() - centre["x"], frame["y"].to_numpy() - centre["y"]
    quarter = np.where(dy >= 0, np.where(dx < 0, 0, 1), np.where(dx >= 0, 2, 3))
    central = np.hypot(dx, dy) < 1300
    quarter = np.where(central, 3, quarter)
    return np.where(outward == code, np.asarray(sectors, dtype=object)[quarter], outward)


def _homes(county: County, postcodes: pd.DataFrame, total: int,
           rng: np.random.Generator) -> pd.DataFrame:
    zones = county.zones
    share = zones["households"].to_numpy() / zones["households"].sum() * total
    counts = np.floor(share).astype(int)
    extra = np.argsort(-(share - counts), kind="stable")[: total - counts.sum()]
    counts[extra] += 1
    parts = []
    by_zone = dict(tuple(postcodes.groupby("zone", sort=False)))
    for zone, count in zip(zones.itertuples(), counts, strict=True):
        if count == 0:
            continue
        units = by_zone[zone.code]
        pick = rng.integers(0, len(units), size=count)
        centres = units[["x", "y"]].to_numpy()[pick]
        xy = points_in_polygon(zone.geometry, centres, 45.0, count, rng)
        parts.append(pd.DataFrame({
            "x": np.round(xy[:, 0], 2), "y": np.round(xy[:, 1], 2), "zone": zone.code,
            "district": zone.district, "postcode": units["postcode"].to_numpy()[pick],
            "town": zone.town, "urban": zone.urban}))
    homes = pd.concat(parts, ignore_index=True)
    homes["uprn"] = 100_090_000_000 + np.cumsum(rng.integers(1, 60, size=len(homes)))
    homes["in_uprn_file"] = rng.random(len(homes)) < 0.5
    columns = ["uprn", "x", "y", "zone", "district", "postcode", "town", "urban",
               "in_uprn_file"]
    return homes[columns]


def write_codepoint(postcodes: pd.DataFrame, path: Path, county: County | None = None) -> int:
    """Write ``postcodes`` as a Code-Point Open CSV; return the number of rows.

    ``county`` gives each district's county code (default: Oxfordshire's for every row).
    """
    codes = {d: p.code for d, p in (county.county_of() if county else {}).items()}
    county_code = postcodes["district"].map(codes) if codes else OXFORDSHIRE.code
    table = pd.DataFrame({
        "Postcode": [_fixed_width(p) for p in postcodes["postcode"]],
        "Positional_quality_indicator": postcodes["quality"],
        "Eastings": postcodes["x"].astype(int), "Northings": postcodes["y"].astype(int),
        "Country_code": "E92000001", "NHS_regional_HA_code": _NHS_REGION,
        "NHS_HA_code": _NHS_AREA, "Admin_county_code": county_code,
        "Admin_district_code": postcodes["district"], "Admin_ward_code": postcodes["ward"],
        "lsoa11cd_spatial_derived": postcodes["zone"]})
    _to_csv(table[CODEPOINT_COLUMNS], path)
    return len(table)


def write_uprn(homes: pd.DataFrame, path: Path) -> int:
    """Write the homes flagged ``in_uprn_file`` as an OS Open UPRN CSV; return the rows."""
    chosen = homes[homes["in_uprn_file"]]
    lon, lat = _TO_WGS84.transform(chosen["x"].to_numpy(), chosen["y"].to_numpy())
    table = pd.DataFrame({"UPRN": chosen["uprn"].to_numpy(),
                          "X_COORDINATE": [f"{v:.2f}" for v in chosen["x"]],
                          "Y_COORDINATE": [f"{v:.2f}" for v in chosen["y"]],
                          "LATITUDE": [f"{v:.7f}" for v in lat],
                          "LONGITUDE": [f"{v:.7f}" for v in lon]})
    _to_csv(table, path)
    return len(table)


def _fixed_width(postcode: str) -> str:
    """Code-Point's 7-character form: "OX1 1AA", "OX141AA"."""
    outward, inward = postcode.split()
    return outward.ljust(4) + inward


def _to_csv(table: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
