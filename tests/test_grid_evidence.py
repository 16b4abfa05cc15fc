"""Grid evidence on a hand-built chain: blocked loads, unlock costs and the value of headroom.

The grid: bulk supply point B feeds primaries P1 and P2. Milestones 2030 and 2040, horizon
2040 (a candidate built in 2030 counts 11 years of benefit, in 2040 one). Headroom (kW):

=====  =====  =====
sub    2030   2040
=====  =====  =====
B      100    60
P1     50     50
P2     0      -10
=====  =====  =====

Candidates (kW added, tCO2e/yr): at P1 ``a`` (30, 10), ``b`` (30, 8, chargers), ``d`` (0, 3),
and the alternatives ``e`` (40, 6) / ``f`` (10, 2) of group ``g``; at P2 ``c`` (20, 5,
chargers). The best plan builds a, f and d in 2030 (40 kW at P1 and B; a + b would need 60 kW
at P1). By hand, at each substation and year (r = remaining headroom):

* P1 (r = 10 both years): b (30 kW) does not fit: blocked, not fitted; a and g added.
* P2 (headroom <= 0): c blocked before the model, both years.
* B 2030 (r = 60): nothing blocked (b and c fit here). B 2040 (r = 20): b (30) blocked,
  c (20) fits (other).

Unlocking P1 in 2030 needs 40 + 30 - 50 = 20 kW; P2 in 2040 needs 0 + 20 - (-10) = 30 kW;
B in 2040 needs 40 + 30 - 60 = 10 kW. The values of more headroom are brute-forced.
"""

from __future__ import annotations

import itertools

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geoplan.errors import ScenarioError
from geoplan.optimise import MaximiseBenefit, SolverOptions
from geoplan.outputs.grid_evidence import evidence_summary
from geoplan.outputs.map_grid import evidence_map_layer
from geoplan.planning.grid_evidence import ALL, flexibility_price, grid_evidence
from geoplan.planning.grid_value import headroom_values, value_columns
from geoplan.planning.joint import solve_joint
from geoplan.workstreams.parts import ModelParts

YEARS = (2030, 2040)
HORIZON = 2040
HEADROOM = {("B", 2030): 100.0, ("B", 2040): 60.0, ("P1", 2030): 50.0, ("P1", 2040): 50.0,
            ("P2", 2030): 0.0, ("P2", 2040): -10.0}
PARENT = {"P1": "B", "P2": "B", "B": None}
# id: (workstream, substation, kW, tCO2e/yr, group)
CANDIDATES = {"a": ("retrofit", "P1", 30.0, 10.0, ""), "b": ("chargers", "P1", 30.0, 8.0, ""),
              "d": ("retrofit", "P1", 0.0, 3.0, ""), "e": ("retrofit", "P1", 40.0, 6.0, "g"),
              "f": ("retrofit", "P1", 10.0, 2.0, "g"), "c": ("chargers", "P2", 20.0, 5.0, "")}
COSTS = pd.DataFrame({"level": ["primary", "bsp"], "capacity_mva": [10.0, 30.0],
                      "cost_gbp_per_mva": [150000.0, 120000.0], "lead_time_years": [5, 7]})
SUBSTATIONS = pd.DataFrame({"substation_id": ["B", "P1", "P2"], "name": ["Bee", "Pone", "Ptwo"],
                            "level": ["bsp", "primary", "primary"]})


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(PARENT)
    graph.add_edges_from((p, s) for s, p in PARENT.items() if p)
    return graph


def _limits() -> pd.DataFrame:
    return pd.DataFrame([(s, y, h) for (s, y), h in HEADROOM.items()],
                        columns=["substation_id", "year", "headroom_kw"])


def _tables() -> dict[str, pd.DataFrame]:
    rows = [{"candidate_id": f"{ws}:{cid}", "workstream": ws, "substation_id": sub,
             "peak_kw_added": kw, "tco2e_per_yr": t, "cost_gbp": 1.0,
             "group_id": f"group:{g}" if g else ""}
            for cid, (ws, sub, kw, t, g) in CANDIDATES.items()]
    frame = pd.DataFrame(rows)
    return {ws: frame[frame["workstream"] == ws].reset_index(drop=True)
            for ws in ("retrofit", "chargers")}


