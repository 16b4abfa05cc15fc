"""``geoplan layers convert/validate`` for buildings, ev_demand, chargers, sites and land.

Every test reads the embedded sample county (``geoplan sample``, scale small, seed 2024;
counts in its ``sample.json``) and reopens what ``convert`` wrote.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner

from geoplan.cli import cli
from geoplan.errors import AreaNotFoundError, LayerSchemaError
from geoplan.layers.read import open_layer, read_layers
from geoplan.schemas import BUILDINGS, EV_DEMAND, validate_layer


def run(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def s(small_sample: Path) -> dict[str, Path]:
    """Paths of the sample's files by short name."""
    return {"zones": small_sample / "boundaries/zones.gpkg", "epc": small_sample / "epc",
            "postcodes": small_sample / "postcodes/codepoint.csv",
            "uprn": small_sample / "uprn/osopenuprn.csv",
            "vehicles": small_sample / "ev/vehicles_by_zone.csv",
            "households": small_sample / "ev/households_by_zone.csv",
            "chargers": small_sample / "ev/chargepoints.csv",
            "car_parks": small_sample / "sites/car_parks.geojson",
            "land": small_sample / "land/land_cover.tif",
            "exclusions": small_sample / "land/exclusions.gpkg"}


def test_buildings_convert_and_reopen(s, tmp_path):
    out = tmp_path / "buildings.gpkg"
    result = run("layers", "convert", s["epc"], "--kind", "buildings", "--postcodes",
                 s["postcodes"], "--uprn", s["uprn"], "--zones", s["zones"], "-o", out)
    assert result.exit_code == 0, result.output
    assert "buildings: 8,000 rows, zone_buildings: 430 rows" in result.output
    assert dict(pyogrio.list_layers(out)) == {"buildings": "Point", "zone_buildings": None}
    homes = open_layer(out, "buildings")
    assert homes.crs.to_epsg() == 27700
    assert len(homes) == 8000
    # 4,086 homes have a UPRN in the UPRN file; 42 are in neither file
    assert homes["geocode_method"].value_counts().to_dict() == {"uprn": 4086,
                                                                "postcode": 3872}
    assert homes.geometry.isna().sum() == 42
    summary = pyogrio.read_dataframe(out, layer="zone_buildings")
    assert summary["homes"].sum() == 8000 - 42
    assert set(summary["zone_id"]) == set(homes["zone_id"].dropna()) | set(summary["zone_id"])


def test_buildings_validate_prints_match_rates(s):
    result = run("layers", "validate", s["epc"], "--kind", "buildings", "--postcodes",
                 s["postcodes"], "--uprn", s["uprn"])
    assert result.exit_code == 0, result.output
    assert "certificates: 8,754 in 5 files; homes: 8,000 (754 older certificates" in \
        result.output
    # 4,086 / 8,000 = 51.1%, 3,872 / 8,000 = 48.4%, 42 / 8,000 = 0.5%
    assert ("located by UPRN: 4,086 (51.1%), by postcode: 3,872 (48.4%), not located: 42 "
            "(0.5%)") in result.output
    assert "42 of 8,000 homes could not be located" in result.output


def test_buildings_within_a_district_keeps_its_zones(s, tmp_path):
    out = tmp_path / "oxford.gpkg"
    result = run("layers", "convert", s["epc"], "--kind", "buildings", "--postcodes",
                 s["postcodes"], "--zones", s["zones"], "--within", "Oxford", "-o", out)
    assert result.exit_code == 0, result.output
    homes = gpd.read_file(out, layer="buildings")
    zones = gpd.read_file(s["zones"])
    oxford = set(zones.loc[zones["LAD21NM"] == "Oxford", "LSOA21CD"])
    assert 0 < len(homes) < 8000
    assert set(homes["zone_id"]) <= oxford
    assert len(pyogrio.read_dataframe(out, layer="zone_buildings")) == len(oxford)


def test_ev_demand_convert_with_uptake(s, tmp_path):
    out = tmp_path / "ev.gpkg"
    result = run("layers", "convert", s["vehicles"], "--kind", "ev_demand", "--zones",
                 s["zones"], "--households", s["households"], "--chargers", s["chargers"],
                 "--uptake", "2030=120000", "-o", out)
    assert result.exit_code == 0, result.output
    ev = pyogrio.read_dataframe(out, layer="ev_demand")
    assert len(ev) == 430
    assert ev["households"].sum() == 300_341
    assert ev["evs_now"].sum() == 19_452 + 1_275  # plug-in cars + vans in sample.json
    # one county factor 120,000 / 20,727 scales every zone
    assert ev["evs_projected"].sum() == pytest.approx(120_000)
    ratio = ev["evs_projected"] / ev["evs_now"]
    assert np.allclose(ratio[ev["evs_now"] > 0], 120_000 / 20_727)
    assert ev["public_chargers_now"].sum() == 178


def test_ev_demand_layer_reads_back_valid(s):
    result = read_layers(s["vehicles"], "ev_demand", zones=s["zones"])
    validate_layer(result.layers["ev_demand"], EV_DEMAND, "ev")
    assert result.layers["ev_demand"]["public_chargers_now"].isna().all()
    assert any("no chargers given" in w for w in result.warnings)


def test_chargers_convert_and_validate(s, tmp_path):
    out = tmp_path / "chargers.gpkg"
    result = run("layers", "convert", s["chargers"], "--kind", "chargers", "-o", out)
    assert result.exit_code == 0, result.output
    chargers = open_layer(out, "chargers")
    # 180 devices, 2 broken over two lines each: 182 lines read, 4 left out
    assert len(chargers) == 178
    assert chargers["device_id"].is_unique
    assert (chargers["kw"] > 0).all()
    report = run("layers", "validate", s["chargers"], "--kind", "chargers")
    assert "rows read: 182; kept: 178; left out: wrong number of fields 4" in report.output


