import dataclasses

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import ScenarioError, SourceFormatError
from geoplan.optimise import Budget, Headroom, PlanningProblem
from geoplan.planning.grid_flags import grid_flags
from geoplan.workstreams.laep import (
    LaepSettings,
    laep_candidates,
    laep_model,
    read_heat_pathways,
)
from geoplan.workstreams.measures import read_retrofit_measures
from tests.test_workstream_retrofit import (
    CARBON,
    LOFT_ANY_DEPTH,
    PRICES,
    STANDING,
    homes,
    write_measures,
    zones,
)

YEARS = (2025, 2030)


@pytest.fixture
def tables(tmp_path):
    return {"retrofit_measures": read_retrofit_measures(write_measures(tmp_path)),
            "loft_insulation": LOFT_ANY_DEPTH, "carbon_factors": CARBON, "fuel_prices": PRICES,
            "standing_charges": STANDING}


@pytest.fixture
def candidates(tables):
    return laep_candidates(homes(), zones(), LaepSettings(trajectory_years=(2030,)), tables=tables)


def test_zone_pathways_by_hand(candidates):
    c = candidates.set_index("candidate_id")
    assert set(c.loc[c["zone_id"] == "Z1", "option"]) == {
        "heat_pump", "heat_network", "fabric_first", "rooftop_pv", "do_nothing"}
    assert set(c["group_id"]) == {"laep:Z1", "laep:Z2"}
    # Z1 is a 10 m x 10 m box holding 16800 + 9800 kWh: 266 kWh/m2 = 266 GWh/km2.
    assert c.loc["laep:Z1:do_nothing", "heat_density_gwh_per_km2"] == pytest.approx(266)
    hn = c.loc["laep:Z1:heat_network"]
    # Two homes x (3000 connection + 8000 network). h1: 20000 kWh gas (4 t) -> 16800 kWh
    # network heat (0.84 t); h2: 9800 / 0.84 kWh oil (2.9167 t) -> 9800 kWh (0.49 t).
    assert hn["cost_gbp"] == pytest.approx(22000)
    assert hn["tco2e_per_yr"] == pytest.approx(4 - 0.84 + 9800 / 0.84 * 0.25 / 1000 - 0.49)
    assert hn["peak_kw_added"] == pytest.approx(2 * 0.9)
    assert hn["heat_mwh_per_yr"] == pytest.approx(26.6)
    assert hn["homes"] == 2
    # Bills: h1 1400 GBP of gas -> 16800 kWh heat at 10 p (1680); h2 700 of oil -> 980.
    # Standing charges: h1 saves gas 109.50 and both pay the network's 182.50 a year.
    assert hn["standing_change_gbp_per_yr"] == pytest.approx(109.5 - 2 * 182.5)
    assert hn["saving_gbp_per_yr"] == pytest.approx(1400 - 1680 + 700 - 980 + 109.5 - 365)
    hp = c.loc["laep:Z1:heat_pump"]
    # Same packages as the retrofit heat pump option: 8500 + 11000; 3.4 kW at the primary.
    assert (hp["cost_gbp"], hp["peak_kw_added"]) == (pytest.approx(19500), pytest.approx(3.4))
    assert hp["heat_mwh_per_yr"] == pytest.approx((16800 * 0.8 + 9800 * 0.75) / 1000)
    pv = c.loc["laep:Z1:rooftop_pv"]
    # One house: 0.6 suitable rounds to 1 whole home x 3.5 kWp: 5950 GBP, 3325 kWh,
    # 0.3325 t, 3325 x (0.5 x 28 + 0.5 x 5) / 100 = 548.625 GBP; no winter peak.
    assert pv["cost_gbp"] == pytest.approx(5950)
    assert pv["tco2e_per_yr"] == pytest.approx(0.3325)
    assert pv["saving_gbp_per_yr"] == pytest.approx(548.625)
    assert (pv["peak_kw_added"], pv["homes"], pv["pv_roofs"]) == (0, 1, 1)
    assert pv["homes_with_pv"] == 0
    nothing = c.loc["laep:Z2:do_nothing"]
    assert (nothing["cost_gbp"], nothing["tco2e_per_yr"], nothing["lifetime_years"]) == (0, 0, 1)
    # h4's storage heaters charge off-peak: connecting it frees no evening peak
    assert c.loc["laep:Z2:heat_network", "peak_kw_added"] == pytest.approx(0.9)
    assert c.loc["laep:Z1:fabric_first", "heat_mwh_per_yr"] == pytest.approx(4.704)


