"""Tests for geoplan.layers.buildings: heat demand, zones, the buildings layer and zone totals."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoplan.assumptions import read_assumptions
from geoplan.errors import LayerSchemaError, MissingCRSError, SourceFormatError
from geoplan.layers.buildings import (
    HEAT_FACTORS,
    ZONE_SUMMARY_COLUMNS,
    BuildingsReport,
    assign_zone_ids,
    buildings_from_epc,
    heat_demand,
    zone_summary,
)
from geoplan.layers.zones import zones_from_file
from geoplan.schemas import BUILDINGS, CRS, validate_layer
from geoplan.sources.epc import read_epc_certificates
from geoplan.sources.geocode import GeocodeReport, geocode_homes, read_uprn_coordinates
from tests.conftest import real_file
from tests.test_source_epc import certificate, write_certificates

X0, Y0 = 450_000.0, 200_000.0


def zones_layer(count: int = 2) -> gpd.GeoDataFrame:
    """``count`` 100 m squares side by side, Z1 the westmost."""
    cells = [box(X0 + 100 * i, Y0, X0 + 100 * (i + 1), Y0 + 100) for i in range(count)]
    return gpd.GeoDataFrame({"zone_id": [f"Z{i + 1}" for i in range(count)],
                             "zone_name": [f"Zone {i + 1}" for i in range(count)],
                             "district_id": "E07000178", "district_name": "Oxford"},
                            geometry=cells, crs=CRS)


def homes_frame(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {"floor_area_m2": [100.0], "energy_consumption_kwh_m2": [200.0],
                                     "low_energy_lighting_pct": [50.0],
                                     "heating_system": ["mains gas"]}
    base.update(columns)
    return pd.DataFrame(base)


# --- heat demand --------------------------------------------------------------------------


def test_heat_demand_of_a_gas_home_by_hand() -> None:
    # SAP 2012 occupancy and lighting for 100 m2 with half low-energy lighting, then
    # (primary - lighting primary) / gas primary energy factor * boiler efficiency.
    occupancy = 1 + 1.76 * (1 - math.exp(-0.000349 * 86.1**2)) + 0.0013 * 86.1
    lighting = 59.73 * (100 * occupancy) ** 0.4714 * (1 - 0.5 * 0.5)
    expected = (200 * 100 - lighting * 3.07) / 1.22 * 0.84
    result = heat_demand(homes_frame())
    assert result.iloc[0] == pytest.approx(expected, rel=1e-12)
    assert result.iloc[0] == pytest.approx(12_435.6, abs=0.5)


def test_heat_demand_by_heating_system_and_missing_inputs() -> None:
    frame = homes_frame(
        floor_area_m2=[100.0, 100.0, 100.0, np.nan, 100.0, 10.0, 100.0],
        energy_consumption_kwh_m2=[200.0, 200.0, np.nan, 200.0, 5.0, 300.0, 200.0],
        low_energy_lighting_pct=[50.0, 50.0, 50.0, 50.0, 50.0, np.nan, 50.0],
        heating_system=["mains gas", "heat pump", "oil", "oil", "mains gas", "electricity",
                        "a fuel nobody knows"])
    result = heat_demand(frame)
    gas = result.iloc[0]
    lighting_primary = (200 * 100) - gas / 0.84 * 1.22
    assert result.iloc[1] == pytest.approx((20_000 - lighting_primary) / 3.07 * 2.8)
    assert result.iloc[2:5].isna().all()  # no energy figure, no floor area, nothing left
    small = 59.73 * (10 * 1.0) ** 0.4714  # occupancy 1 below 13.9 m2; no low-energy lighting
    assert result.iloc[5] == pytest.approx((3_000 - small * 3.07) / 3.07 * 1.0)
    assert result.iloc[6] == pytest.approx((20_000 - lighting_primary) / 1.22 * 0.84)


def test_heat_factors_table_is_complete_and_sourced() -> None:
    table = read_assumptions(HEAT_FACTORS)
    assert len(table) == 27
    assert table["source"].str.len().min() > 40
    values = table.set_index(["quantity", "item"])["value"]
    assert values[("primary_energy_factor", "electricity")] == 3.07
    assert values[("efficiency", "heat pump")] == 2.8


def test_missing_heat_factor_is_named(tmp_path: Path) -> None:
    table = read_assumptions(HEAT_FACTORS)
    path = tmp_path / "epc_heat.csv"
    table[~((table["quantity"] == "efficiency") & (table["item"] == "oil"))].to_csv(
        path, index=False)
    with pytest.raises(SourceFormatError,
                       match=r"epc_heat\.csv, layer 'epc_heat', column 'quantity, item': no row "
                             r"for quantity 'efficiency', item 'oil'"):
        heat_demand(homes_frame(), read_assumptions(HEAT_FACTORS, path))


# --- zones --------------------------------------------------------------------------------


def test_assign_zone_ids() -> None:
    points = gpd.GeoSeries([Point(X0 + 50, Y0 + 50), Point(X0 + 150, Y0 + 10),
                            Point(X0 + 100, Y0 + 50), Point(X0 + 500, Y0), None, Point()],
                           index=[10, 11, 12, 13, 14, 15], crs=CRS)
    result = assign_zone_ids(points, zones_layer())
    assert result.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert result.iloc[:3].tolist() == ["Z1", "Z2", "Z1"]  # the boundary goes to the smaller id
    assert result.iloc[3:].isna().all()


@pytest.mark.parametrize("halves", [True, False])
def test_assign_zone_ids_in_two_halves_equal_one_query(monkeypatch: pytest.MonkeyPatch,
                                                       halves: bool) -> None:
    # many points, boundaries among them, in both halves: each gets the same zone, the
    # smaller id on a boundary, whether the tree is queried on two threads or once
    rng = np.random.default_rng(7)
    x = X0 + rng.choice([0.0, 50.0, 100.0, 150.0, 200.0, 500.0], 1_001)
    y = Y0 + rng.choice([0.0, 10.0, 50.0, 100.0], 1_001)
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), index=np.arange(1_001) * 3, crs=CRS)
    points.iloc[[5, 900]] = None
    zones = zones_layer(3).iloc[::-1].reset_index(drop=True)  # the tree's order is not the ids'
    expected = []
    for point in points:  # by hand: every zone holding the point, the smallest id
        holding = sorted(zones.loc[zones.intersects(point), "zone_id"]) if point else []
        expected.append(holding[0] if holding else None)
    monkeypatch.setattr("geoplan.layers.buildings.QUERY_HALVES_FROM", 0 if halves else 10**9)
    found = assign_zone_ids(points, zones)
    assert found.index.equals(points.index)
    assert [None if pd.isna(v) else v for v in found] == expected
    assert (found == "Z1").sum() > 0
    assert (found == "Z2").sum() > 0
    assert found.isna().sum() > 2


def test_assign_zone_ids_refuses_bad_zones() -> None:
    points = gpd.GeoSeries([Point(X0, Y0)], crs=CRS)
    with pytest.raises(LayerSchemaError, match=r"zones are in EPSG:4326, expected EPSG:27700 "
                                               r"\(fix: reproject"):
        assign_zone_ids(points, zones_layer().to_crs("EPSG:4326"))
    with pytest.raises(MissingCRSError, match="zones have no CRS"):
        assign_zone_ids(points, zones_layer().set_crs(None, allow_override=True))
    with pytest.raises(LayerSchemaError, match="zones have no 'zone_id' column"):
        assign_zone_ids(points, zones_layer().rename(columns={"zone_id": "code"}))


# --- the layer ----------------------------------------------------------------------------


def epc_inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    rows = [
        certificate(LMK_KEY="1", UPRN="100", BUILDING_REFERENCE_NUMBER="1",
                    LODGEMENT_DATETIME="2015-01-01 00:00:00", CURRENT_ENERGY_RATING="E"),
        certificate(LMK_KEY="2", UPRN="100", BUILDING_REFERENCE_NUMBER="1",
                    LODGEMENT_DATETIME="2020-01-01 00:00:00", CURRENT_ENERGY_RATING="C"),
        certificate(LMK_KEY="3", UPRN="200", BUILDING_REFERENCE_NUMBER="2",
                    POSTCODE="OX2 6GG", CURRENT_ENERGY_RATING="G"),
        certificate(LMK_KEY="4", UPRN="", BUILDING_REFERENCE_NUMBER="3", POSTCODE="OX9 9ZZ",
                    ENERGY_CONSUMPTION_CURRENT="NO DATA!"),
        certificate(LMK_KEY="5", UPRN="", BUILDING_REFERENCE_NUMBER="4", POSTCODE="ZZ1 1ZZ"),
    ]
    source = write_certificates(tmp_path / "domestic-E07000178-Oxford" / "certificates.csv",
                                rows)
    uprns = tmp_path / "uprn.csv"
    uprns.write_text("UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE\n"
                     f"100,{X0 + 50},{Y0 + 50},0,0\n999,1,1,0,0\n")
    postcodes = tmp_path / "codepoint.csv"
    postcodes.write_text(f'"OX2 6GG",10,{X0 + 150:.0f},{Y0 + 50:.0f},"E92000001","","","","",""\n'
                         f'"OX9 9ZZ",10,460000,200000,"E92000001","","","","",""\n')
    return source, uprns, postcodes


def test_buildings_layer_from_epc(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source, uprns, postcodes = epc_inputs(tmp_path)
    with caplog.at_level(logging.WARNING):
        layer = buildings_from_epc(tmp_path, zones_layer(), uprn_coordinates=uprns,
                                   postcodes=postcodes)
    validate_layer(layer, BUILDINGS)
    assert list(layer.columns[:14]) == list(BUILDINGS.columns)
    assert "wall_type" in layer.columns
    assert layer.columns[-1] == "geocode_method"
    assert layer.crs == CRS
    assert layer["building_id"].tolist() == ["brn:3", "brn:4", "uprn:100", "uprn:200"]
    assert layer["zone_id"].iloc[2:].tolist() == ["Z1", "Z2"]
    assert layer["zone_id"].iloc[:2].isna().all()
    assert layer["geocode_method"].iloc[[0, 2, 3]].tolist() == ["postcode", "uprn", "postcode"]
    assert pd.isna(layer["geocode_method"].iloc[1])
    assert layer.geometry.iloc[1] is None
    assert layer["epc_band"].tolist() == ["D", "D", "C", "G"]
    assert pd.isna(layer["heat_demand_kwh"].iloc[0])  # ENERGY_CONSUMPTION_CURRENT is NO DATA!
    assert layer["heat_demand_kwh"].iloc[1:].gt(0).all()
    report = layer.attrs["report"]
    assert isinstance(report, BuildingsReport)
    assert (report.rows_read, report.duplicates_dropped, report.homes) == (5, 1, 4)
    assert report.geocode == GeocodeReport(homes=4, by_uprn=1, by_postcode=2, unmatched=1,
                                           no_postcode=0)
    assert (report.outside_zones, report.heat_demand_missing) == (1, 1)
    assert report.sentinels == {"ENERGY_CONSUMPTION_CURRENT": 1}
    assert "1 located homes fall in no zone" in caplog.text
    assert "1 of 4 homes could not be located" in caplog.text
    again = buildings_from_epc(source, zones_layer(), uprn_coordinates=uprns,
                               postcodes=postcodes)
    pd.testing.assert_frame_equal(pd.DataFrame(layer.drop(columns="geometry")),
                                  pd.DataFrame(again.drop(columns="geometry")))
    assert layer.geometry.equals(again.geometry)


def _borrowing_homes(tmp_path: Path) -> Path:
    """Certificates whose homes' UPRNs include one borrowed from an older certificate."""
    rows = [
        certificate(LMK_KEY="1", UPRN="100", BUILDING_REFERENCE_NUMBER="1",
                    LODGEMENT_DATETIME="2015-01-01 00:00:00"),
        certificate(LMK_KEY="2", UPRN="", BUILDING_REFERENCE_NUMBER="1",  # borrows 100
                    LODGEMENT_DATETIME="2020-01-01 00:00:00"),
        certificate(LMK_KEY="3", UPRN="200", BUILDING_REFERENCE_NUMBER="2"),
        certificate(LMK_KEY="4", UPRN="", BUILDING_REFERENCE_NUMBER="3"),
    ]
    return write_certificates(tmp_path / "epc" / "certificates.csv", rows)


