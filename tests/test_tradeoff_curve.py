"""The trade-off curve against lifetime tCO2e and the main co-benefit, checked by brute force.

Five candidates in two workstreams, one milestone (2030), one total budget of 10; the
objective is lifetime tCO2e. Each point of the curve (the budget times 0.5, 1 and 1.5) is
compared with the best subset found by enumerating all 32, and its co-benefits with the sums
over that subset.
"""

from __future__ import annotations

import itertools
import threading
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geoplan.optimise import PeriodBenefit, SolverOptions
from geoplan.optimise.tradeoff import BudgetCurve
from geoplan.outputs.phasing import tradeoff_figure
from geoplan.planning.curve import CurveBeside, main_co_benefit, tradeoff_curve
from geoplan.planning.joint import solve_joint
from geoplan.scenario.models import PlanSection
from geoplan.workstreams.parts import ModelParts

BUDGET = 10.0
# id: (workstream, cost, lifetime tCO2e, homes, fuel-poor homes); sequestration has no homes
ITEMS = {"r0": ("retrofit", 4.0, 40.0, 10.0, 0.0), "r1": ("retrofit", 3.0, 27.0, 6.0, 2.0),
         "r2": ("retrofit", 3.0, 25.0, 8.0, 4.0), "r3": ("retrofit", 2.0, 10.0, 2.0, 1.0),
         "s0": ("sequestration", 5.0, 44.0, np.nan, np.nan)}


def _tables() -> dict[str, pd.DataFrame]:
    out = {}
    for ws in ("retrofit", "sequestration"):
        rows = {k: v for k, v in ITEMS.items() if v[0] == ws}
        table = pd.DataFrame({
            "candidate_id": list(rows), "workstream": ws,
            "cost_gbp": [v[1] for v in rows.values()],
            "lifetime_tco2e_2030": [v[2] for v in rows.values()],
            "tco2e_per_yr": [v[2] / 10 for v in rows.values()],
            "substation_id": "P", "peak_kw_added": 0.0})
        if ws == "retrofit":
            table["homes"] = [v[3] for v in rows.values()]
            table["fuel_poor_homes"] = [v[4] for v in rows.values()]
        out[ws] = table
    return out


def _sums(subset: tuple[str, ...]) -> dict[str, float]:
    return {"cost_gbp": sum(ITEMS[i][1] for i in subset),
            "lifetime_tco2e": sum(ITEMS[i][2] for i in subset),
            "homes": float(np.nansum([ITEMS[i][3] for i in subset])),
            "fuel_poor_homes": float(np.nansum([ITEMS[i][4] for i in subset]))}


def _subsets(budget: float) -> list[dict[str, float]]:
    """Every subset within ``budget`` with its sums, best lifetime tCO2e first."""
    found = [_sums(subset) for n in range(len(ITEMS) + 1)
             for subset in itertools.combinations(ITEMS, n)]
    found = [f for f in found if f["cost_gbp"] <= budget + 1e-9]
    return sorted(found, key=lambda f: -f["lifetime_tco2e"])


@pytest.fixture(scope="module")
def curve() -> pd.DataFrame:
    joint, scenario = _joint_and_scenario()
    return tradeoff_curve(joint, scenario)  # type: ignore[arg-type]


def test_every_point_and_its_co_benefits_match_brute_force(curve: pd.DataFrame) -> None:
    assert curve["fraction"].tolist() == [0.5, 1.0, 1.5]
    assert curve["chosen"].tolist() == [False, True, False]
    columns = ["cost_gbp", "lifetime_tco2e", "homes", "fuel_poor_homes"]
    for _, row in curve.iterrows():
        within = _subsets(BUDGET * row["fraction"])
        best = within[0]
        assert best["lifetime_tco2e"] > within[1]["lifetime_tco2e"] * 1.01  # a unique best
        # the point is one subset within its budget, named by its cost and tonnes, and its
        # co-benefits are that subset's sums
        same = [f for f in within if f["cost_gbp"] == pytest.approx(row["cost_gbp"])
                and f["lifetime_tco2e"] == pytest.approx(row["lifetime_tco2e"])]
        assert len(same) == 1, row["fraction"]
        assert [row[c] for c in columns] == pytest.approx([same[0][c] for c in columns])
        assert row["lifetime_tco2e"] <= best["lifetime_tco2e"] + 1e-9
        if row["status"] == "optimal" or row["chosen"]:  # the plan is solved to gap 0
            assert [row[c] for c in columns] == pytest.approx([best[c] for c in columns])
    # no weight given: the first co-benefit some point delivers (fuel-poor homes: 6 at x1)
    assert set(curve["main_co_benefit"]) == {"fuel_poor_homes"}


