"""Time reading and converting the real grid files (run on demand, not in the test suite).

Usage::

    python benchmarks/bench_readers.py [--repeat 3]

Reads ``../shared/data/real`` (or ``GEOPLAN_REAL_DATA``). Target (issue 2): converting the
SHEPD Network Headroom Report and the GB primaries CSV to GeoPackage takes a few seconds at
most. Prints the best of ``--repeat`` runs for reading and for reading + writing, and the
peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from geoplan.layers.read import read_layers
from geoplan.outputs import write_geopackage

REAL = Path(os.environ.get("GEOPLAN_REAL_DATA",
                           Path(__file__).resolve().parents[2] / "shared/data/real"))
CASES = {
    "SHEPD headroom report": ("substations", REAL / "grid/shepd-network-headroom-report.xlsx"),
    "GB primaries CSV": ("substations", REAL / "grid/gb_primary_substations.csv"),
    "SSEN generation availability map": ("substations",
                                         REAL / "grid/ScotlandMapLocation_January_2023.xlsx"),
    "LSOA 2021 zones (5 files)": ("zones", REAL / "boundaries/lsoa21"),
}
TARGET_S = 5.0


def best_of(repeat: int, func: object) -> float:
    """Best wall time in seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    """Run every case and print a table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not REAL.is_dir():
        print(f"real data folder {REAL} is absent; nothing to benchmark")
        return 0
    missed = False
    print(f"{'case':36} {'read s':>8} {'convert s':>10} {'rows':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for label, (kind, path) in CASES.items():
            result = read_layers(path, kind)
            rows = sum(len(frame) for frame in result.layers.values())
            read_s = best_of(args.repeat, lambda k=kind, p=path: read_layers(p, k))
            out = Path(folder) / "out.gpkg"
            convert_s = best_of(args.repeat, lambda k=kind, p=path, o=out: write_geopackage(
                read_layers(p, k).layers, o, overwrite=True))
            missed |= convert_s > TARGET_S
            print(f"{label:36} {read_s:8.2f} {convert_s:10.2f} {rows:9,}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:,.0f} MB; target: convert under {TARGET_S:.0f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
