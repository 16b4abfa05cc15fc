"""Time the whole layer preparation of the embedded sample county, step by step (on demand).

Usage::

    python benchmarks/bench_prepare.py [--scale county|small] [--sample DIR] [--repeat 1]

Writes the sample (``geoplan.sample.write_sample``, seed 2024) in a temporary folder, unless
``--sample`` names a folder already written by ``geoplan sample``, then runs
:func:`geoplan.layers.prepare.prepare_layers` on it in a fresh subprocess per repeat, so the
peak resident memory (``VmHWM``, :mod:`peak_memory`: not the sample's writing) belongs to the
preparation alone. Each step named by the ``progress`` callback (zones, grid, buildings,
chargers, EV demand, sites, land, roads, serving substations) is timed, with the process's peak
resident memory when the step ends. On Linux the chargers, sites and land are read in a forked
child beside the buildings (:mod:`geoplan.forked`): the four steps are named at once and their
time is counted under the last of them, ``land`` (``GEOPLAN_FORK=0`` times each in turn). The
peak memory is this process's: the child's is not counted. Prints the best time per step over
the repeats, the total, the layer sizes and the peak memory. Target (issue 3): the county scale
(300,000 homes, 10 m land cover) well under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from peak_memory import peak_mib

TARGET_S = 60.0


def child(folder: Path) -> dict[str, object]:
    """Prepare the layers of ``folder`` once; return seconds and peak MiB per step."""
    from geoplan.layers.prepare import prepare_layers, sample_inputs

    steps: list[dict[str, Any]] = []
    start = time.perf_counter()
    imported = peak_mib()

    def progress(step: str) -> None:
        now = time.perf_counter()
        if steps:
            steps[-1].update(seconds=now - steps[-1]["start"], peak_mib=peak_mib())
        steps.append({"step": step, "start": now})

    layers = prepare_layers(sample_inputs(folder), progress=progress)
    end = time.perf_counter()
    steps[-1].update(seconds=end - steps[-1]["start"], peak_mib=peak_mib())
    sizes = {name: len(getattr(layers, name)) for name in
             ("zones", "substations", "headroom", "buildings", "ev_demand", "chargers",
              "sites", "land")}
    sizes["road_edges"] = layers.roads.number_of_edges() if layers.roads is not None else 0
    return {"steps": [{k: v for k, v in s.items() if k != "start"} for s in steps],
            "total": end - start, "peak_mib": peak_mib(), "import_mib": imported,
            "sizes": sizes, "warnings": len(layers.warnings)}


def run_once(folder: Path) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter and return its figures."""
    done = subprocess.run([sys.executable, __file__, "--child", str(folder)], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(runs: list[dict[str, Any]]) -> float:
    """Print the best time per step over ``runs`` and the peaks; return the best total."""
    first = runs[0]
    print(f"layers: {', '.join(f'{k} {v:,}' for k, v in first['sizes'].items())}")
    print(f"{'step':24} {'seconds':>8} {'peak MiB':>9}")
    for index, step in enumerate(first["steps"]):
        best = min(run["steps"][index]["seconds"] for run in runs)
        peak = max(run["steps"][index]["peak_mib"] for run in runs)
        print(f"{step['step']:24} {best:8.2f} {peak:9.0f}")
    total = min(run["total"] for run in runs)
    print(f"{'total':24} {total:8.2f} {max(r['peak_mib'] for r in runs):9.0f}")
    print(f"(imports alone: {first['import_mib']:.0f} MiB; peak resident memory of the "
          f"preparing process; {first['warnings']} warnings)")
    return total


def main() -> int:
    """Write or find the sample, prepare it ``--repeat`` times, print; exit 1 over target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "county"], default="county")
    parser.add_argument("--sample", type=Path, help="a folder written by `geoplan sample`")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return 0
    with tempfile.TemporaryDirectory() as name:
        folder = args.sample
        if folder is None:
            from geoplan.sample import write_sample

            mark = time.perf_counter()
            folder = write_sample(Path(name) / "sample", scale=args.scale).path
            print(f"wrote the {args.scale} sample in {time.perf_counter() - mark:.1f} s")
        runs = [run_once(folder) for _ in range(args.repeat)]
    total = report(runs)
    return 0 if total <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
