"""The joint plan: shared headroom and budgets, scoping of each workstream's terms.

Every instance is built here; no workstream module is used. Expected choices are worked out
by hand in the comments, and a brute force over every subset (and reinforcement choice)
checks the joint optimum on small random instances.
"""

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from geoplan.errors import ScenarioError
from geoplan.optimise import (
    Budget,
    Count,
    Coverage,
    CoverageFloor,
    Headroom,
    MaximiseBenefit,
    MaximiseCoverage,
    MinimiseCost,
    PlanningProblem,
    SolverOptions,
)
from geoplan.planning.joint import joint_problem, solve_joint
from geoplan.workstreams.parts import ModelParts

EXACT = SolverOptions(mip_gap=0.0)
RAW = {"tco2e_per_yr": 1.0}


def table(workstream, **columns):
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"candidate_id": [f"{workstream}:{i}" for i in range(n)],
                          "workstream": workstream, **columns})
    for column, default in (("substation_id", "P1"), ("district_id", "A"),
                            ("tco2e_per_yr", 0.0), ("peak_kw_added", 0.0)):
        if column not in frame:
            frame[column] = default
    return frame


def limits(**kw):
    return pd.DataFrame({"substation_id": list(kw), "headroom_kw": list(kw.values())})


# One primary P1. Heat pumps (laep, benefit term): hp 100 kW, 15 tCO2e/yr, £40.
# Chargers (coverage term, weight 0.25 per household): s0 and s1, 50 kW and £10 each;
# demand d0 = 40 households (s0 only), d1 = 32 (s1 only), d2 = 8 (both).
# Values: hp 15; s0 alone 0.25 * (40 + 8) = 12; s1 alone 0.25 * (32 + 8) = 10;
# s0 + s1 = 0.25 * 80 = 20 (d2 counted once).
HP = table("laep", cost_gbp=[40.0], tco2e_per_yr=[15.0], peak_kw_added=[100.0])
CH = table("chargers", cost_gbp=[10.0, 10.0], tco2e_per_yr=[3.0, 3.0],
           peak_kw_added=[50.0, 50.0])
COVER = Coverage(sp.csr_matrix(np.array([[1, 0], [0, 1], [1, 1]])), np.array([40.0, 32.0, 8.0]))
PARTS = {"laep": ModelParts((MaximiseBenefit(RAW, normalise=False),), ()),
         "chargers": ModelParts((MaximiseCoverage(COVER, weight=0.25),), ())}
GRID = {"P1": "B", "P2": "B", "B": None}


def compete(headroom_kw, **kw):
    return solve_joint({"laep": HP, "chargers": CH}, PARTS, headroom=limits(P1=headroom_kw),
                       grid=GRID, options=EXACT, **kw)


@pytest.mark.parametrize(("headroom_kw", "objective", "chosen"), [
    (200.0, 35.0, {"laep:0", "chargers:0", "chargers:1"}),  # 200 kW fits all: 15 + 20
    # 150 kW: hp + s0 = 27 > hp + s1 = 25 > s0 + s1 = 20
    (150.0, 27.0, {"laep:0", "chargers:0"}),
    # 100 kW: hp alone = 15 (0.15 per kW) < s0 + s1 = 20 (0.2 per kW): the chargers win
    (100.0, 20.0, {"chargers:0", "chargers:1"}),
])
def test_chargers_and_heat_pumps_share_one_primary(headroom_kw, objective, chosen):
    joint = compete(headroom_kw)
    assert joint.plan.status == "optimal"
    assert joint.plan.objective == pytest.approx(objective)
    assert set(joint.plan.selected_ids) == chosen
    load = joint.table().query("selected")["peak_kw_added"].sum()
    assert load <= headroom_kw
    if headroom_kw < 200:
        assert "headroom P1" in joint.plan.binding


