"""geoplan.planning.solve pieces that the end-to-end run does not isolate."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from geoplan import pipeline
from geoplan.cli.main import cli
from geoplan.errors import InfeasibleError, LayerSchemaError, ScenarioError
from geoplan.optimise import MaximiseBenefit
from geoplan.pipeline import run_scenario
from geoplan.planning.finance import finance_summary
from geoplan.planning.joint import solve_joint
from geoplan.planning.solve import _fair, _require_plan, reinforcement_options
from geoplan.scenario import load_scenario
from geoplan.scenario.models import GridSection, PlanSection, ReinforcementSection
from geoplan.workstreams.parts import ModelParts


def _candidates(cost: list[float], district: list[str], locked: list[bool]) -> gpd.GeoDataFrame:
    n = len(cost)
    return gpd.GeoDataFrame({
        "candidate_id": [f"retrofit:z{i}" for i in range(n)], "workstream": "retrofit",
        "group_id": [f"g{i}" for i in range(n)], "zone_id": [f"z{i}" for i in range(n)],
        "district_id": district, "substation_id": "P1", "cost_gbp": cost,
        "tco2e_per_yr": [10.0] * n, "peak_kw_added": [0.0] * n, "locked_in": locked,
        "geometry": [Point(i, 0) for i in range(n)]}, crs="EPSG:27700")


def _solve(table: gpd.GeoDataFrame, parts: ModelParts, budget: float) -> object:
    limits = pd.DataFrame({"substation_id": ["P1"], "headroom_kw": [1000.0]})
    return solve_joint({"retrofit": table}, {"retrofit": parts}, headroom=limits,
                       grid={"P1": None}, total_budget_gbp=budget)


def test_a_model_without_a_plan_stops_the_run_saying_why() -> None:
    # One locked-in candidate costing 5 under a total budget of 3: no plan exists.
    table = _candidates([5.0], ["D1"], [True])
    parts = ModelParts((MaximiseBenefit({"tco2e_per_yr": 1.0}),), ())
    solved = _solve(table, parts, budget=3.0)
    with pytest.raises(InfeasibleError, match=r"the joint plan has no solution \(infeasible\)"
                       r".*budget"):
        _require_plan("joint", solved)


def test_district_minimum_share_spreads_the_spend() -> None:
    # D1 has two candidates of cost 1, D2 one of cost 1; budget 2. Every candidate saves the
    # same, so without a minimum any two are optimal; with "each district at least 40% of
    # the spend", D2's candidate must be one of the two (1/2 = 50% >= 40%).
    table = _candidates([1.0, 1.0, 1.0], ["D1", "D1", "D2"], [False, False, False])
    parts = ModelParts((MaximiseBenefit({"tco2e_per_yr": 1.0}),), ())
    fair = _fair(parts, 0.4)
    assert _fair(parts, None) is parts
    solved = _solve(table, fair, budget=2.0)
    chosen = solved.tables["retrofit"]
    assert chosen["selected"].sum() == 2
    assert bool(chosen.loc[chosen["district_id"] == "D2", "selected"].iloc[0])


def test_reinforcement_options_cover_each_priced_level() -> None:
    scenario = SimpleNamespace(
        grid=GridSection(reinforcement=ReinforcementSection(enabled=True)),
        plan=PlanSection(years=[2025, 2030]))
    subs = pd.DataFrame({"substation_id": ["p1", "p2", "b1", "g1"],
                         "level": ["primary", "primary", "bsp", "gsp"]})
    layers = SimpleNamespace(substations=subs)
    table = pd.DataFrame({"level": ["primary", "bsp"], "capacity_mva": [10.0, 30.0],
                          "cost_gbp_per_mva": [150_000.0, 120_000.0],
                          "lead_time_years": [5.0, 7.0]})
    options = reinforcement_options(scenario, layers, table)
    # primary: 10 MVA -> 10,000 kW for 1.5m GBP, ready 2025 + 5; bsp: 30 MVA for 3.6m, 2032
    assert list(options["substation_id"]) == ["p1", "p2", "b1"]
    assert list(options["capacity_kw"]) == [10_000.0, 10_000.0, 30_000.0]
    assert list(options["cost_gbp"]) == [1_500_000.0, 1_500_000.0, 3_600_000.0]
    assert list(options["ready_year"]) == [2030, 2030, 2032]
    with pytest.raises(LayerSchemaError, match="prices no level"):
        reinforcement_options(scenario, layers, table.assign(level="secondary"))
    off = SimpleNamespace(grid=GridSection(), plan=scenario.plan)
    assert reinforcement_options(off, layers, table) is None


def test_finance_refuses_a_baseline_with_several_years_per_district() -> None:
    plan = pd.DataFrame({"candidate_id": ["a"], "workstream": ["retrofit"],
                         "district_id": ["D1"], "selected": [True], "period": [2025],
                         "cost_gbp": [100.0], "tco2e_per_yr": [1.0],
                         "saving_gbp_per_yr": [10.0], "lifetime_years": [20.0]})
    baseline = pd.DataFrame({"district_id": ["D1", "D1"], "year": [2019, 2020],
                             "tco2e": [500.0, 480.0]})
    with pytest.raises(LayerSchemaError, match=r"several rows.*latest_emissions"):
        finance_summary(plan, baseline=baseline)


# --- grid.missing_headroom: validated, applied and reported by a run ----------------------

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
LAEP_ONLY = ("workstreams:\n  retrofit: {enabled: false}\n  chargers: {enabled: false}\n"
             "  sequestration: {enabled: false}\n")


def _scenario_file(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scenario.yaml"
    path.write_text(f"extends: {SCENARIOS / 'base.yaml'}\nname: gap\n{text}", encoding="utf-8")
    return path


@pytest.mark.parametrize("choice", ["error", "unconstrained", "zero"])
def test_missing_headroom_choices_load(tmp_path: Path, choice: str) -> None:
    scenario = load_scenario(_scenario_file(tmp_path, f"grid:\n  missing_headroom: {choice}\n"))
    assert scenario.grid.missing_headroom == choice
    assert load_scenario(_scenario_file(tmp_path / "d", "")).grid.missing_headroom == "error"


@pytest.mark.parametrize("bad", ["maybe", "Unconstrained", "0", "null"])
def test_missing_headroom_is_validated(tmp_path: Path, bad: str) -> None:
    path = _scenario_file(tmp_path, f"grid:\n  missing_headroom: {bad}\n")
    with pytest.raises(ScenarioError, match=r"scenario\.yaml:4: grid\.missing_headroom: .* "
                       r"is not allowed \(fix: use one of 'error', 'unconstrained' or 'zero'\)"):
        load_scenario(path)


_PREPARED: list[tuple[object, object]] = []
"""``(inputs, layers)`` prepared by this module's runs: their scenarios read the same files."""


