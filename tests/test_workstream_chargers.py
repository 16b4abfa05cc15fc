"""EV charger sites: demand points, candidates and plans checked against hand calculations.

The fixture: two 1 km square zones side by side; zone A (district D1) has 20 EVs of which
half belong to households without off-street parking (100 households, 50 without), so its
demand is 20 x 50/100 = 10 EVs; zone B (district D2) has 40 EVs, 50 of 200 households
without, so 40 x 0.25 = 10 EVs. Zone A's homes are a flat a1 at (100, 500) and a terraced
house a2 at (700, 500); off-street shares 0.6 and 0.5 split zone A's 10 EVs as
10 x 0.6/1.1 = 5.4545 and 10 x 0.5/1.1 = 4.5455. Zone B has one terraced house b1 at
(1500, 500) with all 10. Car park sites S1 (100, 800), S2 (700, 800) and S3 (1500, 800) are
300 m north of a1, a2 and b1. With one 7 kW charger per site a candidate costs
10,000 enabling + 6,300 = 16,300, adds 3.5 kW and serves 10 EVs.
"""

from __future__ import annotations

from itertools import combinations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from geoplan.assumptions import read_assumptions
from geoplan.errors import InfeasibleError, ScenarioError, SourceFormatError
from geoplan.layers.roads import graph_from_lines
from geoplan.optimise import Budget, PeriodBenefit, PlanningProblem
from geoplan.planning.phasing import lifetime_columns, lifetime_parts
from geoplan.workstreams.charger_demand import charger_demand, reach_matrix
from geoplan.workstreams.charger_settings import EV_ATTRIBUTION, attribution_share
from geoplan.workstreams.chargers import (
    ChargerSettings,
    charger_candidates,
    charger_model,
    read_charger_types,
)

CRS = "EPSG:27700"
BASE = {"charger_kw": (7,), "site_sizes": (1,), "use_roads": False, "demand_cell_m": None,
        "walk_distance_m": 400.0}


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"zone_id": ["A", "B"], "zone_name": ["A", "B"],
                             "district_id": ["D1", "D2"], "district_name": ["One", "Two"]},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=CRS)


def _ev_demand() -> pd.DataFrame:
    return pd.DataFrame({"zone_id": ["A", "B"], "households": [100.0, 200.0],
                         "households_no_offstreet": [50.0, 50.0], "evs_now": [5.0, 10.0],
                         "evs_projected": [20.0, 40.0], "public_chargers_now": [0, 0],
                         "evs_2030": [20.0, 40.0]})


def _homes() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"building_id": ["a1", "a2", "b1"], "zone_id": ["A", "A", "B"],
                             "property_type": ["Flat", "House", "House"],
                             "built_form": ["Mid-Terrace", "Mid-Terrace", "End-Terrace"]},
                            geometry=[Point(100, 500), Point(700, 500), Point(1500, 500)],
                            crs=CRS)


def _sites(max_chargers: tuple[int, int, int] = (1, 1, 1)) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"site_id": ["S1", "S2", "S3"], "kind": "car_park",
                             "max_chargers": pd.array(max_chargers, dtype="Int64"),
                             "cost_gbp": 0.0},
                            geometry=[Point(100, 800), Point(700, 800), Point(1500, 800)],
                            crs=CRS)


def _roads():
    # a1 reaches S1 only the long way round: 500 + 300 + 500 = 1,300 m > 400 m;
    # a2 -> S2 and b1 -> S3 are 300 m straight up a road.
    lines = gpd.GeoSeries([LineString([(100, 500), (600, 500), (600, 800), (100, 800)]),
                           LineString([(700, 500), (700, 800)]),
                           LineString([(1500, 500), (1500, 800)])], crs=CRS)
    return graph_from_lines(lines)