@pytest.mark.parametrize(("budget", "objective", "bought"), [
    # £45: s0 + s1 (£20) = 20; reinforcement (£30) + hp (£40) is out of reach
    (45.0, 20.0, False),
    # £80: hp + s0 + reinforcement = 40 + 10 + 30 = £80 for 27 > 20 without it
    (80.0, 27.0, True),
    # £90: everything, 200 kW against 100 + 100 kW reinforced: 35
    (90.0, 35.0, True),
])
def test_reinforcement_is_bought_when_worth_it(budget, objective, bought):
    options = pd.DataFrame({"substation_id": ["P1"], "option_id": ["transformer"],
                            "capacity_kw": [100.0], "cost_gbp": [30.0]})
    joint = compete(100.0, reinforcements=options, total_budget_gbp=budget)
    assert joint.plan.objective == pytest.approx(objective)
    row = joint.reinforcements.iloc[0]
    assert bool(row["bought"]) is bought
    assert bool(row["needed"]) is bought
    spent = joint.table().query("selected")["cost_gbp"].sum() + 30.0 * bought
    assert spent <= budget
    capex = joint.reinforcement_capex()
    assert capex["cost_gbp"].sum() == pytest.approx(30.0 * bought)


def test_joint_beats_or_equals_separate_plans_splitting_the_headroom():
    # With headroom 150 kW split into h for laep and 150 - h for chargers, the union of the
    # two separate plans is feasible for the joint model (loads add up to <= 150 kW) and the
    # joint objective is the sum of the parts, so joint >= separate for every split.
    # Splits: h = 0 or 50: hp does not fit (0) + s0 + s1 in 150 or 100 kW (20) = 20;
    # h = 75: 0 + s0 alone in 75 kW (12) = 12; h = 100: 15 + s0 in 50 kW (12) = 27 = joint;
    # h = 150: 15 + nothing in 0 kW = 15. Joint is strictly better for every other split.
    joint = compete(150.0).plan.objective
    assert joint == pytest.approx(27.0)
    separate = {}
    for h in (0.0, 50.0, 75.0, 100.0, 150.0):
        laep = PlanningProblem(HP, PARTS["laep"].objective,
                               [Headroom(limits(P1=h), GRID)]).solve(EXACT).objective
        chargers = PlanningProblem(CH, PARTS["chargers"].objective,
                                   [Headroom(limits(P1=150.0 - h), GRID)]).solve(EXACT).objective
        separate[h] = laep + chargers
        assert joint >= separate[h] - 1e-9
    assert separate == pytest.approx({0.0: 20.0, 50.0: 20.0, 75.0: 12.0, 100.0: 27.0,
                                      150.0: 15.0})


def test_budgets_total_and_per_workstream_hold():
    # workstream budgets: laep £40, chargers £10; total £45: hp (40) alone or s0 (+10) > 45?
    # hp + s0 = £50 > £45, so hp alone (15) beats s0 alone (12)
    joint = compete(500.0, total_budget_gbp=45.0,
                    workstream_budgets={"laep": 40.0, "chargers": 10.0})
    assert set(joint.plan.selected_ids) == {"laep:0"}
    # total £60 but chargers capped at £10: hp + s0 = 27, not hp + s0 + s1
    joint = compete(500.0, total_budget_gbp=60.0,
                    workstream_budgets={"laep": 40.0, "chargers": 10.0})
    assert set(joint.plan.selected_ids) == {"laep:0", "chargers:0"}
    assert "budget workstream chargers" in joint.plan.binding
    with pytest.raises(ScenarioError, match="no candidate has workstream 'retrofit'"):
        compete(500.0, workstream_budgets={"retrofit": 1.0})


def test_terms_and_constraints_stay_within_their_workstream():
    # Chargers save 3 tCO2e/yr each, but only laep's benefit term counts tCO2e: with £10 the
    # plan takes s0 (coverage 12), never "hp's term applied to chargers" (3 each).
    # laep has a district budget {"A": 40}: the chargers in district A do not use it.
    parts = {"laep": ModelParts((MaximiseBenefit(RAW, normalise=False),),
                                (Budget({"A": 40.0}, by="district_id"),)),
             "chargers": PARTS["chargers"]}
    joint = solve_joint({"laep": HP, "chargers": CH}, parts, headroom=limits(P1=500.0),
                        grid=GRID, options=EXACT)
    assert joint.plan.objective == pytest.approx(35.0)  # hp 15 + chargers 20; no 3 + 3
    tables = joint.tables
    assert tables["laep"]["score_tco2e_per_yr"].tolist() == [15.0]
    assert "score_tco2e_per_yr" not in tables["chargers"]
    assert tables["chargers"]["score_coverage"].tolist() == pytest.approx([12.0, 10.0])
    assert not any("__" in c for t in tables.values() for c in t.columns)
    assert tables["chargers"]["rank"].tolist() == [1, 2]
    assert sorted(tables["chargers"]["joint_rank"]) == [2, 3]