def test_pv_goes_to_whole_homes_without_panels(tables):
    # Z1: five houses, one already generating (photo_supply_pct 20): 4 roofs x 0.6 = 2.4,
    # so 2 whole homes get 3.5 kWp; Z2: its only house has panels, so no PV option at all.
    frame = pd.concat([homes().iloc[[0]]] * 5 + [homes().iloc[[3]]], ignore_index=True)
    frame["building_id"] = [f"h{i}" for i in range(6)]
    frame["photo_supply_pct"] = [20.0, 0.0, np.nan, 0.0, 0.0, 35.0]
    settings = LaepSettings(pathways=("rooftop_pv", "do_nothing"), trajectory_years=(2030,))
    c = laep_candidates(frame, zones(), settings, tables=tables).set_index("candidate_id")
    pv = c.loc["laep:Z1:rooftop_pv"]
    assert (pv["homes"], pv["pv_roofs"], pv["homes_with_pv"]) == (2, 4, 1)
    assert pv["cost_gbp"] == pytest.approx(2 * 3.5 * 1700)
    assert pv["tco2e_per_yr"] == pytest.approx(2 * 3.5 * 950 * 0.1 / 1000)
    assert pv["tco2e_per_yr_2030"] == pytest.approx(pv["tco2e_per_yr"])
    assert "laep:Z2:rooftop_pv" not in c.index
    assert (c["homes"] == c["homes"].round()).all()  # every option counts whole homes


def test_heat_network_only_above_the_density_threshold(tables):
    # Z1 has 266 GWh/km2, Z2 (6000 + 8000 kWh on 100 m2) 140.
    settings = LaepSettings(heat_network_min_density_gwh_per_km2=200)
    c = laep_candidates(homes(), zones(), settings, tables=tables)
    assert set(c.loc[c["option"] == "heat_network", "zone_id"]) == {"Z1"}
    pathways = read_heat_pathways()
    shipped = pathways.loc[pathways["item"] == "min_density_gwh_per_km2", "value"].iloc[0]
    low = zones().assign(geometry=zones().geometry.scale(100, 100))  # 1 ha -> 266 -> 0.0266
    c = laep_candidates(homes(), low, LaepSettings(), tables=tables)
    assert shipped > 0.0266
    assert "heat_network" not in set(c["option"])


def _solve(candidates, settings, budget, headroom_kw=None):
    parts = laep_model(candidates, settings)
    constraints = [*parts.constraints, Budget(budget)]
    if headroom_kw is not None:
        limits = pd.DataFrame({"substation_id": ["P1"], "headroom_kw": [headroom_kw]})
        # geoplan.optimise's Headroom refuses negative loads (a heat pump replacing storage
        # heaters lowers the peak), so the test limits the non-negative part of the load.
        candidates = candidates.assign(peak_kw_load=candidates["peak_kw_added"].clip(lower=0))
        constraints.append(Headroom(limits, {"P1": None, "P2": None},
                                    load_column="peak_kw_load"))
    return PlanningProblem(candidates, parts.objective, constraints).solve().require_plan()


def test_headroom_turns_a_zone_from_heat_pumps_to_a_heat_network(candidates):
    settings = LaepSettings()
    # Budget 30000, no grid limit: Z1 heat pumps (19500, 6.22 t) + Z2 heat pump (8000,
    # 0.53 t) = 6.76 t beats Z1 heat network (22000, 5.59 t) + Z2 heat pump.
    free = _solve(candidates, settings, 30000)
    assert set(free.selected_ids) == {"laep:Z1:heat_pump", "laep:Z2:heat_pump"}
    # 2 kW at P1: 3.4 kW of heat pumps no longer fit; the network's 1.8 kW does.
    tight = _solve(candidates, settings, 30000, headroom_kw=2.0)
    assert set(tight.selected_ids) == {"laep:Z1:heat_network", "laep:Z2:heat_pump"}