def _plan(settings: ChargerSettings, *, chargers=None, roads=None, types=None, sites=None):
    demand = charger_demand(_ev_demand(), _zones(), settings, buildings=_homes(),
                            chargers=chargers, roads=roads, charger_types=types)
    candidates = charger_candidates(sites if sites is not None else _sites(), demand, settings,
                                    zones=_zones(), charger_types=types)
    parts = charger_model(candidates, settings, demand=demand)
    plan = PlanningProblem(candidates, parts.objective, parts.constraints).solve()
    return demand, candidates, plan


def _chosen(plan) -> list[str]:
    return sorted(cid.split(":")[1] for cid in plan.selected_ids)


def test_demand_spreads_zone_evs_over_homes_by_parking_share_keeping_zone_totals():
    demand = charger_demand(_ev_demand(), _zones(), ChargerSettings(**BASE), buildings=_homes())
    evs = demand.points.set_index("point_id")["evs"]
    # zone A: 10 x 0.6/1.1 and 10 x 0.5/1.1; zone B: 10 (module docstring)
    assert evs["A:a1"] == pytest.approx(60 / 11)
    assert evs["A:a2"] == pytest.approx(50 / 11)
    assert evs["B:b1"] == pytest.approx(10.0)
    assert demand.district_totals()["evs"].to_dict() == pytest.approx({"D1": 10.0, "D2": 10.0})


def test_demand_cells_gather_homes_and_zones_without_homes_get_one_point():
    settings = ChargerSettings(**{**BASE, "demand_cell_m": 1000.0})
    homes = _homes().iloc[:2]  # zone B has no home: one point inside it
    demand = charger_demand(_ev_demand(), _zones(), settings, buildings=homes)
    points = demand.points.set_index("zone_id")
    # a1 and a2 fall in one 1 km cell: 10 EVs at the demand-weighted centre
    # x = (100 x 60/11 + 700 x 50/11) / 10 = (6000 + 35000) / 110 = 372.73
    assert points.loc["A", "evs"] == pytest.approx(10.0)
    assert points.loc["A"].geometry.x == pytest.approx(41000 / 110)
    assert points.loc["B", "evs"] == pytest.approx(10.0)
    assert _zones().geometry[1].contains(points.loc["B"].geometry)


def test_candidate_numbers_match_hand_calculation():
    settings = ChargerSettings(**{**BASE, "charger_kw": (7, 50), "site_sizes": (2, 4)},
                               ev_attribution_share=0.4)
    demand = charger_demand(_ev_demand(), _zones(), settings, buildings=_homes())
    candidates = charger_candidates(_sites((20, 20, 20)), demand, settings,
                                    zones=_zones()).set_index(
        "candidate_id")
    s1 = candidates[candidates["site_id"] == "S1"]
    assert list(s1.index) == ["chargers:S1:7kw:2", "chargers:S1:7kw:4", "chargers:S1:50kw:2",
                              "chargers:S1:50kw:4"]
    # cost: 10,000 + n x 6,300 (7 kW) or n x 37,300 (50 kW)
    assert s1["cost_gbp"].tolist() == [22_600, 35_200, 84_600, 159_200]
    # peak: n x 3.5 kW or n x 35 kW after diversity
    assert s1["peak_kw_added"].tolist() == pytest.approx([7.0, 14.0, 70.0, 140.0])
    # capacity: n x 10 or n x 38 EVs; S1 reaches only a1 (5.4545 EVs)
    assert s1["capacity_evs"].tolist() == [20, 40, 76, 152]
    assert s1["demand_covered"].tolist() == pytest.approx([60 / 11] * 4)
    # carbon: the switch is 5.4545 EVs x 1.29 t; the charger is credited with 0.4 of it
    assert s1["ev_switch_tco2e_per_yr"].iloc[0] == pytest.approx(60 / 11 * 1.29)
    assert s1["tco2e_per_yr"].tolist() == pytest.approx([0.4 * 60 / 11 * 1.29] * 4)
    assert s1["ev_attribution_share"].tolist() == [0.4] * 4
    assert set(s1["group_id"]) == {"chargers:S1"}
    assert s1["district_id"].tolist() == ["D1"] * 4  # zone joined from zones
    assert s1["lifetime_years"].tolist() == [10.0] * 4