def test_sites_convert_prices_every_site(s, tmp_path):
    out = tmp_path / "sites.gpkg"
    result = run("layers", "convert", s["car_parks"], "--kind", "sites", "--site-kind",
                 "car_park", "-o", out)
    assert result.exit_code == 0, result.output
    sites = open_layer(out, "sites")
    # 430 car parks less 41 private, 72 of unknown size and 10 too small
    assert len(sites) == 430 - 41 - 72 - 10
    assert set(sites["kind"]) == {"car_park"}
    cost = sites["enabling_cost_gbp"] + sites["cost_per_charger_gbp"] * sites["max_chargers"]
    assert np.allclose(sites["cost_gbp"], cost)


def test_land_convert_with_exclusions(s, tmp_path):
    out = tmp_path / "land.gpkg"
    result = run("layers", "convert", s["land"], "--kind", "land", "--zones", s["zones"],
                 "--exclusion", f"protected_sites={s['exclusions']}", "--exclusion",
                 f"flood_zones={s['exclusions']}", "--block-size", "1000", "-o", out)
    assert result.exit_code == 0, result.output
    land = open_layer(out, "land")
    assert len(land) > 0
    assert land["zone_id"].notna().all()
    assert np.allclose(land["seq_tco2e_per_yr"],
                       land["seq_gross_tco2e_per_yr"] * (1 - land["buffer_share"]))
    # 1 km blocks of 50 m cells: at most 400 cells = 100 ha per parcel, at least 1 ha
    assert land["area_ha"].max() <= 100
    assert land["area_ha"].min() >= 1
    report = run("layers", "validate", s["land"], "--kind", "land", "--exclusion",
                 f"protected_sites={s['exclusions']}")
    assert report.exit_code == 0, report.output
    assert "excluded: protected_sites 1,422 ha" in report.output


def test_convert_refuses_to_overwrite(s, tmp_path):
    out = tmp_path / "c.gpkg"
    out.write_bytes(b"keep")
    result = run("layers", "convert", s["chargers"], "--kind", "chargers", "-o", out)
    assert result.exit_code == 2
    assert "already exists; pass --overwrite" in result.output
    assert out.read_bytes() == b"keep"
    assert run("layers", "convert", s["chargers"], "--kind", "chargers", "-o", out,
               "--overwrite").exit_code == 0
    assert len(gpd.read_file(out, layer="chargers")) == 178


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["@epc", "--kind", "buildings"], "--kind buildings needs --postcodes"),
        (["@vehicles", "--kind", "ev_demand"], "--kind ev_demand needs --zones"),
        (["@chargers", "--kind", "chargers", "--postcodes", "@postcodes"],
         "--postcodes applies to --kind buildings"),
        (["@land", "--kind", "land", "--site-kind", "car_park"],
         "--site-kind applies to --kind sites"),
        (["@chargers", "--kind", "chargers", "--year", "2030"],
         "--year applies to --kind substations"),
        (["@vehicles", "--kind", "ev_demand", "--zones", "@zones", "--uptake", "soon=1"],
         "soon=1 is not YEAR=EVS"),
        (["@land", "--kind", "land", "--exclusion", "nothing"],
         "'nothing' is not LABEL=PATH"),
    ],
)
def test_usage_errors(s, args, message):
    # "@name" stands for the sample file of that name
    result = run("layers", "validate", *[s[a[1:]] if a.startswith("@") else a for a in args])
    assert result.exit_code == 2
    assert message in result.output


def test_two_sources_only_for_zones_and_buildings(s):
    result = run("layers", "validate", s["chargers"], s["chargers"], "--kind", "chargers")
    assert result.exit_code == 2
    assert "--kind chargers reads one file at a time" in result.output


def test_bad_inputs_exit_2_naming_the_file(tmp_path):
    semicolons = tmp_path / "registry.csv"
    semicolons.write_text("chargeDeviceID;latitude;longitude\nA;51.7;-1.2\n")
    result = run("layers", "validate", semicolons, "--kind", "chargers")
    assert result.exit_code == 2
    assert "registry.csv: line 1 is semicolon-separated" in result.output
    raster = tmp_path / "nocrs.tif"
    with rasterio.open(raster, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8",
                       transform=Affine(10, 0, 450000, 0, -10, 210000)) as dst:
        dst.write(np.full((1, 4, 4), 3, dtype="uint8"))
    result = run("layers", "validate", raster, "--kind", "land")
    assert result.exit_code == 2
    assert "nocrs.tif: the raster has no coordinate reference system" in result.output


def test_library_needs_zones_for_ev_demand_and_names_for_within(s):
    with pytest.raises(LayerSchemaError, match="needs the zones"):
        read_layers(s["vehicles"], "ev_demand")
    with pytest.raises(AreaNotFoundError, match="also give the zones"):
        read_layers(s["chargers"], "chargers", within="Oxford")
    located = read_layers(s["chargers"], "chargers", within="Oxford", zones=s["zones"])
    assert 0 < len(located.layers["chargers"]) < 178


def test_buildings_layer_from_library_is_canonical(s):
    result = read_layers(s["epc"], "buildings", postcodes=s["postcodes"])
    validate_layer(result.layers["buildings"], BUILDINGS, "epc")
    assert list(result.layers) == ["buildings"]  # no zones, no zone summary
    assert result.summary["by_uprn"] == 0