def test_normalised_benefit_matches_the_standalone_plan():
    # normalised by the workstream's own total (3 + 1 = 4), not by every tCO2e in the table
    laep = table("laep", cost_gbp=[1.0, 1.0], tco2e_per_yr=[3.0, 1.0])
    parts = {"laep": ModelParts((MaximiseBenefit(RAW),), (Count(1),)),
             "chargers": PARTS["chargers"]}
    joint = solve_joint({"laep": laep, "chargers": CH}, parts, headroom=limits(P1=1e6),
                        grid=GRID, options=EXACT)
    alone = PlanningProblem(laep, parts["laep"].objective, parts["laep"].constraints).solve()
    scores = joint.tables["laep"]["score_tco2e_per_yr"].tolist()
    assert scores == pytest.approx(alone.table["score_tco2e_per_yr"].tolist())
    assert scores == pytest.approx([0.75, 0.25])
    assert joint.plan.objective == pytest.approx(0.75 + 20.0)


def test_cost_minimising_workstream_joins_a_maximising_plan_as_targets():
    # sequestration: reach 5 tCO2e/yr at least cost: p1 (5 t, £4) beats p0 (5 t, £10) and
    # p2 (2 t, £1) cannot reach 5 alone; p0 and p2 add nothing the target needs
    seq = table("sequestration", cost_gbp=[10.0, 4.0, 1.0], tco2e_per_yr=[5.0, 5.0, 2.0])
    parts = {**PARTS, "sequestration": ModelParts((MinimiseCost({"tco2e_per_yr": 5.0}),), ())}
    joint = solve_joint({"laep": HP, "chargers": CH, "sequestration": seq}, parts,
                        headroom=limits(P1=500.0), grid=GRID, options=EXACT)
    assert set(joint.tables["sequestration"].query("selected")["candidate_id"]) == {
        "sequestration:1"}
    # objective: 15 + 20 - 0.001 * 4 / 15 (the target-cost penalty, normalised cost share)
    assert joint.plan.objective == pytest.approx(35.0 - 0.001 * 4.0 / 15.0)


def test_every_workstream_minimising_cost_merges_targets():
    # laep needs 10 t: hp0 (10 t, £8) or hp1 + hp2 (6 + 4 t, £3 + £3 = £6): £6;
    # sequestration needs 5 t: p1 (£4); total £10
    laep = table("laep", cost_gbp=[8.0, 3.0, 3.0], tco2e_per_yr=[10.0, 6.0, 4.0])
    seq = table("sequestration", cost_gbp=[10.0, 4.0], tco2e_per_yr=[5.0, 5.0])
    parts = {"laep": ModelParts((MinimiseCost({"tco2e_per_yr": 10.0}),), ()),
             "sequestration": ModelParts((MinimiseCost({"tco2e_per_yr": 5.0}),), ())}
    joint = solve_joint({"laep": laep, "sequestration": seq}, parts, headroom=limits(P1=1.0),
                        grid=GRID, options=EXACT)
    assert joint.plan.objective == pytest.approx(10.0)
    assert set(joint.plan.selected_ids) == {"laep:1", "laep:2", "sequestration:1"}


