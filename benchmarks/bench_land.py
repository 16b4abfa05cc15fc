"""Time land_parcels_from_raster on a synthetic county-sized 10 m land-cover raster.

Usage::

    python benchmarks/bench_land.py [--cells 6000] [--method blocks|patches|both]

Writes a deterministic (``numpy.random.default_rng(42)``) land-cover GeoTIFF of
``cells x cells`` 10 m cells (6,000 x 6,000 = 60 km x 60 km, 36 million cells) in EPSG:27700,
strip by strip so that building it never holds the whole raster: 250 m fields of UKCEH LCM
classes in roughly lowland-England shares, 2% speckle (single misclassified cells, as in
pixel-based land-cover maps), a rounded "county" outline outside which cells are nodata; and one
exclusion layer (300 protected-site discs and a flood-zone corridor along a meandering river)
saved as a GeoPackage. Each method then runs in its own child process, so that each peak
resident memory (``ru_maxrss``) is its own: the child prints wall time, resident memory just
before the call (after imports and reading the exclusion layer) and the peak during the call.
The increase must stay far below the size of the whole raster as float64 (``cells**2 x 8``
bytes).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine
from peak_memory import peak_mib

from geoplan.layers.land import land_parcels_from_raster

CELL = 10.0
WEST, NORTH = 400000.0, 260000.0
FIELD = 25  # cells per field side (250 m)
STRIP = 500  # rows written at a time
# UKCEH LCM codes and rough lowland shares: arable, improved grassland, deciduous and coniferous
# woodland, neutral and calcareous grassland, fen, freshwater, urban, suburban
CODES = np.array([3, 4, 1, 2, 5, 6, 8, 14, 20, 21], dtype=np.uint8)
SHARES = np.array([0.42, 0.22, 0.09, 0.02, 0.06, 0.02, 0.02, 0.02, 0.04, 0.09])


def current_mb() -> float:
    """Resident memory now, in MB (Linux ``/proc``; elsewhere the peak so far)."""
    statm = Path("/proc/self/statm")
    if not statm.exists():
        return peak_mib()
    return int(statm.read_text().split()[1]) * resource.getpagesize() / 1024**2


def write_raster(path: Path, cells: int, rng: np.random.Generator) -> None:
    """Write the synthetic land-cover raster strip by strip."""
    fields = -(-cells // FIELD)
    coarse = rng.choice(CODES, size=(fields, fields), p=SHARES)
    profile = {"driver": "GTiff", "width": cells, "height": cells, "count": 1,
               "dtype": "uint8", "crs": "EPSG:27700", "nodata": 0, "tiled": True,
               "blockxsize": 256, "blockysize": 256, "compress": "deflate",
               "transform": Affine(CELL, 0, WEST, 0, -CELL, NORTH)}
    cols = np.arange(cells)
    with rasterio.open(path, "w", **profile) as dst:
        for top in range(0, cells, STRIP):
            rows = np.arange(top, min(top + STRIP, cells))
            strip = coarse[rows[:, None] // FIELD, cols[None, :] // FIELD]
            speckle = rng.random(strip.shape) < 0.02
            strip[speckle] = rng.choice(CODES, size=int(speckle.sum()), p=SHARES)
            # a rounded county outline: nodata outside a superellipse
            u = (rows[:, None] - cells / 2) / (cells / 2)
            v = (cols[None, :] - cells / 2) / (cells / 2)
            strip[np.abs(u) ** 4 + np.abs(v) ** 4 > 0.9] = 0
            dst.write(strip, 1, window=rasterio.windows.Window(0, top, cells, len(rows)))


def exclusion_layer(cells: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Protected-site discs and a flood-zone corridor, one layer."""
    span = cells * CELL
    x = WEST + rng.random(300) * span
    y = NORTH - rng.random(300) * span
    discs = shapely.buffer(shapely.points(x, y), 100 + rng.random(300) * 700)
    t = np.linspace(0, 1, 400)
    river = shapely.linestrings(WEST + t * span,
                                NORTH - span / 2 + np.sin(t * 12) * span / 8)
    corridor = shapely.buffer(river, 300)
    return gpd.GeoDataFrame({"kind": ["site"] * 300 + ["flood"]},
                            geometry=[*discs, corridor], crs="EPSG:27700")


def child(method: str, raster: Path, exclusion: Path) -> int:
    """Run one method and print: seconds, parcels, ha, excluded ha, MB before, MB peak."""
    frame_in = gpd.read_file(exclusion)
    before = current_mb()
    start = time.perf_counter()
    frame = land_parcels_from_raster(raster, exclusions={"protected_and_flood": frame_in},
                                     method=method)
    seconds = time.perf_counter() - start
    report = frame.attrs["report"]
    print(f"{seconds:.2f} {len(frame)} {report.parcel_ha:.0f} {report.excluded_total_ha:.0f} "
          f"{before:.0f} {peak_mib():.0f}")
    return 0


def main() -> int:
    """Build the inputs, time each method in a child process, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=6000)
    parser.add_argument("--method", choices=["blocks", "patches", "both"], default="both")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "RASTER", "EXCLUSION"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], Path(args.child[1]), Path(args.child[2]))
    rng = np.random.default_rng(42)
    whole_mb = args.cells**2 * 8 / 1024**2
    with tempfile.TemporaryDirectory() as folder:
        raster, exclusion = Path(folder) / "landcover.tif", Path(folder) / "exclusion.gpkg"
        start = time.perf_counter()
        write_raster(raster, args.cells, rng)
        exclusion_layer(args.cells, rng).to_file(exclusion)
        print(f"raster {args.cells} x {args.cells} cells ({args.cells**2 / 1e6:.0f} M) written "
              f"in {time.perf_counter() - start:.1f} s; whole raster as float64 = "
              f"{whole_mb:.0f} MB")
        methods = ["blocks", "patches"] if args.method == "both" else [args.method]
        print(f"{'method':8} {'seconds':>8} {'parcels':>8} {'hectares':>10} "
              f"{'excluded ha':>12} {'MB before':>10} {'MB peak':>8} {'MB added':>9}")
        for method in methods:
            out = subprocess.run([sys.executable, __file__, "--child", method, str(raster),
                                  str(exclusion)], capture_output=True, text=True, check=True)
            seconds, parcels, hectares, excluded, before, peak = out.stdout.split()
            print(f"{method:8} {float(seconds):8.1f} {int(parcels):8,} {int(hectares):10,} "
                  f"{int(excluded):12,} {int(before):10} {int(peak):8} "
                  f"{int(peak) - int(before):9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
