"""``epc/domestic-<code>-<name>/certificates.csv``: EPC bulk-download files, one per district.

Every synthetic home gets its latest certificate; about 8% also have an older one (lower SAP,
earlier date, sometimes without a UPRN, so readers must link it by building reference). The
files carry the register's quirks on purpose: "NO DATA!" and "INVALID!" markers, several
spellings of tenure and fuel, bare construction years, postcodes written without a space or
in lower case, and about 1% of homes with a new postcode that the postcode file lacks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.errors import ScenarioError
from geoplan.sample.dwellings import AGE_BANDS, band_of, dwellings_from_homes
from geoplan.sample.epc_text import (
    address_columns,
    age_text,
    constituency,
    district_constituency,
    fabric_columns,
    heating_columns,
    tenure_text,
)
from geoplan.sample.places import OXFORDSHIRE, Places, rng_for
from geoplan.sources.epc import CERTIFICATE_COLUMNS

__all__ = ["epc_folder", "write_epc"]

_OLDER_SHARE = 0.08
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_UNITS_PER_SECTOR = 400  # 20 x 20 unit letters
_NEW_SECTORS = ("9", "0", "8", "7", "6", "5", "4", "3", "2", "1")  # 9 first, as ever
_NEW_POSTCODE_SHARE = 0.01
# (column, marker, share of certificates)
_SENTINELS = (
    ("CONSTRUCTION_AGE_BAND", "NO DATA!", 0.006), ("CONSTRUCTION_AGE_BAND", "INVALID!", 0.0015),
    ("TENURE", "NO DATA!", 0.008), ("MAIN_FUEL", "INVALID!", 0.0015),
    ("MAIN_FUEL", "NO DATA!", 0.0015), ("BUILT_FORM", "NO DATA!", 0.004),
    ("MAINS_GAS_FLAG", "", 0.01), ("TOTAL_FLOOR_AREA", "0", 0.0005),
)
_FUEL_CO2 = {"gas": 0.20, "oil": 0.27, "lpg": 0.23, "electric": 0.16, "heat pump": 0.12,
             "wood": 0.03, "community": 0.18}
_FUEL_PRICE = {"gas": 0.045, "oil": 0.055, "lpg": 0.075, "electric": 0.16, "heat pump": 0.16,
               "wood": 0.05, "community": 0.05}


def epc_folder(code: str, name: str) -> str:
    """Folder name of one district in the bulk download, e.g. ``domestic-E07000177-Cherwell``."""
    return f"domestic-{code}-{name.replace(' ', '-')}"


def write_epc(homes: pd.DataFrame, postcodes: pd.DataFrame, seed: int,
              root: Path, counties: tuple[Places, ...] = (OXFORDSHIRE,)) -> dict[str, int]:
    """Write one ``certificates.csv`` per district under ``root``.

    Parameters
    ----------
    homes : pandas.DataFrame
        Homes from :func:`geoplan.sample.addresses.addresses_from_county`.
    postcodes : pandas.DataFrame
        The postcode file's units (new postcodes are chosen outside them).
    seed : int
        Seed.
    root : pathlib.Path
        The ``epc`` folder.
    counties : tuple of Places
        The counties of the homes (default Oxfordshire): their districts, in order, each
        get a folder.

    Returns
    -------
    dict
        Counts: ``certificates``, ``homes``, ``homes_with_two_certificates``,
        ``homes_with_new_postcodes``.
    """
    rng = rng_for(seed, "epc")
    homes = homes.reset_index(drop=True).copy()
    moved = rng.random(len(homes)) < _NEW_POSTCODE_SHARE
    homes.loc[moved, "postcode"] = _new_postcodes(homes.loc[moved, "postcode"], postcodes)
    dwellings = dwellings_from_homes(homes, rng_for(seed, "dwellings"))
    certificates = older = 0
    # one district at a time keeps memory low at county scale
    for places, district in [(p, d) for p in counties for d in p.districts]:
        rows = np.flatnonzero(homes["district"].to_numpy() == district.code)
        part = homes.iloc[rows].reset_index(drop=True)
        latest = _certificates(part, dwellings.iloc[rows].reset_index(drop=True), rows, rng,
                               places)
        earlier = _older(latest, len(homes) + rows, rng)
        table = pd.concat([latest, earlier], ignore_index=True)
        table = _mark(_finish_postcodes(table, rng), rng)
        table = table.sort_values(["LODGEMENT_DATETIME", "LMK_KEY"], kind="stable")
        path = root / epc_folder(district.code, district.name) / "certificates.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        certificates += len(table)
        older += len(earlier)
    return {"certificates": certificates, "homes": len(homes),
            "homes_with_two_certificates": older,
            "homes_with_new_postcodes": int(moved.sum())}


def _new_postcodes(current: pd.Series, postcodes: pd.DataFrame) -> list[str]:
    """Give each home a postcode of its outward code that the postcode file does not list.

    The ``n``-th home tries the units of sector 9 from the ``n``-th on (400 units, ``9AA`` to
    ``9ZZ``); when that sector is full it tries sector 0, then 8, 7, ... 1 the same way, so
    one outward code holds up to 4,000 new postcodes.

    Raises
    ------
    ScenarioError
        If every unit of an outward code is taken (the sample is too large for its outward
        codes).
    """
    taken = set(postcodes["postcode"])
    full: set[tuple[str, str]] = set()
    fresh = []
    for index, code in enumerate(current):
        outward = code.split()[0]
        candidate = _free_unit(outward, index, taken, full)
        taken.add(candidate)
        fresh.append(candidate)
    return fresh


def _free_unit(outward: str, start: int, taken: set[str], full: set[tuple[str, str]]) -> str:
    """First unit of ``outward`` not in ``taken``, by the order of :func:`_new_postcodes`."""
    for sector in _NEW_SECTORS:
        if (outward, sector) in full:
            continue
        for k in range(start, start + _UNITS_PER_SECTOR):
            candidate = f"{outward} {sector}{_UNIT_LETTERS[(k // 20) % 20]}{_UNIT_LETTERS[k % 20]}"
            if candidate not in taken:
                return candidate
        full.add((outward, sector))
    raise ScenarioError(
        f"sample EPC: every one of the {len(_NEW_SECTORS) * _UNITS_PER_SECTOR:,} units of "
        f"outward code {outward} is taken, so no new postcode is left for a moved home (fix: "
        "use a smaller --scale)")


def _certificates(homes: pd.DataFrame, d: pd.DataFrame, index: np.ndarray,
                  rng: np.random.Generator, places: Places = OXFORDSHIRE) -> pd.DataFrame:
    """Build the latest certificate of every home, as certificates.csv columns.

    ``index`` numbers the homes across the county (for unique keys).
    """
    n = len(homes)
    flats = d["property_type"].isin(("Flat", "Maisonette")).to_numpy()
    year, stamp = _lodgement(d["age"].to_numpy(), rng)
    columns: dict[str, object] = {
        "LMK_KEY": _lmk(index, stamp),
        "POSTCODE": homes["postcode"].to_numpy(),
        "BUILDING_REFERENCE_NUMBER": (1_000_000_000 + 3 * index).astype(str),
        "PROPERTY_TYPE": d["property_type"].to_numpy(), "BUILT_FORM": d["built_form"].to_numpy(),
        "LOCAL_AUTHORITY": homes["district"].to_numpy(), "COUNTY": places.name,
        "TOTAL_FLOOR_AREA": d["floor_area"].to_numpy(),
        "CONSTRUCTION_AGE_BAND": age_text(d["age"].to_numpy(), AGE_BANDS, year, rng),
        "UPRN": homes["uprn"].astype(str).to_numpy(),
        "UPRN_SOURCE": np.where(rng.random(n) < 0.8, "Address Matched", "Energy Assessor"),
        "_fuel": d["fuel"].to_numpy(),
    }
    columns.update(_dates(stamp, rng))
    columns.update(address_columns(homes, flats, rng, places.post_towns))
    names = {dist.code: dist.name for dist in places.districts}
    columns["CONSTITUENCY"], columns["CONSTITUENCY_LABEL"] = (
        constituency(homes) if places is OXFORDSHIRE else district_constituency(homes, names))
    columns["LOCAL_AUTHORITY_LABEL"] = homes["district"].map(names).to_numpy()
    columns.update(fabric_columns(d, rng))
    columns.update(heating_columns(d, rng))
    columns.update(_tenure_and_transaction(d, year, rng))
    columns.update(_rooms_and_lighting(d, flats, rng))
    table = pd.DataFrame(columns)
    return _with_energy(table, d["sap"].to_numpy(), rng)


def _lodgement(age: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Lodgement year and timestamp (seconds since 2008-10-01), later years likelier."""
    start = np.datetime64("2008-10-01T00:00:00", "s")
    span = int((np.datetime64("2024-06-30T00:00:00", "s") - start).astype(int))
    fraction = rng.beta(1.6, 1.0, len(age))
    new = age == len(AGE_BANDS) - 1
    fraction = np.where(new, 0.25 + 0.75 * fraction, fraction)
    seconds = (fraction * span).astype(np.int64) // 60 * 60 + rng.integers(0, 60, len(age))
    stamp = start + seconds.astype("timedelta64[s]")
    return stamp.astype("datetime64[Y]").astype(int) + 1970, stamp