def test_phased_joint_plan_with_per_period_budgets():
    # total £10 per period; chargers may only spend in 2040 (their own period budget), so
    # hp (2 t/yr, £10) goes in 2030 (21 years counted) and s0 in 2040
    laep = table("laep", cost_gbp=[10.0], tco2e_per_yr=[2.0])
    ch = table("chargers", cost_gbp=[10.0])
    cover = Coverage(sp.csr_matrix(np.ones((1, 1))), np.array([4.0]))
    parts = {"laep": ModelParts((MaximiseBenefit(RAW, normalise=False),), ()),
             "chargers": ModelParts((MaximiseCoverage(cover),),
                                    (Budget({2030: 0.0, 2040: 10.0}, by="period"),))}
    joint = solve_joint({"laep": laep, "chargers": ch}, parts, headroom=limits(P1=1.0),
                        grid=GRID, total_budget_gbp={2030: 10.0, 2040: 10.0},
                        periods=(2030, 2040), options=EXACT)
    assert joint.tables["laep"]["period"].tolist() == [2030]
    assert joint.tables["chargers"]["period"].tolist() == [2040]
    assert joint.plan.objective == pytest.approx(2.0 * 21 + 4.0)


def test_phased_reinforcement_is_bought_for_the_period_it_is_ready():
    # P1 has no headroom; a 100 kW reinforcement (£5) is ready in 2040 only, so the 50 kW
    # heat pump (2 t/yr) is built in 2040 and counts 2050 - 2040 + 1 = 11 years: 22
    laep = table("laep", cost_gbp=[1.0], tco2e_per_yr=[2.0], peak_kw_added=[50.0])
    option = pd.DataFrame({"substation_id": ["P1"], "capacity_kw": [100.0], "cost_gbp": [5.0],
                           "ready_year": [2040]})
    joint = solve_joint({"laep": laep}, {"laep": PARTS["laep"]}, headroom=limits(P1=0.0),
                        grid=GRID, reinforcements=option, periods=(2030, 2040), options=EXACT)
    assert joint.plan.objective == pytest.approx(22.0)
    assert joint.tables["laep"]["period"].tolist() == [2040]
    capex = joint.reinforcement_capex()
    assert capex["year"].tolist() == [2040]
    assert capex["cost_gbp"].tolist() == [5.0]


def test_coverage_terms_with_one_name_are_kept_apart():
    # both workstreams call their coverage "coverage"; the floor of the second must read
    # its own term: b covers its only demand point (weight 1) only if chosen
    a = table("chargers", cost_gbp=[1.0])
    b = table("retrofit", cost_gbp=[1.0])
    one = Coverage(sp.csr_matrix(np.ones((1, 1))), np.array([10.0]), np.array(["A"]))
    two = Coverage(sp.csr_matrix(np.ones((1, 1))), np.array([1.0]), np.array(["A"]))
    parts = {"chargers": ModelParts((MaximiseCoverage(one),), ()),
             "retrofit": ModelParts((MaximiseCoverage(two),), (CoverageFloor(1.0),))}
    joint = solve_joint({"chargers": a, "retrofit": b}, parts, headroom=limits(P1=1.0),
                        grid=GRID, total_budget_gbp=1.0, options=EXACT)
    assert joint.plan.selected_ids == ("retrofit:0",)  # the floor forces b despite 10 > 1
    assert joint.plan.objective == pytest.approx(1.0)


@pytest.mark.parametrize(("parts", "message"), [
    ({"laep": ModelParts((MaximiseBenefit(RAW),), (Headroom(limits(P1=1.0), GRID),)),
      "chargers": PARTS["chargers"]}, "the laep model has its own Headroom"),
    ({"laep": PARTS["laep"]}, r"candidates for \['chargers', 'laep'\] but model parts"),
    ({"laep": ModelParts((MaximiseBenefit({"homes": 1.0}),), ()),
      "chargers": PARTS["chargers"]}, "uses column 'homes' that its candidates lack"),
    ({"laep": ModelParts(("tCO2e",), ()), "chargers": PARTS["chargers"]},
     "objective term joint planning cannot scope: str"),
])
def test_bad_parts_are_refused(parts, message):
    with pytest.raises(ScenarioError, match=message):
        joint_problem({"laep": HP, "chargers": CH}, parts, headroom=limits(P1=1.0), grid=GRID)


def test_duplicate_ids_across_workstreams_are_refused():
    twin = CH.assign(candidate_id=["laep:0", "chargers:1"])
    with pytest.raises(ScenarioError, match=r"'laep:0' appears more than once \(in \['chargers"):
        joint_problem({"laep": HP, "chargers": twin}, PARTS, headroom=limits(P1=1.0), grid=GRID)


