"""Time land_parcels_from_polygons on a synthetic county-sized polygon habitat map.

Usage::

    python benchmarks/bench_land_polygons.py [--fields 40000] [--km 50] [--method both]

Writes a deterministic (``numpy.random.default_rng(42)``) polygon land-cover layer in the
form of Natural England's Living England habitat map: ``--fields`` Voronoi "fields" over a
``--km`` x ``--km`` square in EPSG:27700 (40,000 over 50 km: about 6 ha each, as many
polygons as a county's habitat map), each given a Living England primary habitat
(``A_pred``) in roughly lowland-England shares; and three exclusion layers: 300 protected-site
discs, a flood-zone corridor along a meandering river, and an Agricultural Land
Classification layer of 2 km squares with random grades, of which grades 1, 2 and 3a are
excluded (a filtered exclusion). Each method runs in its own child process so that its peak
resident memory (``ru_maxrss``) is its own; the child prints wall time, parcels, hectares,
excluded hectares and memory before and at peak.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from peak_memory import peak_mib

from geoplan.layers.land import Exclusion
from geoplan.layers.land_vector import land_parcels_from_polygons

WEST, SOUTH = 420000.0, 190000.0
HABITATS = np.array(["Arable and Horticultural", "Improved Grassland",
                     "Broadleaved, Mixed and Yew Woodland", "Coniferous Woodland",
                     "Acid, Calcareous, Neutral Grassland", "Fen, Marsh and Swamp", "Water",
                     "Built-up Areas and Gardens", "Scrub"])
SHARES = np.array([0.42, 0.22, 0.09, 0.02, 0.08, 0.02, 0.02, 0.12, 0.01])
GRADES = np.array(["Grade 1", "Grade 2", "Grade 3a", "Grade 3b", "Grade 4", "Non Agricultural"])


def habitat_map(fields: int, km: float, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Voronoi fields clipped to the square, each with a habitat."""
    span = km * 1000
    points = shapely.multipoints(np.column_stack([WEST + rng.random(fields) * span,
                                                  SOUTH + rng.random(fields) * span]))
    square = shapely.box(WEST, SOUTH, WEST + span, SOUTH + span)
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=square))
    cells = shapely.intersection(cells, square)
    return gpd.GeoDataFrame({"A_pred": rng.choice(HABITATS, size=len(cells), p=SHARES)},
                            geometry=cells, crs="EPSG:27700")


def exclusion_layers(km: float, rng: np.random.Generator) -> dict[str, gpd.GeoDataFrame]:
    """Protected-site discs, a flood-zone corridor and ALC grades in 2 km squares."""
    span = km * 1000
    x, y = WEST + rng.random(300) * span, SOUTH + rng.random(300) * span
    discs = shapely.buffer(shapely.points(x, y), 100 + rng.random(300) * 700)
    t = np.linspace(0, 1, 400)
    river = shapely.linestrings(WEST + t * span, SOUTH + span / 2 + np.sin(t * 12) * span / 8)
    side = 2000.0
    cols, rows = np.meshgrid(np.arange(int(span // side)), np.arange(int(span // side)))
    squares = shapely.box(WEST + cols.ravel() * side, SOUTH + rows.ravel() * side,
                          WEST + (cols.ravel() + 1) * side, SOUTH + (rows.ravel() + 1) * side)
    return {
        "protected_sites": gpd.GeoDataFrame(geometry=discs, crs="EPSG:27700"),
        "flood_zones": gpd.GeoDataFrame(geometry=[shapely.buffer(river, 300)], crs="EPSG:27700"),
        "alc": gpd.GeoDataFrame({"ALC_GRADE": rng.choice(GRADES, size=len(squares))},
                                geometry=squares, crs="EPSG:27700"),
    }


def child(method: str, folder: Path) -> int:
    """Run one method and print: seconds, parcels, ha, excluded ha, MB before, MB peak."""
    before = peak_mib()
    start = time.perf_counter()
    exclusions = [Exclusion("protected_sites", folder / "protected_sites.gpkg"),
                  Exclusion("flood_zones", folder / "flood_zones.gpkg"),
                  Exclusion("bmv", folder / "alc.gpkg", column="ALC_GRADE",
                            values=("Grade 1", "Grade 2", "Grade 3a"))]
    frame = land_parcels_from_polygons(folder / "habitats.gpkg", exclusions=exclusions,
                                       method=method)
    seconds = time.perf_counter() - start
    report = frame.attrs["report"]
    print(f"{seconds:.2f} {len(frame)} {report.parcel_ha:.0f} {report.excluded_total_ha:.0f} "
          f"{before:.0f} {peak_mib():.0f}")
    return 0


def main() -> int:
    """Build the inputs, time each method in a child process, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=40_000)
    parser.add_argument("--km", type=float, default=50.0)
    parser.add_argument("--method", choices=["blocks", "patches", "both"], default="both")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], Path(args.child[1]))
    rng = np.random.default_rng(42)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        start = time.perf_counter()
        habitats = habitat_map(args.fields, args.km, rng)
        habitats.to_file(folder / "habitats.gpkg")
        for label, layer in exclusion_layers(args.km, rng).items():
            layer.to_file(folder / f"{label}.gpkg")
        vertices = int(shapely.get_num_coordinates(habitats.geometry.to_numpy()).sum())
        print(f"{len(habitats):,} habitat polygons ({vertices:,} vertices) over "
              f"{args.km:g} km x {args.km:g} km written in {time.perf_counter() - start:.1f} s")
        methods = ["blocks", "patches"] if args.method == "both" else [args.method]
        print(f"{'method':8} {'seconds':>8} {'parcels':>8} {'hectares':>10} "
              f"{'excluded ha':>12} {'MB before':>10} {'MB peak':>8}")
        for method in methods:
            out = subprocess.run([sys.executable, __file__, "--child", method, str(folder)],
                                 capture_output=True, text=True, check=True)
            seconds, parcels, hectares, excluded, before, peak = out.stdout.split()
            print(f"{method:8} {float(seconds):8.1f} {int(parcels):8,} {int(hectares):10,} "
                  f"{int(excluded):12,} {int(before):10} {int(peak):8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