def _lmk(index: np.ndarray, stamp: np.ndarray) -> np.ndarray:
    digits = pd.Series(stamp.astype(str)).str.replace(r"\D", "", regex=True).to_numpy()
    return np.char.add(np.char.zfill((9_000_000_001 + index).astype(str), 10),
                       digits.astype(str))


def _dates(stamp: np.ndarray, rng: np.random.Generator) -> dict[str, object]:
    lodged = stamp.astype("datetime64[D]")
    inspected = lodged - rng.integers(0, 21, len(stamp)).astype("timedelta64[D]")
    return {"LODGEMENT_DATE": lodged.astype(str), "INSPECTION_DATE": inspected.astype(str),
            "LODGEMENT_DATETIME": np.char.replace(stamp.astype(str), "T", " ")}


def _tenure_and_transaction(d: pd.DataFrame, year: np.ndarray,
                            rng: np.random.Generator) -> dict[str, object]:
    n = len(d)
    oxford_like = d["property_type"].isin(("Flat", "Maisonette")).to_numpy()
    kind = np.where(rng.random(n) < np.where(oxford_like, 0.42, 0.72), "owner",
                    np.where(rng.random(n) < 0.55, "private", "social"))
    new = (d["age"].to_numpy() == len(AGE_BANDS) - 1) & (rng.random(n) < 0.6)
    kind = np.where(new & (rng.random(n) < 0.3), "unknown", kind)
    reason = rng.choice(["marketed sale", "non marketed sale", "ECO assessment",
                         "FiT application", "none of the above", "assessment for green deal"],
                        size=n, p=[0.62, 0.1, 0.1, 0.05, 0.1, 0.03])
    reason = np.select([new, kind == "private", kind == "social", d["fuel"].eq("heat pump")],
                       ["new dwelling", "rental (private)", "rental (social)",
                        "RHI application"], reason)
    return {"TENURE": tenure_text(kind, year, new), "TRANSACTION_TYPE": reason}


