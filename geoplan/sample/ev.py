"""``ev/``: public chargers (National Chargepoint Registry CSV) and EV demand per zone.

* ``chargepoints.csv``: the registry's 158-column layout (:data:`NCR_COLUMNS`), about 180
  devices: many in Oxford and the market towns (car parks, on-street lamp-post chargers), a
  few rapid hubs near trunk-road junctions. Like the real file, a couple of devices have
  ``0000-00-00`` creation dates and two records are broken over two lines by an unquoted line
  break (readers must report them, not guess).
* ``vehicles_by_zone.csv``: plug-in cars and vans licensed per zone (DfT statistics style).
* ``households_by_zone.csv``: households and households without off-street parking (census
  style), the numbers that size on-street charging demand.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from geoplan.sample.county import County
from geoplan.sample.places import rng_for
from geoplan.schemas import CRS
from geoplan.sources.chargepoint_registry import NCR_COLUMNS

__all__ = ["write_chargepoints", "write_zone_tables"]

_DEVICES = 180
"""Public charge devices per county drawn."""
_TO_WGS84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
_NETWORKS = ("Thames Valley Charge (synthetic)", "Cotswold EV Network (synthetic)",
             "Lamppost Charging Co (synthetic)", "RapidRoute (synthetic)",
             "County Council Car Parks (synthetic)")
_HUBS = (("Bicester junction hub", 457_200, 219_300), ("Cherwell Valley hub", 454_300, 228_600),
         ("Milton interchange hub", 448_800, 192_100), ("Wheatley services hub", 461_200, 206_700),
         ("Oxford eastern park and ride", 456_400, 207_100),
         ("Oxford southern park and ride", 451_600, 203_500))
_CONNECTORS = {  # kind: (type, kW, current, voltage, method, mode)
    "slow": ("3-pin Type G (BS1363)", "3.7", "16", "230", "Single Phase AC", "1"),
    "lamp": ("Type 2 Mennekes (IEC62196)", "5.5", "24", "230", "Single Phase AC", "3"),
    "fast": ("Type 2 Mennekes (IEC62196)", "7.0", "32", "230", "Single Phase AC", "3"),
    "fast22": ("Type 2 Mennekes (IEC62196)", "22.0", "32", "400", "Three Phase AC", "3"),
    "rapid": ("CCS Type 2 Combo (IEC62196)", "50.0", "125", "400", "DC", "4"),
    "chademo": ("JEVS G105 (CHAdeMO) DC", "50.0", "125", "400", "DC", "4"),
    "ultra": ("CCS Type 2 Combo (IEC62196)", "150.0", "350", "500", "DC", "4"),
}
_BREAK = "@@LINE-BREAK@@"


def write_chargepoints(county: County, car_parks: pd.DataFrame, postcodes: pd.DataFrame,
                       seed: int, path: Path) -> dict[str, int]:
    """Write the registry CSV; return counts of devices and of the quirks written.

    Parameters
    ----------
    county : County
        Geography (towns).
    car_parks : pandas.DataFrame
        ``x``, ``y``, ``name``, ``town`` of car parks (some chargers are placed in them).
    postcodes : pandas.DataFrame
        Postcode units, to give each device the nearest postcode.
    seed : int
        Seed.
    path : pathlib.Path
        The CSV to write.
    """
    rng = rng_for(seed, "chargepoints")
    devices = _devices(county, car_parks, rng)
    devices["postcode"] = _nearest_postcode(devices, postcodes)
    owner = county.county_of()
    devices["county"] = devices["town"].map({t.name: owner[t.district].name
                                             for p in county.counties for t in p.towns})
    rows = [_row(device, index, rng) for index, device in
            enumerate(devices.to_dict("records"))]
    for index in (5, 17):
        rows[index]["dateCreated"] = "0000-00-00 00:00:00"
    broken = (40, 122)
    for index in broken:
        rows[index]["physicalRestrictionText"] = _BREAK
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_render(rows), encoding="utf-8")
    return {"devices": len(rows), "records_broken_over_lines": len(broken),
            "zero_dates": 2}


def _devices(county: County, car_parks: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    towns = county.towns
    weight = towns["population"].to_numpy() ** 0.8
    count = _DEVICES * len(county.counties) - len(_HUBS) * 2
    town_index = rng.choice(len(towns), size=count, p=weight / weight.sum())
    rows = []
    for k, t in enumerate(town_index):
        town = towns.iloc[t]
        parks = car_parks[car_parks["town"] == town["name"]]
        if len(parks) and rng.random() < 0.5:
            park = parks.iloc[rng.integers(len(parks))]
            name = park["name"] if isinstance(park["name"], str) else f"{town['name']} car park"
            rows.append((name, park["x"] + rng.normal(0, 8),
                         park["y"] + rng.normal(0, 8), town["name"], "Public car park",
                         rng.choice(["fast", "fast22", "slow"], p=[0.6, 0.3, 0.1])))
            continue
        spot = rng.normal((town["x"], town["y"]), town["radius_m"] * 0.5)
        kind = "lamp" if town["name"] == "Oxford" and rng.random() < 0.45 else "fast"
        rows.append((f"{town['name']} street charger {k + 1}", spot[0], spot[1], town["name"],
                     "On-street", kind))
    for name, x, y in _HUBS:
        for unit in (1, 2):
            rows.append((f"{name} {unit}", x + 12 * unit, y, _nearest_town(towns, x, y),
                         "Service station", rng.choice(["rapid", "ultra"])))
    return pd.DataFrame(rows, columns=["name", "x", "y", "town", "location", "kind"])


def _nearest_town(towns: pd.DataFrame, x: float, y: float) -> str:
    distance = np.hypot(towns["x"] - x, towns["y"] - y)
    return str(towns["name"].iloc[int(np.argmin(distance))])


def _nearest_postcode(devices: pd.DataFrame, postcodes: pd.DataFrame) -> list[str]:
    tree = cKDTree(postcodes[["x", "y"]].to_numpy())
    _, index = tree.query(devices[["x", "y"]].to_numpy())
    return postcodes["postcode"].to_numpy()[index].tolist()


def _network(kind: str, rng: np.random.Generator) -> str:
    if kind == "lamp":
        return _NETWORKS[2]
    if kind in ("rapid", "ultra"):
        return _NETWORKS[3]
    return _NETWORKS[int(rng.choice([0, 1, 4]))]


def _row(d: dict[str, object], index: int, rng: np.random.Generator) -> dict[str, str]:
    """One registry record: device, owner, dates, access, then its connectors."""
    lon, lat = _TO_WGS84.transform(d["x"], d["y"])
    kind, location, name = str(d["kind"]), str(d["location"]), str(d["name"])
    network = _network(kind, rng)
    created = np.datetime64("2012-03-01") + np.timedelta64(int(rng.integers(0, 4400)), "D")
    updated = created + np.timedelta64(int(rng.integers(0, 600)), "D")
    row = dict.fromkeys(NCR_COLUMNS, "")
    row.update({
        "chargeDeviceID": rng.bytes(16).hex(), "reference": f"SYN-{index + 1:05d}",
        "name": name, "latitude": f"{lat:.6f}", "longitude": f"{lon:.6f}",
        "thoroughfare": name.split(" street")[0] if location == "On-street" else "",
        "town": str(d["town"]), "county": str(d["county"]), "postcode": str(d["postcode"]),
        "countryCode": "gb", "deviceOwnerName": network, "deviceControllerName": network,
        "deviceNetworks": network, "attribution": network,
        "chargeDeviceStatus": str(rng.choice(["In service", "Out of service"], p=[0.95, 0.05])),
        "publishStatus": "Published", "deviceValidated": str(int(rng.random() < 0.3)),
        "dateCreated": f"{created} {int(rng.integers(6, 20)):02d}:14:05",
        "dateUpdated": f"{updated} 11:28:16", "moderated": "Y",
        "lastUpdated": f"{updated} 11:28:16", "lastUpdatedBy": "NCR Admin", "dateDeleted": "n/a",
        "paymentRequired": str(int(kind != "slow")), "subscriptionRequired": "0",
        "parkingFeesFlag": str(int(location == "Public car park")),
        "accessRestrictionFlag": "0", "physicalRestrictionFlag": "0",
        "onStreetFlag": str(int(location == "On-street")), "locationType": location,
        "access24Hours": "1",
    })
    _connectors(row, kind, rng)
    return row


def _connectors(row: dict[str, str], kind: str, rng: np.random.Generator) -> None:
    kinds = {"lamp": [kind], "rapid": [kind, "chademo", "fast22"],
             "ultra": [kind, "chademo", "fast22"]}.get(kind, [kind, kind])
    count = len(kinds) if kind in ("rapid", "ultra") else int(rng.integers(1, len(kinds) + 1))
    for number, connector in enumerate(kinds[:count], start=1):
        ctype, kw, amps, volts, method, mode = _CONNECTORS[connector]
        prefix = f"connector{number}"
        row.update({f"{prefix}ID": str(100_000 + int(rng.integers(0, 900_000))),
                    f"{prefix}Type": ctype, f"{prefix}RatedOutputKW": kw,
                    f"{prefix}OutputCurrent": amps, f"{prefix}RatedVoltage": volts,
                    f"{prefix}ChargeMethod": method, f"{prefix}ChargeMode": mode,
                    f"{prefix}TetheredCable": str(int(kind in ("rapid", "ultra"))),
                    f"{prefix}Status": "In service"})


def _render(rows: list[dict[str, str]]) -> str:
    """CSV text; a field holding the break marker is written with a bare line break."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(NCR_COLUMNS)
    for row in rows:
        # NCR_COLUMNS repeats a name; values are looked up by name, so both copies agree
        writer.writerow([row[name] for name in NCR_COLUMNS])
    return buffer.getvalue().replace(_BREAK, "Height barrier 2.1 m.\n Ask at reception")