# ---- brute force over every subset of small random joint instances -----------------------

def random_instance(rng):
    laep = table("laep", cost_gbp=rng.integers(1, 8, 3).astype(float),
                 tco2e_per_yr=rng.integers(1, 10, 3).astype(float),
                 peak_kw_added=rng.integers(10, 60, 3).astype(float),
                 substation_id=rng.choice(["P1", "P2"], 3), group_id=["z1", "z1", "z2"])
    ch = table("chargers", cost_gbp=rng.integers(1, 8, 3).astype(float),
               peak_kw_added=rng.integers(10, 60, 3).astype(float),
               substation_id=rng.choice(["P1", "P2"], 3))
    cover = (rng.random((4, 3)) < 0.5).astype(float)
    demand = rng.integers(1, 10, 4).astype(float)
    headroom = limits(P1=float(rng.integers(-20, 80)), P2=float(rng.integers(0, 80)),
                      B=float(rng.integers(40, 140)))
    option = pd.DataFrame({"substation_id": ["P1"], "capacity_kw": [float(rng.integers(20, 80))],
                           "cost_gbp": [float(rng.integers(1, 6))]})
    budgets = {"total": float(rng.integers(6, 25)), "laep": float(rng.integers(3, 15))}
    return laep, ch, sp.csr_matrix(cover), demand, headroom, option, budgets


def brute_force(laep, ch, cover, demand, headroom, option, budgets):
    rows = pd.concat([laep, ch], ignore_index=True)
    h = headroom.set_index("substation_id")["headroom_kw"]
    gain = max(0.0, h["P1"] + option["capacity_kw"][0]) - max(0.0, h["P1"])
    best = -np.inf
    for pick in itertools.product([0, 1], repeat=len(rows)):
        s = np.array(pick, dtype=bool)
        if s[0] and s[1]:  # group z1
            continue
        if s[3:].sum() > 2:  # chargers' Count(2)
            continue
        laep_cost = rows["cost_gbp"][:3][s[:3]].sum()
        if laep_cost > budgets["laep"]:
            continue
        load = {sub: rows["peak_kw_added"][s & (rows["substation_id"] == sub).to_numpy()].sum()
                for sub in ("P1", "P2")}
        load["B"] = load["P1"] + load["P2"]
        for r in (0, 1):
            if rows["cost_gbp"][s].sum() + r * option["cost_gbp"][0] > budgets["total"]:
                continue
            room = {k: max(h[k], 0.0) + (gain * r if k == "P1" else 0.0) for k in load}
            if any(load[k] > room[k] + 1e-9 for k in load):
                continue
            covered = (cover @ s[3:].astype(float)) > 0
            best = max(best, rows["tco2e_per_yr"][:3][s[:3]].sum() + demand[covered].sum())
    return best


@pytest.mark.parametrize("seed", range(12))
def test_joint_optimum_matches_brute_force(seed):
    laep, ch, cover, demand, headroom, option, budgets = random_instance(
        np.random.default_rng(seed))
    parts = {"laep": ModelParts((MaximiseBenefit(RAW, normalise=False),), ()),
             "chargers": ModelParts((MaximiseCoverage(Coverage(cover, demand)),), (Count(2),))}
    joint = solve_joint({"laep": laep, "chargers": ch}, parts, headroom=headroom, grid=GRID,
                        reinforcements=option, total_budget_gbp=budgets["total"],
                        workstream_budgets={"laep": budgets["laep"]}, options=EXACT)
    assert joint.plan.objective == pytest.approx(brute_force(laep, ch, cover, demand,
                                                             headroom, option, budgets))
    chosen = joint.table().query("selected")
    bought = joint.reinforcements["bought"].to_numpy()
    assert chosen["cost_gbp"].sum() + (option["cost_gbp"].to_numpy() * bought).sum() <= \
        budgets["total"] + 1e-9
    assert chosen.query("workstream == 'laep'")["cost_gbp"].sum() <= budgets["laep"] + 1e-9
