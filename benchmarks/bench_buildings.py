"""Time the buildings layer on 300,000 synthetic EPC certificates (run on demand).

Usage::

    python benchmarks/bench_buildings.py [--rows 300000] [--repeat 1]

Writes, in a temporary folder and deterministically (``numpy.random.default_rng(42)``), five
local-authority folders of ``certificates.csv`` with the 93 columns of the bulk download
(about 8% older duplicate certificates, sentinels and every spelling the reader handles), a
Code-Point Open style postcode file (no header) and a grid of 430 square zones. Then times
reading the certificates, geocoding by postcode, zone assignment and :func:`zone_summary`, and
prints each step, the total and the peak resident memory of the process. Target (issue): a
county's 300k certificates in seconds, not minutes.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from shapely.geometry import box

from geoplan.layers.buildings import assign_zone_ids, heat_demand, zone_summary
from geoplan.schemas import CRS
from geoplan.sources.epc import CERTIFICATE_COLUMNS, read_epc_certificates
from geoplan.sources.geocode import geocode_homes, read_postcode_centroids

TARGET_S = 30.0
X0, Y0, SIDE, COLUMNS = 430_000, 190_000, 1_000, 43  # 43 x 10 = 430 zones of 1 km
VOCABULARY = {
    "CURRENT_ENERGY_RATING": ["A", "B", "C", "D", "E", "F", "G", "INVALID!"],
    "POTENTIAL_ENERGY_RATING": ["A", "B", "C", "D"],
    "PROPERTY_TYPE": ["House", "Flat", "Bungalow", "Maisonette"],
    "BUILT_FORM": ["Detached", "Semi-Detached", "Mid-Terrace", "End-Terrace", "NO DATA!"],
    "CONSTRUCTION_AGE_BAND": ["England and Wales: before 1900", "England and Wales: 1900-1929",
                              "England and Wales: 1967-1975", "England and Wales: 2012 onwards",
                              "2015", "NO DATA!", "INVALID!"],
    "TENURE": ["owner-occupied", "Owner-occupied", "rental (private)", "Rented (private)",
               "rental (social)", "Rented (social)", "NO DATA!", "unknown"],
    "MAIN_FUEL": ["mains gas (not community)", "Gas: mains gas", "electricity (not community)",
                  "oil (not community)", "bulk LPG", "wood logs", "house coal (not community)",
                  "mains gas (community)", "NO DATA!"],
    "MAINHEAT_DESCRIPTION": ["Boiler and radiators, mains gas", "Electric storage heaters",
                             "Air source heat pump, radiators, electric"],
    "WALLS_DESCRIPTION": ["Cavity wall, filled cavity",
                          "Cavity wall, as built, no insulation (assumed)",
                          "Solid brick, as built, no insulation (assumed)",
                          "Timber frame, as built, insulated (assumed)",
                          "Average thermal transmittance 0.28 W/m2K"],
    "ROOF_DESCRIPTION": ["Pitched, 100 mm loft insulation", "Pitched, 270 mm loft insulation",
                         "Pitched, no insulation (assumed)", "(another dwelling above)"],
    "WINDOWS_DESCRIPTION": ["Fully double glazed", "Single glazed", "Full secondary glazing",
                            "Partial double glazing"],
    "MAINS_GAS_FLAG": ["Y", "N", ""],
}


def write_inputs(folder: Path, rows: int) -> tuple[Path, Path, gpd.GeoDataFrame]:
    """Write synthetic certificates and postcodes; return their paths and the zones."""
    rng = np.random.default_rng(42)
    postcodes = np.array([f"OX{i // 1000 + 1} {i % 10}{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}"
                          for i in range(20_000)])
    east = rng.uniform(X0, X0 + COLUMNS * SIDE, len(postcodes)).round()
    north = rng.uniform(Y0, Y0 + 10 * SIDE, len(postcodes)).round()
    codepoint = folder / "codepoint.csv"
    codepoint.write_text("".join(f'"{p}",10,{e:.0f},{n:.0f},"E92000001","","","","",""\n'
                                 for p, e, n in zip(postcodes, east, north, strict=True)))
    homes = int(rows * 0.92)
    home = np.concatenate([np.arange(homes), rng.integers(0, homes, rows - homes)])
    data = {c: np.full(rows, "", dtype=object) for c in CERTIFICATE_COLUMNS}
    data["LMK_KEY"] = np.array([f"{i}" for i in range(rows)], dtype=object)
    data["UPRN"] = np.where(home % 7 == 0, "", (100_000_000 + home).astype(str)).astype(object)
    data["BUILDING_REFERENCE_NUMBER"] = (10_000_000 + home).astype(str).astype(object)
    data["POSTCODE"] = postcodes[home % len(postcodes)].astype(object)
    days = rng.integers(0, 5000, rows).astype("timedelta64[D]") + np.datetime64("2009-01-01")
    data["LODGEMENT_DATE"] = days.astype(str).astype(object)
    data["LODGEMENT_DATETIME"] = np.char.add(days.astype(str), " 10:00:00").astype(object)
    data["CURRENT_ENERGY_EFFICIENCY"] = rng.integers(1, 100, rows).astype(str).astype(object)
    data["POTENTIAL_ENERGY_EFFICIENCY"] = rng.integers(50, 100, rows).astype(str).astype(object)
    data["TOTAL_FLOOR_AREA"] = rng.uniform(25, 250, rows).round(1).astype(str).astype(object)
    data["ENERGY_CONSUMPTION_CURRENT"] = rng.integers(50, 500, rows).astype(str).astype(object)
    data["CO2_EMISSIONS_CURRENT"] = rng.uniform(0.5, 12, rows).round(1).astype(str).astype(object)
    data["LOW_ENERGY_LIGHTING"] = rng.integers(0, 101, rows).astype(str).astype(object)
    for column, values in VOCABULARY.items():
        data[column] = np.asarray(values, dtype=object)[rng.integers(0, len(values), rows)]
    data["ADDRESS"] = np.char.add("Flat ", home.astype(str)).astype(object)
    _fill_other_columns(data, rng, rows, set(VOCABULARY) | set(SET_HERE))
    authority = home % 5
    for code in range(5):
        part = folder / f"domestic-E07000{177 + code}" / "certificates.csv"
        part.parent.mkdir()
        mask = authority == code
        data["LOCAL_AUTHORITY"] = np.full(rows, f"E07000{177 + code}", dtype=object)
        table = pa.table({c: pa.array(v[mask], pa.string()) for c, v in data.items()})
        pacsv.write_csv(table, part)
    cells = [box(X0 + SIDE * (i % COLUMNS), Y0 + SIDE * (i // COLUMNS),
                 X0 + SIDE * (i % COLUMNS + 1), Y0 + SIDE * (i // COLUMNS + 1))
             for i in range(COLUMNS * 10)]
    zones = gpd.GeoDataFrame({"zone_id": [f"Z{i:03d}" for i in range(len(cells))]},
                             geometry=cells, crs=CRS)
    return folder, codepoint, zones


FILLER = {
    "_EFF": ["Very Poor", "Poor", "Average", "Good", "Very Good"],
    "_DESCRIPTION": ["From main system", "Suspended, no insulation (assumed)",
                     "Programmer, room thermostat and TRVs", "Low energy lighting in 50% of "
                     "fixed outlets", "Room heaters, electric", "Solid, no insulation (assumed)"],
    "_COST_": ["95", "312", "1045", "87", "480"],
    "": ["E07000178", "Oxford", "OXFORDSHIRE", "marketed sale", "2019-05-01", "N", "1.0",
         "natural", "Single", "2.45", "Energy Assessor"],
}


SET_HERE = ("LMK_KEY", "UPRN", "BUILDING_REFERENCE_NUMBER", "POSTCODE", "LODGEMENT_DATE",
            "LODGEMENT_DATETIME", "CURRENT_ENERGY_EFFICIENCY", "POTENTIAL_ENERGY_EFFICIENCY",
            "TOTAL_FLOOR_AREA", "ENERGY_CONSUMPTION_CURRENT", "CO2_EMISSIONS_CURRENT",
            "LOW_ENERGY_LIGHTING", "ADDRESS", "LOCAL_AUTHORITY")


def _fill_other_columns(data: dict[str, np.ndarray], rng: np.random.Generator, rows: int,
                        assigned: set[str]) -> None:
    """Fill the columns the reader ignores with text of realistic length (~1 kB a row)."""
    for column in data:
        if column in assigned:
            continue
        key = next(k for k in FILLER if k in column)
        data[column] = np.asarray(FILLER[key], dtype=object)[rng.integers(0, len(FILLER[key]),
                                                                          rows)]


def run(folder: Path, codepoint: Path, zones: gpd.GeoDataFrame) -> dict[str, float]:
    """Run each step once; return the seconds per step."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    records = read_epc_certificates(folder)
    frame = records.frame.assign(heat_demand_kwh=heat_demand(records.frame))
    times["read + normalise + heat demand"] = time.perf_counter() - start
    mark = time.perf_counter()
    located, report = geocode_homes(frame, postcodes=read_postcode_centroids(codepoint))
    times["geocode (postcodes)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    located["zone_id"] = assign_zone_ids(located.geometry, zones)
    times["zone assignment"] = time.perf_counter() - mark
    mark = time.perf_counter()
    summary = zone_summary(located, zones)
    times["zone_summary"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    print(f"certificates {records.rows_read:,}, homes {len(frame):,}, duplicates dropped "
          f"{records.duplicates_dropped:,}, located by postcode {report.by_postcode:,}, "
          f"zones {len(summary)}")
    return times


def main() -> int:
    """Generate the inputs, run the steps and print the timings; exit 1 if over target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        mark = time.perf_counter()
        inputs = write_inputs(Path(name), args.rows)
        print(f"generated {args.rows:,} certificates in {time.perf_counter() - mark:.1f} s")
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            for step, seconds in run(*inputs).items():
                best[step] = min(seconds, best.get(step, seconds))
    for step, seconds in best.items():
        print(f"{step:34} {seconds:7.2f} s")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak resident memory':34} {peak_mib:7.0f} MiB")
    return 0 if best["total"] <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
