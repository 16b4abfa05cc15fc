"""Tests for EV demand per zone (geoplan.layers.ev)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoplan.assumptions import read_assumptions
from geoplan.errors import LayerSchemaError, MissingCRSError, ScenarioError, SourceFormatError
from geoplan.layers.ev import (
    OFFSTREET_PARKING,
    apportion,
    chargers_per_zone,
    ev_demand_from_tables,
    find_code_column,
    households_from_mix,
    project_evs,
)
from geoplan.layers.zones import zones_from_file
from geoplan.schemas import EV_DEMAND, validate_layer
from geoplan.sources.chargepoint_registry import read_chargepoints
from tests.conftest import real_file

BNG = "EPSG:27700"
PARKING = pd.DataFrame({"dwelling_type": ["detached", "flat"],
                        "share_no_offstreet": [0.1, 0.5],
                        "aliases": ["detached house", "flats; apartments"],
                        "source": ["test", "test"]})


@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    """A 3x3 grid of 100 m squares; Z1 bottom left, Z3 bottom right, Z9 top right."""
    cells = [(f"Z{3 * r + c + 1}", box(100 * c, 100 * r, 100 * (c + 1), 100 * (r + 1)))
             for r in range(3) for c in range(3)]
    return gpd.GeoDataFrame({"zone_id": [z for z, _ in cells]},
                            geometry=[g for _, g in cells], crs=BNG)


def vehicles_by_zone() -> pd.DataFrame:
    return pd.DataFrame({"Zone_ID": [f"Z{i}" for i in range(1, 10)] + ["E01999999"],
                         "name": ["x"] * 10,
                         "plug_in_cars": [str(i) for i in range(1, 10)] + ["1000"],
                         "plug_in_vans": ["1"] * 9 + [""]})


def test_vehicles_keyed_by_zone_join_directly(zones) -> None:
    frame = ev_demand_from_tables(zones, vehicles_by_zone(),
                                  vehicle_columns=["plug_in_cars", "plug_in_vans"])
    assert list(frame.columns) == list(EV_DEMAND.columns)
    validate_layer(frame, EV_DEMAND)
    assert frame["zone_id"].tolist() == [f"Z{i}" for i in range(1, 10)]
    assert frame["evs_now"].tolist() == [float(i + 1) for i in range(1, 10)]
    assert frame["evs_projected"].tolist() == frame["evs_now"].tolist()
    report = frame.attrs["report"]
    assert report["vehicles_read"] == 1054.0
    assert report["codes_left_out"] == ["E01999999"]
    assert report["vehicles_left_out"] == 1000.0
    assert frame["public_chargers_now"].isna().all()
    assert any("no chargers given" in w for w in frame.attrs["warnings"])


COARSE = gpd.GeoDataFrame({"MSOA11CD": ["M1", "M2"]},
                          geometry=[box(0, 0, 200, 300), box(200, 0, 400, 300)], crs=BNG)
COARSE_VALUES = pd.DataFrame({"MSOA11CD": ["M1", "M2", "M3"], "MSOA11NM": ["a", "b", "c"],
                              "ulevs_2021": [600, 300, 50]})


def test_coarse_areas_are_apportioned_by_area(zones) -> None:
    frame = ev_demand_from_tables(zones, COARSE_VALUES, vehicle_areas=COARSE)
    evs = frame.set_index("zone_id")["evs_now"]
    # M1 covers six zones fully: 100 each; half of M2 lies outside: 150 left, 50 each
    # for Z3, Z6, Z9; M3 has no polygon.
    assert evs.to_dict() == pytest.approx({"Z1": 100, "Z2": 100, "Z3": 50, "Z4": 100,
                                           "Z5": 100, "Z6": 50, "Z7": 100, "Z8": 100,
                                           "Z9": 50})
    report = frame.attrs["report"]
    assert report["vehicle_columns"] == ["ulevs_2021"]
    assert report["vehicles_outside_zones"] == pytest.approx(150.0)
    assert report["codes_left_out"] == ["M3"]
    assert report["evs_now"] == pytest.approx(750.0)


def test_apportionment_follows_households_where_known(zones) -> None:
    households = pd.DataFrame({"zone_id": ["Z1", "Z2", "Z3", "Z4", "Z5", "Z6", "Z7", "Z8"],
                               "households": [100, 50, 50, 50, 50, 50, 50, 50]})
    frame = ev_demand_from_tables(zones, COARSE_VALUES, vehicle_areas=COARSE,
                                  households=households)
    evs = frame.set_index("zone_id")["evs_now"]
    # M1: 600 split 100:50:50:50:50:50 over Z1, Z2, Z4, Z5, Z7, Z8.
    assert evs["Z1"] == pytest.approx(600 * 100 / 350)
    assert evs["Z2"] == pytest.approx(600 * 50 / 350)
    # M2 touches Z9 whose households are unknown: split by area instead.
    assert evs[["Z3", "Z6", "Z9"]].tolist() == pytest.approx([50, 50, 50])


def test_apportion_splits_a_zone_straddling_two_areas() -> None:
    zones = gpd.GeoDataFrame({"zone_id": ["A", "B"]},
                             geometry=[box(0, 0, 100, 100), box(100, 0, 300, 100)], crs=BNG)
    areas = gpd.GeoSeries([box(0, 0, 200, 100), box(200, 0, 300, 100)], index=["P", "Q"],
                          crs=BNG)
    values = pd.Series({"P": 90.0, "Q": 10.0})
    spread, lost = apportion(values, areas, zones)
    assert spread.tolist() == pytest.approx([45.0, 55.0])
    assert lost == 0.0
    # Households: zone B (200 homes over 2 ha) puts 100 homes inside P, zone A has 300.
    spread, _ = apportion(values, areas, zones, pd.Series([300.0, 200.0]))
    assert spread.tolist() == pytest.approx([90 * 300 / 400, 90 * 100 / 400 + 10])


def test_apportion_joins_an_area_split_over_several_features() -> None:
    zones = gpd.GeoDataFrame({"zone_id": ["A", "B"]},
                             geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=BNG)
    halves = gpd.GeoSeries([box(0, 0, 100, 100), box(100, 0, 300, 100)], index=["P", "P"],
                           crs=BNG)
    spread, lost = apportion(pd.Series({"P": 90.0}), halves, zones)
    assert spread.tolist() == pytest.approx([30.0, 30.0])  # one area of 3 ha, not two
    assert lost == pytest.approx(30.0)


def test_households_from_table_then_dwelling_mix(zones) -> None:
    households = pd.DataFrame({"zone_id": ["Z1", "Z2", "ZZ"],
                               "households": ["200", "50", "10"],
                               "Households No Offstreet": ["30", "", "1"]})
    mix = pd.DataFrame({"zone_id": ["Z1", "Z2", "Z3"], "Detached House": [80, 10, 4],
                        "Flats": [20, 30, 16], "Houses": [1, 1, 1]})
    frame = ev_demand_from_tables(zones, vehicles_by_zone(),
                                  vehicle_columns=["plug_in_cars"], households=households,
                                  dwelling_mix=mix, parking_table=PARKING)
    rows = frame.set_index("zone_id")
    assert rows.loc["Z1", ["households", "households_no_offstreet"]].tolist() == [200, 30]
    # Z2: households from the table, the no-off-street share from the mix (16 of 40).
    assert rows.loc["Z2", "households_no_offstreet"] == pytest.approx(50 * 16 / 40)
    # Z3: both from the mix: 20 homes, 0.4 + 8 without off-street parking.
    assert rows.loc["Z3", ["households", "households_no_offstreet"]].tolist() == \
        pytest.approx([20.0, 8.4])
    assert rows.loc["Z4", ["households", "households_no_offstreet"]].isna().all()
    assert any("1 codes are not zone ids" in w for w in frame.attrs["warnings"])


def test_households_from_mix_with_the_default_table() -> None:
    table = read_assumptions(OFFSTREET_PARKING).set_index("dwelling_type")
    mix = pd.DataFrame({"LSOA21CD": ["E1"], "Semi-detached": [10], "Terraced": [10]})
    result = households_from_mix(mix)
    expected = 10 * table.loc["semi_detached", "share_no_offstreet"] + \
        10 * table.loc["terraced", "share_no_offstreet"]
    assert result.loc["E1", "households"] == 20.0
    assert result.loc["E1", "households_no_offstreet"] == pytest.approx(expected)
    assert table["share_no_offstreet"].between(0, 1).all()


def test_mix_without_dwelling_columns_is_refused() -> None:
    mix = pd.DataFrame({"zone_id": ["Z1"], "castles": [3]})
    with pytest.raises(LayerSchemaError, match=r"no column names a dwelling type; columns "
                                               r"found: \['zone_id', 'castles'\]"):
        households_from_mix(mix, table=PARKING)


def test_chargers_are_counted_by_point_in_polygon(zones) -> None:
    chargers = gpd.GeoDataFrame(
        {"device_id": ["a", "b", "c", "d", "e"]},
        geometry=[Point(50, 50), Point(100, 50), Point(250, 250), Point(260, 260),
                  Point(999, 999)], crs=BNG)
    counts = chargers_per_zone(zones, chargers)
    # b sits on the Z1/Z2 boundary: counted once, for Z1; e is outside every zone.
    assert counts.tolist() == [2, 0, 0, 0, 0, 0, 0, 0, 2]
    frame = ev_demand_from_tables(zones, vehicles_by_zone(), vehicle_columns=["plug_in_cars"],
                                  chargers=chargers)
    assert frame["public_chargers_now"].tolist() == [2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert str(frame["public_chargers_now"].dtype) == "Int64"
    with pytest.raises(MissingCRSError, match="chargers: the file declares no"):
        chargers_per_zone(zones, gpd.GeoDataFrame(geometry=[Point(0, 0)]))


def test_projection_follows_the_uptake_curve(zones) -> None:
    frame = ev_demand_from_tables(zones, vehicles_by_zone(), vehicle_columns=["plug_in_cars"],
                                  uptake={2030: 180, 2025: 90}, plan_year=2028)
    assert list(frame.columns) == [*EV_DEMAND.columns, "evs_2025", "evs_2030"]
    total = frame["evs_now"].sum()  # 45
    assert frame["evs_2025"].sum() == pytest.approx(90)
    assert frame["evs_2030"].sum() == pytest.approx(180)
    assert frame["evs_projected"].sum() == pytest.approx(90 + 3 / 5 * 90)
    assert (frame["evs_projected"] / frame["evs_now"]).tolist() == pytest.approx(
        [144 / total] * 9)


def test_project_evs_interpolates_from_the_base_year_and_stays_flat() -> None:
    now = pd.Series([10.0, 30.0])
    result = project_evs(now, {2025: 80}, [2023, 2025, 2040], base_year=2021)
    assert result["evs_2023"].tolist() == pytest.approx([15, 45])  # halfway 40 -> 80
    assert result["evs_2040"].tolist() == pytest.approx([20, 60])
    assert project_evs(pd.Series([0.0, 0.0]), {2030: 0}, [2030])["evs_2030"].tolist() == [0, 0]


@pytest.mark.parametrize(("uptake", "years", "base_year", "message"), [
    ({2025: 10}, [2024], None, r"year 2024 is before the curve starts in 2025.*base_year="),
    ({2025: 10}, [2025], 2025, "base_year 2025 must be before the first uptake year 2025"),
    ({2025: -1}, [2025], None, "total -1 for 2025 is not a number >= 0"),
    ({"soon": 5}, [2025], None, "year 'soon' is not a whole year"),
    ({}, [2025], None, "no years given"),
])
def test_bad_uptake_curves_are_refused(uptake, years, base_year, message) -> None:
    with pytest.raises(ScenarioError, match=message):
        project_evs(pd.Series([1.0]), uptake, years, base_year=base_year)


def test_targets_cannot_be_spread_without_current_evs() -> None:
    with pytest.raises(ScenarioError, match="no zone has EVs now"):
        project_evs(pd.Series([0.0, 0.0]), {2030: 100}, [2030])


def test_find_code_column_prefers_the_finest_geography() -> None:
    assert find_code_column(["MSOA11CD", "LSOA11CD", "LAD21CD"]) == "LSOA11CD"
    assert find_code_column(["LSOA code", "value"]) == "LSOA code"
    assert find_code_column(["Geography code", "x"]) == "Geography code"
    assert find_code_column(["lsoa21cd", "zone_id"]) == "zone_id"
    assert find_code_column(["a", "AREA"], "area") == "AREA"


def test_vehicle_table_without_code_column_lists_the_columns(zones, tmp_path: Path) -> None:
    path = tmp_path / "vehicles.csv"
    path.write_text("area,ulevs\nZ1,3\n")
    with pytest.raises(LayerSchemaError, match=r"vehicles\.csv: no area code column found; "
                                               r"columns found: \['area', 'ulevs'\]"):
        ev_demand_from_tables(zones, path)
    with pytest.raises(LayerSchemaError, match=r"code_column='code' is not a column"):
        ev_demand_from_tables(zones, path, code_column="code")


def test_vehicle_cells_that_are_not_numbers_are_listed_by_row(zones, tmp_path: Path) -> None:
    path = tmp_path / "vehicles.csv"
    path.write_text("zone_id,ulevs\nZ1,3\nZ2,lots\nZ3,[c]\nZ4,-\n")
    with pytest.raises(SourceFormatError, match=r"vehicles\.csv, row 3, column 'ulevs': "
                                                r"'lots' is not a number"):
        ev_demand_from_tables(zones, path)
    path.write_text("zone_id,ulevs\nZ1,3\nZ3,[c]\n\n")
    frame = ev_demand_from_tables(zones, path)
    assert frame["evs_now"].sum() == 3.0
    assert any("1 suppressed cells" in w for w in frame.attrs["warnings"])
    assert any("7 zones have no row" in w for w in frame.attrs["warnings"])


def test_repeated_and_blank_codes_are_refused(zones) -> None:
    table = pd.DataFrame({"zone_id": ["Z1", "Z1", ""], "ulevs": [1, 2, 3]})
    with pytest.raises(LayerSchemaError, match=r"(?s)row 3, column 'zone_id': area code 'Z1' "
                                               r"repeats.*row 4, column 'zone_id': area code "
                                               r"is blank"):
        ev_demand_from_tables(zones, table)


def test_vehicle_columns_must_be_clear(zones) -> None:
    table = pd.DataFrame({"zone_id": ["Z1"], "ulevs_2021": [1], "ulevs_2022": [2]})
    with pytest.raises(LayerSchemaError, match=r"several columns \['ulevs_2021', "
                                               r"'ulevs_2022'\] of different dates could"):
        ev_demand_from_tables(zones, table)
    with pytest.raises(LayerSchemaError, match=r"vehicle_columns \['bevs'\] not found"):
        ev_demand_from_tables(zones, table, vehicle_columns=["bevs"])
    with pytest.raises(LayerSchemaError, match=r"no column hold the vehicle counts"):
        ev_demand_from_tables(zones, table[["zone_id"]].assign(cars=1))


def test_plug_in_car_and_van_columns_are_added_up(zones) -> None:
    table = pd.DataFrame({"LSOA21CD": ["Z1", "Z2"], "LSOA21NM": ["a", "b"],
                          "plugin_cars": [3, 4], "plugin_vans": [1, 0]})
    frame = ev_demand_from_tables(zones, table)
    assert frame.attrs["report"]["vehicle_columns"] == ["plugin_cars", "plugin_vans"]
    assert frame["evs_now"].tolist()[:3] == [4.0, 4.0, 0.0]


def test_codes_of_another_geography_need_vehicle_areas(zones) -> None:
    with pytest.raises(LayerSchemaError, match=r"area codes \(e.g. \['M1', 'M2', 'M3'\]\) "
                                               r"match no zone id.*vehicle_areas=.*"
                                               r"inputs\.vehicles: \{path"):
        ev_demand_from_tables(zones, COARSE_VALUES)


def test_zones_need_zone_ids_and_a_crs(zones) -> None:
    with pytest.raises(LayerSchemaError, match="zones: needs a GeoDataFrame with a zone_id"):
        ev_demand_from_tables(zones.rename(columns={"zone_id": "id"}), vehicles_by_zone())
    with pytest.raises(MissingCRSError, match="zones: the file declares no"):
        ev_demand_from_tables(zones.set_crs(None, allow_override=True), vehicles_by_zone())


def msoa11_polygons(real_data: Path) -> gpd.GeoDataFrame:
    """MSOA 2011 polygons: LSOA 2011 polygons dissolved by name ("Oxford 001A" -> "Oxford
    001"), coded from the indicators file's MSOA11NM -> MSOA11CD."""
    lsoa = gpd.read_file(real_file(real_data, "boundaries/oxon_lsoa11.geojson"))
    names = pd.read_csv(real_file(real_data, "ev/oxon_msoa_ev_indicators_2021_2022.csv"),
                        usecols=["MSOA11CD", "MSOA11NM"])
    lsoa["MSOA11NM"] = lsoa["LSOA11NM"].str[:-1]
    msoa = lsoa.dissolve("MSOA11NM").reset_index().merge(names, on="MSOA11NM")
    return msoa[["MSOA11CD", "geometry"]]


@pytest.mark.real_data
def test_real_msoa_vehicles_apportioned_to_lsoa21_zones(real_data: Path) -> None:
    vehicles = real_file(real_data, "ev/oxon_msoa_ev_indicators_2021_2022.csv")
    zones = zones_from_file(real_file(real_data, "boundaries/lsoa21"))
    chargers = read_chargepoints(real_file(real_data, "ev/oxon_ncr_chargepoints_2021.geojson"))
    areas = msoa11_polygons(real_data)
    assert len(zones) == 428
    assert len(areas) == 86
    frame = ev_demand_from_tables(zones, vehicles, vehicle_areas=areas, chargers=chargers,
                                  uptake={2025: 60_000, 2030: 120_000}, base_year=2021)
    validate_layer(frame, EV_DEMAND)
    report = frame.attrs["report"]
    assert report["vehicle_columns"] == ["ulevs_q3_2021_representative"]
    assert report["vehicles_read"] == 66411.0  # county total of the DfT column
    assert report["codes_left_out"] == []
    # Boundaries of different vintages differ by slivers at the county edge only.
    assert report["vehicles_outside_zones"] == pytest.approx(1.36, abs=0.05)
    assert frame["evs_now"].sum() == pytest.approx(66411.0 - report["vehicles_outside_zones"])
    assert frame["evs_now"].min() > 0
    assert frame["evs_projected"].sum() == pytest.approx(120_000)
    assert frame["evs_2025"].sum() == pytest.approx(60_000)
    assert int(frame["public_chargers_now"].sum()) == 175


@pytest.mark.real_data
def test_real_msoa_vehicles_joined_to_msoa21_zones(real_data: Path) -> None:
    vehicles = real_file(real_data, "ev/oxon_msoa_ev_indicators_2021_2022.csv")
    zones = zones_from_file(real_file(real_data, "boundaries/msoa21"))
    frame = ev_demand_from_tables(zones, vehicles)
    report = frame.attrs["report"]
    # E02005952 (Oxford) was split into two MSOAs in 2021, so its 825 vehicles have no zone.
    assert report["codes_left_out"] == ["E02005952"]
    assert report["vehicles_left_out"] == 825.0
    assert frame["evs_now"].sum() == 65586.0
    assert np.count_nonzero(frame["evs_now"] == 0) == 2


def test_households_alone_are_read_without_estimating_or_warning_about_parking(caplog) -> None:
    import logging

    from shapely.geometry import box

    from geoplan.layers.households import households_per_zone

    zones = gpd.GeoDataFrame({"zone_id": ["Z1", "Z2"]},
                             geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700)
    table = pd.DataFrame({"zone_code": ["Z1", "Z2"], "households": [100, 50]})
    warnings: list[str] = []
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        alone = households_per_zone(zones, table, None, None, warnings, offstreet=False)
    assert alone["households"].tolist() == [100.0, 50.0]
    assert alone["households_no_offstreet"].isna().all()  # not estimated
    assert warnings == []
    assert not caplog.records  # the EV layer says it, once
    whole = households_per_zone(zones, table, None, None, warnings)
    assert whole["households_no_offstreet"].notna().all()
    assert len(warnings) == 1
    assert "households_no_offstreet estimated for 2 zones" in warnings[0]
