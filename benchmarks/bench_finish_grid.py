"""Time ``finish_grid`` (ids, parent rows, parent matching) at secondary-substation scale.

Usage::

    python benchmarks/bench_finish_grid.py [--rows 100000]

Synthetic records: ``--rows`` secondaries under 3,000 named BSPs and 300 named GSPs that the
file does not list (so parent rows are added too), one headroom value each. Target: under
2 s for 100,000 rows on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.sources.base import finish_grid

TARGET_S = 2.0


def main() -> int:
    """Build the records, time one run, print the figures; exit 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    rng = np.random.default_rng(0)
    records = pd.DataFrame({
        "name": [f"S{i}" for i in range(rows)], "level": "secondary",
        "gsp_name": [f"G{i % 300}" for i in range(rows)],
        "bsp_name": [f"B{i % 3000}" for i in range(rows)],
        "x": rng.uniform(400_000, 500_000, rows), "y": rng.uniform(150_000, 250_000, rows),
    })
    headroom = pd.DataFrame({"record": np.arange(rows), "scenario": "published", "year": 2030,
                             "season": "peak", "headroom_mva": rng.normal(1.0, 1.0, rows)})
    logging.disable(logging.WARNING)
    start = time.perf_counter()
    grid = finish_grid(records, headroom, source=Path("synthetic.csv"), fmt="benchmark")
    seconds = time.perf_counter() - start
    print(f"finish_grid: {rows:,} records -> {len(grid.substations):,} substations "
          f"in {seconds:.2f} s (target {TARGET_S:.0f} s)")
    return 0 if seconds <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
