"""The embedded sample county: deterministic, realistic counts, and read by geoplan's readers.

The small sample is generated once per module (a few seconds); a second generation through the
CLI checks that the same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from click.testing import CliRunner

from geoplan.cli import cli
from geoplan.errors import OutputExistsError, ScenarioError
from geoplan.layers.read import read_layers
from geoplan.layers.zones import districts_from_file, zones_from_file
from geoplan.sample import DEFAULT_SEED, SCALES, write_sample
from geoplan.sample import build as sample_build
from geoplan.sample.addresses import CODEPOINT_COLUMNS, UPRN_COLUMNS
from geoplan.sample.dwellings import BAND_SHARES
from geoplan.sample.emissions import EMISSIONS_COLUMNS
from geoplan.sample.readme import FILES
from geoplan.sources import read_grid
from tests.conftest import real_file

DISTRICTS = {
    "E07000177": "Cherwell",
    "E07000178": "Oxford",
    "E07000179": "South Oxfordshire",
    "E07000180": "Vale of White Horse",
    "E07000181": "West Oxfordshire",
}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``geoplan sample <folder> --seed <default>`` (the small scale): the folder and the
    command's output. The session's ``small_sample`` is ``write_sample``'s, to compare."""
    folder = tmp_path_factory.mktemp("sample") / "oxon"
    result = CliRunner().invoke(cli, ["sample", str(folder), "--seed", str(DEFAULT_SEED)])
    assert result.exit_code == 0, result.output
    return folder, result.output


@pytest.fixture(scope="module")
def sample(written: tuple[Path, str]) -> Path:
    return written[0]


@pytest.fixture(scope="module")
def epc_homes(sample: Path) -> object:
    epc = pytest.importorskip("geoplan.sources.epc")
    return epc.read_epc_certificates(sample / "epc")


@pytest.fixture(scope="module")
def counts(sample: Path) -> dict[str, object]:
    return json.loads((sample / "sample.json").read_text())["counts"]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


# --- the folder ---------------------------------------------------------------------------