def test_roads_and_straight_line_reach_differ_as_hand_checked():
    homes = _homes()
    sites = _sites()
    straight = reach_matrix(homes.geometry, sites.geometry, 400.0).toarray()
    along = reach_matrix(homes.geometry, sites.geometry, 400.0, _roads()).toarray()
    assert straight.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert along.tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 1]]  # a1 -> S1 is 1,300 m by road


def test_roads_change_the_plan():
    # budget for two sites (2 x 16,300 = 32,600 <= 40,000 < 48,900)
    straight = ChargerSettings(**BASE, budget_gbp=40_000)
    _, _, plan = _plan(straight)
    # straight line: S3 (10) + S1 (5.4545) = 15.4545 of 20
    assert _chosen(plan) == ["S1", "S3"]
    assert plan.objective == pytest.approx((10 + 60 / 11) / 20)
    roads = ChargerSettings(**{**BASE, "use_roads": True}, budget_gbp=40_000)
    _, _, plan = _plan(roads, roads=_roads())
    # by road S1 covers nothing: S3 (10) + S2 (4.5455) = 14.5455 of 20
    assert _chosen(plan) == ["S2", "S3"]
    assert plan.objective == pytest.approx((10 + 50 / 11) / 20)


def test_existing_charger_capacity_is_shared_in_proportion_to_demand():
    existing = gpd.GeoDataFrame({"device_id": ["e"], "kw": [3.6]}, geometry=[Point(1100, 500)],
                                crs=CRS)
    settings = ChargerSettings(**{**BASE, "walk_distance_m": 410.0})
    demand = charger_demand(_ev_demand(), _zones(), settings, buildings=_homes(),
                            chargers=existing)
    points = demand.points.set_index("point_id")
    # the 3.6 kW device takes the smallest class (7 kW): 10 EVs, shared by a2 (4.5455) and
    # b1 (10) within 410 m: a2 gets 10 x 4.5455/14.5455 = 3.125, b1 10 x 10/14.5455 = 6.875
    assert points.loc["A:a2", "pre_covered"] == pytest.approx(3.125)
    assert points.loc["B:b1", "pre_covered"] == pytest.approx(6.875)
    assert points.loc["A:a1", "pre_covered"] == 0.0
    assert points.loc["B:b1", "demand"] == pytest.approx(3.125)
    assert demand.report["pre_covered"] == pytest.approx(10.0)


def test_existing_chargers_pre_cover_outright_when_uncapacitated_and_change_the_plan():
    existing = gpd.GeoDataFrame({"device_id": ["e"], "kw": [7.0]}, geometry=[Point(1500, 200)],
                                crs=CRS)
    settings = ChargerSettings(**BASE, budget_gbp=40_000, capacitated=False)
    demand, _, plan = _plan(settings, chargers=existing)
    assert demand.points.set_index("point_id").loc["B:b1", "demand"] == 0.0
    # b1 is served already: S1 + S2 cover all 10 EVs left (objective 10/10)
    assert _chosen(plan) == ["S1", "S2"]
    assert plan.objective == pytest.approx(1.0)


def test_capacity_limits_what_a_site_serves():
    # 7 kW chargers serve 10 EVs each; b1 has 10, a1 5.45: with every option one charger the
    # capacity never binds, so shrink it to 4 EVs per charger: S3 serves 4, S1 4, S2 4
    types = read_charger_types().assign(evs_per_charger=4.0)
    settings = ChargerSettings(**BASE, budget_gbp=40_000)
    _, _, plan = _plan(settings, types=types)
    assert plan.objective == pytest.approx(8 / 20)  # two sites x 4 EVs of 20