@pytest.fixture(scope="module")
def solved():
    tables = _tables()
    parts = {ws: ModelParts((MaximiseBenefit({"tco2e_per_yr": 1.0}, normalise=False),), ())
             for ws in tables}
    return solve_joint(tables, parts, headroom=_limits(), grid=_graph(), periods=YEARS,
                       horizon=HORIZON)


def _brute(extra: dict[str, float]) -> tuple[float, float]:
    """Best (objective, tCO2e/yr) over every choice of build period, by enumeration."""
    ids = list(CANDIDATES)
    best = (-np.inf, 0.0)
    for when in itertools.product((None, *YEARS), repeat=len(ids)):
        built = {i: y for i, y in zip(ids, when, strict=True) if y is not None}
        if "e" in built and "f" in built:
            continue
        ok = True
        for (sub, year), h in HEADROOM.items():
            load = sum(CANDIDATES[i][2] for i, y in built.items() if y <= year
                       and sub in (CANDIDATES[i][1], PARENT[CANDIDATES[i][1]]))
            ok &= load <= max(h, 0.0) + extra.get(sub, 0.0) + 1e-9
        if ok:
            value = sum(CANDIDATES[i][3] * (HORIZON - y + 1) for i, y in built.items())
            if value > best[0]:
                best = (value, sum(CANDIDATES[i][3] for i in built))
    return best


def _evidence(solved):
    return grid_evidence(solved.table(), _limits(), YEARS, graph=_graph(),
                         substations=SUBSTATIONS, costs=COSTS, power_factor=0.95)


