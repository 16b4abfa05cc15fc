"""inputs.building_stock through the scenario file, prepare_layers and the workstreams."""

from pathlib import Path

import pandas as pd
import pytest

from geoplan.errors import LayerSchemaError, ScenarioError
from geoplan.layers.prepare import LayerInputs, prepare_layers, sample_inputs
from geoplan.layers.stock import StockInputs
from geoplan.layers.stock_reweight import COVERAGE_COLUMNS
from geoplan.pipeline import layer_inputs
from geoplan.scenario import load_scenario


def stock_inputs(small_sample: Path, *, epc: bool) -> LayerInputs:
    sample = sample_inputs(small_sample)
    return LayerInputs(zones=sample.zones, grid=sample.grid, within=sample.within,
                       epc=sample.epc if epc else None, postcodes=sample.postcodes,
                       uprn=sample.uprn,
                       building_stock=StockInputs(households=sample.households))


@pytest.fixture(scope="module")
def households(small_sample) -> pd.Series:
    table = pd.read_csv(sample_inputs(small_sample).households)
    return table.set_index("LSOA21CD")["households"]


def test_stock_alone_gives_the_buildings_layer(small_sample, households):
    layers = prepare_layers(stock_inputs(small_sample, epc=False))
    homes = layers.buildings
    assert homes["dwellings"].sum() == households.sum()
    assert (homes["stock_source"] == "aggregated").all()
    by_zone = layers.zones.set_index("zone_id")
    assert set(COVERAGE_COLUMNS) <= set(by_zone.columns)
    assert (by_zone["epc_certificates"] == 0).all()
    assert by_zone["households_census"].to_dict() == households.astype(float).to_dict()
    zoned = homes["zone_id"].map(by_zone["substation_id"])
    assert (homes["substation_id"] == zoned).all()
    assert any(w.startswith("buildings: heating: no heating table") for w in layers.warnings)


def test_certificates_are_reweighted_and_coverage_reported(small_sample, households):
    layers = prepare_layers(stock_inputs(small_sample, epc=True))
    homes = layers.buildings
    certificates = homes[homes["stock_source"] == "certificate"]
    zones = layers.zones.set_index("zone_id")
    counted = certificates[certificates["zone_id"].notna()].groupby("zone_id").size()
    assert zones["epc_certificates"].sum() == counted.sum() > 0
    assert (zones["epc_coverage"] == zones["epc_certificates"] / households).all()
    # each zone's certificates and archetypes stand for its Census households, apart from
    # certificates of unknown dwelling type, which keep weight 1
    typed = certificates["dwelling_type"].notna() & certificates["zone_id"].notna()
    stands = homes[homes["zone_id"].notna()].groupby("zone_id")["dwellings"].sum()
    loose = certificates[~typed & certificates["zone_id"].notna()].groupby("zone_id").size()
    expected = households.reindex(stands.index) + loose.reindex(stands.index).fillna(0)
    assert (stands - expected).abs().max() < 1e-6


def test_scenario_key_reaches_the_layer_inputs(tmp_path, small_sample):
    sample = sample_inputs(small_sample)
    text = (f"name: stock\ninputs:\n  zones: {sample.zones}\n  grid: {sample.grid}\n"
            "  building_stock:\n    households: tables/households.csv\n"
            "    areas: [tables]\n    weight: area\n")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "households.csv").write_text(sample.households.read_text())
    (tmp_path / "s.yaml").write_text(text)
    scenario = load_scenario(tmp_path / "s.yaml")
    given = layer_inputs(scenario).building_stock
    assert given == StockInputs(households=tmp_path / "tables" / "households.csv",
                                areas=(tmp_path / "tables",), weight="area")
    (tmp_path / "bad.yaml").write_text(text.replace("weight: area", "weight: people"))
    with pytest.raises(ScenarioError, match="weight"):
        load_scenario(tmp_path / "bad.yaml")


def test_no_homes_names_both_inputs(small_sample):
    from geoplan.planning.models import _need

    with pytest.raises(LayerSchemaError, match=r"inputs\.building_stock"):
        _need(None, "epc", "laep")


def test_a_run_on_the_stock_says_so(tmp_path, small_sample):
    import json

    import geopandas as gpd

    from geoplan.pipeline import run_scenario

    sample = sample_inputs(small_sample)
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "s.yaml").write_text(
        f"name: stock\nextends: {root / 'scenarios' / 'retrofit.yaml'}\ninputs:\n"
        f"  sample: null\n  zones: {sample.zones}\n  grid: {sample.grid}\n"
        f"  within: Oxfordshire\n  building_stock:\n    households: {sample.households}\n"
        "plan: {years: [2030], tradeoff_fractions: []}\n"  # one period: the point is the text
        "outputs: {map: false, static_map: false}\n")
    run_scenario(tmp_path / "s.yaml", tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    kpis = summary["kpis"]
    assert kpis["homes_from_aggregated_data"] == kpis["homes"] > 0
    assert kpis["tco2e_per_yr_low"] < kpis["reduction_tco2e_per_yr"] < kpis["tco2e_per_yr_high"]
    assert summary["warnings"][0].startswith("building stock: ")
    zones = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="zones")
    assert set(COVERAGE_COLUMNS) <= set(zones.columns)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["inputs"]["building_stock:households"]["path"] == str(sample.households)


def test_vehicles_weighted_by_the_stock_households(tmp_path, small_sample, households):
    """Vehicles of one area over every zone, weight dwellings, no weights table: each zone
    gets the area's 1,000 in proportion to the stock's households."""
    from dataclasses import replace

    from geoplan.layers.apportion import AreaInput

    (tmp_path / "cars.csv").write_text("MSOA21CD,plug_in_cars\nM1,1000\n", encoding="utf-8")
    pairs = "\n".join(f"M1,{z}" for z in households.index)
    (tmp_path / "lookup.csv").write_text(f"MSOA21CD,LSOA21CD\n{pairs}\n", encoding="utf-8")
    cars = AreaInput(tmp_path / "cars.csv", lookup=tmp_path / "lookup.csv",
                     lookup_columns=("MSOA21CD", "LSOA21CD"), weight="dwellings")
    layers = prepare_layers(replace(stock_inputs(small_sample, epc=False), vehicles=cars))
    evs = layers.ev_demand.set_index("zone_id")["evs_now"]
    expected = 1000 * households / households.sum()
    assert evs.to_dict() == pytest.approx(expected.to_dict())
