import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from shapely.geometry import Point, box

from geoplan.errors import ScenarioError, SourceFormatError
from geoplan.forked import start
from geoplan.layers.prepare import PreparedLayers
from geoplan.optimise import Budget, PlanningProblem
from geoplan.workstreams.loft import loft_ratio, read_loft_insulation
from geoplan.workstreams.measures import measure_matrices, read_retrofit_measures
from geoplan.workstreams.retrofit import (
    RetrofitSettings,
    home_options,
    retrofit_candidates,
    retrofit_model,
)
from geoplan.workstreams.retrofit_packages import home_packages
from geoplan.workstreams.savings import (
    SWITCH_COLUMNS,
    read_heat_loads,
    read_standing_charges,
    relieved_kw,
    switch_effects,
)

MEASURE_COLUMNS = ["measure", "property_type", "kind", "cost_fixed_gbp", "cost_per_m2_gbp",
                   "saving_share", "sap_points", "lifetime_years", "wall_types", "age_bands",
                   "main_fuels", "exclusive_group", "condition", "new_fuel", "scop", "source"]
FUELS = "mains gas;oil;electricity"
# Simple numbers so that every package can be worked out by hand.
MEASURES = [
    ["loft_insulation", "house", "fabric", 100, 0, 0.1, 4, 40, "any", "any", "any", "",
     "roof_insulation_mm < 150", "", "", "test"],
    ["cavity_wall", "any", "fabric", 500, 0, 0.2, 8, 40, "cavity", "any", "any", "",
     "wall_insulated == False", "", "", "test"],
    ["solid_wall_internal", "any", "fabric", 3000, 0, 0.25, 10, 30, "solid", "any", "any",
     "solid_wall", "wall_insulated == False", "", "", "test"],
    ["solid_wall_external", "any", "fabric", 5000, 0, 0.3, 12, 30, "solid", "any", "any",
     "solid_wall", "wall_insulated == False", "", "", "test"],
    ["glazing", "any", "fabric", 1000, 10, 0.05, 3, 30, "any", "any", "any", "",
     "glazing == single", "", "", "test"],
    ["air_source_heat_pump", "any", "heating", 8000, 0, 0.0, 5, 20, "any", "any", FUELS, "",
     "heating_system != heat pump", "electricity", 3.0, "test"],
    ["heat_network_connection", "any", "heating", 3000, 0, 0.0, 2, 40, "any", "any", FUELS,
     "", "heating_system != heat pump", "heat_network", 1.0, "test"],
]


def write_measures(folder: Path, rows=MEASURES, name="retrofit_measures.csv") -> Path:
    path = folder / name
    pd.DataFrame(rows, columns=MEASURE_COLUMNS).to_csv(path, index=False)
    return path


def yearly(values: dict[str, float], column: str) -> pd.DataFrame:
    return pd.DataFrame({"year": [2030] * len(values), "fuel": list(values),
                         column: list(values.values()), "source": "test"})


CARBON = yearly({"mains_gas": 0.2, "electricity": 0.1, "oil": 0.25, "heat_network": 0.05},
                "kgco2e_per_kwh")
PRICES = yearly({"mains_gas": 7.0, "electricity": 28.0, "oil": 6.0, "heat_network": 10.0},
                "pence_per_kwh")
# 30 p/day of gas is 109.50 GBP a year, 50 p/day of heat network 182.50.
STANDING = pd.DataFrame({"fuel": ["mains_gas", "heat_network"], "pence_per_day": [30.0, 50.0],
                         "source": "test"})


def homes() -> gpd.GeoDataFrame:
    rows = [
        # h1: gas house, unfilled cavity, 50 mm loft, single glazing, SAP 60 (D).
        ("h1", "Z1", 60, "house", 100, "mains gas", "mains gas", 16800, "owner-occupied",
         "cavity", False, 50, "single"),
        # h2: oil flat, solid uninsulated walls, SAP 50 (E), private rented: fuel poor proxy.
        ("h2", "Z1", 50, "flat", 50, "oil", "oil", 9800, "private rented", "solid", False,
         np.nan, "double"),
        # h3: already band C and on a heat pump: nothing to do.
        ("h3", "Z2", 75, "house", 90, "electricity", "heat pump", 6000, "owner-occupied",
         "cavity", True, 300, "double"),
        # h4: storage heaters, unfilled cavity, good loft, SAP 66 (D).
        ("h4", "Z2", 66, "house", 80, "electricity", "electricity", 8000, "social rented",
         "cavity", False, 300, "double"),
    ]
    columns = ["building_id", "zone_id", "sap_score", "property_type", "floor_area_m2",
               "main_fuel", "heating_system", "heat_demand_kwh", "tenure", "wall_type",
               "wall_insulated", "roof_insulation_mm", "glazing"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["wall_insulated"] = frame["wall_insulated"].astype("boolean")
    frame["storage_heaters"] = pd.array([False, False, False, True], dtype="boolean")
    frame["age_band"] = "1950-1966"
    points = [Point(5, 5), Point(6, 5), Point(15, 5), Point(16, 5)]
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:27700")


def zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"zone_id": ["Z1", "Z2"], "zone_name": ["North 1", "South 2"],
                             "district_id": ["D1", "D2"], "district_name": ["N", "S"],
                             "substation_id": ["P1", "P2"]},
                            geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs="EPSG:27700")