def test_main_co_benefit_follows_the_weights_then_the_curve() -> None:
    points = pd.DataFrame({"fuel_poor_homes": [0.0, 0.0], "homes_to_target": [0.0, 0.0],
                           "homes": [3.0, 5.0]})
    assert main_co_benefit(points) == "homes"  # the first delivered at some point
    assert main_co_benefit(points, {"homes_to_target": 1.0, "fuel_poor_homes": 2.0}) == \
        "fuel_poor_homes"
    assert main_co_benefit(points, {"ev_demand_covered": 5.0}) == "homes"  # not on the curve
    assert main_co_benefit(points[["fuel_poor_homes"]]) == "fuel_poor_homes"
    assert main_co_benefit(pd.DataFrame({"cost_gbp": [1.0]})) is None


def test_second_panel_plots_cost_against_the_main_co_benefit(curve: pd.DataFrame) -> None:
    fig = tradeoff_figure(curve, "t")
    first, second = fig.axes
    chosen = curve[curve["chosen"]].iloc[0]
    marked = second.collections[0].get_offsets()  # the chosen plan's marker
    assert marked.tolist() == [[chosen["cost_gbp"] / 1e6, chosen["fuel_poor_homes"]]]
    assert "fuel-poor homes" in second.get_title().lower()
    (line,) = second.get_lines()
    assert line.get_ydata().tolist() == curve["fuel_poor_homes"].tolist()
    assert first.collections[0].get_offsets().tolist() == [
        [chosen["cost_gbp"] / 1e6, chosen["lifetime_tco2e"]]]
    # a curve without co-benefits keeps the one panel
    bare = curve.drop(columns=["homes", "fuel_poor_homes"]).assign(main_co_benefit="")
    assert len(tradeoff_figure(bare).axes) == 1


def test_more_money_never_buys_less(curve: pd.DataFrame) -> None:
    tonnes = curve.sort_values("fraction")["lifetime_tco2e"].to_numpy(float)
    assert (np.diff(tonnes) >= -1e-9).all()


def test_restricted_solves_start_from_the_best_plan_that_fits() -> None:
    from geoplan.optimise import Budget, MaximiseBenefit, PlanningProblem
    from geoplan.optimise.strategy import best_start, solve_restricted

    table = pd.DataFrame({"candidate_id": list(ITEMS), "cost_gbp": [v[1] for v in ITEMS.values()],
                          "value": [v[2] for v in ITEMS.values()]})
    compiled = PlanningProblem(table, MaximiseBenefit({"value": 1.0}, normalise=False),
                               [Budget(BUDGET)]).compile()
    n = compiled.model.shape[1]
    low, over, good = np.zeros(n), np.zeros(n), np.zeros(n)
    low[3] = 1.0             # r3 alone: cost 2, value 10
    over[[0, 1, 2, 4]] = 1.0  # cost 15 > 10: breaks the budget, however valuable
    good[[0, 1, 2]] = 1.0    # cost 10, value 92: the best plan within 10 (brute force below)
    assert best_start(compiled.model, [None, low, over, good]) is good
    assert best_start(compiled.model, [None, over]) is None
    outcome, _ = solve_restricted(compiled, SolverOptions(mip_gap=0.0), [good])
    assert outcome.objective >= compiled.model.objective(good) - 1e-9
    assert outcome.objective == pytest.approx(max(s["lifetime_tco2e"]
                                                  for s in _subsets(BUDGET)))


def _scenario() -> SimpleNamespace:
    return SimpleNamespace(plan=PlanSection(years=[2030], tradeoff_fractions=[0.5, 1.5]),
                           solver=SimpleNamespace(gap=0.0))