def _prepared_once(real: Callable[..., Any], inputs: object, **options: object) -> Any:
    """``real(inputs, **options)``, prepared once per worker for equal ``inputs`` (the
    options are the zones and grid the pre-flight read from those inputs); each call gets
    its own deep copy, so a run cannot change another's layers."""
    for known, layers in _PREPARED:
        if known == inputs:
            return copy.deepcopy(layers)
    layers = real(inputs, **options)
    _PREPARED.append((inputs, copy.deepcopy(layers)))
    return layers


@pytest.fixture
def primary_without_figures(monkeypatch: pytest.MonkeyPatch, small_sample: Path) -> list[str]:
    """Runs read the sample with the 'minimum' headroom rows of the primary serving the most
    zones and of its BSP removed (their other DNO scenarios keep theirs), as a reader leaves
    substations whose cells are blank. Under 'minimum' both are short of headroom, so the
    plan adds load there only when they are unconstrained.

    Returns the list their ids are put in (primary, BSP) when a run reads its layers.
    """
    real = pipeline.prepare_layers
    chosen: list[str] = []

    def prepare(inputs: object, **options: object) -> object:
        layers = _prepared_once(real, inputs, **options)
        counts = layers.zones["substation_id"].dropna().astype(str).value_counts()
        primary = sorted(counts[counts == counts.max()].index)[0]
        chosen[:] = [primary, next(iter(layers.grid.predecessors(primary)))]
        head = layers.headroom
        ids = head["substation_id"].astype(str)
        keep = ~(ids.isin(chosen) & (head["scenario"] == "minimum"))
        assert set(ids[~keep]) == set(chosen)
        assert set(ids[keep]) >= set(chosen)  # still figures for other DNO scenarios
        return dataclasses.replace(layers, headroom=head[keep].reset_index(drop=True))

    monkeypatch.setattr(pipeline, "prepare_layers", prepare)
    return chosen