def _rooms_and_lighting(d: pd.DataFrame, flats: np.ndarray,
                        rng: np.random.Generator) -> dict[str, object]:
    n = len(d)
    area = d["floor_area"].to_numpy()
    rooms = np.clip(np.round(area / 22 + rng.normal(0, 0.6, n)), 1, 12).astype(int)
    low_energy = np.where(d["age"] >= 10, 100, rng.choice([0, 25, 50, 67, 80, 100], n,
                                                          p=[0.05, 0.1, 0.2, 0.2, 0.2, 0.25]))
    outlets = np.clip(np.round(area / 8), 4, 40).astype(int)
    level = rng.choice(["Ground", "1st", "2nd", "3rd", "NODATA!"], n,
                       p=[0.34, 0.32, 0.2, 0.11, 0.03])
    lighting = np.where(low_energy == 100, "Low energy lighting in all fixed outlets",
                        np.char.add(np.char.add("Low energy lighting in ",
                                                low_energy.astype(str)), "% of fixed outlets"))
    return {
        "NUMBER_HABITABLE_ROOMS": rooms, "NUMBER_HEATED_ROOMS": rooms,
        "EXTENSION_COUNT": rng.choice([0, 1, 2], n, p=[0.6, 0.3, 0.1]),
        "NUMBER_OPEN_FIREPLACES": rng.choice([0, 1], n, p=[0.88, 0.12]),
        "LOW_ENERGY_LIGHTING": low_energy,
        "LIGHTING_DESCRIPTION": np.where(low_energy == 0, "No low energy lighting", lighting),
        "FIXED_LIGHTING_OUTLETS_COUNT": outlets,
        "LOW_ENERGY_FIXED_LIGHT_COUNT": np.round(outlets * low_energy / 100).astype(int),
        "FLOOR_LEVEL": np.where(flats, level, ""),
        "FLAT_TOP_STOREY": np.where(flats, np.where(d["top_floor"], "Y", "N"), ""),
        "FLAT_STOREY_COUNT": np.where(flats, rng.integers(2, 6, n).astype(str), ""),
        "HEAT_LOSS_CORRIDOR": np.where(flats, rng.choice(["no corridor", "unheated corridor",
                                                          "heated corridor"], n), ""),
        "FLOOR_HEIGHT": np.round(rng.uniform(2.3, 2.9, n), 2),
        "PHOTO_SUPPLY": np.where(rng.random(n) < 0.06, rng.integers(10, 60, n), 0),
        "WIND_TURBINE_COUNT": 0, "SOLAR_WATER_HEATING_FLAG": "N",
        "MECHANICAL_VENTILATION": np.where(d["age"] >= 10, "mechanical, extract only",
                                           "natural"),
    }


