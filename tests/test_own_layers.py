"""geoplan's own layers are valid inputs: each kind `layers convert` writes, and plan.gpkg.

Every kind is converted from the sample county, then given back as a scenario input; the
layers prepared from it must be the layers written (same rows, same values).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geoplan.cli import cli
from geoplan.errors import LayerSchemaError
from geoplan.layers.prepare import prepare_layers
from geoplan.layers.read import read_layers
from geoplan.pipeline import layer_inputs, run_scenario
from geoplan.scenario import load_scenario

CONVERT = {  # kind -> (sample file, options)
    "zones": ("boundaries/zones.gpkg", ["--districts", "boundaries/districts.gpkg"]),
    "substations": ("grid/network-headroom-report.xlsx", ["--within", "Oxfordshire"]),
    "chargers": ("ev/chargepoints.csv", []),
    "sites": ("sites/car_parks.geojson", ["--site-kind", "car_park"]),
    "buildings": ("epc", ["--zones", "@zones", "--postcodes", "postcodes/codepoint.csv",
                          "--uprn", "uprn/osopenuprn.csv"]),
    "land": ("land/land_cover.tif", ["--zones", "@zones"]),
    "ev_demand": ("ev/vehicles_by_zone.csv", ["--zones", "@zones", "--households",
                                              "ev/households_by_zone.csv", "--chargers",
                                              "ev/chargepoints.csv"]),
}


@pytest.fixture(scope="module")
def converted(small_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every kind converted from the sample county by ``geoplan layers convert``."""
    out = tmp_path_factory.mktemp("own")
    for kind, (source, options) in CONVERT.items():
        args = [str(out / "zones.gpkg") if o == "@zones" else
                str(small_sample / o) if "/" in o or o == "epc" else o for o in options]
        result = CliRunner().invoke(cli, ["-q", "layers", "convert", str(small_sample / source),
                                          "--kind", kind, *args, "-o", str(out / f"{kind}.gpkg")])
        assert result.exit_code == 0, result.output
    return out


def scenario(folder: Path, inputs: str, workstreams: str = "") -> Path:
    path = folder / "scenario.yaml"
    path.write_text(f"""name: own
inputs:
{inputs}
grid: {{unconstrained_levels: [gsp]}}
plan: {{years: [2030], budget_gbp: 3000000}}
workstreams:
  retrofit: {{enabled: false}}
  laep: {{enabled: false}}
  sequestration: {{enabled: false}}
  chargers: {{walk_distance_m: 400, use_roads: false, charger_kw: [7, 22], ev_year: 2030}}
{workstreams}outputs: {{map: false, static_map: false}}
solver: {{time_limit_s: 20}}
""", encoding="utf-8")
    return path


def written(folder: Path, name: str, layer: str | None = None) -> pd.DataFrame:
    frame = gpd.read_file(folder / name, layer=layer or Path(name).stem)
    return frame.drop(columns=[c for c in ("geometry",) if c in frame.columns])


def test_every_converted_kind_is_read_back_as_written(converted: Path) -> None:
    path = scenario(converted, """  zones: zones.gpkg
  grid: substations.gpkg
  epc: buildings.gpkg
  chargers: chargers.gpkg
  vehicles: ev_demand.gpkg
  car_parks: sites.gpkg
  land_cover: land.gpkg""")
    layers = prepare_layers(layer_inputs(load_scenario(path)))
    pairs = {"zones": layers.zones, "substations": layers.substations,
             "buildings": layers.buildings, "chargers": layers.chargers,
             "sites": layers.sites, "land": layers.land, "ev_demand": layers.ev_demand}
    for kind, frame in pairs.items():
        mine = written(converted, f"{kind}.gpkg", kind)
        assert frame is not None, kind
        key = mine.columns[0]
        got = frame.sort_values(key).reset_index(drop=True)
        want = mine.sort_values(key).reset_index(drop=True)
        assert got[key].astype(str).tolist() == want[key].astype(str).tolist(), kind
        for column in want.columns:  # every written value comes back (plus substation_id...)
            pd.testing.assert_series_equal(got[column].astype(want[column].dtype),
                                           want[column], check_names=False, obj=kind)
    assert len(layers.headroom) == len(written(converted, "substations.gpkg", "headroom"))


