"""Grid rules of a plan (geoplan.planning.headroom): scenario names per publisher, levels
without figures, the power factor and the accounting basis, on a tiny grid built in code.

The grid: GSP G1 -> BSP B1 -> primaries P1, P2 (an SSEN-style report: minimum, CT, LW and SP
rows, winter, 2023 and 2030); GSP G2 -> primary P3 (a snapshot file: one 'published' annual
peak figure of 2023); GSP G3 serves nothing. Zones z1, z2, z3 are served by P1, P2, P3. The
plan's milestones are 2025 and 2030.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pandas as pd
import pytest

from geoplan.assumptions import AssumptionSet
from geoplan.errors import LayerSchemaError, ScenarioError
from geoplan.planning.headroom import choose_figures, mva_to_kw, power_factor, scenario_names
from geoplan.planning.solve import grid_limits, grid_tables, headroom_gaps, reinforcement_options
from geoplan.scenario import load_scenario
from geoplan.scenario.models import GridSection, PlanSection, ReinforcementSection
from geoplan.scenario.tables import known_tables
from geoplan.sources import read_grid
from tests.conftest import real_file

SSEN = {  # substation -> scenario -> (MVA in 2023, MVA in 2030)
    "P1": {"minimum": (1.5, 0.5), "CT": (4.0, 2.0), "LW": (3.0, 1.0), "SP": (4.5, 3.5)},
    "P2": {"minimum": (2.5, 1.5), "CT": (6.0, 5.0), "LW": (5.0, 4.0), "SP": (6.5, 6.0)},
    "B1": {"minimum": (8.0, 4.0), "CT": (12.0, 9.0), "LW": (10.0, 6.0), "SP": (13.0, 12.0)},
}
LEVELS = {"G1": "gsp", "G2": "gsp", "G3": "gsp", "B1": "bsp", "P1": "primary",
          "P2": "primary", "P3": "primary"}
PARENTS = {"B1": "G1", "P1": "B1", "P2": "B1", "P3": "G2"}


def _headroom(extra: list[tuple] | None = None) -> pd.DataFrame:
    rows = [(sub, name, year, "winter", mva) for sub, names in SSEN.items()
            for name, figures in names.items() for year, mva in zip((2023, 2030), figures,
                                                                   strict=True)]
    rows.append(("P3", "published", 2023, "peak", 5.0))
    rows += extra or []
    frame = pd.DataFrame(rows, columns=["substation_id", "scenario", "year", "season",
                                        "headroom_mva"])
    return frame.astype({"year": "Int64"})


def _layers(headroom: pd.DataFrame | None = None) -> SimpleNamespace:
    graph = nx.DiGraph()
    graph.add_nodes_from(LEVELS)
    graph.add_edges_from((parent, child) for child, parent in PARENTS.items())
    subs = pd.DataFrame({"substation_id": list(LEVELS), "level": list(LEVELS.values())})
    zones = pd.DataFrame({"zone_id": ["z1", "z2", "z3"], "substation_id": ["P1", "P2", "P3"]})
    return SimpleNamespace(substations=subs, headroom=_headroom() if headroom is None
                           else headroom, grid=graph, zones=zones)


def _scenario(**grid: object) -> SimpleNamespace:
    grid.setdefault("unconstrained_levels", ["gsp"])
    return SimpleNamespace(grid=GridSection(**grid), plan=PlanSection(years=[2025, 2030],
                                                                      horizon=2030))


def _assumptions(factor: float) -> AssumptionSet:
    change = {"table": "grid_units", "where": {"item": "power_factor"},
              "values": {"value": factor}, "source": "test"}
    return AssumptionSet(known_tables(), overrides=[change])


def _kw(limits: pd.DataFrame) -> dict[tuple[str, int], float]:
    return {(s, int(y)): round(float(kw), 6) for s, y, kw in
            limits[["substation_id", "year", "headroom_kw"]].itertuples(index=False)}


# --- scenario names ------------------------------------------------------------------------

def test_each_substation_takes_its_own_files_name_for_the_planning_scenario() -> None:
    limits = _kw(grid_limits(_scenario(scenario="CT"), _layers(), _assumptions(1.0)))
    # P1 CT: 2025 uses the 2023 figure 4.0 MVA, 2030 its own 2.0; P3 the snapshot 5.0 always
    assert limits == {("B1", 2025): 12000.0, ("B1", 2030): 9000.0,
                      ("P1", 2025): 4000.0, ("P1", 2030): 2000.0,
                      ("P2", 2025): 6000.0, ("P2", 2030): 5000.0,
                      ("P3", 2025): 5000.0, ("P3", 2030): 5000.0}
    gaps = headroom_gaps(_scenario(scenario="CT"), _layers(), _assumptions(1.0))
    assert dict(gaps.names) == {"CT": 3, "published": 1}
    assert gaps.snapshot == ("P3",)
    assert gaps.peak_only == ("P3",)
    notes = " ".join(gaps.notes())
    assert "published snapshot" in notes
    assert "every plan year" in notes
    assert "annual peak only" in notes


def test_scenario_names_replace_a_publishers_name() -> None:
    layers = _layers()
    # planning scenario CT, but the scenario maps SSEN files to their LW rows
    limits = _kw(grid_limits(_scenario(scenario="CT", scenario_names={"ssen": "LW"}), layers,
                             _assumptions(1.0)))
    assert limits[("P1", 2025)] == 3000.0
    assert limits[("P1", 2030)] == 1000.0
    assert limits[("P3", 2030)] == 5000.0  # the snapshot still applies


@pytest.mark.parametrize(("planning", "name"), [
    ("LW", "LTW"), ("LW", "Holistic Transition"), ("SP", "FS"), ("best_view", "Best View"),
    # labels confirmed in the publishers' data (see dfes_scenarios.csv and the readers)
    ("best_view", "NPg Reference Scenario"), ("best_view", "NPg Best View"),
    ("CT", "Consumer Transformation"), ("LW", "Leading The Way"), ("SP", "Falling Short"),
    ("SP", "Steady Progression"),
    ("CT", "Electric Engagement"), ("SP", "Counterfactual"), ("LW", "HT"),
])
def test_other_publishers_names_are_found_from_the_default_table(planning: str,
                                                                 name: str) -> None:
    # a primary of another DNO, P4 under G2, whose file names the scenario its own way
    extra = [("P4", name, 2023, "winter", 7.0), ("P4", "Something else", 2023, "winter", 1.0)]
    layers = _layers(_headroom(extra))
    layers.substations = pd.concat([layers.substations, pd.DataFrame(
        {"substation_id": ["P4"], "level": ["primary"]})], ignore_index=True)
    layers.grid.add_edge("G2", "P4")
    limits = _kw(grid_limits(_scenario(scenario=planning), layers, _assumptions(1.0)))
    assert limits[("P4", 2025)] == 7000.0


@pytest.mark.parametrize(("planning", "label"), [
    ("ST", "System Transformation"), ("ST", "Hydrogen Evolution"), ("ST", "HE"),
    ("best_view", "npg reference scenario"), ("SP", " Falling Short ")])
def test_published_labels_need_no_scenario_names(planning: str, label: str) -> None:
    table, _ = grid_tables()
    frame = pd.DataFrame({"substation_id": ["X", "X"], "scenario": [label, "Other"],
                          "year": pd.array([2030, 2030], dtype="Int64"),
                          "season": ["peak", "peak"], "headroom_mva": [3.0, 9.0]})
    chosen = choose_figures(frame, planning, "winter", scenario_names(planning, table))
    assert chosen.rows["headroom_mva"].tolist() == [3.0]
    assert dict(chosen.names)["X"].casefold() == label.strip().casefold()


def test_the_default_table_names_every_publishers_scenarios() -> None:
    table, factor = grid_tables()
    assert scenario_names("LW", table) == {"ssen": "LW", "northern-powergrid": "LTW",
                                           "northern-powergrid-dfes-2023": "Leading The Way",
                                           "fes-2020-2023": "Leading the Way",
                                           "neso-fes-2024": "Holistic Transition",
                                           "neso-fes-2024-codes": "HT",
                                           "snapshot": "published"}
    assert set(scenario_names("best_view", table).values()) == {
        "CT", "Best View", "NPg Best View", "NPg Reference Scenario", "published"}
    assert scenario_names("minimum", table, {"nged": "published"})["nged"] == "published"
    assert scenario_names("my own", table) == {"plan": "my own"}  # not in the table: itself
    assert set(table["source"].str.len() > 40) == {True}
    assert factor == 0.95


def test_two_names_at_one_substation_are_refused() -> None:
    extra = [("P1", "Electric Engagement", 2023, "winter", 9.0)]
    with pytest.raises(LayerSchemaError, match=r"P1: \['ct', 'electric engagement'\].*"
                       r"grid\.scenario_names"):
        grid_limits(_scenario(scenario="CT"), _layers(_headroom(extra)))


def test_a_planning_scenario_no_file_names_is_refused_listing_the_names() -> None:
    layers = _layers(_headroom()[lambda f: f["scenario"] != "published"])
    with pytest.raises(LayerSchemaError, match=r"no headroom under any name of planning "
                       r"scenario 'ST'.*\['CT', 'LW', 'SP', 'minimum'\]"):
        grid_limits(_scenario(scenario="ST"), layers)


# --- a level without figures -----------------------------------------------------------------

def test_a_level_without_figures_on_a_served_chain_stops_the_run() -> None:
    with pytest.raises(LayerSchemaError, match=r"level\(s\) \['gsp'\].*\(gsp: G1, G2\).*"
                       r"grid\.unconstrained_levels: \[gsp\]"):
        grid_limits(_scenario(unconstrained_levels=[]), _layers())


def test_a_listed_level_is_left_unconstrained_and_reported() -> None:
    scenario = _scenario(scenario="CT", unconstrained_levels=["gsp"])
    limits = grid_limits(scenario, _layers())
    assert not limits["substation_id"].str.startswith("G").any()
    facts = headroom_gaps(scenario, _layers()).to_dict()
    # G3 serves nothing: it is on no served chain, so it is not listed
    assert facts["unconstrained_at"] == ["G1", "G2"]
    assert facts["unconstrained_levels"] == ["gsp"]
    assert facts["constrained_levels"] == {"bsp": 1, "primary": 3}
    assert facts["constrained_at"] == ["B1", "P1", "P2", "P3"]


def test_a_home_in_no_zone_puts_no_substation_on_a_chain() -> None:
    # G3 serves nothing but a home that lies in no zone: no workstream plans that home, so
    # G3 stays off every chain (a home in a zone has its zone's substation); a site that G3
    # serves puts it on one
    scenario = _scenario(scenario="CT", unconstrained_levels=["gsp"])
    layers = _layers()
    layers.buildings = pd.DataFrame({"zone_id": [None], "substation_id": ["G3"]})
    assert headroom_gaps(scenario, layers).to_dict()["unconstrained_at"] == ["G1", "G2"]
    layers.sites = pd.DataFrame({"site_id": ["s1"], "substation_id": ["G3"]})
    assert headroom_gaps(scenario, layers).to_dict()["unconstrained_at"] == ["G1", "G2", "G3"]


def test_a_level_without_figures_off_every_chain_needs_no_listing() -> None:
    # no zone below G2 or G3 and the G1 chain's GSP given a figure: no level is bare on a chain
    layers = _layers(_headroom([("G1", "CT", 2023, "winter", 50.0)]))
    layers.zones = layers.zones[layers.zones["substation_id"] != "P3"]
    limits = _kw(grid_limits(_scenario(scenario="CT", unconstrained_levels=[]), layers,
                             _assumptions(1.0)))
    assert limits[("G1", 2030)] == 50000.0


# --- units --------------------------------------------------------------------------------------

def test_the_power_factor_scales_every_mva_figure_once() -> None:
    at_one = _kw(grid_limits(_scenario(scenario="CT"), _layers(), _assumptions(1.0)))
    at_95 = _kw(grid_limits(_scenario(scenario="CT"), _layers(), _assumptions(0.95)))
    # 4.0 MVA x 0.95 = 3.8 MW = 3800 kW; 2.0 -> 1900; the snapshot 5.0 -> 4750
    assert at_95[("P1", 2025)] == 3800.0
    assert at_95[("P1", 2030)] == 1900.0
    assert at_95[("P3", 2025)] == 4750.0
    assert all(at_95[k] == pytest.approx(0.95 * v) for k, v in at_one.items())


def test_reinforcement_capacity_uses_the_same_power_factor() -> None:
    scenario = SimpleNamespace(
        grid=GridSection(reinforcement=ReinforcementSection(enabled=True)),
        plan=PlanSection(years=[2025, 2030]))
    layers = SimpleNamespace(substations=pd.DataFrame({"substation_id": ["p1"],
                                                       "level": ["primary"]}))
    table = pd.DataFrame({"level": ["primary"], "capacity_mva": [10.0],
                          "cost_gbp_per_mva": [150_000.0], "lead_time_years": [5.0]})
    options = reinforcement_options(scenario, layers, table, 0.95)
    assert list(options["capacity_kw"]) == [9500.0]  # 10 MVA x 0.95 x 1000
    assert list(options["cost_gbp"]) == [1_500_000.0]  # cost stays per MVA


@pytest.mark.parametrize("bad", [0.0, 1.2])
def test_a_power_factor_outside_zero_to_one_is_refused(bad: float) -> None:
    units = pd.DataFrame({"item": ["power_factor"], "value": [bad]})
    with pytest.raises(LayerSchemaError, match=r"outside \(0, 1\]"):
        power_factor(units)
    assert mva_to_kw(2.0, 0.5) == 1000.0


# --- accounting -----------------------------------------------------------------------------

def test_base_year_accounting_plans_against_the_first_published_year() -> None:
    on_top = _kw(grid_limits(_scenario(scenario="CT"), _layers(), _assumptions(1.0)))
    base = _kw(grid_limits(_scenario(scenario="CT", accounting="base_year"), _layers(),
                           _assumptions(1.0)))
    # on top: each year's scenario headroom; base year: the 2023 figure for every milestone
    assert (on_top[("P1", 2030)], base[("P1", 2030)]) == (2000.0, 4000.0)
    assert (on_top[("B1", 2030)], base[("B1", 2030)]) == (9000.0, 12000.0)
    assert base[("P1", 2025)] == on_top[("P1", 2025)] == 4000.0
    facts = headroom_gaps(_scenario(accounting="base_year"), _layers()).to_dict()
    assert facts["grid_accounting"] == "base_year"
    assert facts["grid_power_factor"] == 0.95


# --- scenario keys -----------------------------------------------------------------------------

def _grid(folder: Path, grid: dict[str, object]) -> object:
    path = folder / "scenario.yaml"  # JSON is YAML
    path.write_text(json.dumps({"name": "t", "inputs": {"sample": "small"}, "grid": grid}),
                    encoding="utf-8")
    return load_scenario(path)


def test_grid_keys_load_and_are_validated(tmp_path: Path) -> None:
    loaded = _grid(tmp_path, {"unconstrained_levels": ["gsp", "bsp"],
                              "accounting": "base_year",
                              "scenario_names": {"ssen": "CT", "nged": "published"}}).grid
    assert loaded.unconstrained_levels == ["gsp", "bsp"]
    assert (loaded.accounting, loaded.scenario_names["nged"]) == ("base_year", "published")
    default = _grid(tmp_path, {}).grid
    assert (default.accounting, default.unconstrained_levels) == ("on_top", [])
    for bad, key in (({"accounting": "twice"}, "accounting"),
                     ({"unconstrained_levels": ["county"]}, "unconstrained_levels"),
                     ({"unconstrained_levels": ["gsp", "gsp"]}, "more than once"),
                     ({"scenario_names": {"ssen": ""}}, "scenario_names")):
        with pytest.raises(ScenarioError, match=key):
            _grid(tmp_path, bad)


# --- real files -------------------------------------------------------------------------------

@pytest.mark.parametrize("planning", ["minimum", "CT", "LW"])
def test_the_real_nged_snapshot_stands_for_every_planning_scenario(real_data: Path,
                                                                    planning: str) -> None:
    grid = read_grid(real_file(real_data, "grid/nged-capacity-map-2023-02-28.csv"))
    table, _ = grid_tables()
    choice = choose_figures(grid.headroom, planning, "winter", scenario_names(planning, table))
    published = grid.headroom[grid.headroom["scenario"] == "published"]
    assert set(choice.names.values()) == {"published"}
    assert set(choice.names) == set(published["substation_id"].astype(str))
    # one annual peak figure per substation: a snapshot, used for winter
    assert set(choice.snapshot) == set(choice.peak_only) == set(choice.names)
    assert set(choice.rows["season"]) == {"winter"}
    assert set(choice.rows["scenario"]) == {planning}


def test_the_real_sepd_report_gives_each_planning_scenario_its_ssen_row(
        real_data: Path) -> None:
    grid = read_grid(real_file(real_data, "grid/sepd-network-headroom-report.xlsx"))
    table, _ = grid_tables()
    for planning, name in (("minimum", "minimum"), ("LW", "LW"), ("SP", "SP"),
                           ("best_view", "CT")):
        choice = choose_figures(grid.headroom, planning, "winter",
                                scenario_names(planning, table))
        expected = grid.headroom[(grid.headroom["scenario"] == name)
                                 & (grid.headroom["season"] == "winter")]
        assert set(choice.names.values()) == {name}
        assert len(choice.rows) == len(expected)
        assert choice.snapshot == ()


# --- DNOs judged on different bases ----------------------------------------------------------

def _two_dno_layers() -> SimpleNamespace:
    """The tiny grid with G1, B1, P1, P2 as SSEN's (yearly scenarios) and G2, P3 as NGED's."""
    layers = _layers()
    dno = {"G1": "SSEN", "B1": "SSEN", "P1": "SSEN", "P2": "SSEN", "G2": "NGED",
           "P3": "NGED", "G3": None}
    layers.substations = layers.substations.assign(dno=layers.substations["substation_id"]
                                                   .map(dno))
    return layers


def test_two_dnos_on_different_bases_are_said_in_the_summary_and_the_evidence() -> None:
    from geoplan.outputs.run_summary import _with_bases

    gaps = headroom_gaps(_scenario(scenario="minimum"), _two_dno_layers(), _assumptions(1.0))
    bases = gaps.to_dict()["grid_basis_by_dno"]
    # SSEN: B1, P1, P2 carry 'minimum' rows for 2023 and 2030; NGED: P3's one 2023 'published'
    assert bases == {
        "NGED": "one published snapshot applied unchanged to every plan year ('published' "
                "figures, 1 substation)",
        "SSEN": "the lowest of its DFES scenarios in each plan year ('minimum' figures, 3 "
                "substations)"}
    said = gaps.notes()[0]
    assert said.startswith("The DNOs are judged on different bases: NGED on one published "
                           "snapshot")
    assert "SSEN on the lowest of its DFES scenarios in each plan year" in said
    section = _with_bases({"statements": ["blocked"], "substations": []}, gaps, ["other"])
    assert section["statements"] == [said, "blocked"]
    # the layers' serving plausibility warning follows it, other warnings stay out
    doubt = "serving: plausibility: 1 of 3 primary substations serving zones are implausible"
    section = _with_bases({"statements": ["blocked"], "substations": []}, gaps,
                          ["other", doubt])
    assert section["statements"] == [said, doubt, "blocked"]


def test_dnos_on_one_basis_or_one_dno_say_nothing_more() -> None:
    layers = _two_dno_layers()
    one = _layers()  # no dno column, plain ids: one grid
    assert "grid_basis_by_dno" not in headroom_gaps(_scenario(scenario="minimum"), one,
                                                   _assumptions(1.0)).to_dict()
    # both DNOs on yearly figures: P3 given a 2030 row as well is no snapshot any more
    yearly = _headroom([("P3", "published", 2030, "peak", 4.0)])
    layers.headroom = yearly
    gaps = headroom_gaps(_scenario(scenario="CT", scenario_names={"nged": "published"}),
                         layers, _assumptions(1.0))
    assert gaps.snapshot == ()
    notes = " ".join(gaps.notes())
    assert "different bases" not in notes