def _with_energy(table: pd.DataFrame, sap: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Ratings, energy use, CO2 and costs that follow from the SAP score and fuel."""
    n = len(table)
    fuel = table["_fuel"]
    area = pd.to_numeric(table["TOTAL_FLOOR_AREA"]).to_numpy()
    potential = np.minimum(96, sap + np.maximum(3, (86 - sap) * rng.uniform(0.4, 0.9, n)))
    potential = np.round(potential).astype(int)
    use = np.clip(470 - 4.2 * sap + rng.normal(0, 18, n), 15, 900).round().astype(int)
    use_potential = np.clip(470 - 4.2 * potential, 10, 900).round().astype(int)
    per_m2 = use * fuel.map(_FUEL_CO2).to_numpy()
    price = fuel.map(_FUEL_PRICE).to_numpy()
    heating = np.round(use * area * price * 0.75).astype(int)
    return table.assign(
        CURRENT_ENERGY_RATING=band_of(sap), POTENTIAL_ENERGY_RATING=band_of(potential),
        CURRENT_ENERGY_EFFICIENCY=sap, POTENTIAL_ENERGY_EFFICIENCY=potential,
        ENVIRONMENT_IMPACT_CURRENT=np.clip(sap - 6 + rng.normal(0, 4, n), 1, 100).round()
        .astype(int),
        ENVIRONMENT_IMPACT_POTENTIAL=np.clip(potential - 4, 1, 100),
        ENERGY_CONSUMPTION_CURRENT=use, ENERGY_CONSUMPTION_POTENTIAL=use_potential,
        CO2_EMISS_CURR_PER_FLOOR_AREA=np.round(per_m2).astype(int),
        CO2_EMISSIONS_CURRENT=np.round(per_m2 * area / 1000, 1),
        CO2_EMISSIONS_POTENTIAL=np.round(use_potential * area * 0.15 / 1000, 1),
        LIGHTING_COST_CURRENT=np.round(40 + area * 0.6).astype(int),
        LIGHTING_COST_POTENTIAL=np.round(35 + area * 0.4).astype(int),
        HEATING_COST_CURRENT=heating,
        HEATING_COST_POTENTIAL=np.round(heating * 0.7).astype(int),
        HOT_WATER_COST_CURRENT=np.round(70 + area * 0.9 * price / 0.05).astype(int),
        HOT_WATER_COST_POTENTIAL=np.round(60 + area * 0.6).astype(int),
    )


def _older(latest: pd.DataFrame, keys: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Build an earlier, worse certificate for some homes lodged since 2012.

    ``keys`` numbers each home's older certificate (for unique LMK keys).
    """
    year = pd.to_numeric(latest["LODGEMENT_DATE"].str[:4]).to_numpy()
    age = latest["CONSTRUCTION_AGE_BAND"].astype(str)
    new = (age.str.endswith(AGE_BANDS[-1]) | age.str.fullmatch(r"\d{4}")).to_numpy()
    chosen = np.flatnonzero((year >= 2012) & ~new
                            & (rng.random(len(latest)) < _OLDER_SHARE / 0.75))
    old = latest.iloc[chosen].reset_index(drop=True).copy()
    back = rng.integers(2 * 365, 9 * 365, len(old)).astype("timedelta64[D]")
    stamp = (pd.to_datetime(old["LODGEMENT_DATETIME"]).to_numpy().astype("datetime64[s]")
             - back)
    floor = np.datetime64("2008-10-01T09:00:00", "s")
    late = rng.integers(0, 400 * 86_400, len(old)).astype("timedelta64[s]")
    stamp = np.where(stamp < floor, floor + late, stamp)
    old["LMK_KEY"] = _lmk(keys[chosen], stamp)
    for key, value in _dates(stamp, rng).items():
        old[key] = value
    filled = (old["WALLS_DESCRIPTION"].eq("Cavity wall, filled cavity")
              & (rng.random(len(old)) < 0.6))
    old.loc[filled, ["WALLS_DESCRIPTION", "WALLS_ENERGY_EFF"]] = [
        "Cavity wall, as built, no insulation (assumed)", "Poor"]
    old.loc[rng.random(len(old)) < 0.35, ["UPRN", "UPRN_SOURCE"]] = ""
    sap = latest["CURRENT_ENERGY_EFFICIENCY"].to_numpy()[chosen]
    sap = np.clip(sap - rng.integers(2, 16, len(old)), 1, 100)
    return _with_energy(old, sap, rng)


def _finish_postcodes(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Write a few postcodes without their space or in lower case, as assessors do."""
    messy = rng.random(len(table))
    codes = table["POSTCODE"]
    table["POSTCODE"] = np.where(messy < 0.003, codes.str.replace(" ", ""),
                                 np.where(messy > 0.998, codes.str.lower(), codes))
    return table


def _mark(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Put the register's "no value" markers in a few cells; lay out the 93 columns."""
    table = table.astype({c: str for c in table.columns if c != "_fuel"})
    for column, marker, share in _SENTINELS:
        hit = rng.random(len(table)) < share
        table.loc[hit, column] = marker
    return table.reindex(columns=list(CERTIFICATE_COLUMNS), fill_value="")