# One row: a top-up from any depth saves what insulating a bare loft saves, so the loft row's
# simple numbers above hold for every home (the depth scaling is tested on its own below).
LOFT_ANY_DEPTH = pd.DataFrame({"depth_mm": [0.0], "u_value_w_m2k": [2.3],
                               "u_after_w_m2k": [0.16], "source": "test"})


@pytest.fixture
def tables(tmp_path):
    return {"retrofit_measures": read_retrofit_measures(write_measures(tmp_path)),
            "loft_insulation": LOFT_ANY_DEPTH, "carbon_factors": CARBON, "fuel_prices": PRICES,
            "standing_charges": STANDING}


def test_packages_by_hand(tables):
    p = home_packages(homes(), tables["retrofit_measures"])
    # h1 needs 9 SAP points for C (69): loft+cavity (4+8, 600) beats cavity+glazing
    # (8+3, 500+1000+10*100=2500); heat pump ready needs heat <= 150 kWh/m2 from 168:
    # cavity (x0.8 -> 134.4) is the cheapest ready set and 60+8+5 = 73 reaches C too.
    assert p.loc[0, "target_measures"] == "loft_insulation+cavity_wall"
    assert p.loc[0, "target_cost_gbp"] == pytest.approx(600)
    assert p.loc[0, "target_sap"] == pytest.approx(72)
    assert p.loc[0, "target_saving_share"] == pytest.approx(1 - 0.9 * 0.8)
    assert p.loc[0, "hp_measures"] == "cavity_wall+air_source_heat_pump"
    assert p.loc[0, "hp_cost_gbp"] == pytest.approx(8500)
    # h2 (flat: no loft row) cannot reach C: 50+12 = 62 at best. Heat pump: 196 kWh/m2
    # needs x0.765 -> internal wall insulation (x0.75, 3000) + heat pump 8000.
    assert not p.loc[1, "reaches_target"]
    assert p.loc[1, "target_measures"] == ""
    assert p.loc[1, "hp_cost_gbp"] == pytest.approx(11000)
    assert not p.loc[1, "hp_reaches_target"]  # 50 + 10 + 5 = 65
    # h3 is already C and has a heat pump; h4 needs cavity only (66+8 = 74), and is heat
    # pump ready as it is (100 kWh/m2) with 66+5 = 71 >= 69.
    assert not p.loc[2, "needs_work"]
    assert not p.loc[2, "hp_applicable"]
    assert p.loc[3, "target_measures"] == "cavity_wall"
    assert p.loc[3, "hp_measures"] == "air_source_heat_pump"
    assert p.loc[3, "hp_cost_gbp"] == pytest.approx(8000)


def test_home_effects_by_hand(tables):
    o = home_options(homes(), RetrofitSettings(trajectory_years=(2030,)), tables=tables)
    o = o.set_index(["home", "option"])
    # h1 fabric: saves 16800 * 0.28 = 4704 kWh heat = 4704 / 0.84 = 5600 kWh gas
    # -> 5600 * 0.2 / 1000 = 1.12 t and 5600 * 7 / 100 = 392 GBP.
    assert o.loc[(0, "fabric"), "tco2e_per_yr"] == pytest.approx(1.12)
    assert o.loc[(0, "fabric"), "bill_change_gbp_per_yr"] == pytest.approx(392)
    # h1 heat pump: 16800 / 0.84 = 20000 kWh gas (4 t, 1400 GBP) becomes
    # 16800 * 0.8 / 3 = 4480 kWh electricity (0.448 t, 1254.40 GBP); the home leaves gas
    # and saves its standing charge, 365 * 30 / 100 = 109.50 GBP.
    assert o.loc[(0, "heat_pump"), "tco2e_per_yr"] == pytest.approx(4 - 0.448)
    assert o.loc[(0, "heat_pump"), "standing_change_gbp_per_yr"] == pytest.approx(109.5)
    assert o.loc[(0, "heat_pump"), "bill_change_gbp_per_yr"] == pytest.approx(
        1400 - 1254.4 + 109.5)
    assert o.loc[(0, "fabric"), "standing_change_gbp_per_yr"] == 0  # still on gas
    assert o.loc[(0, "heat_pump"), "peak_kw_added"] == pytest.approx(1.7)
    # h4 heat pump replaces storage heaters: 8000 kWh -> 8000 / 3 kWh electricity:
    # (8000 - 2666.67) * 0.1 / 1000 = 0.5333 t; storage heaters charge off-peak, so the
    # heat pump's 1.7 kW is all added at the evening peak (no 2.0 kW relief).
    assert o.loc[(3, "heat_pump"), "tco2e_per_yr"] == pytest.approx(5333.333 * 0.1 / 1000)
    assert o.loc[(3, "heat_pump"), "peak_kw_added"] == pytest.approx(1.7)
    assert (2, "fabric") not in o.index
    assert (2, "heat_pump") not in o.index


