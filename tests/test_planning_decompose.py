"""solver.decompose: the joint plan solved by grid supply point, end to end on tiny tables.

The brute force enumerates every subset of the candidates with numpy (budget and headroom
checked row by row); the decomposed joint plan must be feasible, no better than it, and its
bound no lower.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from shapely.geometry import Point

from geoplan.optimise import MaximiseBenefit, SolverOptions
from geoplan.outputs.summary import summary_markdown
from geoplan.planning.joint import solve_joint
from geoplan.scenario.models import SolverSection
from geoplan.workstreams.parts import ModelParts

SUBS = ["P1", "P2", "P3", "P4"]
PARENTS = {"P1": "G1", "P2": "G1", "P3": "G2", "P4": "G2", "G1": None, "G2": None}
HEADROOM = {"P1": 5.0, "P3": 4.0, "G1": 7.0, "G2": 6.0}


def _table(seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    n = 10
    return gpd.GeoDataFrame({
        "candidate_id": [f"retrofit:z{i}" for i in range(n)], "workstream": "retrofit",
        "group_id": [f"g{i}" for i in range(n)], "zone_id": [f"z{i}" for i in range(n)],
        "district_id": "D1", "substation_id": [SUBS[i % 4] for i in range(n)],
        "cost_gbp": rng.integers(1, 9, n).astype(float),
        "tco2e_per_yr": rng.integers(1, 20, n).astype(float),
        "peak_kw_added": rng.integers(1, 5, n).astype(float),
        "geometry": [Point(i, 0) for i in range(n)]}, crs="EPSG:27700")


def _brute(table: pd.DataFrame, budget: float) -> float:
    subsets = np.array(list(itertools.product((0.0, 1.0), repeat=len(table))))
    ok = subsets @ table["cost_gbp"].to_numpy() <= budget + 1e-9
    load = table["peak_kw_added"].to_numpy()
    for sub, room in HEADROOM.items():
        below = [s for s in SUBS if s == sub or PARENTS[s] == sub]
        member = table["substation_id"].isin(below).to_numpy()
        ok &= subsets @ (load * member) <= room + 1e-9
    return float((subsets[ok] @ table["tco2e_per_yr"].to_numpy()).max())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_joint_plan_by_gsp_against_brute_force(seed: int) -> None:
    table = _table(seed)
    budget = float(table["cost_gbp"].sum() * 0.4)
    parts = ModelParts((MaximiseBenefit({"tco2e_per_yr": 1.0}, normalise=False),), ())
    limits = pd.DataFrame({"substation_id": list(HEADROOM), "headroom_kw": list(HEADROOM.values())})
    solved = solve_joint({"retrofit": table}, {"retrofit": parts}, headroom=limits,
                         grid=PARENTS, total_budget_gbp=budget,
                         options=SolverOptions(mip_gap=0.0), decompose="by_gsp")
    best = _brute(table, budget)
    chosen = solved.tables["retrofit"]
    picked = chosen[chosen["selected"]]
    assert picked["cost_gbp"].sum() <= budget + 1e-9
    assert solved.plan.objective == pytest.approx(picked["tco2e_per_yr"].sum())
    assert solved.plan.objective <= best + 1e-6
    assert solved.plan.bound >= best - 1e-6
    summary = solved.summary()["decomposition"]
    assert summary["method"] == "by_gsp"
    assert summary["parts"] == 2
    assert summary["bound"] == solved.plan.bound
    assert "decomposed by grid supply point into 2 parts" in solved.plan.notes[0]


def test_the_scenario_key_takes_only_known_methods() -> None:
    assert SolverSection().decompose == "none"
    assert SolverSection(decompose="by_gsp").decompose == "by_gsp"
    with pytest.raises(ValidationError, match="by_gsp"):
        SolverSection(decompose="by_region")


def test_summary_says_the_plan_was_decomposed() -> None:
    run = {"status": "feasible", "objective": 90.0, "bound": 100.0, "gap": 0.1,
           "decomposition": {"method": "by_gsp", "parts": 3, "rounds": 8, "linking_rows": 25,
                             "bound": 100.0, "gap": 0.1, "repaired": True}}
    text = summary_markdown({"solver": {"joint": run}})
    assert ("joint: decomposed by grid supply point into 3 parts, the shared budgets priced by "
            "a Lagrange multiplier (25 shared rows, 8 rounds)") in text
    assert "Lagrangian bound 100, gap 10.00%." in text
    assert "decomposed" not in summary_markdown({"solver": {"joint": {"status": "optimal"}}})