def test_locked_in_site_is_selected_and_its_cost_is_not_taken_from_the_budget():
    settings = ChargerSettings(**BASE, budget_gbp=35_000, locked_in=("S1",))
    _, candidates, plan = _plan(settings, sites=_sites((2, 1, 1)))
    locked = candidates.set_index("candidate_id").loc["chargers:S1:7kw:2"]
    # the funded option: the kind's 7 kW class at the site's 2 chargers, 10,000 + 2 x 6,300
    assert bool(locked["locked_in"])
    assert locked["cost_gbp"] == 22_600
    assert len(candidates[candidates["site_id"] == "S1"]) == 1
    # new money 35,000 buys S2 and S3 (32,600) on top of the locked S1
    assert _chosen(plan) == ["S1", "S2", "S3"]
    new = plan.table.loc[plan.table["selected"] & ~plan.table["locked_in"], "cost_gbp"].sum()
    assert new <= 35_000


def test_unknown_locked_site_is_refused():
    with pytest.raises(ScenarioError, match=r"locked_in sites \['nowhere'\]"):
        _plan(ChargerSettings(**BASE, locked_in=("nowhere",)))


def test_coverage_floors_are_met():
    # without a floor: S1 + S3 (above); a floor of all D1's demand forces S1 + S2
    settings = ChargerSettings(**BASE, budget_gbp=40_000, coverage_floor_share={"D1": 1.0})
    _, _, plan = _plan(settings)
    assert _chosen(plan) == ["S1", "S2"]
    assert plan.objective == pytest.approx(10 / 20)


def test_impossible_coverage_floor_is_reported_with_numbers():
    sites = _sites().iloc[[2]]  # only S3, in D2
    settings = ChargerSettings(**BASE, coverage_floor_share=0.5)
    with pytest.raises(InfeasibleError, match=r"D1: needs 5.0 EVs covered .* only 0.0 within"):
        _plan(settings, sites=sites)


@pytest.mark.parametrize("budget", [0, 16_300, 20_000, 32_600, 45_000, 60_000])
def test_budget_is_never_exceeded_and_matches_brute_force(budget):
    settings = ChargerSettings(**BASE, budget_gbp=budget)
    demand, _candidates, plan = _plan(settings)
    cost = plan.table.loc[plan.table["selected"], "cost_gbp"].sum()
    assert cost <= budget
    weights = demand.points.set_index("point_id")["demand"]
    reach = {"S1": ["A:a1"], "S2": ["A:a2"], "S3": ["B:b1"]}
    best = max(sum(weights[p] for s in subset for p in reach[s]) / 20
               for k in range(4) for subset in combinations(reach, k) if 16_300 * k <= budget)
    assert plan.objective == pytest.approx(best)


def test_higher_charger_cost_buys_fewer_sites():
    types = read_charger_types()
    types.loc[types["kw_class"] == 7, "cost_per_charger_gbp"] = 15_000
    settings = ChargerSettings(**BASE, budget_gbp=40_000)
    _, _, plan = _plan(settings, types=types)
    # 10,000 + 15,000 = 25,000 a site: one site only, the biggest demand (S3, 10 EVs)
    assert _chosen(plan) == ["S3"]
    assert plan.objective == pytest.approx(0.5)


def test_joint_ids_widen_the_coverage_matrix():
    settings = ChargerSettings(**BASE)
    demand = charger_demand(_ev_demand(), _zones(), settings, buildings=_homes())
    candidates = charger_candidates(_sites(), demand, settings)
    ids = ["retrofit:x", *candidates["candidate_id"], "sequestration:y"]
    parts = charger_model(candidates, settings, demand=demand, candidate_ids=ids)
    coverage = parts.objective[0].coverage
    assert coverage.matrix.shape == (3, 5)
    assert np.asarray(coverage.matrix[:, [0, 4]].sum()) == 0
    assert coverage.capacity.tolist() == [0, 10, 10, 10, 0]


