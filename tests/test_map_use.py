"""The plan map for officers: popups with figures to quote, place names (no browser needed).

Popups (geoplan/outputs/map_popups.py) state rank of N, cost in £, tCO2e/yr and lifetime
tCO2e, homes, kW, build year, the headroom at the candidate's substation in that year (MVA
and kW) and the ranking's reason in words with units: no score or objective value without a
unit. Labels (geoplan/outputs/map_labels.py): district, town and zone names. Every expected
figure below is worked out by hand from the small frames built here.
tests/test_map_use_browser.py opens such a map in Chromium at desktop and phone sizes.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geoplan.outputs.map import map_html, plan_map
from geoplan.outputs.map_labels import CORROBORATE_M, TOWN_SPREAD_M, town_points
from geoplan.outputs.map_popups import (
    HeadroomYears,
    PopupContext,
    candidate_rows,
    headroom_words,
    reason_words,
)
from tests.test_map import X0, Y0, charger_plan, full_map, headroom, overlays, substations

NAMES = {"P2": "Botley"}


@pytest.mark.parametrize(("reason", "expected"), [
    # budget rows are in £; 4.651e+05 = 465,100; headroom rows are in kW
    ("not chosen: would break budget total (over by 4.651e+05); headroom P2 2030 "
     "(over by 120.4)",
     "Not chosen: adding it, the total budget would be exceeded by £465,100; the headroom "
     "at Botley (P2) in 2030 would be exceeded by 120 kW."),
    ("not chosen: would break budget funding 2050 (over by 2,903)",
     "Not chosen: adding it, the funding available by 2050 would be exceeded by £2,903."),
    ("not chosen: would break budget workstream chargers (over by 4,000)",
     "Not chosen: adding it, the chargers budget would be exceeded by £4,000."),
    ("chosen; without it: minimum heat_mwh_per_yr D1 (short by 3.5)",
     "Chosen: without it, the minimum of heat in D1 would be short by 3.50 MWh/yr."),
    ("chosen; without it: minimum homes D1 (short by 12)",
     "Chosen: without it, the minimum of homes in D1 would be short by 12."),
    ("not chosen: fits, but adds only 0.0001234",
     "Not chosen: it fits every budget and grid limit, but gives less per pound than the "
     "chosen candidates (ranked 7 of 9)."),
    ("locked out", "Not chosen: kept out of the plan by the scenario (locked out)."),
    ("locked in", "Chosen: fixed in the plan by the scenario (locked in)."),
    ("over the budget by £4,000", "over the budget by £4,000"),  # not the ranking's: kept
])
def test_reasons_in_words_with_units(reason, expected):
    assert reason_words({"reason": reason, "rank": 7}, total=9, names=NAMES) == expected


def test_objective_value_without_unit_is_not_shown():
    row = {"reason": "chosen; removing it loses 0.002868", "rank": 2, "score": 0.00011,
           "score_tco2e": 0.00011, "score_coverage": 0.3}
    words = reason_words(row, total=6)
    assert words == ("Chosen: ranked 2 of 6 by how much the plan (EV demand covered, carbon) "
                     "would lose without it.")
    rows = candidate_rows(row, workstream="chargers", total=6, grid=PopupContext(),
                          raw=False, built=None)
    assert not [label for label, _ in rows if "core" in label]  # no Score, no score parts
    assert not [value for _, value in rows if "0.00" in value]


def test_headroom_years_latest_at_or_before_else_undated():
    table = pd.DataFrame({"substation_id": ["P1", "P1", "P2"], "year": [2030, 2025, None],
                          "headroom_mva": [-1.0, 5.0, 3.0]})
    years = HeadroomYears(table)
    assert [years.mva("P1", y) for y in (2024, 2025, 2029, 2030, 2050)] == [
        None, 5.0, 5.0, -1.0, -1.0]
    assert years.mva("P2", 2030) == 3.0  # a snapshot row holds for any year
    assert years.mva("P9", 2030) is None


def test_headroom_in_kw_at_the_power_factor():
    # 2.5 MVA * 0.9 * 1000 = 2,250 kW; -1.0 MVA * 0.9 = -900 kW
    assert headroom_words(2.5, 0.9) == "2.5 MVA (2,250 kW at power factor 0.9)"
    assert headroom_words(-1.0, 0.9) == "-1.0 MVA (-900 kW at power factor 0.9; constrained)"
    assert headroom_words(float("nan"), 0.9) == ""


def grid() -> PopupContext:
    table = pd.DataFrame({"substation_id": ["P1", "P1"], "year": [2025, 2030],
                          "headroom_mva": [5.0, -1.0]})
    return PopupContext({"P1": 5.0}, names={"P1": "Cowley"}, caption="headroom 2025 (CT, winter)",
                        year=2025, yearly=HeadroomYears(table), grid_words="CT, winter",
                        power_factor=0.9)


ROW = {"candidate_id": "retrofit:Z1", "option": "heat pumps", "rank": 3, "cost_gbp": 125000.0,
       "tco2e_per_yr": 42.25, "homes": 40.0, "peak_kw_added": 15.4,
       "lifetime_tco2e_2025": 1000.0, "lifetime_tco2e_2030": 800.0, "substation_id": "P1",
       "reason": "chosen; removing it loses 0.5", "score": 0.5}


def test_chosen_candidate_popup_in_its_build_year():
    rows = dict(candidate_rows({**ROW, "selected": True}, workstream="retrofit", total=12,
                               grid=grid(), raw=False, built=2030))
    assert rows["Rank"] == "3 of 12"
    assert rows["Cost"] == "\u00a3125,000"
    assert rows["Emission reductions, buildings"] == "42.2 tCO2e/yr"  # 42.25 shown with one decimal
    # the objective's count (lifetime_tco2e_<year>), named so: not an undiscounted total
    assert rows["Objective lifetime tCO2e, discounted at the carbon discount rate"] == \
        "800 tCO2e"  # built 2030
    assert not any("Over its lifetime" in k or "lifetime total" in v for k, v in rows.items())
    assert rows["Homes"] == "40"
    assert rows["Peak load added"] == "15 kW"
    assert rows["Build year"] == "2030 (in the plan from then on)"
    assert rows["Substation"] == "Cowley (P1)"
    # the 2030 row, not the plan year's 5.0 MVA: -1.0 MVA * 0.9 = -900 kW
    assert rows["Headroom there in 2030 (CT, winter)"] == (
        "-1.0 MVA (-900 kW at power factor 0.9; constrained)")
    assert rows["Reason"] == "Chosen: ranked 3 of 12 by how much the plan would lose without it."


def test_candidate_not_built_is_shown_in_the_plan_year():
    rows = dict(candidate_rows({**ROW, "selected": False}, workstream="retrofit", total=12,
                               grid=grid(), raw=False, built=None))
    assert rows["Selected"] == "no"
    assert rows["Build year"] == ""
    assert rows["Objective lifetime tCO2e, discounted at the carbon discount rate"] == \
        "1,000 tCO2e if built by 2025"
    finance = dict(candidate_rows({**ROW, "lifetime_tco2e": 4501.0}, workstream="retrofit",
                                  total=12, grid=grid(), raw=False, built=2030))
    assert finance["Lifetime tCO2e, undiscounted"] == "4,501 tCO2e"
    assert rows["Headroom there in 2025 (CT, winter)"] == (
        "5.0 MVA (4,500 kW at power factor 0.9)")


def test_thousands_in_ranks_and_no_zero_load():
    row = {**ROW, "selected": True, "peak_kw_added": 0.0, "rank": 1200}
    rows = dict(candidate_rows(row, workstream="sequestration", total=17222, grid=grid(),
                               raw=False, built=2030))
    assert rows["Rank"] == "1,200 of 17,222"
    assert rows["Peak load added"] == ""  # dropped from the popup
    assert rows["Reason"].startswith("Chosen: ranked 1,200 of 17,222 by")


def popup_labels(html: str) -> list[str]:
    labels = []
    for args in re.findall(r"geoplanBind\((\[.*?\]), \[", html):
        labels += json.loads(args)
    return labels


def test_map_popups_show_no_score_and_translate_reasons():
    plan = charger_plan()
    plan["reason"] = ["chosen; removing it loses 0.002868"] * 3 + [
        "not chosen: would break budget workstream chargers (over by 4,000)"] * 3
    m = plan_map({"chargers": plan}, substations=substations(), headroom=headroom(),
                 plan_year=2030, power_factor=0.95)
    html = map_html(m)
    labels = popup_labels(html)
    assert "Reason" in labels
    assert not [label for label in labels if "core" in label]
    assert "0.002868" not in html
    assert "the chargers budget would be exceeded by \\u00a34,000" in html
    # site 1 (chosen, built 2030, P2): 2.0 MVA in 2030 -> 1,900 kW at 0.95
    assert "2.0 MVA (1,900 kW at power factor 0.95)" in html


def chargers_with_towns() -> gpd.GeoDataFrame:
    """Registry devices: Banbury three times (two spellings), Oxon spread out, one Thame."""
    spots = [("Banbury", 0, 0), ("banbury ", 100, 0), ("Banbury", 0, 300),
             ("Oxon", 0, 0), ("Oxon", 20_000, 0), ("Oxon", 0, 20_000),
             ("Thame", 5000, 5000), ("Oxford", 0, 0), ("Oxford", 10, 10), (None, 50, 50)]
    return gpd.GeoDataFrame(
        {"device_id": [f"d{i}" for i in range(len(spots))], "town": [s[0] for s in spots],
         "kw": 7.0, "connectors": 2},
        geometry=[Point(X0 + x, Y0 + y) for _, x, y in spots], crs=27700)


def test_towns_from_registry_compact_and_not_districts():
    towns = town_points(chargers_with_towns(), skip=frozenset({"oxford"}))
    # Banbury: median of x (0, 100, 0) = 0, of y (0, 0, 300) = 0; spelled "Banbury" twice.
    # Oxon: median point (0, 0), distances 0, 20 km, 20 km -> median 20 km > the limit.
    assert TOWN_SPREAD_M < 20_000
    assert towns["name"].tolist() == ["Banbury"]
    assert (towns.geometry.x.iloc[0], towns.geometry.y.iloc[0]) == (X0, Y0)


def places(*named: tuple[str, float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [n for n, _, _ in named]},
                            geometry=[Point(X0 + x, Y0 + y) for _, x, y in named], crs=27700)


def test_towns_need_a_place_of_the_same_name_nearby():
    devices = gpd.GeoDataFrame(
        {"town": ["Banbury", "Banbury", "London", "London", "Henley-on-Thames",
                  "Henley-on-Thames", "Witney", "Witney"]},
        geometry=[Point(X0 + x, Y0 + y) for x, y in ((0, 0), (0, 100), (9000, 0), (9000, 100),
                                                      (20_000, 0), (20_000, 100),
                                                      (40_000, 0), (40_000, 100))], crs=27700)
    # label points (0, 50), (9000, 50), (20000, 50), (40000, 50); the limit is 6 km
    assert CORROBORATE_M == 6000
    near = places(("BANBURY CENTRAL", 3000, 0), ("London Road", 30_000, 0),
                  ("HENLEY", 20_000, 5000), ("WITNEY", 40_000, 6100))
    # Banbury: 3 km; London: the nearest "London ..." is 21 km off; Henley-on-Thames starts
    # with HENLEY, 4.95 km; Witney: 6.05 km, just past the limit
    assert town_points(devices, places=near)["name"].tolist() == ["Banbury",
                                                                  "Henley-on-Thames"]
    assert len(town_points(devices, places=places())) == 4  # nothing to check against


def test_place_names_layer_on_the_map():
    named = substations().assign(name=["Banbury Central", "Headington", "Botley"])
    html = map_html(full_map(existing_chargers=chargers_with_towns(), substations=named))
    assert overlays(html)[-1] == "Place names"
    names = re.findall(r'"k": "(\w+)", "n": "([^"]*)"', html)
    # the district "Oxford" once (not again as a town), Banbury, three zones (one escaped)
    assert sorted(names) == sorted([
        ("district", "Oxford"), ("town", "Banbury"), ("zone", "Zone A"), ("zone", "Zone C"),
        ("zone", "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;")])
    assert "gp-hide-zones" in html
    assert map_html(full_map(labels=False)).count("Place names") == 0