def write_zone_tables(county: County, seed: int, folder: Path) -> dict[str, int]:
    """Write ``vehicles_by_zone.csv`` and ``households_by_zone.csv``; return totals."""
    rng = rng_for(seed, "ev-demand")
    zones = county.zones
    n = len(zones)
    centre = _distance_to_town_centre(county)
    dense = np.clip(1.0 - centre, 0, 1)
    share = np.where(zones["urban"], 0.12 + 0.45 * dense, rng.uniform(0.04, 0.14, n))
    share = np.where(zones["district"] == "E07000178", share + 0.12, share).clip(0, 0.85)
    households = zones["households"].to_numpy()
    no_offstreet = np.round(households * share).astype(int)
    cars_per_home = np.where(zones["urban"], 1.05, 1.55) * rng.uniform(0.85, 1.15, n)
    plugin_share = rng.uniform(0.035, 0.075, n) * np.where(zones["urban"], 0.9, 1.15)
    cars = np.round(households * cars_per_home * plugin_share).astype(int)
    vans = rng.poisson(cars * 0.05 + np.where(zones["urban"], 0.3, 1.2))
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"LSOA21CD": zones["code"], "LSOA21NM": zones["name"], "plugin_cars": cars,
                  "plugin_vans": vans}).to_csv(folder / "vehicles_by_zone.csv", index=False,
                                               lineterminator="\n")
    pd.DataFrame({"LSOA21CD": zones["code"], "households": households,
                  "households_no_offstreet": no_offstreet}).to_csv(
        folder / "households_by_zone.csv", index=False, lineterminator="\n")
    return {"plugin_cars": int(cars.sum()), "plugin_vans": int(vans.sum()),
            "households": int(households.sum()),
            "households_no_offstreet": int(no_offstreet.sum())}


def _distance_to_town_centre(county: County) -> np.ndarray:
    """Distance from each zone to its town's centre, in town radii."""
    towns = county.towns.set_index("name")
    points = county.zones.geometry.representative_point()
    town = towns.loc[county.zones["town"]]
    return np.hypot(points.x.to_numpy() - town["x"].to_numpy(),
                    points.y.to_numpy() - town["y"].to_numpy()) / town["radius_m"].to_numpy()