def _write(tmp_path, edit) -> str:
    table = pd.read_csv(read_charger_types().attrs["path"], dtype=str, keep_default_na=False)
    edit(table)
    path = tmp_path / "charger_types.csv"
    table.to_csv(path, index=False)
    return str(path)


def test_negative_cost_is_refused(tmp_path):
    path = _write(tmp_path, lambda t: t.__setitem__("cost_per_charger_gbp",
                                                    ["-5", *t["cost_per_charger_gbp"][1:]]))
    with pytest.raises(SourceFormatError, match=r"row 2, column 'cost_per_charger_gbp': -5 is "
                                                r"below the least allowed value 0"):
        read_charger_types(path)


def test_missing_source_is_refused(tmp_path):
    path = _write(tmp_path, lambda t: t.__setitem__("source", ["", *t["source"][1:]]))
    with pytest.raises(SourceFormatError, match=r"row 2, column 'source': no source is given"):
        read_charger_types(path)


def test_bad_kw_class_is_refused(tmp_path):
    path = _write(tmp_path, lambda t: t.__setitem__("kw_class", ["fast", *t["kw_class"][1:]]))
    with pytest.raises(SourceFormatError, match=r"kw_class 'fast' is not a number"):
        read_charger_types(path)


def test_kw_class_missing_from_the_charger_types_table_is_refused():
    types = read_charger_types()
    types = types[types["kw_class"] != 150]
    with pytest.raises(ScenarioError, match=r"charger_kw \[150\] not in the charger_types "
                                            r"table \(classes \['7', '22', '50'\]\)"):
        _plan(ChargerSettings(**{**BASE, "charger_kw": (150,)}), types=types)


def test_bad_settings_are_refused():
    with pytest.raises(ScenarioError, match="walk_distance_m=0: input should be greater than 0"):
        ChargerSettings(walk_distance_m=0)
    with pytest.raises(ScenarioError, match=r"coverage_floor_share=1\.5: input should be less "
                                            r"than or equal to 1"):
        ChargerSettings(coverage_floor_share=1.5)
    with pytest.raises(ScenarioError, match=r"charger_kw=\(11,\): input should be 7, 22, 50 "
                                            r"or 150"):
        ChargerSettings(charger_kw=(11,))
    with pytest.raises(ScenarioError, match="site_sizes lists 4 more than once"):
        ChargerSettings(site_sizes=(2, 4, 4))
    with pytest.raises(ScenarioError, match="unknown setting 'walk_distance'"):
        ChargerSettings(walk_distance=300)


def test_default_table_has_every_class_with_sources():
    table = read_charger_types()
    assert table["kw_class"].tolist() == [7, 22, 50, 150]
    assert (table["peak_kw_per_charger"] <= table["charger_kw"]).all()
    assert table["source"].str.contains("Energy Saving Trust").all()
    assert table["source"].str.contains("indicative").all()


def _attribution(value: str = "0.3", low: str = "0.1", high: str = "0.5",
                 item: str = "ev_attribution_share") -> pd.DataFrame:
    table = pd.DataFrame({"item": [item], "value": [float(value)], "value_low": [float(low)],
                          "value_high": [float(high)], "unit": ["share"], "source": ["test"]})
    table.attrs["path"] = "ev_attribution.csv"
    return table


def test_attribution_share_comes_from_the_table_unless_the_scenario_gives_one():
    assert attribution_share(_attribution("0.3")) == 0.3
    assert attribution_share(_attribution("0.3"), 0.0) == 0.0
    shipped = read_assumptions(EV_ATTRIBUTION).set_index("item").loc["ev_attribution_share"]
    assert shipped["value_low"] <= attribution_share() == shipped["value"] <= shipped["value_high"]
    assert "indicative" in shipped["source"].lower()
    # the table's share reaches the candidates when the settings give none
    demand = charger_demand(_ev_demand(), _zones(), ChargerSettings(**BASE), buildings=_homes())
    candidates = charger_candidates(_sites(), demand, ChargerSettings(**BASE),
                                    ev_attribution=_attribution("0.3"))
    # S3 serves b1's 10 EVs: switch 10 x 1.29 = 12.9 t/yr, 0.3 of it credited
    s3 = candidates.set_index("site_id").loc["S3"]
    assert (s3["ev_switch_tco2e_per_yr"], s3["tco2e_per_yr"]) == pytest.approx((12.9, 3.87))


