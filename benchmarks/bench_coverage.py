"""Time spopt's maximal covering model and geoplan's side by side on the same instances.

Usage::

    python benchmarks/bench_coverage.py [--sizes small large charger] [--time-limit 30]
                                        [--skip-spopt] [--trace-spopt] [--strategy auto]

Instances (each drawn from its own ``numpy.random.default_rng(42)``, in this order): demand
points ``rng.random((n, 2))``, sites ``rng.random((m, 2))``, weights ``rng.integers(1, 100,
n)``; service radius ``sqrt(0.01 / pi)`` (each site covers 1% of the unit square); at most
``p`` sites.

- ``small``: n = 5,000, m = 500, p = 25;
- ``large``: n = 20,000, m = 2,000, p = 100;
- ``charger``: the large points and weights, then a capacitated, budgeted, headroom-limited
  charger-siting model solved by geoplan only (see :func:`charger_problem` for every choice);
- ``80k``: n = 80,000, m = 8,000, p = 400, each site covering 0.25% of the square; ``200k``:
  n = 200,000, m = 20,000, p = 1,000, 0.1% (issue 17's scale instances; geoplan only).

``--hogs N`` runs N busy-looping Python processes (``multiprocessing``, one integer
recurrence each) beside every measured run, to show the result does not depend on the
machine's load; the load average (1 minute) at the end of each solve is reported.

For each tool and instance: build time, solve time, status, incumbent, bound, gap, and peak
memory. Every run happens in a fresh subprocess so that its ``ru_maxrss`` (the process's peak
resident memory) is its own: "rss build" is the peak once the model is built, "rss total" the
peak after solving. "tracemalloc" is the peak of Python-tracked allocations (numpy buffers
included, solver C++ memory not) during the build, measured in a separate traced build
because tracing slows allocation-heavy code: about 8x for spopt's pure-Python model build,
so spopt is only traced with ``--trace-spopt``.

spopt is given ``pulp.HiGHS(msg=False, timeLimit=...)``. PuLP reports "Optimal" even when
HiGHS stops at the time limit, and spopt gives no bound: its incumbent is shown with no bound
and no gap. geoplan solves with ``SolverOptions(time_limit=...)``; its status, bound, gap and
the notes of each solving step are printed (``--strategy`` is passed to
``CompiledProblem.solve``). Each tool's incumbent is also recounted from the
sites it chose (covered weight), independently of its own objective.

spopt's build of the large instance takes about 3 minutes and 1 GB (dense 20,000 x 2,000
distance and coverage matrices and a PuLP model built term by term); ``--skip-spopt`` leaves it
out.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing
import os
import subprocess
import sys
import time
import tracemalloc
import warnings
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from peak_memory import peak_mib

SIZES = {"small": (5_000, 500, 25), "large": (20_000, 2_000, 100), "charger": (20_000, 2_000, 0),
         "80k": (80_000, 8_000, 400), "200k": (200_000, 20_000, 1_000)}
RADIUS = math.sqrt(0.01 / math.pi)
AREA = {"80k": 0.0025, "200k": 0.001}
"""Share of the unit square a site covers, where not 1% (issue 17's scale instances)."""


def radius(size: str) -> float:
    """Service radius of an instance: each site covers ``AREA`` (default 1%) of the square."""
    return math.sqrt(AREA.get(size, 0.01) / math.pi)


def points(n: int, m: int, rng: np.random.Generator | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand points, sites and weights, exactly as the module docstring says."""
    rng = np.random.default_rng(42) if rng is None else rng
    demand = rng.random((n, 2))
    sites = rng.random((m, 2))
    weights = rng.integers(1, 100, n)
    return demand, sites, weights


def rss_mb() -> float:
    """Peak resident memory of this process so far, its own (:mod:`peak_memory`)."""
    return peak_mib()


def covered(coverage: Any, weights: np.ndarray, chosen: np.ndarray) -> float:
    """Weight of the demand points a chosen site covers (``coverage``: points x sites)."""
    hit = coverage[:, np.flatnonzero(chosen)]
    hit = np.asarray(hit.sum(axis=1)).ravel() if sp.issparse(hit) else hit.sum(axis=1)
    return float(weights[hit > 0].sum())


# --------------------------------------------------------------------------------------------
# spopt


def build_spopt(size: str) -> tuple[Any, np.ndarray, np.ndarray]:
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP

    n, m, p = SIZES[size]
    demand, sites, weights = points(n, m)
    cost = cdist(demand, sites)  # clients (rows) x facilities (columns)
    model = MCLP.from_cost_matrix(cost, weights, service_radius=RADIUS, p_facilities=p)
    return model, weights, cost


def run_spopt(size: str, time_limit: float) -> dict[str, Any]:
    import pulp

    warnings.simplefilter("ignore", DeprecationWarning)
    base = rss_mb()
    began = time.perf_counter()
    model, weights, cost = build_spopt(size)
    build_s = time.perf_counter() - began
    rss_build = rss_mb()
    del cost
    began = time.perf_counter()
    model.solve(pulp.HiGHS(msg=False, timeLimit=time_limit), results=False)
    solve_s = time.perf_counter() - began
    chosen = np.array([(v.value() or 0) > 0.5 for v in model.fac_vars])
    objective = float(pulp.value(model.problem.objective))
    return {
        "tool": "spopt", "size": size, "build_s": build_s, "solve_s": solve_s,
        "status": pulp.LpStatus[model.problem.status],
        "solution": pulp.LpSolution.get(model.problem.sol_status, str(model.problem.sol_status)),
        "objective": objective, "bound": None, "gap": None,
        "recount": covered(model.aij, weights, chosen), "sites": int(chosen.sum()),
        "rss_base_mb": base, "rss_build_mb": rss_build, "rss_total_mb": rss_mb(),
        "notes": ["spopt reports no bound; PuLP's status says Optimal even when time-limited"],
    }


# --------------------------------------------------------------------------------------------
# geoplan


def charger_problem(rng: np.random.Generator, demand: np.ndarray, sites: np.ndarray,
                    weights: np.ndarray) -> Any:
    """A capacitated, budgeted, headroom-limited charger-siting problem.

    ``rng`` is the ``default_rng(42)`` the points were drawn from (so they are those of the
    ``large`` instance); the draws continue in the order below. Choices:

    - 2,000 candidate sites, cost £20,000-£80,000 (uniform, rounded to £100), capacity
      (demand weight served) 1,000-6,000 (uniform integers), added peak load 100, 200, 350 or
      700 kW (equally likely);
    - 120 primaries, 12 BSPs and 3 GSPs at random locations; a site hangs off its nearest
      primary, a primary off its nearest BSP, a BSP off its nearest GSP;
    - headroom: primaries Normal(1,500, 1,200) kW (about 10% negative, i.e. already
      constrained), each BSP 50% of its primaries' positive headroom, each GSP 50% of its BSPs';
    - 5 districts: vertical strips of the unit square (x in fifths), for sites and demand;
      each district must have at least 25% of its demand weight served;
    - 50 sites locked in (drawn without replacement); every substation's headroom is raised to
      at least the locked-in load beneath it, so the locked-in plan is within headroom;
    - budget £25,000,000 in total.
    """
    from geoplan.optimise import (
        Budget,
        Coverage,
        CoverageFloor,
        Headroom,
        MaximiseCoverage,
        PlanningProblem,
        coverage_matrix,
    )

    m = len(sites)
    cost = np.round(rng.uniform(20_000, 80_000, m), -2)
    capacity = rng.integers(1_000, 6_001, m).astype(float)
    load = rng.choice([100.0, 200.0, 350.0, 700.0], m)
    primary_xy, bsp_xy, gsp_xy = rng.random((120, 2)), rng.random((12, 2)), rng.random((3, 2))
    primary_h = rng.normal(1_500, 1_200, 120)
    locked = rng.choice(m, 50, replace=False)

    def nearest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)

    site_primary = nearest(sites, primary_xy)
    primary_bsp = nearest(primary_xy, bsp_xy)
    bsp_gsp = nearest(bsp_xy, gsp_xy)
    bsp_h = 0.5 * np.bincount(primary_bsp, np.maximum(primary_h, 0), 12)
    gsp_h = 0.5 * np.bincount(bsp_gsp, bsp_h, 3)
    locked_load = np.zeros(m)
    locked_load[locked] = load[locked]
    at_primary = np.bincount(site_primary, locked_load, 120)
    at_bsp = np.bincount(primary_bsp, at_primary, 12)
    at_gsp = np.bincount(bsp_gsp, at_bsp, 3)
    primary_h = np.maximum(primary_h, at_primary)
    bsp_h, gsp_h = np.maximum(bsp_h, at_bsp), np.maximum(gsp_h, at_gsp)

    parents: dict[str, str | None] = {f"P{i}": f"B{primary_bsp[i]}" for i in range(120)}
    parents.update({f"B{i}": f"G{bsp_gsp[i]}" for i in range(12)})
    parents.update({f"G{i}": None for i in range(3)})
    limits = pd.DataFrame({
        "substation_id": [f"P{i}" for i in range(120)] + [f"B{i}" for i in range(12)]
        + [f"G{i}" for i in range(3)],
        "headroom_kw": np.concatenate([primary_h, bsp_h, gsp_h]),
    })

    def district(xy: np.ndarray) -> np.ndarray:
        strip = np.minimum((xy[:, 0] * 5).astype(int), 4)
        return np.array([f"D{k}" for k in strip], dtype=object)

    is_locked = np.zeros(m, dtype=bool)
    is_locked[locked] = True
    candidates = pd.DataFrame({
        "candidate_id": [f"S{j}" for j in range(m)], "cost_gbp": cost,
        "peak_kw_added": load, "substation_id": [f"P{i}" for i in site_primary],
        "district_id": district(sites), "locked_in": is_locked,
    })
    matrix = coverage_matrix(demand, sites, RADIUS)
    coverage = Coverage(matrix, weights, demand_district=district(demand), capacity=capacity)
    return PlanningProblem(candidates, MaximiseCoverage(coverage),
                           [Budget(25_000_000.0), Headroom(limits, parents),
                            CoverageFloor(0.25)]), matrix


def check_charger(problem: Any, chosen: np.ndarray) -> list[str]:
    """Budget, locks and headroom (each substation and its ancestors) of a charger plan."""
    table = problem.candidates
    budget, headroom = problem.constraints[0], problem.constraints[1]
    broken = []
    spent = float(table["cost_gbp"].to_numpy()[chosen].sum())
    if spent > budget.limit * (1 + 1e-9):
        broken.append(f"budget: {spent:,.0f} > {budget.limit:,.0f}")
    if not chosen[table["locked_in"].to_numpy(dtype=bool)].all():
        broken.append("a locked-in site is missing")
    load: dict[str, float] = {}
    for sub, kw in zip(table["substation_id"][chosen], table["peak_kw_added"][chosen],
                       strict=True):
        while sub is not None:
            load[sub] = load.get(sub, 0.0) + kw
            sub = headroom.parents[sub]
    limit = dict(zip(headroom.limits["substation_id"], headroom.limits["headroom_kw"],
                     strict=True))
    over = [s for s, kw in load.items() if kw > max(limit[s], 0.0) + 1e-6]
    if over:
        broken.append(f"headroom exceeded at {over[:5]}")
    return broken


def build_geoplan(size: str) -> tuple[Any, Any, np.ndarray]:
    from geoplan.optimise import Count, Coverage, MaximiseCoverage, PlanningProblem
    from geoplan.optimise import coverage_matrix as make_matrix

    n, m, p = SIZES[size]
    rng = np.random.default_rng(42)
    demand, sites, weights = points(n, m, rng)
    if size == "charger":
        problem, matrix = charger_problem(rng, demand, sites, weights)
    else:
        matrix = make_matrix(demand, sites, radius(size))
        candidates = pd.DataFrame({"candidate_id": [f"S{j}" for j in range(m)],
                                   "cost_gbp": 0.0})
        problem = PlanningProblem(candidates, MaximiseCoverage(Coverage(matrix, weights)),
                                  [Count(p)])
    return problem.compile(), matrix, weights


def run_geoplan(size: str, time_limit: float, strategy: str = "auto") -> dict[str, Any]:
    from geoplan.optimise import SolverOptions

    base = rss_mb()
    began = time.perf_counter()
    compiled, matrix, weights = build_geoplan(size)
    build_s = time.perf_counter() - began
    rss_build = rss_mb()
    began = time.perf_counter()
    plan = compiled.solve(SolverOptions(time_limit=time_limit), strategy=strategy)
    solve_s = time.perf_counter() - began
    load = os.getloadavg()[0]
    chosen = plan.table["selected"].to_numpy(dtype=bool)
    recount: float | None = covered(matrix, weights, chosen)
    notes = list(plan.notes)
    if size == "charger":  # served demand, not merely covered: not recountable by a union
        recount = None
        if plan.has_plan:
            broken = check_charger(compiled.problem, chosen)
            notes.append("benchmark's own check of budget, locks and headroom: "
                         + ("; ".join(broken) if broken else "all kept"))
    model = compiled.model
    return {
        "tool": "geoplan", "size": size, "build_s": build_s, "solve_s": solve_s,
        "status": plan.status, "solution": plan.detail, "objective": plan.objective,
        "bound": plan.bound, "gap": plan.gap, "recount": recount, "sites": int(chosen.sum()),
        "rss_base_mb": base, "rss_build_mb": rss_build, "rss_total_mb": rss_mb(),
        "notes": notes, "binding": len(plan.binding), "stopped_by": plan.stopped_by,
        "time_limit": time_limit, "load": load,
        "model": f"{model.shape[0]:,} rows x {model.shape[1]:,} columns, "
                 f"{model.matrix.nnz:,} non-zeros",
    }


# --------------------------------------------------------------------------------------------
# load: CPU hogs


def _spin() -> None:  # pragma: no cover - runs in a child process until terminated
    x = 0
    while True:
        x = (x * 1_103_515_245 + 12_345) % 2_147_483_648


def start_hogs(n: int) -> list[multiprocessing.Process]:
    """Start ``n`` busy-looping Python processes (each wants a whole core)."""
    hogs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(n)]
    for hog in hogs:
        hog.start()
    return hogs


def stop_hogs(hogs: list[multiprocessing.Process]) -> None:
    """Stop the hogs this script started (by their own handles, nothing else)."""
    for hog in hogs:
        hog.terminate()
    for hog in hogs:
        hog.join()


# --------------------------------------------------------------------------------------------
# traced build (separate process)


def trace_build(tool: str, size: str) -> dict[str, Any]:
    warnings.simplefilter("ignore", DeprecationWarning)
    builder = build_spopt if tool == "spopt" else build_geoplan
    if tool == "geoplan":
        import geoplan.optimise  # noqa: F401  (imports are not the build)
    else:
        import spopt.locate  # noqa: F401
    gc.collect()
    tracemalloc.start()
    began = time.perf_counter()
    built = builder(size)
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del built
    return {"tool": tool, "size": size, "traced_build_s": seconds, "tracemalloc_mb": peak / 2**20}


# --------------------------------------------------------------------------------------------
# driver


def worker(job: dict[str, Any]) -> dict[str, Any]:
    if job["kind"] == "trace":
        return trace_build(job["tool"], job["size"])
    if job["tool"] == "spopt":
        return run_spopt(job["size"], job["time_limit"])
    return run_geoplan(job["size"], job["time_limit"], job["strategy"])


def spawn(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job in a fresh interpreter; return its JSON result (or the error)."""
    done = subprocess.run([sys.executable, __file__, "--worker", json.dumps(job)],
                          capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {**job, "error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def fmt(value: Any, digits: str = ",.1f") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return format(value, digits)


def report(result: dict[str, Any]) -> None:
    tool, size = result["tool"], result["size"]
    if "error" in result:
        print(f"[{size} / {tool}] FAILED: {result['error']}", flush=True)
        return
    print(f"[{size} / {tool}] build {result['build_s']:.2f} s, solve {result['solve_s']:.2f} s; "
          f"status {result['status']} ({result['solution']}); incumbent "
          f"{fmt(result['objective'])}, bound {fmt(result['bound'])}, gap "
          f"{fmt(result['gap'], '.4%')}; sites {result['sites']}, recounted "
          f"{fmt(result['recount'])}; peak rss {result['rss_build_mb']:,.0f} MB after build, "
          f"{result['rss_total_mb']:,.0f} MB after solve (imports alone "
          f"{result['rss_base_mb']:,.0f} MB)", flush=True)
    if "model" in result:
        print(f"    model: {result['model']}", flush=True)
    for note in result["notes"]:
        print(f"    note: {note}", flush=True)


def main() -> int:
    """Run the chosen instances, print figures as they come and a table at the end."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--skip-spopt", action="store_true", help="geoplan only")
    parser.add_argument("--trace-spopt", action="store_true",
                        help="also measure spopt's build under tracemalloc (about 8x slower)")
    parser.add_argument("--strategy", choices=["auto", "direct", "lp-guided"], default="auto",
                        help="geoplan's solving strategy")
    parser.add_argument("--no-trace", action="store_true",
                        help="leave out the traced (tracemalloc) builds")
    parser.add_argument("--hogs", type=int, default=0,
                        help="run this many busy-looping Python processes beside each run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    hogs = start_hogs(args.hogs)
    try:
        return _run_all(args)
    finally:
        stop_hogs(hogs)


def _run_all(args: argparse.Namespace) -> int:
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, time limit "
          f"{args.time_limit:g} s, geoplan strategy {args.strategy}, {args.hogs} CPU hogs, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    rows = []
    for size in args.sizes:
        alone = size in ("charger", "80k", "200k") or args.skip_spopt
        tools = ["geoplan"] if alone else ["spopt", "geoplan"]
        for tool in tools:
            result = spawn({"kind": "run", "tool": tool, "size": size, "hogs": args.hogs,
                            "time_limit": args.time_limit, "strategy": args.strategy})
            result["hogs"] = args.hogs
            report(result)
            if not args.no_trace and (tool == "geoplan" or args.trace_spopt):
                traced = spawn({"kind": "trace", "tool": tool, "size": size})
                result.update({k: v for k, v in traced.items() if k != "error"})
                if "tracemalloc_mb" in traced:
                    print(f"    tracemalloc peak during build: {traced['tracemalloc_mb']:,.0f} MB "
                          f"(traced build {traced['traced_build_s']:.1f} s)", flush=True)
            rows.append(result)

    print()
    header = (f"{'instance':<8} {'tool':<8} {'build s':>8} {'solve s':>8} {'status':<9} "
              f"{'incumbent':>12} {'bound':>12} {'gap':>8} {'rss build':>10} {'rss total':>10} "
              f"{'tracemalloc':>11}")
    print(header)
    print("-" * len(header))
    for r in rows:
        if "error" in r:
            print(f"{r['size']:<8} {r['tool']:<8} failed: {r['error']}")
            continue
        print(f"{r['size']:<8} {r['tool']:<8} {r['build_s']:>8.2f} {r['solve_s']:>8.2f} "
              f"{r['status']:<9} {fmt(r['objective']):>12} {fmt(r['bound']):>12} "
              f"{fmt(r['gap'], '.3%'):>8} {r['rss_build_mb']:>7,.0f} MB "
              f"{r['rss_total_mb']:>7,.0f} MB {fmt(r.get('tracemalloc_mb'), ',.0f'):>8} MB")
    print()
    markdown_table([r for r in rows if r.get("tool") == "geoplan" and "error" not in r])
    return 0


def markdown_table(rows: list[dict[str, Any]]) -> None:
    """Print geoplan's runs as the Markdown table of benchmarks/README.md."""
    print("| instance | n x m, p, area | hogs | load | build s | wall s / limit | incumbent "
          "| bound | gap | stopped by |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        n, m, p = SIZES[r["size"]]
        shape = f"{n:,} x {m:,}, p {p:,}, {AREA.get(r['size'], 0.01):.2%}" if p else \
            f"{n:,} x {m:,}, capacitated"
        print(f"| {r['size']} | {shape} | {r['hogs']} | {r['load']:.1f} | {r['build_s']:.1f} | "
              f"{r['solve_s']:.1f} / {r['time_limit']:g} | {fmt(r['objective'], ',.0f')} | "
              f"{fmt(r['bound'], ',.0f')} | {fmt(r['gap'], '.2%')} | {r['stopped_by']} |")


if __name__ == "__main__":
    sys.exit(main())
