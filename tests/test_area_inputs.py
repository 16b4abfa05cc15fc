"""Apportioned inputs: the mapping forms of inputs.vehicles / households / zones, the CLI."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from geoplan.cli import cli
from geoplan.errors import LayerSchemaError, ScenarioError
from geoplan.layers.apportion import WEIGHTS, AreaInput
from geoplan.layers.read import read_layers
from geoplan.layers.zones import ZoneFile
from geoplan.pipeline import layer_inputs
from geoplan.scenario import load_scenario
from geoplan.scenario.models import APPORTION_WEIGHTS
from tests.conftest import real_file

BNG = "EPSG:27700"


@pytest.fixture
def county(tmp_path: Path) -> Path:
    """Four zones Z1..Z4 in a row (district D1); two MSOA-like areas M1 = Z1+Z2, M2 = Z3+Z4;
    vehicles per old code O1 -> M1 (U), O2 -> M2 (U); households per area."""
    zones = gpd.GeoDataFrame({"LSOA21CD": ["Z1", "Z2", "Z3", "Z4"],
                              "LAD22CD": ["D1"] * 4, "LAD22NM": ["Dee"] * 4},
                             geometry=[box(100 * i, 0, 100 * (i + 1), 100) for i in range(4)],
                             crs=BNG)
    zones.to_file(tmp_path / "zones.gpkg")
    gpd.GeoDataFrame({"MSOA21CD": ["M1", "M2"]},
                     geometry=[box(0, 0, 200, 100), box(200, 0, 400, 100)],
                     crs=BNG).to_file(tmp_path / "msoa.geojson")
    (tmp_path / "vehicles.csv").write_text("MSOA11CD,plug_in_cars\nO1,60\nO2,40\nO9,5\n",
                                           encoding="utf-8")
    (tmp_path / "lookup.csv").write_text("MSOA11CD,CHNGIND,MSOA21CD\nO1,U,M1\nO2,U,M2\n",
                                         encoding="utf-8")
    (tmp_path / "homes.csv").write_text("Middle layer Super Output Areas Code,Observation\n"
                                        "M1,300\nM2,100\n", encoding="utf-8")
    return tmp_path


def test_scenario_weights_match_the_apportion_module() -> None:
    assert APPORTION_WEIGHTS == WEIGHTS


def test_read_layers_apportions_vehicles_and_households(county: Path) -> None:
    zones = read_layers(county / "zones.gpkg", "zones").layers["zones"]
    homes = AreaInput(county / "homes.csv", areas=county / "msoa.geojson")
    cars = AreaInput(county / "vehicles.csv", lookup=county / "lookup.csv",
                     areas=county / "msoa.geojson", weight="households")
    result = read_layers(cars, "ev_demand", zones=zones, households=homes)
    frame = result.layers["ev_demand"].set_index("zone_id")
    assert frame["households"].tolist() == pytest.approx([150, 150, 50, 50])
    assert frame["evs_now"].tolist() == pytest.approx([30, 30, 20, 20])
    assert frame["households_no_offstreet"].tolist() == pytest.approx([49.5, 49.5, 16.5, 16.5])
    assert result.summary["apportioned"]["vehicles"]["codes_left_out"] == ["O9"]
    assert result.summary["codes_left_out"] == 1
    assert any("1 area codes are not in the lookup" in w for w in result.warnings)


def test_vehicles_weighted_by_zone_households_without_a_weights_table(county: Path) -> None:
    """Zone households (e.g. the building stock's) weigh dwellings and households alike:
    by hand, M1's 60 split 30:10 over Z1, Z2 and M2's 40 split 5:15 over Z3, Z4."""
    zones = read_layers(county / "zones.gpkg", "zones").layers["zones"]
    homes = pd.Series({"Z4": 15.0, "Z3": 5.0, "Z2": 10.0, "Z1": 30.0})
    for weight in ("dwellings", "households"):
        cars = AreaInput(county / "vehicles.csv", lookup=county / "lookup.csv",
                         areas=county / "msoa.geojson", weight=weight)
        result = read_layers(cars, "ev_demand", zones=zones, zone_households=homes)
        frame = result.layers["ev_demand"].set_index("zone_id")
        assert frame["evs_now"].tolist() == pytest.approx([45, 15, 10, 30])
    with pytest.raises(LayerSchemaError, match="weight 'dwellings' has no values"):
        read_layers(AreaInput(cars.path, lookup=cars.lookup, areas=cars.areas,
                              weight="dwellings"), "ev_demand", zones=zones)


def write_scenario(folder: Path, inputs: str) -> Path:
    (folder / "grid.csv").write_text("x\n", encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(f"name: t\ninputs:\n  grid: grid.csv\n{inputs}", encoding="utf-8")
    return path


def test_scenario_mapping_forms_reach_the_layer_inputs(county: Path) -> None:
    path = write_scenario(county, """  zones: {path: zones.gpkg, id_column: LSOA21CD}
  households: {path: homes.csv, areas: msoa.geojson, columns: [Observation]}
  vehicles:
    path: vehicles.csv
    lookup: lookup.csv
    lookup_columns: [MSOA11CD, MSOA21CD]
    areas: msoa.geojson
    weight: households
    weights: homes.csv
""")
    inputs = layer_inputs(load_scenario(path))
    assert inputs.zones == ZoneFile(county / "zones.gpkg", id_column="LSOA21CD")
    assert inputs.vehicles == AreaInput(county / "vehicles.csv", lookup=county / "lookup.csv",
                                        lookup_columns=("MSOA11CD", "MSOA21CD"),
                                        areas=county / "msoa.geojson", weight="households",
                                        weights=county / "homes.csv")
    assert inputs.households == AreaInput(county / "homes.csv", columns=("Observation",),
                                          areas=county / "msoa.geojson")
    plain = layer_inputs(load_scenario(write_scenario(county, "  zones: zones.gpkg\n"
                                                              "  vehicles: vehicles.csv\n")))
    assert plain.vehicles == county / "vehicles.csv"
    assert plain.zones == county / "zones.gpkg"


def test_scenario_mapping_errors_name_their_key(county: Path) -> None:
    path = write_scenario(county, """  zones: {path: zones.gpkg, id_colum: LSOA21CD}
  vehicles: {path: vehicles.csv, weight: people, lookup: missing.csv}
""")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    text = str(caught.value)
    assert "inputs.zones.id_colum: unknown key (fix: did you mean 'id_column'?" in text
    assert "inputs.vehicles.weight: 'people' is not allowed" in text
    assert "inputs.vehicles.lookup: no such file" in text
    dwellings = """  zones: zones.gpkg
  vehicles: {path: vehicles.csv, weight: dwellings}
  households: {path: homes.csv, weight: dwellings}
"""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_scenario(county, dwellings))
    assert "inputs.households.weights: is required with weight: dwellings" in str(caught.value)
    vehicles_only = dwellings.replace("homes.csv, weight: dwellings", "homes.csv")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_scenario(county, vehicles_only))
    assert "inputs.vehicles.weights: is required with weight: dwellings (a table of " \
        "dwellings per area or zone, or inputs.building_stock)" in str(caught.value)


def test_cli_apportion_writes_a_zone_table(county: Path) -> None:
    out = county / "homes_by_zone.csv"
    result = CliRunner().invoke(cli, ["layers", "apportion", str(county / "homes.csv"),
                                      "--zones", str(county / "zones.gpkg"), "--areas",
                                      str(county / "msoa.geojson"), "--name", "households",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table.to_dict("list") == {"zone_id": ["Z1", "Z2", "Z3", "Z4"],
                                     "households": [150.0, 150.0, 50.0, 50.0]}
    assert "Observation: read 400.0; codes resolved 400.0" in result.output


def test_cli_convert_ev_demand_with_lookup_and_areas(county: Path) -> None:
    out = county / "ev.gpkg"
    args = ["layers", "convert", str(county / "vehicles.csv"), "--kind", "ev_demand",
            "--zones", str(county / "zones.gpkg"), "--lookup", str(county / "lookup.csv"),
            "--areas", str(county / "msoa.geojson"), "--weight", "households", "--weights",
            str(county / "homes.csv"), "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    frame = gpd.read_file(out, layer="ev_demand")
    assert frame["evs_now"].tolist() == pytest.approx([30, 30, 20, 20])
    shown = CliRunner().invoke(cli, ["layers", "validate", *args[2:-2]])
    assert "vehicles apportioned (lookup then polygons, weight households): read 105, in the " \
           "zones 100, 1 codes left out" in shown.output
    wrong = CliRunner().invoke(cli, ["layers", "convert", str(county / "zones.gpkg"), "--kind",
                                     "zones", "--lookup", str(county / "lookup.csv"), "-o",
                                     str(county / "z.gpkg")])
    assert wrong.exit_code == 2
    assert "--lookup applies to --kind ev_demand" in wrong.output


@pytest.mark.real_data
def test_real_dft_vehicles_reach_lsoa_ev_demand(real_data: Path) -> None:
    """The issue's recipe: DfT MSOA 2011 ULEVs and Census MSOA 2021 households -> LSOAs."""
    census = real_file(real_data, "census/oxon_msoa21_households_census2021.csv")
    msoa = real_file(real_data, "boundaries/msoa21")
    zones = read_layers(real_file(real_data, "boundaries/lsoa21"), "zones").layers["zones"]
    cars = AreaInput(real_file(real_data, "ev/oxon_msoa_ev_indicators_2021_2022.csv"),
                     lookup=real_file(real_data, "boundaries/oxon_msoa11_to_msoa21_lookup.csv"),
                     areas=msoa, weight="households")
    result = read_layers(cars, "ev_demand", zones=zones,
                         households=AreaInput(census, areas=msoa))
    frame = result.layers["ev_demand"]
    assert len(frame) == 428
    assert frame["evs_now"].sum() == pytest.approx(66411.0)  # every DfT row resolves
    assert frame["households"].sum() == pytest.approx(288107.0)
    assert frame["households_no_offstreet"].notna().all()
    assert result.summary["vehicle_columns"] == ["ulevs_q3_2021_representative"]


def test_run_manifest_names_every_file_of_a_mapping_input(county: Path) -> None:
    from geoplan.layers.prepare import LayerInputs
    from geoplan.outputs.manifest import input_paths

    inputs = LayerInputs(zones=ZoneFile(county / "zones.gpkg", id_column="LSOA21CD"),
                         grid=county / "grid.csv",
                         vehicles=AreaInput(county / "vehicles.csv", lookup=county / "lookup.csv",
                                            areas=county / "msoa.geojson"))
    paths = input_paths(inputs)
    assert paths["zones"] == county / "zones.gpkg"
    assert paths["vehicles"] == county / "vehicles.csv"
    assert paths["vehicles:lookup"] == county / "lookup.csv"
    assert paths["vehicles:areas"] == county / "msoa.geojson"
    assert "vehicles:weights" not in paths


def test_districts_mapping_names_its_columns(county: Path) -> None:
    """Zones without district codes take the district they overlap from a file whose code
    and name columns follow no convention (inputs.districts: {path, id_column, name_column})."""
    from geoplan.layers.prepare import _read_districts

    gpd.GeoDataFrame({"ref": ["X1", "X2"], "title": ["West", "East"]},
                     geometry=[box(0, 0, 200, 100), box(200, 0, 400, 100)],
                     crs=BNG).to_file(county / "councils.gpkg")
    path = write_scenario(county, """  zones: zones.gpkg
  districts: {path: councils.gpkg, id_column: ref, name_column: title}
""")
    inputs = layer_inputs(load_scenario(path))
    assert inputs.districts == ZoneFile(county / "councils.gpkg", id_column="ref",
                                        name_column="title")
    districts = _read_districts(inputs.districts)
    assert districts is not None
    assert districts[["district_id", "district_name"]].to_dict("list") == {
        "district_id": ["X1", "X2"], "district_name": ["West", "East"]}
    bare = gpd.read_file(county / "zones.gpkg")[["LSOA21CD", "geometry"]]
    bare.to_file(county / "bare.gpkg")
    zones = read_layers(county / "bare.gpkg", "zones", districts=districts).layers["zones"]
    assert zones["district_name"].tolist() == ["West", "West", "East", "East"]
