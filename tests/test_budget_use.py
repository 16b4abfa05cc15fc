"""Spending against each budget, and what the candidates not chosen ran into, by hand."""

from __future__ import annotations

import pandas as pd

from geoplan.planning.budget_use import budget_use, held_back_kind


def _table(rows: list[tuple[bool, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["selected", "cost_gbp", "reason"])


def test_spent_unspent_and_the_limits_named_by_hand() -> None:
    retrofit = _table([
        (True, 400.0, "chosen; removing it loses 12"),
        (True, 100.0, "chosen; removing it loses 3"),
        (False, 300.0, "not chosen: would break headroom bsp-A 2030 (over by 5.5); "
                       "delivery homes_retrofitted 2030 (over by 2)"),
        (False, 50.0, "not chosen: would break headroom primary-B 2040 (over by 1)"),
        (False, 20.0, "not chosen: fits, but adds only 0.5"),
    ])
    trees = _table([(True, 900.0, "chosen; removing it loses 40"),
                    (False, 800.0, "not chosen: would break budget total (over by 1,700); "
                                   "budget workstream sequestration (over by 700)")])
    rows = budget_use({"retrofit": retrofit, "sequestration": trees},
                      {"retrofit": 1_000.0}, total=2_000.0)
    assert [r["workstream"] for r in rows] == ["retrofit", "sequestration", "total"]
    first, second, total = rows
    # retrofit: 400 + 100 spent of 1,000; headroom named by two candidates, delivery by one
    assert (first["budget_gbp"], first["spent_gbp"], first["unspent_gbp"]) == (1_000.0, 500.0,
                                                                             500.0)
    assert first["candidates_not_chosen"] == 3
    assert first["not_chosen_because"] == ("grid headroom: 2; delivery capacity: 1; "
                                           "nothing: they fit but add too little: 1")
    # no budget of its own: nothing unspent to report; two budget rows, one candidate
    assert (second["budget_gbp"], second["unspent_gbp"]) == (None, None)
    assert second["not_chosen_because"] == "money (a budget or the funding profile): 1"
    assert (total["budget_gbp"], total["spent_gbp"], total["unspent_gbp"]) == (2_000.0, 1_400.0,
                                                                             600.0)
    assert total["candidates_not_chosen"] == 4


def test_limit_kinds_and_an_unknown_row() -> None:
    assert held_back_kind("one option in group zone:E01") == "one option"
    assert held_back_kind("coverage floor D1") == "coverage"
    assert held_back_kind("count sites") == "count"


def test_a_district_the_plan_leaves_out_keeps_its_row_at_zero() -> None:
    from geoplan.outputs.run_summary import _rows

    chosen = pd.DataFrame({"district_id": ["A", "A"], "workstream": "retrofit",
                           "cost_gbp": [2.0, 3.0], "tco2e_per_yr": [1.0, 0.5], "homes": 1.0,
                           "homes_to_target": 0.0, "fuel_poor_homes": 0.0, "chargers": 0.0,
                           "area_ha": 0.0})
    rows = _rows(chosen, "district_id", ["reduction"], ["A", "B"])
    assert [r["district_id"] for r in rows] == ["A", "B"]
    assert (rows[0]["cost_gbp"], rows[0]["reduction_tco2e_per_yr"], rows[0]["selected"]) == (
        5.0, 1.5, 2.0)
    assert (rows[1]["cost_gbp"], rows[1]["reduction_tco2e_per_yr"], rows[1]["selected"]) == (
        0.0, 0.0, 0.0)
