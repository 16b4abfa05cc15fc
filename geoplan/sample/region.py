"""The synthetic region: Oxfordshire and invented neighbouring counties, under two DNOs.

The ``region`` scale draws several counties side by side, so that what only appears past one
county (many districts, many GSPs and BSPs, two DNOs with their own grid files and licence
areas) can be tried without licensed data:

* county 0 is the hand-drawn Oxfordshire of :mod:`geoplan.sample.places`, unchanged;
* counties 1 to 4 are invented (``Ambershire``, ``Brackenshire``, ``Caldershire``,
  ``Dunmoreshire``): each is Oxfordshire's sketch mirrored and moved (east, north,
  north-east, west; a 2 km gap between outlines), with its own names for towns, districts,
  substations and roads, its own ONS-style codes (``E10900001``, ``E07900101``...), its own
  postcode area (``ZA`` to ``ZD``: areas no real postcode uses) and its own random streams, so
  its zones, homes and headroom differ from Oxfordshire's;
* the counties north of northing 252 km are served by NGED, the others by SSEN, as when a
  region straddles a licence boundary; :func:`licence_areas` draws the boundary.

Everything here is invented; only the shape of Oxfordshire is reused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from geoplan.sample.places import OXFORDSHIRE, District, Km, Places, Town

__all__ = ["COPIES", "NORTH_OF_KM", "REGION_AREA", "Copy", "region_counties",
           "substation_names"]

REGION_AREA = "Thames and Cotswolds Region"
"""Reference area the region's SSEN workbook lists every primary under (``within``)."""

NORTH_OF_KM = 252.0
"""Counties north of this northing (km) are NGED's, the rest SSEN's."""


@dataclass(frozen=True)
class Copy:
    """How one invented county is drawn from Oxfordshire's sketch.

    Parameters
    ----------
    name, code, short, area : str
        County name, ONS-style code, short code and postcode area.
    flip_x, flip_y : bool
        Mirror east-west or north-south.
    dx_km, dy_km : float
        Then move by this much (km).
    """

    name: str
    code: str
    short: str
    area: str
    flip_x: bool
    flip_y: bool
    dx_km: float
    dy_km: float

    def point(self, x: float, y: float) -> tuple[float, float]:
        """Move a point of Oxfordshire's sketch (km) into this county (km)."""
        return (round((-x if self.flip_x else x) + self.dx_km, 3),
                round((-y if self.flip_y else y) + self.dy_km, 3))

    def line(self, points: Km) -> Km:
        """Move a line or ring of the sketch (km) into this county."""
        return tuple(self.point(x, y) for x, y in points)


COPIES = (
    Copy("Ambershire", "E10900001", "AMB", "ZA", True, False, 960.4, 0.0),
    Copy("Brackenshire", "E10900002", "BRA", "ZB", False, True, 0.0, 504.0),
    Copy("Caldershire", "E10900003", "CAL", "ZC", True, True, 960.4, 504.0),
    Copy("Dunmoreshire", "E10900004", "DUN", "ZD", False, False, -62.0, 0.0),
)
"""The invented counties, in the order they are added to the region."""

_FIRST = ("Ash", "Brad", "Chal", "Dun", "Elm", "Fern", "Gold", "Hal", "Kel", "Lang", "Marl",
          "Nor", "Pen", "Rad", "Shep", "Thorn", "Wick", "Yar", "Bex", "Crom", "Hart", "Lyd",
          "Stan", "Wold")
_LAST = ("bury", "combe", "ford", "ham", "ley", "ton", "well", "worth", "stow", "field",
         "hurst", "don", "marsh", "by")
_COMPASS = ("East", "North East", "North", "North West", "West", "South West", "South",
            "South East")


def region_counties(count: int = 5) -> tuple[Places, ...]:
    """Return the region's counties: Oxfordshire, then ``count - 1`` of :data:`COPIES`.

    Parameters
    ----------
    count : int
        Number of counties, 1 to 5 (1 is Oxfordshire alone).

    Returns
    -------
    tuple of Places

    Raises
    ------
    ValueError
        If ``count`` is outside 1 to 5.
    """
    if not 1 <= count <= len(COPIES) + 1:
        raise ValueError(f"a region has 1 to {len(COPIES) + 1} counties, not {count}")
    names = _names()
    return (OXFORDSHIRE, *(_county(copy, k + 1, names) for k, copy in
                           enumerate(COPIES[: count - 1])))