def test_cli_with_the_same_seed_writes_byte_identical_files(written, small_sample):
    # the module's sample is the command's; the session's is write_sample(scale="small")
    again, output = written
    assert "wrote synthetic sample" in output
    first, second = _files(small_sample), _files(again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_readme_says_synthetic_first_and_lists_every_file(sample):
    lines = (sample / "README.md").read_text().splitlines()
    assert "SYNTHETIC" in lines[0]
    text = "\n".join(lines)
    for path, _, _ in FILES:
        assert f"`{path}`" in text
        pattern = path.replace("<code>-<name>", "*")
        assert list(sample.glob(pattern)), f"{pattern} was not written"


def test_manifest_records_scale_seed_version_counts_and_files(sample, counts):
    manifest = json.loads((sample / "sample.json").read_text())
    assert manifest["synthetic"] is True
    assert (manifest["scale"], manifest["seed"]) == ("small", DEFAULT_SEED)
    assert manifest["geoplan_version"]
    written = sorted(str(p.relative_to(sample)) for p in sample.rglob("*") if p.is_file())
    assert sorted(manifest["files"]) == written
    assert counts["zones"] == 430
    assert counts["homes"] == SCALES["small"].homes
    assert 60 <= counts["primaries"] <= 70


def test_no_temporary_folders_are_left_beside_the_sample(sample):
    assert [p.name for p in sample.parent.iterdir()] == [sample.name]


# --- boundaries ---------------------------------------------------------------------------


def test_zones_read_with_districts(sample):
    zones = zones_from_file(sample / "boundaries/zones.gpkg",
                            districts=sample / "boundaries/districts.gpkg")
    assert 420 <= len(zones) <= 440
    assert zones.attrs["warnings"] == []
    assert dict(zip(zones["district_id"], zones["district_name"], strict=True)) == DISTRICTS
    assert zones["zone_id"].str.fullmatch(r"E019\d{5}").all()
    assert zones["zone_name"].str.fullmatch(r".+ \d{3}[A-E]").all()
    assert zones.crs.to_epsg() == 27700
    per_district = zones.groupby("district_name").size()
    assert per_district.min() >= 70
    areas = zones.area / 1e6
    in_oxford = zones["district_name"].eq("Oxford")
    assert areas[in_oxford].median() < areas[~in_oxford].median() / 3  # denser in town


def test_districts_have_the_real_names_and_codes(sample):
    districts = districts_from_file(sample / "boundaries/districts.gpkg")
    assert dict(zip(districts["district_id"], districts["district_name"], strict=True)) == \
        DISTRICTS
    total_km2 = districts.area.sum() / 1e6
    assert 2_300 < total_km2 < 3_000  # Oxfordshire is about 2,600 km2
    assert pyogrio.read_info(sample / "boundaries/districts.gpkg")["fields"].tolist() == \
        ["LAD21CD", "LAD21NM"]


def test_zones_select_a_district_by_name(sample):
    result = read_layers(sample / "boundaries/zones.gpkg", "zones", within="Oxford")
    assert set(result.layers["zones"]["district_id"]) == {"E07000178"}


# --- grid ---------------------------------------------------------------------------------


def test_headroom_report_reads_as_the_ssen_format(sample):
    grid = read_grid(sample / "grid/network-headroom-report.xlsx")
    assert grid.format == "ssen-headroom-report"
    assert grid.warnings == ()
    levels = grid.substations["level"].value_counts().to_dict()
    assert levels["gsp"] >= 3
    assert levels["bsp"] >= 5
    primaries = grid.substations[grid.substations["level"] == "primary"]
    assert primaries.geometry.notna().all()
    assert set(grid.headroom["scenario"]) == {"minimum", "CT", "LW", "ST", "SP"}


def test_within_oxfordshire_keeps_the_county_primaries(sample, counts):
    result = read_layers(sample / "grid/network-headroom-report.xlsx", "substations",
                         within="Oxfordshire")
    subs = result.layers["substations"]
    primaries = subs[subs["level"] == "primary"]
    assert len(primaries) == counts["primaries"]
    assert 60 <= len(primaries) <= 70
    assert "primary-HIGHWORTH" not in set(subs["substation_id"])  # a neighbouring area's
    parents = set(subs["parent_id"].dropna())
    assert parents <= set(subs["substation_id"])


def test_headroom_becomes_constrained_in_later_years(sample):
    head = read_grid(sample / "grid/network-headroom-report.xlsx").headroom
    winter = head[(head["scenario"] == "minimum") & (head["season"] == "winter")]
    negative = winter[winter["headroom_mva"] < 0].groupby("year")["substation_id"].nunique()
    assert 0 < negative.get(2023, 0) < negative.get(2035, 0) < negative.get(2050, 0)
    steady = head[(head["scenario"] == "SP") & (head["season"] == "winter")]
    assert (steady["headroom_mva"] < 0).sum() < (winter["headroom_mva"] < 0).sum()


def test_workbook_has_fixed_timestamps(sample):
    import zipfile

    with zipfile.ZipFile(sample / "grid/network-headroom-report.xlsx") as book:
        assert {info.date_time for info in book.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode()
    assert re.findall(r"<dcterms:\w+[^>]*>([^<]+)<", core) == ["2000-01-01T00:00:00Z"] * 2


# --- land ---------------------------------------------------------------------------------


def test_land_cover_is_a_tiled_lcm_geotiff(sample):
    with rasterio.open(sample / "land/land_cover.tif") as src:
        assert src.crs.to_epsg() == 27700
        assert src.dtypes == ("uint8",)
        assert src.nodata == 0
        assert src.res == (50.0, 50.0)
        assert src.profile["tiled"]
        assert src.compression.name.lower() == "deflate"
        codes = np.unique(src.read(1))
    assert set(codes.tolist()) <= set(range(22))
    assert {0, 1, 3, 4, 14, 20, 21} <= set(codes.tolist())


def test_exclusions_have_both_layers(sample):
    layers = dict(pyogrio.list_layers(sample / "land/exclusions.gpkg"))
    assert set(layers) == {"protected_sites", "flood_zones"}
    sites = gpd.read_file(sample / "land/exclusions.gpkg", layer="protected_sites")
    assert sites.crs.to_epsg() == 27700
    assert len(sites) > 10


def test_land_parcels_from_the_sample_raster(sample):
    land_module = pytest.importorskip("geoplan.layers.land")
    exclusions = [land_module.Exclusion(layer, sample / "land/exclusions.gpkg", layer)
                  for layer in ("protected_sites", "flood_zones")]
    zones = zones_from_file(sample / "boundaries/zones.gpkg")
    land = land_module.land_parcels_from_raster(sample / "land/land_cover.tif",
                                                exclusions=exclusions, zones=zones,
                                                block_size_m=2000)
    report = land.attrs["report"]
    assert set(land["land_use"]) >= {"woodland_creation"}
    assert report.excluded_ha["protected_sites"] > 0
    assert report.excluded_ha["flood_zones"] > 0
    assert land["zone_id"].notna().mean() > 0.95


# --- sites, roads, EV ----------------------------------------------------------------------


def test_car_parks_are_osm_like_geojson_in_wgs84(sample):
    parks = gpd.read_file(sample / "sites/car_parks.geojson")
    assert parks.crs.to_epsg() == 4326
    assert set(parks.geom_type) == {"Point", "MultiPolygon"}
    assert 200 <= len(parks) <= 600
    assert {"osm_id", "osm_way_id", "name", "other", "lad_code"} <= set(parks.columns)
    assert set(parks["lad_code"]) == set(DISTRICTS)
    raw = json.loads((sample / "sites/car_parks.geojson").read_text())
    tags = [f["properties"]["other"] for f in raw["features"]]
    assert 0 < sum("capacity" in t for t in tags) < len(tags)


def test_car_parks_become_sites(sample):
    sites_module = pytest.importorskip("geoplan.layers.sites")
    sites = sites_module.sites_from_layer(sample / "sites/car_parks.geojson", kind="car_park")
    report = sites.attrs["report"]
    assert len(sites) > 150
    assert report["left_out"]["not public (access tag)"] > 0


def test_roads_form_one_connected_network(sample):
    roads = gpd.read_file(sample / "roads/roads.gpkg", layer="road_link")
    assert roads.crs.to_epsg() == 27700
    assert {"Motorway", "A Road", "B Road"} <= set(roads["road_classification"])
    graph = nx.Graph()
    for line in roads.geometry:
        graph.add_edge(tuple(np.round(line.coords[0], 2)), tuple(np.round(line.coords[-1], 2)))
    assert nx.number_connected_components(graph) == 1


def test_chargepoints_follow_the_registry_layout_with_its_quirks(sample):
    registry = pytest.importorskip("geoplan.sources.chargepoint_registry")
    with (sample / "ev/chargepoints.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    assert tuple(header) == registry.NCR_COLUMNS
    records = registry.read_chargepoints(sample / "ev/chargepoints.csv")
    assert 150 <= records.rows_kept <= 200
    assert len(records.rejected_by_reason()["wrong number of fields"]) == 4  # 2 broken records
    assert records.frame["date_created"].isna().sum() == 2  # the 0000-00-00 dates
    assert records.frame.crs.to_epsg() == 27700
    assert records.frame["kw"].max() >= 50


def test_ev_tables_cover_every_zone(sample):
    zones = pyogrio.read_dataframe(sample / "boundaries/zones.gpkg", read_geometry=False)
    vehicles = pd.read_csv(sample / "ev/vehicles_by_zone.csv")
    households = pd.read_csv(sample / "ev/households_by_zone.csv")
    assert list(vehicles.columns[:1]) == ["LSOA21CD"]
    assert {"plugin_cars", "plugin_vans"} <= set(vehicles.columns)
    assert list(households.columns) == ["LSOA21CD", "households", "households_no_offstreet"]
    assert set(vehicles["LSOA21CD"]) == set(households["LSOA21CD"]) == set(zones["LSOA21CD"])
    assert (households["households_no_offstreet"] <= households["households"]).all()
    assert 250_000 < households["households"].sum() < 330_000


# --- homes --------------------------------------------------------------------------------


def test_epc_folders_read_as_certificates(sample, counts, epc_homes):
    epc = pytest.importorskip("geoplan.sources.epc")
    folders = sorted(p.name for p in (sample / "epc").iterdir())
    assert folders == [f"domestic-{code}-{name.replace(' ', '-')}"
                       for code, name in DISTRICTS.items()]
    with (sample / "epc" / folders[0] / "certificates.csv").open(newline="") as handle:
        assert tuple(next(csv.reader(handle))) == epc.CERTIFICATE_COLUMNS
    records = epc_homes
    homes = records.frame
    assert len(homes) == counts["homes"]
    assert records.duplicates_dropped == counts["homes_with_two_certificates"] > 0
    assert records.sentinels["CONSTRUCTION_AGE_BAND"] > 0
    assert homes["building_id"].str.startswith("uprn:").all()  # older rows linked by BRN
    shares = homes["epc_band"].value_counts(normalize=True)
    for band, share in BAND_SHARES.items():
        assert shares.get(band, 0) == pytest.approx(share, abs=0.02)
    assert set(homes["tenure"]) >= {"owner-occupied", "private rented", "social rented"}
    assert {"mains gas", "electricity", "oil"} <= set(homes["main_fuel"])


def test_epc_bands_agree_with_sap_scores(epc_homes):
    homes = epc_homes.frame
    edges = {"A": 92, "B": 81, "C": 69, "D": 55, "E": 39, "F": 21, "G": 1}
    for band, low in edges.items():
        scores = homes.loc[homes["epc_band"] == band, "sap_score"]
        assert (scores >= low).all(), band


def test_rural_homes_are_more_often_off_gas(epc_homes):
    homes = epc_homes.frame
    city = homes["local_authority"] == "E07000178"
    off_gas = ~homes["mains_gas"].fillna(True).astype(bool)
    assert off_gas[~city].mean() > off_gas[city].mean()


def test_postcode_and_uprn_files(sample, counts):
    postcodes = pd.read_csv(sample / "postcodes/codepoint.csv", dtype=str)
    assert list(postcodes.columns) == CODEPOINT_COLUMNS
    assert postcodes["Postcode"].str.len().eq(7).all()
    assert postcodes["Postcode"].is_unique
    assert set(postcodes["Admin_district_code"]) == set(DISTRICTS)
    uprn = pd.read_csv(sample / "uprn/osopenuprn.csv")
    assert list(uprn.columns) == UPRN_COLUMNS
    assert 0.4 < len(uprn) / counts["homes"] < 0.6
    assert uprn["LATITUDE"].between(51.4, 52.2).all()
    certificates = pd.concat(pd.read_csv(p, usecols=["POSTCODE"], dtype=str)
                             for p in (sample / "epc").rglob("certificates.csv"))
    known = set(postcodes["Postcode"].str.replace(" ", ""))
    unknown = ~certificates["POSTCODE"].str.upper().str.replace(" ", "").isin(known)
    assert 0.003 < unknown.mean() < 0.03  # geocoding by postcode must report some misses


def test_codepoint_header_matches_the_real_file(sample, real_data):
    real = real_file(real_data, "postcodes/oxon_codepoint_open_2014_postcodes.csv")
    with real.open(newline="") as handle:
        assert next(csv.reader(handle)) == CODEPOINT_COLUMNS


def test_emissions_have_the_published_wide_layout(sample):
    table = pd.read_csv(sample / "emissions/district_emissions.csv")
    assert list(table.columns) == EMISSIONS_COLUMNS
    assert set(table["gss_code"]) == {*DISTRICTS, "E10000025"}
    assert sorted(table["Year"].unique()) == list(range(2005, 2021))
    county = table[table["gss_code"] == "E10000025"].set_index("Year")["Total Emissions:kt CO2"]
    parts = table[table["gss_code"] != "E10000025"].groupby("Year")["Total Emissions:kt CO2"]
    assert np.allclose(county, parts.sum())
    assert county[2020] < county[2005]


def test_emissions_header_matches_the_real_file(real_data):
    real = real_file(real_data, "emissions/oxon_la_co2_emissions_2005_2020_mysociety.csv")
    with real.open(newline="") as handle:
        assert next(csv.reader(handle)) == EMISSIONS_COLUMNS


# --- refusing, replacing, failing ---------------------------------------------------------


def test_cli_refuses_an_existing_folder(sample):
    before = _files(sample)
    result = CliRunner().invoke(cli, ["sample", str(sample)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert "--overwrite" in result.output
    assert _files(sample) == before


def test_cli_rejects_an_unknown_scale(tmp_path):
    result = CliRunner().invoke(cli, ["sample", str(tmp_path / "x"), "--scale", "huge"])
    assert result.exit_code == 2
    assert "small" in result.output
    assert not (tmp_path / "x").exists()


_EARLIER_SAMPLE = json.dumps({"synthetic": True, "geoplan_version": "0.1.0",
                              "files": ["sample.json"]})
"""The sample.json of an earlier sample that held nothing else."""


def _quick(folder: Path, scale: object, seed: int, progress: object) -> dict[str, object]:
    (folder / "marker.txt").write_text(f"seed {seed}")
    return {"zones": 0}


def test_overwrite_replaces_an_earlier_sample_atomically(tmp_path, monkeypatch):
    monkeypatch.setattr(sample_build, "_generate", _quick)
    target = tmp_path / "out"
    target.mkdir()
    (target / "sample.json").write_text(_EARLIER_SAMPLE)
    with pytest.raises(OutputExistsError, match="already exists"):
        write_sample(target, seed=1)
    write_sample(target, seed=2, overwrite=True)
    assert sorted(p.name for p in target.iterdir()) == ["marker.txt"]
    assert (target / "marker.txt").read_text() == "seed 2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_overwrite_never_deletes_a_folder_that_is_not_a_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(sample_build, "_generate", _quick)
    target = tmp_path / "project"
    target.mkdir()
    (target / "notes.txt").write_text("precious")
    with pytest.raises(OutputExistsError, match="not a geoplan sample folder"):
        write_sample(target, overwrite=True)
    assert (target / "notes.txt").read_text() == "precious"
    result = CliRunner().invoke(cli, ["sample", str(target), "--overwrite"])
    assert result.exit_code == 2
    assert "not a geoplan sample folder" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_missing_openpyxl_is_reported_with_the_fix(tmp_path, monkeypatch):
    find_spec = sample_build.importlib.util.find_spec
    monkeypatch.setattr(sample_build.importlib.util, "find_spec",
                        lambda name, *a: None if name == "openpyxl" else find_spec(name, *a))
    result = CliRunner().invoke(cli, ["sample", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "pip install" in result.output
    assert not (tmp_path / "out").exists()


def test_a_failed_run_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(folder: Path, *args: object) -> dict[str, object]:
        (folder / "half.txt").write_text("half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(sample_build, "_generate", broken)
    target = tmp_path / "out"
    target.mkdir()
    (target / "sample.json").write_text(_EARLIER_SAMPLE)
    with pytest.raises(RuntimeError, match="disk full"):
        write_sample(target, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in target.iterdir()) == ["sample.json"]


@pytest.mark.parametrize(("options", "message"), [
    ({"scale": "huge"}, "not one of"),
    ({"seed": -1}, "must be a whole number"),
])
def test_bad_options_are_refused_before_any_work(tmp_path, options, message):
    with pytest.raises(ScenarioError, match=message):
        write_sample(tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()
