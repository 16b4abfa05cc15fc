"""``emissions/district_emissions.csv``: CO2 by sector, district and year (2005-2020).

Same wide layout as the BEIS/DESNZ local-authority CO2 statistics republished by mySociety:
one row per year and authority (the districts, then each county as the sum of its own), a column
per sector and fuel in kt CO2, then totals, population, emissions per person and per km2.
The numbers are synthetic: each district's 2005 emissions are built from its synthetic
households, population and area with random per-capita factors, then follow smooth national
style trends (electricity falling fastest as the grid decarbonises, a dip in 2020) with noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.sample.county import County
from geoplan.sample.places import rng_for

__all__ = ["EMISSIONS_COLUMNS", "write_emissions"]

_SECTORS = {
    "Industry": ("Industry Electricity", "Industry Gas", "Large Industrial Installations",
                 "Industrial Other Fuels"),
    "Commercial": ("Commercial Electricity", "Commercial Gas", "Commercial Other Fuels"),
    "Public Sector": ("Public Sector Electricity", "Public Sector Gas",
                      "Public Sector Other Fuels"),
    "Domestic": ("Domestic Electricity", "Domestic Gas", "Domestic Other Fuels"),
    "Transport": ("Road Transport (A roads)", "Road Transport (Minor roads)", "Transport Other"),
    "Agriculture": ("Agriculture Electricity", "Agriculture", "Agriculture 'Other'"),
    "Waste Management": ("Waste Management Other",),
}
EMISSIONS_COLUMNS = (
    ["Year", "local-authority-code", "gss_code", "official-name"]
    + [f"{name}:kt CO2" for sector, parts in _SECTORS.items()
       for name in (*parts, f"{sector} Total")]
    + ["Total Emissions:kt CO2", "Population:000s", "Per Person Emissions:t", "Area:km2",
       "Emissions per km2:kt"]
)
"""Header of the published wide table."""

_YEARS = range(2005, 2021)
_OFFICIAL = {"E07000178": "Oxford City Council"}
# 2005 tonnes of CO2 per person (or per household for domestic, per km2 for agriculture)
_BASE = {
    "Industry Electricity": 0.6, "Industry Gas": 0.5, "Large Industrial Installations": 0.0,
    "Industrial Other Fuels": 0.5, "Commercial Electricity": 0.7, "Commercial Gas": 0.2,
    "Commercial Other Fuels": 0.01, "Public Sector Electricity": 0.15,
    "Public Sector Gas": 0.12, "Public Sector Other Fuels": 0.02,
    "Domestic Electricity": 1.9, "Domestic Gas": 2.4, "Domestic Other Fuels": 0.9,
    "Road Transport (A roads)": 1.4, "Road Transport (Minor roads)": 0.65,
    "Transport Other": 0.07, "Agriculture Electricity": 0.004, "Agriculture": 0.003,
    "Agriculture 'Other'": 0.02, "Waste Management Other": 0.0,
}


def _trend(name: str, years: np.ndarray) -> np.ndarray:
    t = years - 2005
    if "Electricity" in name:
        return np.clip(1.0 + 0.03 * np.sin(t / 2.0) - 0.037 * t, 0.35, None)
    if name.startswith("Road") or name == "Transport Other":
        return (1.0 - 0.006 * t) * np.where(years == 2020, 0.8, 1.0)
    return 1.0 - 0.017 * t


def _district_rows(code: str, name: str, short: str, county: County,
                   rng: np.random.Generator) -> pd.DataFrame:
    zones = county.zones[county.zones["district"] == code]
    households = float(zones["households"].sum())
    rural = float((~zones["urban"]).mean())
    people = households * 2.4 / 1000 * rng.uniform(0.97, 1.03)
    area = float(county.districts.set_index("code").geometry[code].area) / 1e6
    years = np.asarray(_YEARS)
    frame = pd.DataFrame({"Year": years, "local-authority-code": short, "gss_code": code,
                          "official-name": _OFFICIAL.get(code, f"{name} District Council")})
    for column, base in _BASE.items():
        scale = people
        if column.startswith("Domestic"):
            scale = households / 1000
        elif column.startswith("Agriculture"):
            scale = area
        mix = 1.0 + (rural - 0.5) * (1.2 if "Other" in column else -0.4)
        level = base * scale * rng.uniform(0.75, 1.25) * max(mix, 0.2)
        noise = rng.normal(1.0, 0.03, len(years))
        frame[f"{column}:kt CO2"] = level * _trend(column, years) * noise
    frame["_people"] = people * (1 + 0.008 * (years - 2005))
    frame["_area"] = area
    return frame


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    for sector, parts in _SECTORS.items():
        frame[f"{sector} Total:kt CO2"] = frame[[f"{p}:kt CO2" for p in parts]].sum(axis=1)
    totals = [f"{s} Total:kt CO2" for s in _SECTORS]
    frame["Total Emissions:kt CO2"] = frame[totals].sum(axis=1)
    frame["Population:000s"] = frame["_people"].round(3)
    frame["Per Person Emissions:t"] = frame["Total Emissions:kt CO2"] / frame["_people"]
    frame["Area:km2"] = frame["_area"].round(4)
    frame["Emissions per km2:kt"] = frame["Total Emissions:kt CO2"] / frame["_area"]
    return frame


def write_emissions(county: County, seed: int, path: Path) -> dict[str, int]:
    """Write the table; return the number of rows and years."""
    rng = rng_for(seed, "emissions")
    frames, wholes = [], []
    for places in county.counties:
        parts = [_district_rows(d.code, d.name, d.short, county, rng) for d in places.districts]
        districts = pd.concat(parts, ignore_index=True)
        numbers = [c for c in districts.columns if c.endswith(":kt CO2") or c.startswith("_")]
        whole = districts.groupby("Year", as_index=False)[numbers].sum()
        wholes.append(whole.assign(**{"local-authority-code": places.short,
                                      "gss_code": places.code,
                                      "official-name": f"{places.name} County Council"}))
        frames.append(districts)
    table = _totals(pd.concat([*frames, *wholes], ignore_index=True))
    shorts = [places.short for places in county.counties]
    table["_order"] = np.where(table["local-authority-code"].isin(shorts), 9, 0)
    table = table.sort_values(["Year", "_order", "local-authority-code"], kind="stable")
    path.parent.mkdir(parents=True, exist_ok=True)
    table[EMISSIONS_COLUMNS].to_csv(path, index=False, lineterminator="\n")
    return {"emissions_rows": len(table), "emissions_years": len(_YEARS)}