def _row(table: pd.DataFrame, sub: str, year: int, ws: str = ALL) -> pd.Series:
    rows = table[(table["substation_id"] == sub) & (table["year"] == year)
                 & (table["workstream"] == ws)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_the_solver_plan_is_the_brute_force_optimum(solved) -> None:
    chosen = set(solved.table().loc[lambda t: t["selected"], "candidate_id"])
    assert chosen == {"retrofit:a", "retrofit:f", "retrofit:d"}
    assert solved.plan.objective == pytest.approx(_brute({})[0])


def test_blocked_loads_match_the_hand_computation(solved) -> None:
    table = _evidence(solved).table
    p1 = _row(table, "P1", 2030)
    assert (p1["remaining_kw"], p1["wanted_kw"], p1["added_kw"], p1["blocked_kw"]) == \
        pytest.approx((10.0, 70.0, 40.0, 30.0))
    assert (p1["wanted_units"], p1["added_units"], p1["blocked_units"], p1["other_units"]) == \
        (3, 2, 1, 0)
    assert p1["blocked_tco2e_per_yr"] == pytest.approx(8.0)
    assert p1["blocked_before_model_units"] == 0  # headroom 50 > 0: the model could not fit b
    assert p1["wanted_options"] == 4
    assert p1["blocked_options"] == 1
    assert _row(table, "P1", 2030, "chargers")["blocked_kw"] == pytest.approx(30.0)
    assert _row(table, "P1", 2030, "retrofit")["blocked_kw"] == pytest.approx(0.0)
    for year in YEARS:
        p2 = _row(table, "P2", year)
        assert (p2["blocked_units"], p2["blocked_before_model_units"]) == (1, 1)
        assert (p2["blocked_kw"], p2["blocked_tco2e_per_yr"]) == pytest.approx((20.0, 5.0))
    b30, b40 = _row(table, "B", 2030), _row(table, "B", 2040)
    assert (b30["blocked_units"], b30["other_units"]) == (0, 2)
    assert (b40["blocked_units"], b40["other_units"], b40["blocked_kw"]) == (1, 1, 30.0)


def test_counts_reconcile_on_every_row(solved) -> None:
    table = _evidence(solved).table
    for unit in ("_units", "_kw", "_tco2e_per_yr"):
        parts = table[f"added{unit}"] + table[f"blocked{unit}"] + table[f"other{unit}"]
        np.testing.assert_allclose(table[f"wanted{unit}"], parts)


def test_blocked_records_name_the_substation_year_and_cause(solved) -> None:
    evidence = _evidence(solved)
    got = {(r.candidate_id, r.substation_id, r.year, r.cause)
           for r in evidence.blocked.itertuples()}
    assert got == {("chargers:b", "P1", 2030, "not fitted"), ("chargers:b", "P1", 2040,
                                                             "not fitted"),
                   ("chargers:b", "B", 2040, "not fitted"),
                   ("chargers:c", "P2", 2030, "before model"),
                   ("chargers:c", "P2", 2040, "before model")}
    assert evidence.blocked_candidates() == 2
    assert evidence.blocked_candidates("before model") == 1
    assert evidence.blocking() == ("B", "P1", "P2")


def test_unlock_capacity_and_cost(solved) -> None:
    table = _evidence(solved).table
    p1, p2, b = _row(table, "P1", 2030), _row(table, "P2", 2040), _row(table, "B", 2040)
    assert (p1["unlock_kw"], p2["unlock_kw"], b["unlock_kw"]) == pytest.approx((20, 30, 10))
    assert p1["unlock_mva"] == pytest.approx(20 / 950)
    # one whole option of the level's size: 10 MVA x 150,000 and 30 MVA x 120,000 GBP
    assert (p1["reinforcement_gbp"], b["reinforcement_gbp"]) == (1_500_000, 3_600_000)
    # ready 2030 + 5 = 2035: flexibility must carry the 20 kW in 2030, not in 2040
    assert p1["reinforcement_ready_year"] == 2035
    assert p1["flexibility_kw"] == pytest.approx(20)
    assert _row(table, "P1", 2040)["flexibility_kw"] == 0
    assert _row(table, "B", 2030)["unlock_kw"] == 0  # blocks nothing


# 250 GBP/MWh for 80 h a year: 250 x 80 / 1000 = 20 GBP per kW per year
FLEXIBILITY = pd.DataFrame({"service": ["peak_reduction"], "price_gbp_per_mwh": [250.0],
                            "price_gbp_per_mwh_low": [100.0], "price_gbp_per_mwh_high": [300.0],
                            "hours_per_yr": [80.0], "hours_per_yr_low": [40.0],
                            "hours_per_yr_high": [360.0]})


def test_flexibility_is_priced_beside_reinforcement(solved) -> None:
    assert flexibility_price(FLEXIBILITY) == pytest.approx(20.0)
    assert flexibility_price(FLEXIBILITY, "high") == pytest.approx(300 * 360 / 1000)
    evidence = grid_evidence(solved.table(), _limits(), YEARS, graph=_graph(),
                             substations=SUBSTATIONS, costs=COSTS, power_factor=0.95,
                             flexibility=FLEXIBILITY)
    table = evidence.table
    p1, p2, b = _row(table, "P1", 2030), _row(table, "P2", 2040), _row(table, "B", 2040)
    # P1 2030: 20 kW unlock, reinforcement ready only in 2035, so flexibility carries 20 kW:
    # 20 x 20 = 400 GBP/yr; reinforcing (1,500,000) costs as much as 3,750 years of it
    assert p1["flexibility_gbp_per_yr"] == pytest.approx(400.0)
    assert p1["unlock_flexibility_gbp_per_yr"] == pytest.approx(400.0)
    assert p1["flexibility_breakeven_years"] == pytest.approx(1_500_000 / 400)
    # P2 2040: reinforcement ready (2035), so no flexibility is needed; unlocking its 30 kW
    # with flexibility instead would cost 30 x 20 = 600 GBP/yr
    assert p2["flexibility_gbp_per_yr"] == 0
    assert p2["unlock_flexibility_gbp_per_yr"] == pytest.approx(600.0)
    # B 2040: 10 kW, bsp ready 2037: 200 GBP/yr against 3,600,000
    assert b["unlock_flexibility_gbp_per_yr"] == pytest.approx(200.0)
    assert b["flexibility_breakeven_years"] == pytest.approx(3_600_000 / 200)
    # unlocking is per substation: the workstream rows leave the costs blank
    assert np.isnan(_row(table, "P1", 2030, "chargers")["flexibility_gbp_per_yr"])
    text = " ".join(evidence_summary(evidence)["statements"])
    assert ("the same 20 kW from flexibility would cost about £400 a year (£20.00 per kW a "
            "year at the grid_flexibility price, indicative), as much as reinforcement after "
            "3,750.0 years; until reinforcement is ready flexibility must carry 20 kW, about "
            "£400 a year") in text
    # without the table the columns are blank, and the sentence says nothing of flexibility
    plain = _evidence(solved)
    assert plain.table["unlock_flexibility_gbp_per_yr"].isna().all()
    assert "from flexibility" not in " ".join(evidence_summary(plain)["statements"])


def test_flexibility_table_without_the_service_row_is_refused() -> None:
    other = FLEXIBILITY.assign(service="turn_up")
    other.attrs["path"] = "grid_flexibility.csv"
    with pytest.raises(ScenarioError, match=r"grid_flexibility.csv: no row with service "
                                            r"'peak_reduction' \(services: \['turn_up'\]\).*fix"):
        flexibility_price(other)


@pytest.mark.parametrize("method", ["restricted", "full"])
def test_value_of_headroom_matches_brute_force(solved, method: str) -> None:
    base_objective, base_tco2e = _brute({})
    steps = {"P1": 10.0, "P2": 20.0, "B": 10.0}
    for sub, step in steps.items():
        [value] = headroom_values({"joint": solved}, [sub], step_kw=step, limit=1,
                                  options=SolverOptions(mip_gap=0.0), graph=_graph(),
                                  method=method)
        objective, tco2e = _brute({sub: step})
        assert value.evaluated
        assert value.objective_gain == pytest.approx(objective - base_objective, abs=1e-6)
        assert value.tco2e_gain == pytest.approx(tco2e - base_tco2e, abs=1e-6)
    # by hand: +10 kW at P1 lets a + b (18 t) replace a + f (12 t): 0.6 tCO2e/yr per kW
    [p1] = headroom_values({"joint": solved}, ["P1"], step_kw=10.0, limit=1, graph=_graph(),
                           method=method)
    assert value_columns([p1])["value_tco2e_per_yr_per_kw"].iloc[0] == pytest.approx(0.6)
    assert p1.added_kw == pytest.approx(20.0)  # b (30 kW) in, f (10 kW) out


def test_resolves_beyond_the_limit_are_listed_not_evaluated(solved) -> None:
    values = headroom_values({"joint": solved}, ["P1", "P2", "B"], step_kw=10.0, limit=1,
                             graph=_graph())
    assert [v.evaluated for v in values] == [True, False, False]
    assert all("not evaluated" in v.status for v in values[1:])


def test_summary_sentence_and_map_popup_are_escaped(solved) -> None:
    evidence = _evidence(solved)
    named = evidence.table.assign(name=evidence.table["name"].replace(
        {"Pone": "<img src=x onerror=alert(1)>"}))
    section = evidence_summary(type(evidence)(named, evidence.blocked, evidence.load_adding))
    text = " ".join(section["statements"])
    assert "2 of 5 load-adding candidates (40%)" in text
    assert "blocks 30 kW of load-adding candidates in 2030 (chargers 30 kW" in text
    points = gpd.GeoDataFrame(named[named["workstream"] == ALL].assign(
        value_evaluated=False, value_status="not evaluated"),
        geometry=[Point(450000 + i, 200000) for i in range(int((named["workstream"] == ALL)
                                                                .sum()))],
        crs="EPSG:27700")
    m = folium.Map()
    evidence_map_layer(points).add_to(m)
    html = m.get_root().render()
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html
    # escaped once, then JSON-encoded for the script (as tests/test_map_injection.py checks)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    assert "blocked 30 kW" in html
    assert "tCO2e/yr lost" in html


def test_a_plan_adding_no_load_has_empty_evidence() -> None:
    plan = pd.DataFrame({"candidate_id": ["x", "y"], "workstream": "sequestration",
                         "substation_id": ["P1", None], "peak_kw_added": [0.0, 0.0],
                         "selected": [True, False], "tco2e_per_yr": [1.0, 2.0]})
    evidence = grid_evidence(plan, _limits(), YEARS, graph=_graph(), substations=SUBSTATIONS)
    assert evidence.table.empty
    assert evidence.blocking() == ()
    assert evidence_summary(evidence)["statements"][0].startswith("No candidate adds peak load")


def test_a_time_limited_resolve_gives_no_value(solved, monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-solve stopped by the time limit ("feasible") yields no figure: the value would
    otherwise depend on how fast the machine was."""
    import dataclasses

    import geoplan.planning.grid_value as grid_value

    real = grid_value.solve

    def stopped_early(model, options, start=None):  # the plan it found, not proven optimal
        return dataclasses.replace(real(model, options, start=start), status="feasible")

    monkeypatch.setattr(grid_value, "solve", stopped_early)
    [value] = headroom_values({"joint": solved}, ["P1"], step_kw=10.0, limit=1, graph=_graph())
    assert value.evaluated
    assert "not proven within the time limit" in value.status
    row = value_columns([value]).iloc[0]
    assert np.isnan(row["value_tco2e_per_yr_per_kw"])
    assert np.isnan(row["value_added_kw"])


@pytest.mark.parametrize(("years", "expected"), [([2030], 5), ([2025, 2030], 0)])
def test_phased_plans_value_headroom_only_when_asked(years: list[int], expected: int) -> None:
    from geoplan.planning.grid_report import default_resolves
    from geoplan.scenario.models import Scenario

    scenario = Scenario.model_validate({"name": "s", "inputs": {"sample": "small"},
                                        "plan": {"years": years, "horizon": 2050}})
    assert default_resolves(scenario) == expected


def test_charger_sites_sharing_evs_count_them_once_in_the_evidence() -> None:
    # three charger sites at primary Q (headroom 0: all blocked before the model), 0.25 t
    # a year per EV. s1 and s2 reach the same 10 EVs, s3 4 others: blocked tonnes are
    # 0.25 x 14 = 3.5 with each EV once, not the sites' 2.5 + 2.5 + 1 = 6 added up
    plan = pd.DataFrame({"candidate_id": ["s1", "s2", "s3"], "workstream": "chargers",
                         "substation_id": "Q", "peak_kw_added": [7.0, 7.0, 7.0],
                         "selected": False, "tco2e_per_yr": [2.5, 2.5, 1.0],
                         "demand_covered": [10.0, 10.0, 4.0]})
    limits = pd.DataFrame({"substation_id": ["Q"], "year": [2030], "headroom_kw": [0.0]})
    reach = {"s1": {"p1"}, "s2": {"p1"}, "s3": {"p2"}}
    evs = {"p1": 10.0, "p2": 4.0}

    def shared(ids):
        return sum(evs[p] for p in set().union(*(reach[i] for i in ids)))

    once = grid_evidence(plan, limits, [2030], shared=shared).table
    summed = grid_evidence(plan, limits, [2030]).table
    assert _row(once, "Q", 2030)["blocked_tco2e_per_yr"] == pytest.approx(3.5)
    assert _row(once, "Q", 2030, "chargers")["blocked_tco2e_per_yr"] == pytest.approx(3.5)
    assert _row(summed, "Q", 2030)["blocked_tco2e_per_yr"] == pytest.approx(6.0)
    assert _row(once, "Q", 2030)["blocked_kw"] == pytest.approx(21.0)  # loads still add up


@pytest.mark.parametrize(("accounting", "bound"), [("on_top", "upper bound"),
                                                    ("base_year", "lower bound")])
def test_the_evidence_says_how_to_read_it(accounting: str, bound: str) -> None:
    from types import SimpleNamespace

    from geoplan.planning.grid_report import reading_notes

    scenario = SimpleNamespace(grid=SimpleNamespace(accounting=accounting))
    wanted, basis = reading_notes(scenario)  # type: ignore[arg-type]
    assert "not a shortfall of the plan" in wanted
    assert f"grid.accounting: {accounting}" in basis
    assert bound in basis