def test_uprn_coordinates_read_beside_deduplication_are_the_homes(tmp_path: Path) -> None:
    # the UPRN file is read (in a forked child) from the certificates' UPRNs while they are
    # deduplicated: the same table as read afterwards from the homes' UPRNs
    source = _borrowing_homes(tmp_path)
    uprns = tmp_path / "uprn.csv"
    uprns.write_text("UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE\n"
                     f"999,1,1,0,0\n200,{X0 + 150},{Y0 + 50},0,0\n100,{X0 + 50},{Y0 + 50},0,0\n"
                     f"100,{X0 + 90},{Y0 + 90},0,0\n")
    records = read_epc_certificates(source, uprn_coordinates=uprns)
    assert records.frame["uprn"].fillna("-").tolist() == ["-", "100", "200"]
    after = read_uprn_coordinates(uprns, records.frame["uprn"])
    assert records.uprn_coordinates is not None
    pd.testing.assert_frame_equal(records.uprn_coordinates, after, check_exact=True)
    assert records.uprn_coordinates["uprn"].tolist() == ["200", "100"]  # file order, first kept
    assert read_epc_certificates(source).uprn_coordinates is None
    layer = buildings_from_epc(source, zones_layer(), uprn_coordinates=uprns)
    given = buildings_from_epc(source, zones_layer(), uprn_coordinates=after)
    pd.testing.assert_frame_equal(pd.DataFrame(layer), pd.DataFrame(given))
    assert layer["zone_id"].fillna("-").tolist() == ["-", "Z1", "Z2"]


