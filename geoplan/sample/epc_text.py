"""The words an EPC certificate uses, drawn for synthetic homes.

Each function turns the attributes drawn by :mod:`geoplan.sample.dwellings` into the texts of
one group of ``certificates.csv`` columns, in the spellings the EPC register uses (several
spellings where the register has several).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "POST_TOWNS",
    "address_columns",
    "age_text",
    "constituency",
    "district_constituency",
    "fabric_columns",
    "heating_columns",
    "tenure_text",
]

POST_TOWNS = {
    "OX1": "OXFORD", "OX2": "OXFORD", "OX3": "OXFORD", "OX4": "OXFORD", "OX5": "KIDLINGTON",
    "OX7": "CHIPPING NORTON", "OX9": "THAME", "OX10": "WALLINGFORD", "OX11": "DIDCOT",
    "OX12": "WANTAGE", "OX13": "ABINGDON", "OX14": "ABINGDON", "OX15": "BANBURY",
    "OX16": "BANBURY", "OX18": "CARTERTON", "OX20": "WOODSTOCK", "OX25": "BICESTER",
    "OX26": "BICESTER", "OX28": "WITNEY", "OX29": "WITNEY", "OX33": "OXFORD", "OX39": "CHINNOR",
    "OX44": "OXFORD", "OX49": "WATLINGTON", "RG4": "READING", "RG8": "READING",
    "RG9": "HENLEY-ON-THAMES", "SN6": "SWINDON", "SN7": "FARINGDON",
}
"""Post town of each outward code used by the sample."""

_STREETS = (
    "High Street", "Church Lane", "Mill Lane", "Station Road", "The Green", "Manor Road",
    "Park Road", "Victoria Road", "London Road", "School Lane", "Orchard Close", "Chapel Lane",
    "Queens Road", "Kings Road", "New Road", "Meadow View", "Windmill Road", "Brook Street",
    "Elm Close", "Oak Drive", "Willow Way", "Beech Road", "Hill View", "Field Close",
    "Bridge Street", "Market Place", "North Street", "South Street", "West Way", "East Street",
    "Cherry Tree Road", "Ash Grove", "Poplar Close", "The Crescent", "Priory Road",
    "Vicarage Lane", "Green Lane", "Back Lane", "Farm Close", "Abbey Road", "Rectory Road",
    "Woodlands", "Springfield Road", "Sandy Lane", "Mount Pleasant", "St Marys Close",
    "Grove Road", "Bell Lane", "Castle Street", "Wharf Lane",
)
_CONSTITUENCIES = {
    "Banbury": "E14900001", "Henley": "E14900002", "Oxford East": "E14900003",
    "Oxford West and Abingdon": "E14900004", "Wantage": "E14900005", "Witney": "E14900006",
}
_OXFORD_WEST = {"Kidlington", "Yarnton", "Abingdon", "Botley", "Cumnor", "Kennington",
                "Radley"}
_WANTAGE_SOUTH = {"Didcot", "Wallingford", "Cholsey", "Blewbury", "Goring"}


def address_columns(homes: pd.DataFrame, flats: np.ndarray, rng: np.random.Generator,
                    post_towns: Mapping[str, str] | None = None) -> dict[str, object]:
    """ADDRESS1-3, ADDRESS and POSTTOWN (``post_towns``, default :data:`POST_TOWNS`)."""
    codes = homes["postcode"].to_numpy().astype(str)
    street_index = np.asarray([sum(map(ord, c)) * 7 % len(_STREETS) for c in codes])
    streets = np.asarray(_STREETS)[street_index]
    numbers = rng.integers(1, 140, len(homes)).astype(str)
    flat_no = rng.integers(1, 30, len(homes)).astype(str)
    line = np.char.add(np.char.add(numbers, " "), streets)
    first = np.where(flats, np.char.add("Flat ", flat_no), line)
    second = np.where(flats, line, np.where(homes["urban"], "", homes["town"]))
    third = np.where(flats & ~homes["urban"].to_numpy(bool), homes["town"], "")
    joined = pd.Series(first) + np.where(second != "", ", " + pd.Series(second), "") + \
        np.where(third != "", ", " + pd.Series(third), "")
    outward = pd.Series(codes).str.split().str[0].map(post_towns or POST_TOWNS)
    return {"ADDRESS1": first, "ADDRESS2": second, "ADDRESS3": third,
            "ADDRESS": joined.to_numpy(), "POSTTOWN": outward.to_numpy()}


def constituency(homes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Westminster constituency (synthetic code, real name) of each home."""
    town, district = homes["town"].to_numpy(), homes["district"].to_numpy()
    east = homes["x"].to_numpy() >= 451_300
    name = np.select(
        [district == "E07000178", np.isin(town, list(_OXFORD_WEST)),
         district == "E07000177", district == "E07000181",
         (district == "E07000180") | np.isin(town, list(_WANTAGE_SOUTH))],
        [np.where(east, "Oxford East", "Oxford West and Abingdon"), "Oxford West and Abingdon",
         "Banbury", "Witney", "Wantage"], "Henley")
    return pd.Series(name).map(_CONSTITUENCIES).to_numpy(), name


