"""``grid/network-headroom-report.xlsx``: an SSEN SEPD Network Headroom Report workbook.

The synthetic network has four Grid Supply Points, eleven Bulk Supply Points and one to nine
primaries per town (66 in the county, plus five over the border in neighbouring areas). Each
primary has a firm capacity and a 2023 winter peak; peaks grow each year at a rate that
depends on the DFES scenario (fastest under Leading the Way, slowest under Steady Progression)
and on the place (growth towns grow faster), so some primaries that have headroom today are
constrained (negative headroom) in the 2030s and 2040s. The "MINIMUM HEADROOM" row is the
lowest of the scenarios, as in the published report.

The workbook is written with :func:`geoplan.sample.workbooks.write_workbook`, whose files are
byte-identical for identical content, so the same seed gives the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geoplan.sample.places import COUNTY_NAME, TOWNS, Town, rng_for
from geoplan.sample.workbooks import ReportSubstation, headroom_report_sheet, write_workbook

__all__ = ["GSPS", "YEARS", "Substation", "grid_ref", "network_from_seed", "write_headroom_report",
           "write_report"]

YEARS = (2023, 2024, 2025, 2026, 2027, 2028, 2029, 2030, 2031, 2032, 2035, 2040, 2045, 2050)
"""Year columns of each season band, as in the published report."""

_GROWTH = {"CT": 0.017, "LW": 0.021, "ST": 0.011, "SP": 0.006}
_SEASON_SHARE = {"Winter": (1.0, 1.0), "Summer": (0.92, 0.72), "Spring/Autumn": (0.96, 0.85)}
_GROWTH_TOWNS = {"Bicester": 1.7, "Didcot": 1.6, "Wantage": 1.3, "Grove": 1.3, "Witney": 1.2,
                 "Carterton": 1.2, "Banbury": 1.2, "Upper Heyford": 1.8, "Chalgrove": 1.5}
GSPS = {"COWLEY": (455_000, 204_000), "SANDFORD": (453_000, 200_500),
         "CASSINGTON": (447_000, 211_500), "ARDLEY": (453_500, 227_500)}
"""Grid Supply Points of the county: name -> (easting, northing)."""
_BSPS = {  # name: (GSP, easting, northing)
    "OSNEY": ("CASSINGTON", 450_300, 205_800), "HEADINGTON": ("COWLEY", 454_300, 207_400),
    "BANBURY": ("ARDLEY", 446_300, 240_000), "BICESTER": ("ARDLEY", 458_900, 221_800),
    "WITNEY": ("CASSINGTON", 436_400, 209_200), "OVER NORTON": ("CASSINGTON", 431_800, 228_300),
    "ABINGDON": ("SANDFORD", 449_200, 196_700), "DIDCOT": ("SANDFORD", 452_900, 190_900),
    "LETCOMBE": ("SANDFORD", 440_600, 186_800), "THAME": ("COWLEY", 470_300, 205_300),
    "HENLEY": ("SANDFORD", 475_400, 183_300),
}
_COMPASS = ("NORTH", "NORTH EAST", "EAST", "SOUTH EAST", "SOUTH", "SOUTH WEST", "WEST",
            "NORTH WEST")
_NEIGHBOURS = (  # name, area, easting, northing, GSP
    ("HIGHWORTH", "Swindon and Wiltshire", 420_000, 192_500, "SANDFORD"),
    ("WANBOROUGH", "Swindon and Wiltshire", 421_500, 182_800, "SANDFORD"),
    ("LONG CRENDON", "Buckinghamshire Thames Valley", 469_800, 209_000, "COWLEY"),
    ("STOKENCHURCH", "Buckinghamshire Thames Valley", 476_000, 196_200, "COWLEY"),
    ("TILEHURST", "Thames Valley Berkshire", 467_000, 174_000, "SANDFORD"),
)
_SHARED = {"WANTAGE": "Swindon and Wiltshire", "HENLEY ON THAMES": "Thames Valley Berkshire"}


@dataclass(frozen=True)
class Substation:
    """One substation block of the report.

    Parameters
    ----------
    name : str
        Name as written (upper case, as SSEN writes them).
    gsp, bsp : str
        Upstream Grid and Bulk Supply Point names (``bsp`` empty when fed from the GSP).
    x, y : float
        Location (British National Grid metres).
    firm_mva, peak_mva : float
        Firm capacity and 2023 winter peak demand.
    growth : float
        Local multiplier on the scenario growth rates.
    areas : tuple of str
        Areas listing it on the reference sheet.
    """

    name: str
    gsp: str
    bsp: str
    x: float
    y: float
    firm_mva: float
    peak_mva: float
    growth: float
    areas: tuple[str, ...] = (COUNTY_NAME,)

    def headroom(self, scenario: str, season: str, year: int) -> float:
        """Headroom (MVA) in one DFES scenario, season and year."""
        firm_share, peak_share = _SEASON_SHARE[season]
        rates = [_GROWTH[scenario]] if scenario in _GROWTH else list(_GROWTH.values())
        peak = max(self.peak_mva * (1 + r * self.growth) ** (year - YEARS[0]) for r in rates)
        return round(self.firm_mva * firm_share - peak * peak_share, 3)


def grid_ref(x: float, y: float) -> str:
    """OS grid reference with 5-digit easting and northing, e.g. ``"SP 51259 05741"``.

    Examples
    --------
    >>> grid_ref(451259.0, 205741.0)
    'SP 51259 05741'
    """
    letters = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
    e100, n100 = int(x // 100_000), int(y // 100_000)
    first = (19 - n100) - (19 - n100) % 5 + (e100 + 10) // 5
    second = (19 - n100) * 5 % 25 + e100 % 5
    return f"{letters[first]}{letters[second]} {int(x) % 100_000:05d} {int(y) % 100_000:05d}"


def network_from_seed(seed: int, topic: str = "grid"
                      ) -> tuple[list[Substation], list[Substation]]:
    """Draw the primaries and BSPs of the synthetic network.

    Parameters
    ----------
    seed : int
        The sample's seed.
    topic : str
        Random stream (:func:`~geoplan.sample.places.rng_for`); a region's other counties
        draw their own.

    Returns
    -------
    tuple of list of Substation
        Primaries (county ones first, then over-the-border ones) and BSPs.
    """
    rng = rng_for(seed, topic)
    primaries = [p for town in TOWNS for p in _town_primaries(town, rng)]
    primaries += [_substation(name, gsp, "", x, y, rng, 1.0, areas=(area,))
                  for name, area, x, y, gsp in _NEIGHBOURS]
    bsps = []
    for name, (gsp, x, y) in _BSPS.items():
        children = [p for p in primaries if p.bsp == name]
        peak = 0.85 * sum(p.peak_mva for p in children)
        firm = float(np.ceil(peak * rng.uniform(1.08, 1.5) / 15) * 15)
        growth = float(np.mean([p.growth for p in children]))
        bsps.append(Substation(name, gsp, "", x, y, firm, round(peak, 2), growth, ()))
    return primaries, bsps


def _town_primaries(town: Town, rng: np.random.Generator) -> list[Substation]:
    found = []
    for k in range(town.primaries):
        if town.primaries == 1:
            name, x, y = town.name.upper().replace("-", " "), town.x, town.y
        else:
            angle = 2 * np.pi * k / town.primaries + 0.4
            offset = 0.0 if k == 0 and town.primaries > 4 else town.radius_m * 0.55
            point = _COMPASS[round(angle / (np.pi / 4)) % 8]
            name = f"{town.name.upper()} {'CENTRAL' if offset == 0 else point}"
            x, y = town.x + offset * np.sin(angle), town.y + offset * np.cos(angle)
        x, y = x + rng.normal(0, 250), y + rng.normal(0, 250)
        bsp = _nearest_bsp(x, y)
        gsp = _BSPS[bsp][0]
        if town.population < 2_000 and rng.random() < 0.4:
            bsp = ""  # fed straight from the GSP
        growth = _GROWTH_TOWNS.get(town.name, 1.0) * rng.uniform(0.7, 1.3)
        size = 1.0 if town.primaries > 1 else min(1.0, 0.35 + town.population / 40_000)
        shared = _SHARED.get(name.replace("-", " "))
        areas = (COUNTY_NAME, shared) if shared else (COUNTY_NAME,)
        found.append(_substation(name, gsp, bsp, x, y, rng, growth, size, areas))
    return found


def _substation(name: str, gsp: str, bsp: str, x: float, y: float, rng: np.random.Generator,
                growth: float, size: float = 1.0,
                areas: tuple[str, ...] = (COUNTY_NAME,)) -> Substation:
    firm = float(rng.choice([7.5, 10.0, 12.0, 15.0, 20.0, 23.0, 30.0]) * max(size, 0.5))
    load = rng.choice([rng.uniform(0.35, 0.72), rng.uniform(0.72, 0.92), rng.uniform(0.97, 1.05)],
                      p=[0.62, 0.31, 0.07])
    return Substation(name, gsp, bsp, round(x), round(y), round(firm, 1),
                      round(firm * float(load), 2), float(growth), areas)


def _nearest_bsp(x: float, y: float) -> str:
    return min(_BSPS, key=lambda b: (_BSPS[b][1] - x) ** 2 + (_BSPS[b][2] - y) ** 2)


def _blocks(subs: list[Substation], upstream: dict[str, str]) -> list[ReportSubstation]:
    blocks = []
    for sub in subs:
        values = {(scenario, season, year): sub.headroom(scenario, season, year)
                  for scenario in ("MINIMUM HEADROOM", *_GROWTH)
                  for season in _SEASON_SHARE for year in YEARS}
        blocks.append(ReportSubstation(sub.name, sub.gsp, grid_ref(sub.x, sub.y),
                                       bsp=sub.bsp or None, upstream=upstream.get(sub.bsp, "NO"),
                                       headroom=values))
    return blocks


def write_headroom_report(seed: int, path: Path) -> dict[str, int]:
    """Write the workbook; return counts of GSPs, BSPs, primaries and constrained primaries."""
    primaries, bsps = network_from_seed(seed)
    write_report(primaries, bsps, COUNTY_NAME, path)
    county = [p for p in primaries if COUNTY_NAME in p.areas]
    constrained = sum(p.headroom("MINIMUM HEADROOM", "Winter", 2040) < 0 for p in county)
    return {"gsps": len(GSPS), "bsps": len(bsps), "primaries": len(county),
            "primaries_outside_county": len(primaries) - len(county),
            "primaries_constrained_2040_winter": int(constrained)}


def write_report(primaries: list[Substation], bsps: list[Substation], title: str,
                 path: Path) -> None:
    """Write an SSEN-style headroom workbook of ``primaries`` and ``bsps`` to ``path``."""
    upstream = {b.name: "YES" if b.headroom("MINIMUM HEADROOM", "Winter", 2030) < 0 else "NO"
                for b in bsps}
    reference = [["LEP", "Grid Supply Point", "Primary Substation "], ["", "", ""]]
    reference += [[area, p.gsp, p.name] for p in primaries for area in p.areas]
    title = (f"{title} (SYNTHETIC) Network Headroom Report - geoplan sample data, "
             "not real: names, places and numbers are invented")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(path, {
        "Contents": [[title], [""], ["Layout follows SSEN's SEPD Network Headroom Report."]],
        "Primary Headroom Dem": headroom_report_sheet(_blocks(primaries, upstream), YEARS),
        "BSP Headroom Dem": headroom_report_sheet(_blocks(bsps, {}), YEARS, with_bsp=False,
                                                  name_header="Bulk Supply Point"),
        "LEP Reference": reference[:2] + sorted(reference[2:]),
    })