def test_share_zero_credits_chargers_with_no_carbon_but_keeps_the_switch():
    settings = ChargerSettings(**BASE, ev_attribution_share=0.0)
    demand = charger_demand(_ev_demand(), _zones(), settings, buildings=_homes())
    candidates = charger_candidates(_sites(), demand, settings).set_index("site_id")
    assert candidates["tco2e_per_yr"].tolist() == [0.0, 0.0, 0.0]
    # a1 5.4545, a2 4.5455 and b1 10 EVs x 1.29 t
    assert candidates["ev_switch_tco2e_per_yr"].tolist() == pytest.approx(
        [60 / 11 * 1.29, 50 / 11 * 1.29, 12.9])


@pytest.mark.parametrize(("edit", "message"), [
    ({"item": "ev_share"}, r"no row 'ev_attribution_share' \(items: \['ev_share'\]\)"),
    ({"value": "1.5", "high": "2"}, r"row 2, column 'value': ev_attribution_share value 1.5 "
                                    r"is above 1"),
    ({"value": "0.05"}, r"column 'value': ev_attribution_share value 0.05 is not within its "
                        r"bounds 0.1-0.5"),
])
def test_bad_attribution_rows_are_refused_naming_file_row_and_value(edit, message):
    with pytest.raises(SourceFormatError, match=message) as caught:
        attribution_share(_attribution(**edit))
    assert "ev_attribution.csv" in str(caught.value)


def test_the_lifetime_objective_counts_only_the_attributed_carbon():
    # One site's money (16,300) and a rival candidate at the same cost saving 5 t/yr for 10
    # years (50 t). S3 serves 10 EVs: its switch is 10 x 1.29 x 10 years = 129 t. Credited
    # with all of it S3 wins (129 > 50); with a quarter, 32.25 t, the rival wins.
    def solve(share: float):
        settings = ChargerSettings(**BASE, budget_gbp=16_300, ev_attribution_share=share)
        demand = charger_demand(_ev_demand(), _zones(), settings, buildings=_homes())
        chargers = charger_candidates(_sites(), demand, settings)
        rival = pd.DataFrame({"candidate_id": ["retrofit:r"], "workstream": ["retrofit"],
                              "cost_gbp": [16_300.0], "tco2e_per_yr": [5.0],
                              "lifetime_years": [10.0]})
        table = lifetime_columns(pd.concat([chargers, rival], ignore_index=True), [2030],
                                 discount_rate=0.0)
        parts = charger_model(chargers, settings, demand=demand,
                              candidate_ids=table["candidate_id"].tolist())
        parts = lifetime_parts(parts, table.iloc[:len(chargers)], [2030], {})
        # the rival's own lifetime term, as joint planning scopes it: 0 on charger rows
        table["rival_tco2e"] = table["lifetime_tco2e_2030"].where(
            table["workstream"] == "retrofit", 0.0)
        budget = Budget(16_300.0, name="all")
        return PlanningProblem(table, (*parts.objective, PeriodBenefit({2030: "rival_tco2e"})),
                               (budget,)).solve()

    whole = solve(1.0)
    assert list(whole.selected_ids) == ["chargers:S3:7kw:1"]
    assert whole.objective == pytest.approx(129.0)
    quarter = solve(0.25)
    assert list(quarter.selected_ids) == ["retrofit:r"]
    assert quarter.objective == pytest.approx(50.0)
    assert solve(0.5).objective == pytest.approx(64.5)  # 129 x 0.5 > 50: S3 again
