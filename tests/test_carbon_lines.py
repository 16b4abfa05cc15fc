"""The plan's carbon in separate lines: reductions, removals, attributed EV switch (by hand)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from geoplan.planning.carbon_lines import (
    carbon_kinds,
    carbon_per_year,
    kind_columns,
    lifetime_by_kind,
    unmixed_finance,
)
from geoplan.planning.phasing import period_table


def _chosen() -> pd.DataFrame:
    # retrofit 10 + laep 5 t/yr (reductions), woodland 30 t/yr (removal), a charger credited
    # with 2 t/yr of an 8 t/yr switch; grid reinforcement has no carbon
    return pd.DataFrame({
        "workstream": ["retrofit", "laep", "sequestration", "chargers", "grid"],
        "build_year": [2025, 2030, 2030, 2025, 2030],
        "cost_gbp": [1000.0, 500.0, 3000.0, 400.0, 250.0],
        "tco2e_per_yr": [10.0, 5.0, 30.0, 2.0, 0.0],
        "ev_switch_tco2e_per_yr": [0.0, 0.0, 0.0, 8.0, 0.0],
        "lifetime_tco2e": [200.0, 100.0, 1500.0, 20.0, 0.0]})


def test_each_kind_has_its_own_total_and_the_switch_stands_apart():
    chosen = _chosen()
    kinds = carbon_kinds(chosen["workstream"])
    assert kinds == ["reduction", "removal", "ev_attributed"]
    assert carbon_per_year(chosen, kinds) == {
        "reduction_tco2e_per_yr": 15.0, "removal_tco2e_per_yr": 30.0,
        "ev_attributed_tco2e_per_yr": 2.0, "ev_switch_tco2e_per_yr": 8.0}
    # a kind of the run with nothing chosen shows 0; no EV line without chargers
    assert carbon_per_year(chosen.iloc[:1], ["reduction", "removal"]) == {
        "reduction_tco2e_per_yr": 10.0, "removal_tco2e_per_yr": 0.0}
    split = kind_columns(chosen, kinds=kinds)
    assert split["removal_tco2e_per_yr"].tolist() == [0.0, 0.0, 30.0, 0.0, 0.0]


def test_lifetime_cost_per_tco2e_is_capex_over_lifetime_tonnes_of_each_kind():
    out = lifetime_by_kind(_chosen())
    # reductions: (1000 + 500) / (200 + 100); removals 3000 / 1500; EV 400 / 20
    assert out["reduction_lifetime_tco2e"] == 300.0
    assert out["reduction_cost_per_lifetime_tco2e_gbp"] == pytest.approx(5.0)
    assert out["removal_cost_per_lifetime_tco2e_gbp"] == pytest.approx(2.0)
    assert out["ev_attributed_cost_per_lifetime_tco2e_gbp"] == pytest.approx(20.0)
    none = lifetime_by_kind(_chosen().assign(lifetime_tco2e=0.0), kinds=["removal"])
    assert list(none) == ["removal_lifetime_tco2e", "removal_cost_per_lifetime_tco2e_gbp"]
    assert math.isnan(none["removal_cost_per_lifetime_tco2e_gbp"])


def test_finance_total_row_adds_no_tonnes_of_different_kinds():
    rows = [{"workstream": "laep", "capex_gbp": 500, "tco2e_per_yr": 5.0,
             "cost_per_tco2e_gbp": 5.0},
            {"workstream": "sequestration", "capex_gbp": 3000, "tco2e_per_yr": 30.0,
             "cost_per_tco2e_gbp": 2.0},
            {"workstream": "total", "capex_gbp": 3500, "tco2e_per_yr": 35.0,
             "cost_per_tco2e_gbp": 2.2}]
    out = unmixed_finance({"by_workstream": rows, "assumptions": {}})
    assert out["by_workstream"][:2] == rows[:2]
    assert out["by_workstream"][2] == {"workstream": "total", "capex_gbp": 3500,
                                       "tco2e_per_yr": None, "cost_per_tco2e_gbp": None}
    one_kind = {"by_workstream": [rows[0], {**rows[2], "tco2e_per_yr": 5.0}]}
    assert unmixed_finance(one_kind) == one_kind  # one kind: its total is a real total


def test_the_plan_per_period_adds_tonnes_per_kind_only():
    table = period_table(_chosen(), [2025, 2030])
    assert table["reduction_tco2e_per_yr_added"].tolist() == [10.0, 5.0]
    assert table["removal_tco2e_per_yr_added"].tolist() == [0.0, 30.0]
    assert table["ev_attributed_tco2e_per_yr_added"].tolist() == [2.0, 0.0]
    assert "tco2e_per_yr_added" not in table.columns
    assert table["spend_gbp"].tolist() == [1400.0, 3750.0]