def test_grid_flags_binding_primaries_and_flexibility_zones(candidates):
    plan = _solve(candidates, LaepSettings(), 30000).table
    headroom = pd.DataFrame({"substation_id": ["P1", "P1", "P2"], "year": [2025, 2030, 2025],
                             "headroom_kw": [5.0, 3.0, 10.0]})
    flags = grid_flags(plan, headroom, YEARS)
    # P1 gets 3.4 kW: 5 - 3.4 = 1.6 left in 2025, 3 - 3.4 = -0.4 in 2030.
    p1 = flags.substations.set_index(["substation_id", "year"])
    assert p1.loc[("P1", 2030), "remaining_kw"] == pytest.approx(-0.4)
    assert flags.binding == ("P1",)
    assert flags.flexibility_zones == ("Z1",)  # Z2's heat pump lowers the load (-0.3 kW)
    ready_on_time = pd.DataFrame({"substation_id": ["P1"], "ready_year": [2030],
                                  "capacity_kw": [10.0]})
    assert grid_flags(plan, headroom, YEARS, reinforcements=ready_on_time).binding == ()
    late = ready_on_time.assign(ready_year=2035)
    flags = grid_flags(plan, headroom, YEARS, reinforcements=late)
    assert flags.flexibility_zones == ("Z1",)
    assert flags.zones.set_index("zone_id").loc["Z1", "first_short_year"] == 2030


def test_bad_pathways_and_settings_are_rejected(tmp_path):
    path = tmp_path / "heat_pathways.csv"
    path.write_text("pathway,item,value,unit,source\n"
                    "heat_network,min_density_gwh_per_km2,10,GWh/km2,DESNZ\n"
                    "hydrogen,cost,100,GBP,guess\n"
                    "rooftop_pv,suitable_share,1.5,share,MCS\n"
                    "rooftop_pv,kwp_per_home,-1,kWp,\n")
    with pytest.raises(SourceFormatError) as error:
        read_heat_pathways(path)
    text = str(error.value)
    assert "heat_pathways.csv" in text
    assert "row 5, column 'value': -1 is below" in text
    assert "row 5, column 'source'" in text
    path.write_text(path.read_text().replace(",-1,kWp,\n", ",3,kWp,MCS\n"))
    with pytest.raises(SourceFormatError) as error:
        read_heat_pathways(path)
    assert "row 3, column 'pathway': unknown pathway 'hydrogen'" in str(error.value)
    assert "row 4, column 'value': share 1.5 is above 1" in str(error.value)
    with pytest.raises(ScenarioError, match=r"pathways=\('tidal',\): input should be "
                                            r"'heat_pump', 'heat_network'"):
        LaepSettings(pathways=("tidal",))


def test_sample_county_gives_candidates_and_plans(small_sample):
    from geoplan.layers.buildings import PROVENANCE_COLUMNS, without_provenance
    from geoplan.layers.prepare import prepare_layers, sample_inputs
    from geoplan.schemas import BUILDINGS, validate_layer
    from geoplan.workstreams.retrofit import (
        RetrofitSettings,
        retrofit_candidates,
        retrofit_model,
    )

    # the session's small sample (read-only: prepare_layers only reads it)
    inputs = dataclasses.replace(
        sample_inputs(small_sample), chargers=None, vehicles=None, households=None,
        car_parks=None, roads=None, land_cover=None, exclusions={}, emissions=None)
    layers = prepare_layers(inputs)
    for make, model, settings in (
            (retrofit_candidates, retrofit_model, RetrofitSettings()),
            (laep_candidates, laep_model, LaepSettings())):
        c = make(layers.buildings, layers.zones, settings)
        assert len(c) > 100
        # a run drops the certificates' provenance columns before the candidates: no
        # option reads them, so the candidates are the same without them
        lean = without_provenance(layers.buildings)
        assert set(layers.buildings.columns) - set(lean.columns) == set(PROVENANCE_COLUMNS)
        validate_layer(lean, BUILDINGS)  # still the canonical buildings layer
        pd.testing.assert_frame_equal(make(lean, layers.zones, settings), c)
        assert (c["substation_id"] != "").all()
        parts = model(c, settings)
        budget = 0.05 * c["cost_gbp"].sum()
        plan = PlanningProblem(c, parts.objective, (*parts.constraints, Budget(budget))
                               ).solve().require_plan()
        chosen = c.set_index("candidate_id").loc[list(plan.selected_ids)]
        assert 0 < chosen["cost_gbp"].sum() <= budget + 1e-6
        assert chosen["group_id"].is_unique