def district_constituency(homes: pd.DataFrame,
                          names: Mapping[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """One constituency per district (a region's invented counties): code ``E14`` + digits."""
    district = homes["district"].astype(str)
    return ("E14" + district.str[3:]).to_numpy(), district.map(names).to_numpy()


def age_text(age: np.ndarray, bands: tuple[str, ...], lodged: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    """CONSTRUCTION_AGE_BAND: "England and Wales: 1900-1929", or a bare year for new homes.

    A bare year is never later than the year the certificate was lodged (``lodged``).
    """
    text = np.char.add("England and Wales: ", np.asarray(bands)[age])
    bare = (age == len(bands) - 1) & (rng.random(len(age)) < 0.3)
    latest = np.maximum(lodged, 2012)
    years = (2012 + np.floor(rng.random(len(age)) * (latest - 2011))).astype(int).astype(str)
    return np.where(bare, years, text)


def tenure_text(kind: np.ndarray, year: np.ndarray, new: np.ndarray) -> np.ndarray:
    """TENURE in the spelling of the certificate's year (capitalised before 2017)."""
    early = year < 2017
    owner = np.where(early, "Owner-occupied", "owner-occupied")
    private = np.where(early, "Rented (private)", "rental (private)")
    social = np.where(early, "Rented (social)", "rental (social)")
    unknown = np.where(new, "Not defined - use in the case of a new dwelling for which the "
                       "intended tenure in not known. It is not to be used for an existing "
                       "dwelling", "unknown")
    return np.select([kind == "owner", kind == "private", kind == "social"],
                     [owner, private, social], unknown)


_WALLS = {
    "solid": ("Solid brick, as built, no insulation (assumed)", "Very Poor"),
    "stone": ("Sandstone or limestone, as built, no insulation (assumed)", "Very Poor"),
    "solid_insulated": ("Solid brick, with internal insulation", "Good"),
    "cavity_filled": ("Cavity wall, filled cavity", "Good"),
    "cavity_empty": ("Cavity wall, as built, no insulation (assumed)", "Poor"),
    "cavity_partial": ("Cavity wall, as built, partial insulation (assumed)", "Average"),
    "insulated": ("Cavity wall, as built, insulated (assumed)", "Good"),
    "timber": ("Timber frame, as built, insulated (assumed)", "Good"),
    "modern": ("Average thermal transmittance 0.28 W/m²K", "Very Good"),
}
_WINDOWS = {
    "double": ("Fully double glazed", "Average", 100, "double glazing installed during or "
               "after 2002"),
    "partial": ("Partial double glazing", "Poor", 60, "double glazing installed before 2002"),
    "single": ("Single glazed", "Very Poor", 0, "not defined"),
    "high": ("High performance glazing", "Good", 100, "double, known data"),
    "secondary": ("Full secondary glazing", "Average", 100, "secondary glazing"),
    "triple": ("Fully triple glazed", "Very Good", 100, "triple, known data"),
}


def fabric_columns(d: pd.DataFrame, rng: np.random.Generator) -> dict[str, object]:
    """Walls, roof, windows and floor descriptions with their efficiency words."""
    walls = d["wall"].map(lambda w: _WALLS[w][0]).to_numpy()
    external = (d["wall"] == "solid_insulated").to_numpy() & (rng.random(len(d)) < 0.4)
    walls = np.where(external, "Solid brick, with external insulation", walls)
    windows = d["glazing"].map(_WINDOWS)
    roof, roof_eff = _roof(d, rng)
    floor = np.where(d["property_type"].isin(("Flat", "Maisonette")) & (rng.random(len(d)) < 0.6),
                     "(another dwelling below)",
                     np.where(d["age"] >= 9, "Average thermal transmittance 0.18 W/m²K",
                              np.where(rng.random(len(d)) < 0.5,
                                       "Suspended, no insulation (assumed)",
                                       "Solid, no insulation (assumed)")))
    return {
        "WALLS_DESCRIPTION": walls,
        "WALLS_ENERGY_EFF": d["wall"].map(lambda w: _WALLS[w][1]).to_numpy(),
        "ROOF_DESCRIPTION": roof, "ROOF_ENERGY_EFF": roof_eff,
        "WINDOWS_DESCRIPTION": windows.str[0].to_numpy(),
        "WINDOWS_ENERGY_EFF": windows.str[1].to_numpy(),
        "MULTI_GLAZE_PROPORTION": windows.str[2].to_numpy(),
        "GLAZED_TYPE": windows.str[3].to_numpy(), "GLAZED_AREA": "Normal",
        "FLOOR_DESCRIPTION": floor,
        "FLOOR_ENERGY_EFF": np.where(floor == "(another dwelling below)", "N/A", ""),
    }


def _roof(d: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    loft = d["loft_mm"].to_numpy()
    text = np.where(loft == 400, "Pitched, 400+ mm loft insulation",
                    np.char.add(np.char.add("Pitched, ", loft.astype(str)),
                                " mm loft insulation"))
    text = np.where(loft == 0, "Pitched, no insulation (assumed)", text)
    draw = rng.random(len(d))
    text = np.where((d["age"] >= 10) & (draw < 0.5),
                    "Average thermal transmittance 0.13 W/m²K", text)
    text = np.where((loft > 0) & (draw > 0.96), "Flat, limited insulation (assumed)", text)
    text = np.where((loft > 0) & (draw > 0.93) & (draw <= 0.96),
                    "Roof room(s), insulated (assumed)", text)
    text = np.where(loft < 0, "(another dwelling above)", text)
    eff = np.asarray(["Very Poor", "Poor", "Average", "Good", "Very Good"])[
        np.digitize(np.maximum(loft, 0), [1, 75, 150, 270])]
    return text, np.where(loft < 0, "N/A", eff)


_HEATING = {
    # fuel: (main heating descriptions, their weights, MAIN_FUEL spellings, their weights)
    "gas": (("Boiler and radiators, mains gas", "Boiler and underfloor heating, mains gas"),
            (0.96, 0.04), ("mains gas (not community)", "Gas: mains gas"), (0.9, 0.1)),
    "oil": (("Boiler and radiators, oil",), (1.0,),
            ("oil (not community)", "Oil: heating oil"), (0.8, 0.2)),
    "lpg": (("Boiler and radiators, LPG",), (1.0,), ("LPG (not community)", "bulk LPG"),
            (0.85, 0.15)),
    "electric": (("Electric storage heaters", "Room heaters, electric",
                  "Boiler and radiators, electric"), (0.6, 0.25, 0.15),
                 ("electricity (not community)",
                  "Electricity: electricity, unspecified tariff"), (0.85, 0.15)),
    "heat pump": (("Air source heat pump, radiators, electric",
                   "Ground source heat pump, underfloor, electric"), (0.8, 0.2),
                  ("electricity (not community)",), (1.0,)),
    "wood": (("Boiler and radiators, wood logs",), (1.0,), ("wood logs",), (1.0,)),
    "community": (("Community scheme",), (1.0,), ("mains gas (community)",), (1.0,)),
}


def heating_columns(d: pd.DataFrame, rng: np.random.Generator) -> dict[str, object]:
    """Describe main heating, fuel, controls, hot water and tariff."""
    n = len(d)
    main, fuel = np.empty(n, dtype=object), np.empty(n, dtype=object)
    for kind, (heats, heat_p, fuels, fuel_p) in _HEATING.items():
        rows = np.flatnonzero(d["fuel"].to_numpy() == kind)
        main[rows] = rng.choice(heats, size=len(rows), p=heat_p)
        fuel[rows] = rng.choice(fuels, size=len(rows), p=fuel_p)
    electric = d["fuel"].isin(("electric", "heat pump")).to_numpy()
    storage = main == "Electric storage heaters"
    controls = np.select(
        [storage, d["fuel"].eq("heat pump"), d["fuel"].eq("community")],
        ["Manual charge control", "Time and temperature zone control",
         "Flat rate charging, programmer and TRVs"],
        np.where(rng.random(n) < 0.7, "Programmer, room thermostat and TRVs",
                 "Programmer and room thermostat"))
    return {
        "MAINHEAT_DESCRIPTION": main, "MAIN_FUEL": fuel, "MAINHEATCONT_DESCRIPTION": controls,
        "HOTWATER_DESCRIPTION": np.where(storage | (main == "Room heaters, electric"),
                                         "Electric immersion, off-peak", "From main system"),
        "ENERGY_TARIFF": np.where(storage, "off-peak 7 hour",
                                  np.where(electric, "dual", "Single")),
        "MAINS_GAS_FLAG": np.where(d["mains_gas"], "Y", "N"),
        "SECONDHEAT_DESCRIPTION": np.where(rng.random(n) < 0.12, "Room heaters, wood logs",
                                           "None"),
    }
