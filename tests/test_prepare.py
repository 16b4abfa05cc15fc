"""prepare_layers on the embedded sample county: every layer, valid, consistent, served."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest

from geoplan.errors import LayerSchemaError, SourceNotFoundError
from geoplan.layers.prepare import (
    MAX_SERVING_DISTANCE_KM,
    LayerInputs,
    PreparedLayers,
    prepare_layers,
    sample_inputs,
)
from geoplan.schemas import (
    BUILDINGS,
    CHARGERS,
    DISTRICTS,
    EV_DEMAND,
    HEADROOM,
    LAND,
    SITES,
    SUBSTATIONS,
    ZONES,
    validate_layer,
)

SPATIAL = ("zones", "buildings", "sites", "land")


@pytest.fixture(scope="module")
def steps() -> list[str]:
    return []


@pytest.fixture(scope="module")
def prepared(small_sample: Path, steps: list[str]) -> PreparedLayers:
    return prepare_layers(sample_inputs(small_sample), progress=steps.append)


@pytest.fixture(scope="module")
def counts(small_sample: Path) -> dict[str, int]:
    return json.loads((small_sample / "sample.json").read_text())["counts"]


def test_every_layer_is_present_and_valid(prepared):
    for name, schema in [("zones", ZONES), ("districts", DISTRICTS),
                         ("substations", SUBSTATIONS), ("headroom", HEADROOM),
                         ("buildings", BUILDINGS), ("ev_demand", EV_DEMAND),
                         ("chargers", CHARGERS), ("sites", SITES), ("land", LAND)]:
        frame = getattr(prepared, name)
        assert frame is not None, name
        assert len(frame) > 0, name
        validate_layer(frame, schema, name)
    assert prepared.zone_buildings is not None
    assert isinstance(prepared.grid, nx.DiGraph)
    assert isinstance(prepared.roads, nx.Graph)
    assert prepared.emissions is not None
    # the sample's table: five districts, one row per district and year
    assert prepared.emissions["district_id"].nunique() == 5
    assert not prepared.emissions.duplicated(["district_id", "year"]).any()


def test_progress_names_each_step_in_order(prepared, steps):
    # chargers, sites and land need no other layer: read beside the buildings (in a forked
    # child, or on dask while the workers build the homes), before the EV demand that needs
    # the chargers; roads and emissions need none either: read in that child after them (on
    # dask here, after them, while the workers build the homes)
    assert steps == ["zones", "grid", "buildings", "chargers", "sites", "land", "roads",
                     "emissions", "ev demand", "serving substations"]


def test_counts_match_sample_json(prepared, counts):
    assert len(prepared.zones) == counts["zones"] == 430
    assert len(prepared.districts) == counts["districts"] == 5
    levels = prepared.substations["level"].value_counts()
    # --within Oxfordshire keeps the county's primaries, not the 5 in neighbouring areas
    assert levels["primary"] == counts["primaries"] == 66
    assert levels["bsp"] == counts["bsps"]
    assert levels["gsp"] == counts["gsps"]
    assert prepared.grid.number_of_nodes() == 66 + 11 + 4
    assert len(prepared.buildings) == counts["homes"]
    assert prepared.reports["buildings"]["certificates"] == counts["certificates"]
    # every home in the OS Open UPRN file is found by its UPRN
    assert prepared.reports["buildings"]["by_uprn"] == counts["uprns"]
    ev = prepared.ev_demand
    assert ev["households"].sum() == counts["households"]
    assert ev["households_no_offstreet"].sum() == counts["households_no_offstreet"]
    assert ev["evs_now"].sum() == counts["plugin_cars"] + counts["plugin_vans"]
    # 180 devices, 2 of them broken over two lines: both lines of each are left out
    assert len(prepared.chargers) == counts["devices"] - counts["records_broken_over_lines"]
    assert ev["public_chargers_now"].sum() <= len(prepared.chargers)
    assert prepared.reports["sites"]["features"] == counts["car_parks"]
    assert prepared.roads.number_of_edges() >= counts["road_links"]


def test_substation_ids_are_located_primaries(prepared):
    primaries = prepared.substations.query("level == 'primary' and geometry.notna()")
    known = set(primaries["substation_id"])
    for name in SPATIAL:
        ids = getattr(prepared, name)["substation_id"]
        assert set(ids.dropna()) <= known, name
    assert prepared.zones["substation_id"].notna().all()
    assert prepared.sites["substation_id"].notna().all()
    assert prepared.land["substation_id"].notna().all()


def test_zones_take_the_nearest_primary(prepared):
    primaries = prepared.substations.query("level == 'primary' and geometry.notna()")
    for zone in prepared.zones.iloc[::43].itertuples():
        distances = primaries.distance(zone.geometry.representative_point())
        assert zone.substation_id == primaries.loc[distances.idxmin(), "substation_id"]


def test_zones_record_their_serving_distance_and_flag(prepared):
    located = prepared.substations.set_index("substation_id").geometry
    zones = prepared.zones
    expected = zones.representative_point().distance(
        gpd.GeoSeries(located.loc[zones["substation_id"]].to_numpy(), index=zones.index,
                      crs=zones.crs)) / 1000
    assert zones["serving_distance_km"].to_numpy() == pytest.approx(expected.to_numpy())
    far = zones["serving_distance_km"] > MAX_SERVING_DISTANCE_KM
    assert (zones.loc[far, "serving_flag"] == "beyond_max_distance").all()
    assert (zones.loc[~far, "serving_flag"] == "ok").all()  # no licence areas: no DNO flags
    assert "licence_dno" not in zones.columns
    assert prepared.reports["serving"]["zones_flagged"]["beyond_max_distance"] == far.sum()


def test_a_shorter_serving_distance_flags_more_zones(small_sample):
    from dataclasses import replace

    inputs = sample_inputs(small_sample)
    few = LayerInputs(zones=inputs.zones, grid=inputs.grid, within=inputs.within,
                      max_serving_distance_km=3)
    layers = prepare_layers(few)
    far = (layers.zones["serving_distance_km"] > 3).sum()
    assert far > 0
    assert (layers.zones["serving_flag"] == "beyond_max_distance").sum() == far
    assert any(w.startswith(f"serving: {far} of {len(layers.zones)} zones are served by a "
                            "substation more than 3 km away") for w in layers.warnings)
    with pytest.raises(ValueError, match="max_serving_distance_km must be above 0"):
        replace(few, max_serving_distance_km=-1)


def test_homes_share_their_zone_substation(prepared):
    homes = prepared.buildings
    by_zone = prepared.zones.set_index("zone_id")["substation_id"]
    zoned = homes[homes["zone_id"].notna()]
    assert (zoned["substation_id"] == zoned["zone_id"].map(by_zone)).all()
    unlocated = homes.geometry.isna()
    assert unlocated.sum() == prepared.reports["buildings"]["unmatched"] == 42
    assert homes.loc[unlocated, "substation_id"].isna().all()
    assert prepared.reports["serving"]["homes_without_substation"] == 42


def test_certificate_homes_get_the_prebound_effect_without_meters(prepared, counts):
    # no consumption tables in the sample: bands F and G take stock_calibration's ratios
    homes = prepared.buildings
    ratio = homes.groupby("epc_band")["heat_calibration"].unique().map(list).to_dict()
    assert (ratio["F"], ratio["G"], ratio["D"]) == ([0.75], [0.65], [1.0])
    assert prepared.reports["buildings"]["heat_demand"] == "prebound by band"
    poor = int(homes["epc_band"].isin(["F", "G"]).sum())
    assert any(w.startswith(f"buildings: heat demand: the modelled heat of {poor:,} homes in "
                            "bands with a prebound effect (F x0.75, G x0.65)")
               for w in prepared.warnings)
    panels = int((homes["photo_supply_pct"] > 0).sum())
    assert panels > 0
    assert (f"buildings: {panels:,} homes already have solar PV (photo_supply_pct > 0): "
            "rooftop PV is not offered to them") in prepared.warnings
    # zone totals follow the scaled homes
    placed = homes[homes["zone_id"].notna()]
    total = placed.groupby("zone_id")["heat_demand_kwh"].sum()
    zone = prepared.zone_buildings.set_index("zone_id")["heat_demand_kwh"]
    assert zone.reindex(total.index).to_numpy() == pytest.approx(total.to_numpy())


def test_warnings_name_their_layer(prepared):
    assert prepared.warnings
    assert all(w.split(": ", 1)[0] in {"zones", "substations", "buildings", "chargers",
                                       "ev_demand", "sites", "land", "serving"}
               for w in prepared.warnings)
    assert any(w.startswith("chargers: left out 4 rows") for w in prepared.warnings)


def test_optional_inputs_left_out_give_none(small_sample):
    full = sample_inputs(small_sample)
    few = LayerInputs(zones=full.zones, grid=full.grid, within=full.within)
    layers = prepare_layers(few)
    for name in ("buildings", "zone_buildings", "ev_demand", "chargers", "sites", "land",
                 "roads"):
        assert getattr(layers, name) is None, name
    # without a districts file, districts are the union of each district's zones
    assert sorted(layers.districts["district_id"]) == sorted(set(layers.zones["district_id"]))
    assert isinstance(layers.districts, gpd.GeoDataFrame)
    assert layers.districts.area.sum() == pytest.approx(layers.zones.area.sum())


def test_sample_inputs_refuses_a_folder_that_is_not_a_sample(tmp_path):
    with pytest.raises(SourceNotFoundError, match=r"no sample\.json.*geoplan sample"):
        sample_inputs(tmp_path)


def test_serving_level_is_the_scenarios_grid_level(small_sample: Path,
                                                   prepared: PreparedLayers) -> None:
    from dataclasses import replace

    level = "bsp"
    layers = prepare_layers(replace(sample_inputs(small_sample), serving_level=level))
    level_of = layers.substations.set_index("substation_id")["level"]
    assert set(level_of[layers.zones["substation_id"]]) == {level}
    assert set(level_of[layers.sites["substation_id"]]) == {level}
    assert layers.reports["serving"]["level"] == level
    # a coarser level serves more zones per substation than the primaries do
    primary = prepared  # the module's layers: the same inputs at the default level
    assert primary.reports["serving"]["level"] == "primary"
    assert (layers.reports["serving"]["substations_used"]
            < primary.reports["serving"]["substations_used"])


def test_a_serving_level_without_locations_is_named(small_sample: Path) -> None:
    from dataclasses import replace

    # the sample's GSPs are named by the grid file but have no coordinates
    with pytest.raises(LayerSchemaError, match=r"no gsp substation has a location.*'bsp'"):
        prepare_layers(replace(sample_inputs(small_sample), serving_level="gsp"))


def test_an_unknown_serving_level_is_refused(small_sample: Path) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="serving_level must be one of"):
        replace(sample_inputs(small_sample), serving_level="feeder")