def test_missing_headroom_stops_the_run_by_default(primary_without_figures: list[str],
                                                   tmp_path: Path) -> None:
    path = _scenario_file(tmp_path, LAEP_ONLY)
    result = CliRunner().invoke(cli, ["run", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    primary, bsp = primary_without_figures
    assert f"{bsp} (bsp), {primary} (primary)" in result.output
    assert "grid.missing_headroom" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("choice", ["unconstrained", "zero"])
def test_missing_headroom_choice_is_applied_and_reported(primary_without_figures: list[str],
                                                         tmp_path: Path, choice: str) -> None:
    # the maps, the tornado and the trade-off curve add nothing here (their own tests check them),
    # nor does proving the plan within 0.01%: a plan within 0.5% of its bound (the gap stops
    # it, deterministic) is checked; HiGHS's root alone spent 15 s in heuristics on laep
    lean = "outputs: {map: false, static_map: false, sensitivity: false}\n" \
        "plan: {tradeoff_fractions: []}\nsolver: {gap: 0.005}\n"
    path = _scenario_file(tmp_path, LAEP_ONLY + lean +
                          f"grid:\n  missing_headroom: {choice}\n")
    run = run_scenario(path, tmp_path / "out")
    primary, bsp = primary_without_figures
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario"]["missing_headroom"] == choice
    assert summary["scenario"]["headroom_missing_at"] == sorted([primary, bsp])
    assert summary["scenario"]["unconstrained_levels"] == ["gsp"]
    # which levels and substations limited the plan, and which were left free
    facts = summary["scenario"]
    gsps = sorted(s for s in facts["unconstrained_at"] if s.startswith("gsp-"))
    assert gsps
    assert set(facts["unconstrained_at"]) - set(gsps) == (
        {primary, bsp} if choice == "unconstrained" else set())
    assert set(facts["constrained_levels"]) == {"bsp", "primary"}
    assert (primary in facts["constrained_at"]) == (choice == "zero")  # zero limits it
    assert len(facts["constrained_at"]) == sum(
        facts["constrained_levels"].values())
    assert (facts["grid_accounting"], facts["grid_power_factor"]) == ("on_top", 0.95)
    assert any(primary in w and f"grid.missing_headroom: {choice}" in w
               for w in summary["warnings"])
    markdown = (tmp_path / "out" / "summary.md").read_text()
    assert f"| missing headroom | {choice} |" in markdown
    assert "| grid accounting | on\\_top |" in markdown
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["scenario"]["grid"]["missing_headroom"] == choice
    plan = run.plans.tables["laep"]
    added = plan.loc[plan["selected"] & (plan["substation_id"] == primary), "peak_kw_added"]
    if choice == "zero":
        assert added.sum() <= 1e-6  # no headroom there: no net load added
    else:
        assert added.sum() > 0  # no limit there: the plan uses it