def _joint(options: SolverOptions, beside: Any = None) -> Any:
    tables = _tables()
    parts = {ws: ModelParts((PeriodBenefit({2030: "lifetime_tco2e_2030"}),), ())
             for ws in tables}
    headroom = pd.DataFrame({"substation_id": ["P"], "headroom_kw": [100.0], "year": [2030]})
    return solve_joint(tables, parts, headroom=headroom, grid={"P": None}, periods=(2030,),
                       horizon=2030, total_budget_gbp=BUDGET, options=options, beside=beside)


def _joint_and_scenario() -> tuple[Any, SimpleNamespace]:
    return _joint(SolverOptions(mip_gap=0.0)), _scenario()


def test_points_below_one_solved_on_a_thread_give_the_same_curve(
        curve: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    # the plan's solve guarded (as a county's is, here for a small model): the point at 0.5
    # is solved on a thread while the child solves the plan, the one at 1.5 after, from the
    # plan, in the same HiGHS session
    monkeypatch.setattr("geoplan.optimise.guard.HARD_STOP_NONZEROS", 0)
    threads: list[str] = []
    solve = BudgetCurve.solve

    def noted(self: BudgetCurve, fractions: list[float], plan: Any = None,
              stop: Any = None) -> None:
        threads.append(f"{threading.current_thread().name} {sorted(fractions)}")
        solve(self, fractions, plan, stop)

    monkeypatch.setattr(BudgetCurve, "solve", noted)
    scenario = _scenario()
    beside = CurveBeside(scenario)  # type: ignore[arg-type]
    joint = _joint(SolverOptions(mip_gap=0.0, time_limit=60.0), beside)
    again = tradeoff_curve(joint, scenario, beside.curve())  # type: ignore[arg-type]
    assert threads == ["geoplan-beside [0.5]", "MainThread [0.5, 1.5]"]
    pd.testing.assert_frame_equal(again, curve, check_exact=True)


class _Waits:
    """Work beside that runs until it is told to stop."""

    def __init__(self) -> None:
        self.told = threading.Event()
        self.ran = False
        self.ended = False

    def run(self) -> None:
        self.ran = True
        self.ended = self.told.wait(60.0)

    def stop(self) -> None:
        self.told.set()


def test_an_interrupted_solve_stops_the_work_beside_and_waits_for_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("geoplan.optimise.guard.HARD_STOP_NONZEROS", 0)

    def interrupted(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("geoplan.optimise.hardstop.GuardedChild.run", interrupted)
    waits = _Waits()
    with pytest.raises(KeyboardInterrupt):
        _joint(SolverOptions(mip_gap=0.0, time_limit=60.0), lambda compiled: waits)
    assert waits.ran
    assert waits.ended  # told to stop, and ended before the interrupt reached the caller
    assert not [t for t in threading.enumerate() if t.name == "geoplan-beside"]


def test_work_beside_runs_only_while_a_guarded_child_solves() -> None:
    # unguarded (no time limit): the solver phase runs in this thread, nothing beside it
    waits = _Waits()
    _joint(SolverOptions(mip_gap=0.0), lambda compiled: waits)
    assert not waits.ran


def test_a_curve_solved_in_parts_refuses_a_lower_fraction_after_a_higher() -> None:
    joint, _ = _joint_and_scenario()
    parts = BudgetCurve(joint.compiled, ["total"], strategy="restricted")
    parts.solve([1.5], joint.plan.solution)
    with pytest.raises(ValueError, match=r"fractions must rise from call to call: 0\.5 after 1\.5"):
        parts.solve([0.5])
    whole = BudgetCurve(joint.compiled, ["total"], strategy="restricted")
    whole.solve([0.5, 0.8])
    pd.testing.assert_frame_equal(whole.table([0.8, 0.5]).iloc[::-1].reset_index(drop=True),
                                  whole.table([0.5, 0.8]), check_exact=True)


def test_in_turn_the_curve_is_solved_after_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOPLAN_FORK", "0")  # every step in turn: no thread beside
    joint, scenario = _joint_and_scenario()
    assert CurveBeside(scenario)(joint.compiled) is None  # type: ignore[arg-type]