def test_a_bad_uprn_file_read_beside_is_named(tmp_path: Path) -> None:
    source = _borrowing_homes(tmp_path)
    uprns = tmp_path / "uprn.csv"
    uprns.write_text("UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE\n"
                     f"100,{X0 + 50},{Y0 + 50},0,0\n200,east,{Y0 + 50},0,0\n")
    with pytest.raises(SourceFormatError, match=r"uprn\.csv.*row 3.*'east' is not a number"):
        buildings_from_epc(source, zones_layer(), uprn_coordinates=uprns)


def test_buildings_without_zones_or_lookups(tmp_path: Path) -> None:
    source, _, _ = epc_inputs(tmp_path)
    layer = buildings_from_epc(source)
    validate_layer(layer, BUILDINGS)
    assert layer["zone_id"].isna().all()
    assert layer.geometry.isna().all()
    assert layer.attrs["report"].outside_zones == 0


def test_custom_heat_factors_are_used(tmp_path: Path) -> None:
    source, _, _ = epc_inputs(tmp_path)
    table = read_assumptions(HEAT_FACTORS)
    table.loc[(table["quantity"] == "efficiency") & (table["item"] == "mains gas"), "value"] = 0.42
    path = tmp_path / "my_heat.csv"
    table.to_csv(path, index=False)
    shipped = buildings_from_epc(source)["heat_demand_kwh"]
    halved = buildings_from_epc(source, heat_factors=path)["heat_demand_kwh"]
    np.testing.assert_allclose(halved.dropna(), shipped.dropna() / 2)