def test_retrofit_and_laep_share_one_home_options_table(tables, monkeypatch):
    """Computed once for both workstreams, the candidates equal those each computes alone."""
    from geoplan.workstreams import retrofit
    from geoplan.workstreams.laep import shared_home_options

    laep_settings = LaepSettings(trajectory_years=(2030,))
    retrofit_settings = retrofit.RetrofitSettings(trajectory_years=(2030,), unit="home")
    alone = (retrofit.retrofit_candidates(homes(), zones(), retrofit_settings, tables=tables),
             laep_candidates(homes(), zones(), laep_settings, tables=tables))
    shared = shared_home_options(homes(), retrofit_settings, laep_settings, tables)
    assert shared is not None
    before = shared.copy()

    def computed_again(*args, **kwargs):
        raise AssertionError("home_options computed again")

    monkeypatch.setattr(retrofit, "home_options", computed_again)
    pd.testing.assert_frame_equal(retrofit.retrofit_candidates(
        homes(), zones(), retrofit_settings, tables=tables, options=shared), alone[0])
    pd.testing.assert_frame_equal(laep_candidates(
        homes(), zones(), laep_settings, tables=tables, options=shared), alone[1])
    pd.testing.assert_frame_equal(shared, before)  # neither workstream changed it


def test_home_options_are_not_shared_when_they_would_differ(tables):
    from geoplan.workstreams.laep import shared_home_options
    from geoplan.workstreams.retrofit import RetrofitSettings

    laep = LaepSettings(trajectory_years=(2030,))
    same = RetrofitSettings(trajectory_years=(2030,), unit="home", min_homes=3)
    assert shared_home_options(homes(), same, laep, tables) is not None
    for different in (same.model_copy(update={"target_band": "B"}),
                      same.model_copy(update={"heat_pump_ready": False}),
                      same.model_copy(update={"fuel_poverty_sap_below": 40.0}),
                      same.model_copy(update={"trajectory_years": (2030, 2040)})):
        assert shared_home_options(homes(), different, laep, tables) is None
    no_zone = homes()
    no_zone.loc[3, "zone_id"] = None  # LAEP takes the rows of its homes
    assert shared_home_options(no_zone, same, laep, tables) is not None


def test_shared_options_serve_laep_when_a_home_has_no_zone(tables, monkeypatch):
    from geoplan.workstreams import retrofit
    from geoplan.workstreams.laep import shared_home_options

    some = homes()
    some.loc[0, "zone_id"] = None  # h1 has no zone: LAEP leaves it out, h2 becomes home 0
    # h2 has no floor area: it takes the median of the homes priced, 90 m2 of h1, h3 and h4
    # for retrofit but 85 m2 of h3 and h4 for LAEP: priced again for LAEP.
    some.loc[1, "floor_area_m2"] = np.nan
    some.loc[1, "glazing"] = "single"  # glazing is priced per m2: the area shows in its cost
    laep_settings = LaepSettings(trajectory_years=(2030,))
    retrofit_settings = retrofit.RetrofitSettings(trajectory_years=(2030,))
    alone = laep_candidates(some, zones(), laep_settings, tables=tables)
    shared = shared_home_options(some, retrofit_settings, laep_settings, tables)
    assert shared is not None
    assert set(shared["home"]) >= {0, 1}  # h1 and h2 are both priced for retrofit
    priced, original = [], retrofit.home_options

    def counted(homes, *args, **kwargs):
        priced.append(list(homes["building_id"]))
        return original(homes, *args, **kwargs)

    monkeypatch.setattr(retrofit, "home_options", counted)
    pd.testing.assert_frame_equal(laep_candidates(some, zones(), laep_settings, tables=tables,
                                                  options=shared), alone)
    assert priced == [["h2"]]  # only the home without a floor area is priced again


def test_heat_pump_packages_are_priced_only_when_the_pathway_is_offered(tables, monkeypatch):
    from geoplan.workstreams import retrofit

    every = laep_candidates(homes(), zones(), LaepSettings(trajectory_years=(2030,)),
                            tables=tables)
    asked, original = [], retrofit.home_options

    def spied(homes, settings, **kwargs):
        asked.append(settings.heat_pump_ready)
        return original(homes, settings, **kwargs)

    monkeypatch.setattr(retrofit, "home_options", spied)
    fabric = laep_candidates(homes(), zones(), LaepSettings(
        trajectory_years=(2030,), pathways=("fabric_first", "do_nothing")), tables=tables)
    assert asked == [False]
    columns = ["candidate_id", "cost_gbp", "tco2e_per_yr", "saving_gbp_per_yr", "homes",
               "heat_mwh_per_yr", "lifetime_years"]
    same = every[every["option"].isin(["fabric_first", "do_nothing"])][columns]
    pd.testing.assert_frame_equal(fabric[columns].reset_index(drop=True),
                                  same.reset_index(drop=True))