def _pool() -> list[str]:
    """Every invented place name, in one fixed shuffled order."""
    pool = [a + b for a in _FIRST for b in _LAST]
    return [pool[i] for i in np.random.default_rng(20240101).permutation(len(pool))]


def _names() -> Callable[[], str]:
    """Distinct invented town names, from the front of :func:`_pool`."""
    order = iter(_pool())
    return lambda: next(order)


def substation_names() -> list[str]:
    """Invented names for GSPs and BSPs, from the back of :func:`_pool` (never a town's)."""
    return _pool()[:: -1][: len(_FIRST) * len(_LAST) - len(OXFORDSHIRE.towns) * len(COPIES)]


def _county(copy: Copy, k: int, names: Callable[[], str]) -> Places:
    """One invented county: Oxfordshire's sketch moved by ``copy``, every name replaced."""
    ox = OXFORDSHIRE
    town_names = {t.name: names() for t in ox.towns}
    outwards = {t.outward: _outward(copy.area, t.outward) for t in ox.towns}
    codes = {d.code: f"E07{900000 + 100 * k + i + 1}" for i, d in enumerate(ox.districts)}
    towns = tuple(Town(town_names[t.name], codes[t.district], *_metres(copy, t.x, t.y),
                       t.population, outwards[t.outward], t.primaries) for t in ox.towns)
    districts = tuple(District(codes[d.code], _district_name(copy, d, ox, town_names),
                               f"{copy.short[:2]}{i}", d.zones)
                      for i, d in enumerate(ox.districts))
    upper = {t.name.upper(): town_names[t.name].upper() for t in ox.towns}
    city, (centre, sectors) = next(iter(ox.city_sectors.items()))
    city_town = town_names[centre].upper()
    return Places(
        copy.name, copy.code, copy.short, districts, towns, copy.line(ox.outline_km),
        cities={codes[c]: copy.line(r) for c, r in ox.cities.items()},
        anchors={codes[c]: copy.line(a) for c, a in ox.anchors.items()},
        rivers={f"{n} ({copy.name})": copy.line(r) for n, r in ox.rivers.items()},
        roads={(f"{num[0]}{k}{num[1:]}", kind): copy.line(r)
               for (num, kind), r in ox.roads.items()},
        post_towns={_outward(copy.area, o): upper.get(town, city_town)
                    for o, town in ox.post_towns.items()},
        city_sectors={_outward(copy.area, city): (town_names[centre],
                                                  tuple(_outward(copy.area, s) for s in sectors))},
    )


def _metres(copy: Copy, x: float, y: float) -> tuple[float, float]:
    px, py = copy.point(x / 1000.0, y / 1000.0)
    return round(px * 1000.0), round(py * 1000.0)


def _outward(area: str, outward: str) -> str:
    """Oxfordshire's outward code in an invented area: OX12 -> ZA12, RG9 -> ZA59, SN7 -> ZA77."""
    letters = outward.rstrip("0123456789")
    offset = {"OX": 0, "RG": 50, "SN": 70}[letters]
    return f"{area}{int(outward[len(letters):]) + offset}"


def _district_name(copy: Copy, district: District, ox: Places,
                   town_names: Mapping[str, str]) -> str:
    """Name a district: the city district after its city, the others by compass point."""
    if district.code in ox.cities:
        return town_names[max((t for t in ox.towns if t.district == district.code),
                              key=lambda t: t.population).name]
    mine = np.asarray([copy.point(t.x / 1000, t.y / 1000) for t in ox.towns
                       if t.district == district.code])
    every = np.asarray([copy.point(t.x / 1000, t.y / 1000) for t in ox.towns])
    dx, dy = mine.mean(axis=0) - every.mean(axis=0)
    return f"{_COMPASS[round(np.degrees(np.arctan2(dy, dx)) / 45) % 8]} {copy.name}"