# --- zone summary -------------------------------------------------------------------------


def summary_homes() -> pd.DataFrame:
    return pd.DataFrame({
        "zone_id": pd.Series(["Z1", "Z1", "Z1", "Z2", None], dtype="str"),
        "epc_band": pd.Series(["C", "E", None, "G", "A"], dtype="str"),
        "sap_score": [70.0, 45.0, np.nan, 10.0, 95.0],
        "floor_area_m2": [80.0, 100.0, np.nan, 50.0, 60.0],
        "main_fuel": ["mains gas", "oil", "unknown", "electricity", "mains gas"],
        "mains_gas": pd.array([True, False, pd.NA, False, True], dtype="boolean"),
        "heat_demand_kwh": [10_000.0, 20_000.0, np.nan, 5_000.0, 1_000.0],
        "co2_t": [2.0, 6.0, np.nan, 3.0, 0.5],
        "tenure": ["owner-occupied", "private rented", "unknown", "social rented",
                   "owner-occupied"],
    })


def test_zone_summary_by_hand() -> None:
    summary = zone_summary(summary_homes())
    assert list(summary.columns) == list(ZONE_SUMMARY_COLUMNS)
    assert summary.attrs["homes_without_zone"] == 1
    z1, z2 = (summary.set_index("zone_id").loc[z] for z in ("Z1", "Z2"))
    assert z1[["homes", "homes_a", "homes_c", "homes_e", "homes_no_band", "homes_d_to_g"]
              ].tolist() == [3, 0, 1, 1, 1, 1]
    assert z1["share_d_to_g"] == 0.5  # of the two homes with a band
    assert z1[["mean_sap", "floor_area_m2_total", "floor_area_m2_mean"]].tolist() == [
        57.5, 180.0, 90.0]
    assert z1[["fuel_mains_gas", "fuel_oil", "fuel_unknown", "fuel_electricity",
               "homes_off_gas"]].tolist() == [1, 1, 1, 0, 1]
    assert z1[["heat_demand_kwh", "co2_t"]].tolist() == [30_000.0, 8.0]
    assert z1[["tenure_owner_occupied", "tenure_private_rented", "tenure_social_rented",
               "tenure_unknown"]].tolist() == [1, 1, 0, 1]
    assert z2[["homes", "homes_g", "homes_d_to_g", "share_d_to_g", "mean_sap",
               "fuel_electricity", "homes_off_gas", "heat_demand_kwh", "tenure_social_rented"]
              ].tolist() == [1, 1, 1, 1.0, 10.0, 1, 1, 5_000.0, 1]
    assert summary["homes"].dtype == "int64"