def test_zone_sums_of_parts_equal_the_sums_of_the_parts_stacked():
    """Each part (per-home packages, networks, PV) summed alone, as the stacked rows are."""
    from geoplan.workstreams.laep import _part_sums, _zone_sums

    settings = LaepSettings(trajectory_years=(2030,),
                            pathways=("heat_pump", "fabric_first", "rooftop_pv"))
    numbers = ["cost_gbp", "bill_change_gbp_per_yr", "standing_change_gbp_per_yr",
               "peak_kw_added", "heat_mwh_per_yr", "tco2e_per_yr", "tco2e_per_yr_2030",
               "aggregated_homes", "tco2e_per_yr_low", "tco2e_per_yr_high", "lifetime_years"]
    rng = np.random.default_rng(7)

    def part(zones, options, **columns):
        frame = pd.DataFrame({"zone_id": zones, "option": options})
        for name in numbers:
            frame[name] = rng.uniform(0.1, 9.9, len(frame)).round(3)
        return frame.assign(**columns)

    homes = part(["Z2", "Z1", "Z1", "Z2", "Z1"],
                 ["heat_pump", "fabric_first", "heat_pump", "heat_pump", "heat_network"],
                 homes=[1.0, np.nan, 2.0, 1.0, 3.0])  # no homes: 1; heat_network not offered
    pv = part(["Z1", "Z3", "Z1"], ["rooftop_pv"] * 3, homes=[1.0, 1.0, 0.0],
              homes_with_pv=[0.0, 0.0, 2.0]).drop(columns="peak_kw_added")
    parts = [homes, pd.DataFrame(), pv]
    got = _zone_sums([_part_sums(p, settings) for p in parts], pd.Index(["Z1", "Z2", "Z3"]),
                     settings)
    # by hand: the rows stacked, summed per zone and option (missing values count 0)
    stacked = pd.concat(parts, ignore_index=True)
    stacked = stacked[stacked["option"].isin(settings.pathways)]
    stacked = stacked.assign(homes=stacked["homes"].fillna(1.0),
                             life=stacked["lifetime_years"] * stacked["cost_gbp"])
    sums = stacked.groupby(["zone_id", "option"], sort=True).sum(numeric_only=True)
    assert list(zip(got["zone_id"], got["option"], strict=True)) == list(sums.index)
    assert list(zip(got["zone_id"], got["option"], strict=True)) == [
        ("Z1", "fabric_first"), ("Z1", "heat_pump"), ("Z1", "rooftop_pv"),
        ("Z2", "heat_pump"), ("Z3", "rooftop_pv")]
    for name in [*numbers[:-1], "homes", "homes_with_pv"]:
        np.testing.assert_array_equal(got[name].to_numpy(), sums[name].to_numpy(), err_msg=name)
    assert got["homes"].tolist() == [1.0, 2.0, 1.0, 2.0, 1.0]  # a missing count is 1 home
    assert got["peak_kw_added"].iloc[[2, 4]].tolist() == [0.0, 0.0]  # PV rows have none
    np.testing.assert_array_equal(got["lifetime_years"].to_numpy(),
                                  (sums["life"] / sums["cost_gbp"]).to_numpy())


@pytest.mark.parametrize("fork", ["1", "0"])
def test_a_missing_pathway_value_is_named_as_when_built_in_turn(tables, monkeypatch, fork):
    # the heat networks' part is built in a forked child while rooftop PV is built here:
    # with both parts' values missing, the heat networks' is named first, as in turn
    monkeypatch.setenv("GEOPLAN_FORK", fork)
    pathways = read_heat_pathways()
    lacking = pathways[~pathways["item"].isin(["network_cost_gbp_per_home", "kwp_per_home"])]
    with pytest.raises(SourceFormatError, match="'heat_network', item "
                       "'network_cost_gbp_per_home'"):
        laep_candidates(homes(), zones(), LaepSettings(trajectory_years=(2030,)),
                        tables={**tables, "heat_pathways": lacking})
    only_pv = pathways[pathways["item"] != "kwp_per_home"]
    with pytest.raises(SourceFormatError, match="'rooftop_pv', item 'kwp_per_home'"):
        laep_candidates(homes(), zones(), LaepSettings(trajectory_years=(2030,)),
                        tables={**tables, "heat_pathways": only_pv})