def test_only_direct_acting_electric_heating_relieves_the_evening_peak():
    loads = pd.DataFrame({"load": ["heat_pump", "electric_resistance", "storage_heaters"],
                          "kw_per_home": [1.7, 2.0, 0.0], "source": "test"})
    three = pd.DataFrame({
        "heating_system": ["electricity", "electricity", "electricity", "mains gas"],
        "storage_heaters": pd.array([False, True, None, False], dtype="boolean"),
        "heat_demand_kwh": [6000.0, 6000.0, 6000.0, 6000.0]})
    # direct-acting heaters free 2.0 kW; storage heaters (off-peak) and heaters of unknown
    # kind free 0; a gas boiler frees none either.
    assert relieved_kw(three, loads).tolist() == [2.0, 0.0, 0.0, 0.0]
    effects = switch_effects(three, np.zeros(4), year=2030, carbon=CARBON, prices=PRICES,
                             loads=loads, new_fuel="electricity", scop=3.0, load="heat_pump")
    assert effects["peak_kw_added"].tolist() == pytest.approx([1.7 - 2.0, 1.7, 1.7, 1.7])
    # without the column (e.g. Census archetypes) no electric home is credited
    assert relieved_kw(three.drop(columns="storage_heaters"), loads).tolist() == [0.0] * 4
    # the shipped table: storage heaters relieve nothing, direct-acting heaters something
    shipped = read_heat_loads()
    assert relieved_kw(three, shipped)[1] == 0.0
    assert relieved_kw(three, shipped)[0] > 0.0


@pytest.mark.parametrize("switch", [False, True])
def test_switch_effects_read_only_the_columns_they_name(switch: bool) -> None:
    # a caller may pass SWITCH_COLUMNS alone (LAEP's heat networks do): the same effects
    loads = pd.DataFrame({"load": ["heat_pump", "electric_resistance", "storage_heaters"],
                          "kw_per_home": [1.7, 2.0, 0.0], "source": "test"})
    home = homes().assign(heating_system=["electricity", "mains gas", "oil", "electricity"],
                          storage_heaters=pd.array([False, None, False, True], dtype="boolean"),
                          heat_demand_kwh=[6000.0, 9800.0, 12000.0, 4000.0])
    kwargs = {"year": 2030, "carbon": CARBON, "prices": PRICES, "loads": loads,
              "years": [2040]}
    if switch:
        kwargs.update(new_fuel="electricity", scop=3.0, load="heat_pump")
    share = np.array([0.1, 0.0, 0.25, 0.5])
    named = [c for c in SWITCH_COLUMNS if c in home.columns]
    assert set(named) == set(SWITCH_COLUMNS)
    full = switch_effects(home, share, **kwargs)
    assert_frame_equal(switch_effects(home[named], share, **kwargs), full)
    # each column named is read: without it the effects differ (the heat demand is required)
    for column in ("heating_system", *(["storage_heaters"] if switch else [])):  # the peak
        assert not switch_effects(home.drop(columns=column), share, **kwargs).equals(full)
    with pytest.raises(KeyError, match="heat_demand_kwh"):
        switch_effects(home.drop(columns="heat_demand_kwh"), share, **kwargs)


def test_zone_candidates_by_hand(tables):
    c = retrofit_candidates(homes(), zones(), tables=tables).set_index("candidate_id")
    z1 = c.loc["retrofit:Z1:heat_pump"]
    # h1 8500 + h2 11000; carbon h1 3.552 + h2 (9800 / 0.84 * 0.25 - 7350 / 3 * 0.1) / 1000.
    assert z1["cost_gbp"] == pytest.approx(19500)
    assert z1["tco2e_per_yr"] == pytest.approx(3.552 + (11666.667 * 0.25 - 2450 * 0.1) / 1000)
    assert (z1["homes"], z1["homes_to_target"], z1["fuel_poor_homes"]) == (2, 1, 1)
    assert z1["peak_kw_added"] == pytest.approx(3.4)
    assert z1["group_id"] == "retrofit:Z1"
    assert z1["substation_id"] == "P1"
    assert z1["label"] == "Retrofit: North 1 (heat pump ready + air-source heat pump)"
    z2 = c.loc["retrofit:Z2:fabric"]
    # h4 cavity: 8000 * 0.2 = 1600 kWh electricity saved: 0.16 t, 448 GBP, 0 kW.
    assert (z2["cost_gbp"], z2["homes"], z2["homes_to_target"]) == (500, 1, 1)
    assert z2["tco2e_per_yr"] == pytest.approx(0.16)
    assert z2["saving_gbp_per_yr"] == pytest.approx(448)
    assert z2["peak_kw_added"] == 0
    assert z2["lifetime_years"] == pytest.approx(40)
    assert z2["district_id"] == "D2"
    assert c.crs == "EPSG:27700"