def test_zone_summary_lists_every_zone_when_given() -> None:
    summary = zone_summary(summary_homes(), zones_layer(3))
    assert summary["zone_id"].tolist() == ["Z1", "Z2", "Z3"]
    z3 = summary.iloc[2]
    assert z3[["homes", "homes_d_to_g", "fuel_mains_gas", "heat_demand_kwh"]].tolist() == [
        0, 0, 0, 0.0]
    assert np.isnan(z3["share_d_to_g"])
    assert np.isnan(z3["mean_sap"])
    # homes in a zone missing from the zones given are not dropped
    assert zone_summary(summary_homes(), zones_layer(1))["zone_id"].tolist() == ["Z1", "Z2"]


def test_zone_summary_takes_the_rows_of_the_columns_it_reads_only() -> None:
    """Other columns (the EPC extras, identity) are not copied when unzoned rows are left out."""
    import tracemalloc

    homes = pd.concat([summary_homes()] * 4_000, ignore_index=True)  # 800 homes without zone
    wide = pd.DataFrame(np.ones((len(homes), 100)),
                        columns=[f"extra_{i}" for i in range(100)])
    homes = pd.concat([homes, wide], axis=1)
    expected = zone_summary(homes[list(summary_homes().columns)])
    tracemalloc.start()
    try:
        summary = zone_summary(homes)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    pd.testing.assert_frame_equal(summary, expected)
    assert peak < wide.memory_usage(index=False).sum() / 2  # 16 MB of extras: none copied


# --- real data ----------------------------------------------------------------------------