def test_converted_layers_run_a_plan_and_plan_gpkg_feeds_the_next(converted: Path,
                                                                    tmp_path: Path) -> None:
    path = scenario(converted, """  zones: zones.gpkg
  grid: substations.gpkg
  chargers: chargers.gpkg
  vehicles: ev_demand.gpkg
  car_parks: sites.gpkg""")
    run = run_scenario(path, tmp_path / "run")
    plan = tmp_path / "run" / "plan.gpkg"
    assert plan.is_file()
    chosen = gpd.read_file(plan, layer="chargers")
    assert chosen["selected"].astype(bool).any()
    plan_zones = gpd.read_file(plan, layer="zones")
    assert not plan_zones["zone_id"].duplicated().any()  # one row per zone, flags merged
    again = scenario(tmp_path, f"""  zones: {plan}
  districts: {plan}
  grid: {plan}
  chargers: {converted / 'chargers.gpkg'}
  vehicles: {converted / 'ev_demand.gpkg'}""")
    layers = prepare_layers(layer_inputs(load_scenario(again)))
    assert sorted(layers.zones["zone_id"]) == sorted(written(converted, "zones.gpkg")["zone_id"])
    assert sorted(layers.districts["district_name"]) == sorted(
        written(plan.parent, "plan.gpkg", "districts")["district_name"])
    assert sorted(layers.substations["substation_id"]) == sorted(
        written(converted, "substations.gpkg")["substation_id"])
    assert run.summary is not None


def test_own_layers_are_described_as_read(converted: Path) -> None:
    result = CliRunner().invoke(cli, ["layers", "validate", str(converted / "sites.gpkg"),
                                      "--kind", "sites"])
    assert result.exit_code == 0, result.output
    rows = len(written(converted, "sites.gpkg"))
    assert f"sites: {rows:,} rows (geoplan's own layer, read as written)" in result.output
    assert "read as geoplan-gpkg" in result.output


def test_an_edited_own_sites_layer_keeps_its_edits(converted: Path, tmp_path: Path) -> None:
    sites = gpd.read_file(converted / "sites.gpkg", layer="sites")
    sites["max_chargers"] = 1
    sites.to_file(tmp_path / "sites.gpkg", layer="sites")
    read = read_layers(tmp_path / "sites.gpkg", "sites", site_kind="car_park")
    assert read.layers["sites"]["max_chargers"].tolist() == [1] * len(sites)


def test_own_homes_with_unknown_zones_take_the_homes_zone_rule(converted: Path,
                                                              tmp_path: Path) -> None:
    # three homes whose zone_id is not among the zones: one inside a zone, one on the border
    # of two zones, one outside every zone; placed as buildings_from_epc places homes
    zones = gpd.read_file(converted / "zones.gpkg", layer="zones").sort_values("zone_id")
    a = zones.iloc[0]
    touching = zones[zones.geometry.touches(a.geometry) & (zones["zone_id"] != a["zone_id"])]
    b = touching.iloc[0]
    border = a.geometry.boundary.intersection(b.geometry.boundary)
    on_border = border.interpolate(0.5, normalized=True)
    assert on_border.intersects(a.geometry)
    assert on_border.intersects(b.geometry)
    inside = b.geometry.representative_point()
    outside = shapely.Point(zones.total_bounds[2] + 5_000, zones.total_bounds[3] + 5_000)
    homes = gpd.read_file(converted / "buildings.gpkg", layer="buildings")
    homes.loc[homes.index[:3], "zone_id"] = "E0NOWHERE"
    homes.loc[homes.index[:3], "geometry"] = [inside, on_border, outside]
    homes.to_file(tmp_path / "buildings.gpkg", layer="buildings")

    read = read_layers(tmp_path / "buildings.gpkg", "buildings",
                       zones=converted / "zones.gpkg")

    placed = read.layers["buildings"]["zone_id"].iloc[:3].tolist()
    assert placed[0] == b["zone_id"]
    assert placed[1] == min(a["zone_id"], b["zone_id"])  # the smallest zone id on a border
    assert pd.isna(placed[2])
    rest = read.layers["buildings"]["zone_id"].iloc[3:]
    assert rest.fillna("-").tolist() == homes["zone_id"].iloc[3:].fillna("-").tolist()
    loose = 3 + int(homes["zone_id"].iloc[3:].isna().sum())  # outside every zone when written
    assert f"{loose:,} homes had a zone not among the zones given" in " ".join(read.warnings)


def test_a_zones_frame_not_in_british_national_grid_is_refused(converted: Path) -> None:
    # refused whether or not any home needs placing (it was used, or not, by the data)
    zones = gpd.read_file(converted / "zones.gpkg", layer="zones").to_crs("EPSG:3857")
    with pytest.raises(LayerSchemaError, match=r"zones are in EPSG:3857, expected EPSG:27700"):
        read_layers(converted / "buildings.gpkg", "buildings", zones=zones)