def test_min_homes_and_per_home_unit(tables):
    c = retrofit_candidates(homes(), zones(), RetrofitSettings(min_homes=2), tables=tables)
    assert list(c["candidate_id"]) == ["retrofit:Z1:heat_pump"]
    h = retrofit_candidates(homes(), zones(), RetrofitSettings(unit="home"), tables=tables)
    assert set(h["group_id"]) == {"retrofit:h1", "retrofit:h2", "retrofit:h4"}
    row = h.set_index("candidate_id").loc["retrofit:h1:fabric"]
    assert row["cost_gbp"] == pytest.approx(600)
    assert row["geometry"].equals(Point(5, 5))
    assert row["measures"] == "loft_insulation+cavity_wall"


def _random_homes(seed: int, n: int = 150) -> pd.DataFrame:
    """Gas-heated homes with random SAP, type, size, walls, loft, glazing and age."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "sap_score": rng.integers(20, 80, n).astype(float),
        "property_type": rng.choice(["house", "bungalow", "flat"], n),
        "floor_area_m2": rng.uniform(40, 160, n), "heat_demand_kwh": rng.uniform(5e3, 3e4, n),
        "wall_type": rng.choice(["cavity", "solid", "timber frame"], n),
        "wall_insulated": pd.array(rng.choice([True, False], n), dtype="boolean"),
        "roof_insulation_mm": rng.choice([0.0, 100.0, 270.0], n),
        "glazing": rng.choice(["single", "double"], n),
        "age_band": rng.choice(["before 1900", "1950-1966", "2012 onwards"], n),
        "main_fuel": "mains gas", "heating_system": "mains gas"})


def test_target_package_is_cheapest_by_brute_force():
    table = read_retrofit_measures()
    frame = _random_homes(7)
    packages = home_packages(frame, table)
    needing = packages["needs_work"] & packages["reaches_target"]
    assert needing.sum() >= 10
    assert (~packages["reaches_target"]).sum() >= 3
    fabric = table[table["kind"] == "fabric"]
    for i, home in frame.iterrows():
        best = _brute_force(home, fabric)
        got = packages.loc[i, "target_cost_gbp"]
        if best is None:
            assert not packages.loc[i, "reaches_target"]
        else:
            assert got == pytest.approx(best), f"home {i}"


def test_packages_in_blocks_equal_one_block_and_warn_once(monkeypatch, caplog):
    # the measure matrices are built for blocks of homes: blocks of 16 give the same table
    # as one block, the median floor area still comes from every home, and a missing
    # column is warned about once, not once per block
    import geoplan.workstreams.retrofit_packages as packages

    table = read_retrofit_measures()
    frame = _random_homes(11).drop(columns=["glazing"])
    missing_area = np.random.default_rng(12).random(len(frame)) < 0.1
    frame["floor_area_m2"] = frame["floor_area_m2"].where(~missing_area)
    whole = home_packages(frame, table)
    monkeypatch.setattr(packages, "BLOCK", 16)
    caplog.clear()
    with caplog.at_level("WARNING"):
        blocks = home_packages(frame, table)
    pd.testing.assert_frame_equal(blocks, whole, check_exact=True)
    assert whole["needs_work"].sum() >= 10
    missing = [r for r in caplog.records if "no 'glazing' column" in r.getMessage()]
    assert len(missing) == 1


@pytest.mark.parametrize(("heat_pump_ready", "later_at_target"),
                         [(True, False), (False, False), (True, True)])
def test_options_priced_in_two_processes_equal_one_pass(monkeypatch, caplog, heat_pump_ready,
                                                        later_at_target):
    # above one block of homes the later blocks are priced in a forked child: the table is
    # the one a single pass gives, to the last bit (fabric rows by home, then heat pumps;
    # ``home`` numbered over every home; the median floor area of every home for those
    # without one; the dtypes also when the later homes need no fabric, so their part has
    # no fabric row), and a missing column is warned about once, not once per process
    import geoplan.workstreams.retrofit as retrofit
    import geoplan.workstreams.retrofit_packages as packages

    frame = _random_homes(21).drop(columns=["glazing"])
    if later_at_target:
        frame.loc[frame.index[80:], "sap_score"] = 90.0
    frame["floor_area_m2"] = frame["floor_area_m2"].where(
        np.random.default_rng(22).random(len(frame)) >= 0.2)
    frame.loc[frame.index[-5:], "floor_area_m2"] = np.nan  # the later part lacks some too
    rng = np.random.default_rng(23)
    frame["tenure"] = rng.choice(["owner-occupied", "rented (social)"], len(frame))
    frame["dwellings"] = rng.integers(1, 4, len(frame)).astype(float)  # rows weighed by part
    settings = RetrofitSettings(heat_pump_ready=heat_pump_ready, trajectory_years=(2030,))
    monkeypatch.setattr(packages, "BLOCK", 16)
    forks = []
    monkeypatch.setattr(retrofit, "start", lambda work: forks.append(work) or start(work))
    caplog.clear()
    with caplog.at_level("WARNING"):
        split = home_options(frame, settings)
    missing = [r for r in caplog.records if "no 'glazing' column" in r.getMessage()]
    assert len(missing) == 1
    assert len(forks) == 1
    assert retrofit._cut(len(frame)) % 16 == 0
    monkeypatch.setattr(retrofit, "_cut", lambda homes: homes)  # no split: one pass
    whole = home_options(frame, settings)
    pd.testing.assert_frame_equal(split, whole, check_exact=True)
    later = split["home"].to_numpy() >= 80
    assert later.any()
    assert (~later).any()
    assert list(dict.fromkeys(split["option"])) == (["fabric", "heat_pump"] if heat_pump_ready
                                                    else ["fabric"])
    fabric_later = (split["option"] == "fabric").to_numpy() & later
    assert fabric_later.any() != later_at_target


def test_an_error_in_either_part_is_the_one_pass_error(monkeypatch):
    # the first homes burn oil and the later ones LPG, and neither has a price: each part
    # alone would name one fuel; the error names both, as one pass does
    import geoplan.workstreams.retrofit as retrofit
    import geoplan.workstreams.retrofit_packages as packages
    from geoplan.workstreams.energy import read_fuel_prices

    frame = _random_homes(24)
    frame["tenure"] = "owner-occupied"
    fuel = np.where(np.arange(len(frame)) < 80, "oil", "LPG")
    frame["main_fuel"], frame["heating_system"] = fuel, fuel
    prices = read_fuel_prices()
    tables = {"fuel_prices": prices[~prices["fuel"].isin(["oil", "lpg"])]}
    monkeypatch.setattr(packages, "BLOCK", 16)
    with pytest.raises(SourceFormatError) as split:
        home_options(frame, RetrofitSettings(), tables=tables)
    monkeypatch.setattr(retrofit, "_cut", lambda homes: homes)  # no split: one pass
    with pytest.raises(SourceFormatError) as whole:
        home_options(frame, RetrofitSettings(), tables=tables)
    assert str(split.value) == str(whole.value)
    assert "'oil'" in str(split.value)
    assert "'lpg'" in str(split.value)


def _brute_force(home: pd.Series, fabric: pd.DataFrame) -> float | None:
    """Every subset of the measures that apply, one per exclusive group, by plain Python."""
    usable = []
    for _, row in fabric.iterrows():
        rows = fabric[(fabric["measure"] == row["measure"])]
        chosen = rows[rows["property_type"] == home["property_type"]]
        if chosen.empty:
            chosen = rows[rows["property_type"] == "any"]
        if chosen.empty or chosen.index[0] != row.name:
            continue
        ok = row["wall_types"] in ("any", "") or home["wall_type"] in row["wall_types"].split(";")
        ok &= row["age_bands"] in ("any", "") or home["age_band"] in row["age_bands"].split(";")
        cond = row["condition"]
        if cond == "roof_insulation_mm < 150":
            ok &= home["roof_insulation_mm"] < 150
        elif cond == "wall_insulated == False":
            ok &= not home["wall_insulated"]
        elif cond == "glazing == single":
            ok &= home["glazing"] == "single"
        if ok:
            usable.append(row)
    best = None
    for size in range(len(usable) + 1):
        for combo in itertools.combinations(usable, size):
            groups = [r["exclusive_group"] for r in combo if r["exclusive_group"]]
            if len(groups) != len(set(groups)):
                continue
            if home["sap_score"] + sum(r["sap_points"] for r in combo) >= 69:
                cost = sum(r["cost_fixed_gbp"] + r["cost_per_m2_gbp"] * home["floor_area_m2"]
                           for r in combo)
                best = cost if best is None else min(best, cost)
    return best


def _solve(candidates, settings, budget):
    parts = retrofit_model(candidates, settings)
    problem = PlanningProblem(candidates, objective=parts.objective,
                              constraints=(*parts.constraints, Budget(budget)))
    return problem.solve().require_plan()


def test_solved_plan_with_budget_and_cheaper_heat_pumps(tmp_path, tables):
    settings = RetrofitSettings()
    c = retrofit_candidates(homes(), zones(), settings, tables=tables)
    # Budget 9000: Z1 fabric (600, 1.12 t) + Z2 heat pump (8000, 0.533 t) = 1.653 t beats
    # both fabric options (1.28 t); Z1's heat pump option (19500) does not fit.
    plan = _solve(c, settings, 9000)
    assert set(plan.selected_ids) == {"retrofit:Z1:fabric", "retrofit:Z2:heat_pump"}
    # Heat pumps at 1000 GBP: Z1 heat pump = 500+1000 + 3000+1000 = 5500 (6.22 t) now fits.
    cheap = [r if r[0] != "air_source_heat_pump" else [*r[:3], 1000, *r[4:]] for r in MEASURES]
    cheaper = {**tables, "retrofit_measures": read_retrofit_measures(
        write_measures(tmp_path, cheap, "cheap.csv"))}
    c2 = retrofit_candidates(homes(), zones(), settings, tables=cheaper)
    plan2 = _solve(c2, settings, 9000)
    assert set(plan2.selected_ids) == {"retrofit:Z1:heat_pump", "retrofit:Z2:heat_pump"}


def test_workstream_budget_in_model_parts(tables):
    settings = RetrofitSettings(budget_gbp=700)
    c = retrofit_candidates(homes(), zones(), settings, tables=tables)
    parts = retrofit_model(c, settings)
    plan = PlanningProblem(c, parts.objective, parts.constraints).solve().require_plan()
    assert plan.selected_ids == ("retrofit:Z1:fabric",)  # 600 of 700; adding Z2's 500 won't fit


def test_bad_numbers_and_sources_are_rejected_with_file_row_and_column(tmp_path):
    rows = [list(r) for r in MEASURES]
    rows[0][3] = -5                       # negative cost (row 2)
    rows[1][-1] = ""                      # no source (row 3)
    with pytest.raises(SourceFormatError) as error:
        read_retrofit_measures(write_measures(tmp_path, rows))
    text = str(error.value)
    assert "retrofit_measures.csv" in text
    assert "row 2, column 'cost_fixed_gbp': -5 is below" in text
    assert "row 3, column 'source': no source" in text


def test_unknown_measures_fuels_and_conditions_are_rejected(tmp_path):
    rows = [list(r) for r in MEASURES]
    rows[2][0] = "roof_garden"            # unknown measure (row 4)
    rows[5][10] = "mains gas;whale oil"   # unknown fuel (row 7)
    rows[4][12] = "colour == blue"        # unknown condition column (row 6)
    rows[3][5] = 1.2                      # saving share above 1 (row 5)
    with pytest.raises(SourceFormatError) as error:
        read_retrofit_measures(write_measures(tmp_path, rows))
    text = str(error.value)
    assert text.startswith("4 problems in retrofit_measures.csv")
    assert "row 4, column 'measure': unknown measure 'roof_garden'" in text
    assert "row 7, column 'main_fuels': unknown value 'whale oil'" in text
    assert "row 6, column 'condition'" in text
    assert "'colour'" in text
    assert "row 5, column 'saving_share': 1.2 is not below 1" in text


def test_heating_row_needs_scop_and_bad_settings(tmp_path):
    rows = [list(r) for r in MEASURES]
    rows[5][14] = ""
    with pytest.raises(SourceFormatError, match=r"row 7, column 'scop'"):
        read_retrofit_measures(write_measures(tmp_path, rows))
    with pytest.raises(ScenarioError, match="target_band='Z': input should be 'A', 'B'"):
        RetrofitSettings(target_band="Z")
    with pytest.raises(ScenarioError, match="unit='street': input should be 'zone' or 'home'"):
        RetrofitSettings(unit="street")


def test_imd_column_replaces_tenure_proxy(tables):
    frame = homes().assign(imd_decile=[9, 9, 1, 2])
    c = retrofit_candidates(frame, zones(), tables=tables).set_index("candidate_id")
    # h2 (SAP 50) is in decile 9 now: not deprived; h4 (SAP 66) is not low SAP.
    assert c.loc["retrofit:Z1:heat_pump", "fuel_poor_homes"] == 0
    low = RetrofitSettings(fuel_poverty_sap_below=70)
    c = retrofit_candidates(frame, zones(), low, tables=tables).set_index("candidate_id")
    assert c.loc["retrofit:Z2:heat_pump", "fuel_poor_homes"] == 1


def test_switch_standing_charges_by_hand(tables):
    o = home_options(homes(), RetrofitSettings(), tables=tables).set_index(["home", "option"])
    # h2 leaves oil (no standing charge) and h4 storage heaters (electricity, paid anyway).
    assert o.loc[(1, "heat_pump"), "standing_change_gbp_per_yr"] == 0
    assert o.loc[(3, "heat_pump"), "standing_change_gbp_per_yr"] == 0
    c = retrofit_candidates(homes(), zones(), tables=tables).set_index("candidate_id")
    # Z1 heat pumps: h1 145.60 + 109.50 standing; h2 9800 / 0.84 kWh oil at 6 p = 700 GBP
    # becomes 9800 * 0.75 / 3 = 2450 kWh at 28 p = 686 GBP: 14 GBP saved.
    assert c.loc["retrofit:Z1:heat_pump", "standing_change_gbp_per_yr"] == pytest.approx(109.5)
    assert c.loc["retrofit:Z1:heat_pump", "saving_gbp_per_yr"] == pytest.approx(
        145.6 + 109.5 + 14)
    no_charges = {**tables, "standing_charges": STANDING.iloc[:0]}
    c = retrofit_candidates(homes(), zones(), tables=no_charges).set_index("candidate_id")
    assert c.loc["retrofit:Z1:heat_pump", "saving_gbp_per_yr"] == pytest.approx(145.6 + 14)


def test_a_bill_rise_is_a_negative_saving_not_zero(tmp_path, tables):
    rows = [list(r) for r in MEASURES]
    rows[5][14] = 1.0  # a heat pump no better than a resistance heater (SCOP 1)
    poor = {**tables, "retrofit_measures": read_retrofit_measures(write_measures(tmp_path, rows))}
    c = retrofit_candidates(homes(), zones(), tables=poor).set_index("candidate_id")
    # Z1: h1 20000 kWh gas (1400 GBP) -> 13440 kWh electricity (3763.20) + 109.50 standing;
    # h2 700 GBP of oil -> 7350 kWh electricity (2058). Z2: h4 8000 kWh -> 8000 kWh: 0.
    z1 = 1400 - 3763.2 + 109.5 + 700 - 2058
    assert c.loc["retrofit:Z1:heat_pump", "bill_change_gbp_per_yr"] == pytest.approx(z1)
    assert c.loc["retrofit:Z1:heat_pump", "saving_gbp_per_yr"] == pytest.approx(z1)
    assert z1 < 0


def test_standing_charge_table_is_checked(tmp_path):
    path = tmp_path / "standing_charges.csv"
    STANDING.assign(fuel=["electricity", "whale_oil"], pence_per_day_low=np.nan,
                    pence_per_day_high=np.nan).to_csv(path, index=False)
    with pytest.raises(SourceFormatError) as error:
        read_standing_charges(path)
    text = str(error.value)
    assert "row 2, column 'fuel': electricity is listed" in text
    assert "row 3, column 'fuel': unknown fuel 'whale_oil'" in text
    shipped = read_standing_charges().set_index("fuel")
    assert shipped.loc["heat_network", "pence_per_day_low"] < shipped.loc[
        "heat_network", "pence_per_day"] < shipped.loc["heat_network", "pence_per_day_high"]
def test_loft_saving_depends_on_the_existing_depth():
    measures, loft = read_retrofit_measures(), read_loft_insulation()
    houses = pd.DataFrame({"property_type": "house", "floor_area_m2": 100.0,
                           "roof_insulation_mm": [0.0, 50.0, 100.0, np.nan],
                           "wall_type": "cavity", "age_band": "1950-1966",
                           "main_fuel": "mains gas", "heating_system": "mains gas"})
    # RdSAP Table S9 U-values (W/m2K): bare 2.30, 50 mm 0.68, 100 mm 0.40, 270 mm 0.16.
    ratio = [1.0, (0.68 - 0.16) / (2.30 - 0.16), (0.40 - 0.16) / (2.30 - 0.16)]
    assert loft_ratio(houses["roof_insulation_mm"].to_numpy(), loft)[:3] == pytest.approx(ratio)
    mats = measure_matrices(houses, measures, loft)
    j = mats.index("loft_insulation")
    # the house row: 0.20 of heat demand and 10 SAP points for a bare loft, scaled by r(d);
    # the 100 mm top-up saves 0.0224, about a ninth of the bare loft's 0.20
    assert mats.saving[:3, j] == pytest.approx([0.20 * r for r in ratio])
    assert mats.sap[:3, j] == pytest.approx([10 * r for r in ratio])
    assert mats.cost[:3, j] == pytest.approx([250 + 3.5 * 100] * 3)
    # depth not recorded: not offered (its saving cannot be known)
    assert mats.applicable[:, j].tolist() == [True, True, True, False]
    # without the loft table the row's numbers are used as given
    plain = measure_matrices(houses, measures)
    assert plain.saving[:3, j] == pytest.approx([0.20] * 3)


def test_loft_table_and_saving_bounds_are_checked(tmp_path):
    path = tmp_path / "loft_insulation.csv"
    path.write_text("depth_mm,u_value_w_m2k,u_after_w_m2k,source\n"
                    "12,1.5,0.16,test\nthick,0.4,0.16,test\n")
    with pytest.raises(SourceFormatError, match=r"(?s)'thick' is not a number.*no row for a "
                                                r"loft with 0 mm"):
        read_loft_insulation(path)
    rows = [[*MEASURES[0][:-1], "test"]]
    frame = pd.DataFrame(rows, columns=MEASURE_COLUMNS)
    frame.insert(len(MEASURE_COLUMNS) - 1, "saving_share_low", [0.2])
    frame.insert(len(MEASURE_COLUMNS), "saving_share_high", [0.3])
    frame.to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(SourceFormatError, match=r"row 2.*saving_share_low.*0.2 is above "
                                                r"saving_share 0.1"):
        read_retrofit_measures(tmp_path / "m.csv")


def test_a_switch_that_raises_emissions_counts_against_the_option() -> None:
    # a gas home switched to a poor heat pump (SCOP 1.5) on a carbon-heavy grid (0.5 kg/kWh):
    # before 6000 / eta x 0.2, after 6000 / 1.5 x 0.5 = 2000 kg: a rise, counted as such
    # (it was floored at 0, so an option mixing such homes overstated its tonnes)
    from geoplan.workstreams.savings import heating_efficiency

    home = pd.DataFrame({"heating_system": ["mains gas"], "heat_demand_kwh": [6000.0]})
    dirty = yearly({"mains_gas": 0.2, "electricity": 0.5}, "kgco2e_per_kwh")
    effects = switch_effects(home, np.zeros(1), year=2030, carbon=dirty, prices=PRICES,
                             loads=read_heat_loads(), new_fuel="electricity", scop=1.5,
                             load="heat_pump", years=[2030])
    eta = float(heating_efficiency(home)[0])
    expected = (6000.0 / eta * 0.2 - 6000.0 / 1.5 * 0.5) / 1000
    assert expected < 0
    assert effects["tco2e_per_yr"].iloc[0] == pytest.approx(expected)
    assert effects["tco2e_per_yr_2030"].iloc[0] == pytest.approx(expected)


def test_a_run_prices_a_home_without_floor_area_at_the_median_of_the_homes_it_plans(tables):
    # h1 (zone Z1) has no floor area and h5 lies in no zone, with 1,000 m2. A run plans the
    # homes with a zone (planned_homes), so h1 takes their median, 80 m2 (of 50, 90, 80);
    # with h5 it would be 85 m2. At 85 m2, loft and cavity make h1 heat pump ready
    # (16,800 x 0.72 / 85 = 142 kWh/m2 <= 150): GBP 8,600 with the pump. At 80 m2 (151 kWh/m2)
    # it needs glazing too (1,000 + 10 x 80): GBP 10,400.
    from geoplan.layers.buildings import planned_homes

    five = homes()
    five.loc[0, "floor_area_m2"] = np.nan
    five.loc[4] = five.loc[3]
    five.loc[4, ["building_id", "zone_id", "floor_area_m2"]] = ["h5", None, 1000.0]
    five["source_file"] = "certificates.csv"  # a provenance column: dropped too
    planned = planned_homes(five)
    assert list(planned.index) == [0, 1, 2, 3]  # labels kept: rows of the layer
    assert "source_file" not in planned.columns
    settings = RetrofitSettings()
    got = home_options(planned, settings, tables=tables)
    at = {area: home_options(planned.assign(floor_area_m2=planned["floor_area_m2"].fillna(area)),
                             settings, tables=tables) for area in (80.0, 85.0)}
    pd.testing.assert_frame_equal(got, at[80.0])
    pumps = {area: table.query("home == 0 and option == 'heat_pump'")["cost_gbp"].item()
             for area, table in {"got": got, **at}.items()}
    assert pumps == {"got": pytest.approx(10400), 80.0: pytest.approx(10400),
                     85.0: pytest.approx(8600)}
    everyone = homes()
    assert planned_homes(everyone) is everyone  # every home has a zone: no copy


def test_candidates_are_built_from_the_homes_with_a_zone_whatever_the_layer_holds():
    # build_candidates -> workstream_models plans the homes with a zone: a layer that still
    # holds a home in no zone (as prepare_layers returns it) gives the same retrofit and
    # LAEP candidates as the run's planned homes. h1 has no floor area; h5 (no zone, 1,000
    # m2) would move the median it takes from 80 to 85 m2.
    from geoplan.assumptions import AssumptionSet
    from geoplan.layers.buildings import planned_homes
    from geoplan.planning.solve import workstream_models
    from geoplan.scenario import Scenario
    from geoplan.scenario.tables import known_tables

    five = homes()
    five.loc[0, "floor_area_m2"] = np.nan
    five.loc[4] = five.loc[3]
    five.loc[4, ["building_id", "zone_id", "floor_area_m2"]] = ["h5", None, 1000.0]
    scenario = Scenario(name="x", inputs={"sample": "small"},
                        workstreams={"chargers": {"enabled": False},
                                     "sequestration": {"enabled": False}})
    tables = AssumptionSet(known_tables())

    def built(buildings: pd.DataFrame) -> dict[str, pd.DataFrame]:
        layers = PreparedLayers(zones=zones(), districts=None, substations=None,
                                headroom=None, grid=None, buildings=buildings)
        return {n: m.candidates for n, m in workstream_models(scenario, layers,
                                                              tables).items()}

    whole, planned = built(five), built(planned_homes(five))
    assert set(whole) == {"retrofit", "laep"}
    for name in whole:
        pd.testing.assert_frame_equal(whole[name], planned[name], check_exact=True)
    alone = home_options(five, RetrofitSettings())  # every home: h1 at the 85 m2 median
    ours = home_options(planned_homes(five), RetrofitSettings())
    assert not alone[alone["home"] == 0].reset_index(drop=True).equals(
        ours[ours["home"] == 0].reset_index(drop=True))