@pytest.mark.real_data
def test_real_postcodes_fall_in_their_lsoa(real_data: Path) -> None:
    postcodes = real_file(real_data, "postcodes/oxon_codepoint_open_2014_postcodes.csv")
    zones = zones_from_file(real_file(real_data, "boundaries/oxon_lsoa11.geojson"))
    raw = pd.read_csv(postcodes, dtype=str, usecols=["Postcode", "lsoa11cd_spatial_derived"])
    frame = pd.DataFrame({"uprn": pd.Series(np.nan, index=raw.index, dtype="str"),
                          "postcode": raw["Postcode"]})
    located, report = geocode_homes(frame, postcodes=postcodes)
    assert report.by_postcode == 20_854
    zone_id = assign_zone_ids(located.geometry, zones)
    assert (zone_id == raw["lsoa11cd_spatial_derived"]).all()
    summary = zone_summary(located.assign(zone_id=zone_id, epc_band=None, sap_score=np.nan,
                                          floor_area_m2=np.nan, main_fuel="unknown",
                                          mains_gas=pd.NA, heat_demand_kwh=np.nan,
                                          co2_t=np.nan, tenure="unknown"), zones)
    assert len(summary) == 407
    assert summary["homes"].sum() == 20_854
    assert summary.set_index("zone_id")["homes"].to_dict() == raw.groupby(
        "lsoa11cd_spatial_derived").size().reindex(summary["zone_id"], fill_value=0).to_dict()


def test_zone_summary_counts_a_zone_whose_homes_have_no_band_or_known_tenure() -> None:
    # Z2's one home has no band and a tenure that is not a label: its counts are 0, its
    # home is counted without a band (a crosstab of the text left Z2 out, and the summary
    # failed to make its counts whole numbers); values outside the labels are not counted
    homes = pd.DataFrame({
        "zone_id": pd.Series(["Z1", "Z1", "Z2", None, "Z3"], dtype="str"),
        "epc_band": pd.Series(["C", "X", None, "A", "D"], dtype="str"),
        "sap_score": [70.0, 60.0, 50.0, 40.0, 30.0],
        "floor_area_m2": [80.0, 90.0, 70.0, 60.0, 50.0],
        "main_fuel": pd.Series(["mains gas", "oil", "mains gas", "oil", "electricity"],
                               dtype="str"),
        "mains_gas": pd.array([True, False, True, None, False], dtype="boolean"),
        "heat_demand_kwh": [1.0, 2.0, 3.0, 4.0, 5.0], "co2_t": [1.0, 1.0, 1.0, 1.0, 1.0],
        "tenure": pd.Series(["owner-occupied", None, "council", "x", "unknown"], dtype="str")})
    summary = zone_summary(homes).set_index("zone_id")
    assert summary.attrs["homes_without_zone"] == 1
    picked = summary[["homes", "homes_a", "homes_c", "homes_d", "homes_no_band", "fuel_oil",
                      "fuel_mains_gas", "tenure_owner_occupied", "tenure_unknown"]]
    assert picked.to_dict("index") == {
        "Z1": {"homes": 2, "homes_a": 0, "homes_c": 1, "homes_d": 0, "homes_no_band": 1,
               "fuel_oil": 1, "fuel_mains_gas": 1, "tenure_owner_occupied": 1,
               "tenure_unknown": 0},
        "Z2": {"homes": 1, "homes_a": 0, "homes_c": 0, "homes_d": 0, "homes_no_band": 1,
               "fuel_oil": 0, "fuel_mains_gas": 1, "tenure_owner_occupied": 0,
               "tenure_unknown": 0},
        "Z3": {"homes": 1, "homes_a": 0, "homes_c": 0, "homes_d": 1, "homes_no_band": 0,
               "fuel_oil": 0, "fuel_mains_gas": 0, "tenure_owner_occupied": 0,
               "tenure_unknown": 1}}
    assert (summary.dtypes[picked.columns] == "int64").all()
