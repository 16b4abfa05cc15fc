"""Building stock from aggregated tables: table readers, archetypes, weights.

Its apportionment to the zones is tested in tests/test_apportion.py.
"""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geoplan.errors import LayerSchemaError, SourceFormatError
from geoplan.layers.stock import building_stock
from geoplan.layers.stock_reweight import (
    certificate_types,
    reweight_certificates,
    stock_coverage,
)
from geoplan.sources.stock_tables import find_code_columns, read_stock_table
from geoplan.workstreams.home_weights import stock_uncertainty
from geoplan.workstreams.laep import laep_candidates
from geoplan.workstreams.retrofit import retrofit_candidates

CRS = "EPSG:27700"
Z1, Z2, Z3 = "E01000001", "E01000002", "E01000003"
M1 = "E02000001"


def zones(ids=(Z1, Z2, Z3)) -> gpd.GeoDataFrame:
    """Unit-km squares side by side, one per LSOA code."""
    shapes = [box(450000 + 1000 * i, 200000, 451000 + 1000 * i, 201000) for i in range(len(ids))]
    return gpd.GeoDataFrame({"zone_id": list(ids), "zone_name": list(ids)}, geometry=shapes,
                            crs=CRS)


# --- table readers -------------------------------------------------------------------------

def test_code_column_found_by_values_finest_geography_first():
    frame = pd.DataFrame({"where": ["E00000001", "E00000002"], "LA": ["E07000177"] * 2,
                          "n": ["1", "2"]})
    assert find_code_columns(frame) == (["where"], "oa")
    with pytest.raises(LayerSchemaError, match="no column of ONS area codes"):
        find_code_columns(pd.DataFrame({"a": ["x"], "b": ["1"]}))


def test_heating_table_maps_ts046_headers_and_splits_two_code_columns():
    frame = pd.DataFrame({
        "Near0": [M1, M1], "Near1": ["E02000002", M1],
        "Gas central heating": ["10", "4"], "Electric (including storage heaters) central "
        "heating": ["2", "0"],
        "Two or more types of central heating (not including renewable energy)": ["6", ""],
        "Two or more types of central heating (including renewable energy)": ["8", "2"],
        "Renewable energy only": ["4", "0"]})
    table = read_stock_table(frame, "heating")
    assert table.level == "msoa"
    assert table.code_columns == ("Near0", "Near1")
    values = table.values
    # row 1 halves to M1 and E02000002; row 2 names M1 twice, so all of it goes to M1
    assert values.loc[M1, "mains_gas"] == 5 + 4
    assert values.loc["E02000002", "mains_gas"] == 5
    assert values.loc[M1, "two_or_more"] == 3
    assert values.loc[M1, "two_or_more_renewable"] == 4 + 2
    assert values.loc[M1, "renewable"] == 2
    assert any("1 blank count cells" in w for w in table.warnings)


def test_band_summary_layout_is_cumulative_and_bad_cells_are_named():
    frame = pd.DataFrame({"OA Code": ["E00000001"], "LA Code": ["E07000177"],
                          "Properties": ["20"], "Rating D": ["12"], "Rating F": ["2"],
                          "Houses": ["15"], "Flats": ["5"], "Terraces": ["6"]})
    table = read_stock_table(frame, "epc_bands")
    assert table.values.iloc[0].to_dict() == {
        "homes": 20, "d_or_below": 12, "f_or_below": 2, "type_house": 15, "type_flat": 5,
        "type_terraced": 6}
    frame.loc[0, "Rating D"] = "lots"
    with pytest.raises(SourceFormatError, match="Rating D") as info:
        read_stock_table(frame, "epc_bands")
    assert "row 2" in str(info.value)


# --- the stock -----------------------------------------------------------------------------

def households_table(values=(100, 40, 0)) -> pd.DataFrame:
    return pd.DataFrame({"LSOA": [Z1, Z2, Z3], "Observation": [str(v) for v in values]})


def test_stock_counts_whole_homes_matching_tables():
    heating = pd.DataFrame({"code": [Z1, Z2], "Mains gas only": ["75", "0"],
                            "Oil only": ["25", "10"]})
    kinds = pd.DataFrame({"code": [Z1, Z2], "Detached": ["50", "0"], "Terraced": ["50", "0"],
                          "Flat: purpose-built": ["0", "40"]})
    bands = pd.DataFrame({"code": [Z1], **{f"Rating {b}": ["0"] for b in "ABEFG"},
                          "Rating C": ["30"], "Rating D": ["70"]})
    stock = building_stock(zones(), {"households": households_table(), "heating": heating,
                                     "dwelling_types": kinds, "epc_bands": bands})
    homes = stock.archetypes
    per_zone = homes.groupby("zone_id")["dwellings"].sum().to_dict()
    assert per_zone == {Z1: 100, Z2: 40}
    one = homes[homes["zone_id"] == Z1]

    def close(column: str, expected: dict[str, int]) -> None:
        # cells are rounded to whole homes, so a margin may be off by a home or two
        got = one.groupby(column)["dwellings"].sum()
        assert set(got.index) == set(expected)
        assert all(abs(got[k] - v) <= 2 for k, v in expected.items())

    close("main_fuel", {"mains gas": 75, "oil": 25})
    close("dwelling_type", {"detached": 50, "terraced": 50})
    close("epc_band", {"C": 30, "D": 70})
    two = homes[homes["zone_id"] == Z2]
    assert set(two["dwelling_type"]) == {"flat"}
    assert set(two["main_fuel"]) == {"oil"}
    assert stock.zones.set_index("zone_id")["band_source"].to_dict() == {
        Z1: "table", Z2: "default", Z3: "default"}
    row = one.iloc[0]
    assert row["heat_demand_kwh"] == pytest.approx(row["floor_area_m2"] * {
        "C": 100, "D": 140}[row["epc_band"]])
    assert homes["dwellings"].dtype == "int64"
    assert (homes["dwellings"] > 0).all()


def test_stock_from_coarser_table_through_area_polygons():
    msoa = gpd.GeoDataFrame({"MSOA21CD": [M1]}, geometry=[box(450000, 200000, 453000, 201000)],
                            crs=CRS)
    table = pd.DataFrame({"MSOA code": [M1], "Households": ["301"]})
    stock = building_stock(zones(), {"households": table}, areas=[msoa])
    assert stock.zones["households"].tolist() == [101.0, 100.0, 100.0]
    assert stock.archetypes["dwellings"].sum() == 301
    assert any("no heating table" in w for w in stock.warnings)
    with pytest.raises(LayerSchemaError, match=r"boundaries to inputs\.building_stock\.areas"):
        building_stock(zones(), {"households": table})


def test_stock_needs_households_and_a_known_weight():
    with pytest.raises(LayerSchemaError, match="needs a households table"):
        building_stock(zones(), {"heating": None})
    with pytest.raises(LayerSchemaError, match="unknown building stock weight 'people'"):
        building_stock(zones(), {"households": households_table()},
                       weight="people")  # type: ignore[arg-type]


def test_stock_area_weight_and_small_overlaps_of_polygons():
    """An MSOA over Z1 whole, the first 30 m of Z2 (3% of it) and 0.5 m of Z3 (0.05%): the
    3% is a real overlap, the 0.05% a sliver (geoplan.layers.apportion.SLIVER) that gets
    nothing. By hand, 10,300 homes split 1e6 : 3e4 m² = 10,000 : 300, by "area" and by the default
    "even" alike (a zone 3% inside the MSOA weighs 0.03)."""
    shape = box(450000, 200000, 451030, 201000).union(box(452000, 200000, 452000.5, 201000))
    msoa = gpd.GeoDataFrame({"MSOA21CD": [M1]}, geometry=[shape], crs=CRS)
    table = pd.DataFrame({"MSOA code": [M1], "Households": ["10300"]})
    for weight in ("area", "even"):
        stock = building_stock(zones(), {"households": table}, areas=[msoa], weight=weight)
        assert stock.zones["households"].tolist() == [10000.0, 300.0, 0.0]


# --- weights in retrofit and LAEP -----------------------------------------------------------

def expanded(homes: pd.DataFrame) -> pd.DataFrame:
    """One row per home, as certificates would give them."""
    rows = homes.loc[homes.index.repeat(homes["dwellings"])].reset_index(drop=True)
    rows["building_id"] = [f"{b}:{i}" for i, b in enumerate(rows["building_id"])]
    return gpd.GeoDataFrame(rows.drop(columns="dwellings"), geometry="geometry", crs=CRS)


@pytest.fixture(scope="module")
def small_stock():
    heating = pd.DataFrame({"code": [Z1, Z2], "Mains gas only": ["6", "3"],
                            "Electric only": ["2", "1"]})
    return building_stock(zones(), {"households": households_table((8, 4, 0)),
                                    "heating": heating})


def test_weighted_archetypes_plan_like_the_same_homes_one_by_one(small_stock):
    homes = small_stock.archetypes
    columns = ["candidate_id", "cost_gbp", "tco2e_per_yr", "homes", "homes_to_target",
               "bill_change_gbp_per_yr", "peak_kw_added", "aggregated_homes"]
    weighted = retrofit_candidates(homes, zones())[columns]
    one_by_one = retrofit_candidates(expanded(homes), zones())[columns]
    pd.testing.assert_frame_equal(weighted, one_by_one, check_dtype=False)
    assert weighted["homes"].sum() > 0
    columns = ["candidate_id", "cost_gbp", "tco2e_per_yr", "homes", "heat_mwh_per_yr",
               "tco2e_per_yr_low", "tco2e_per_yr_high"]
    laep_weighted = laep_candidates(homes, zones())[columns]
    laep_each = laep_candidates(expanded(homes), zones())[columns]
    pd.testing.assert_frame_equal(laep_weighted, laep_each, check_dtype=False)


def test_low_high_carbon_scale_with_heat_bounds(small_stock):
    table = retrofit_candidates(small_stock.archetypes, zones())
    ratio_low = table["tco2e_per_yr_low"] / table["tco2e_per_yr"]
    # every default band's low heat intensity is 64-76% of its central one
    assert ((ratio_low > 0.6) & (ratio_low < 0.8)).all()
    assert (table["tco2e_per_yr_high"] > table["tco2e_per_yr"]).all()


def test_stock_uncertainty_note():
    chosen = pd.DataFrame({"tco2e_per_yr": [10.0, 5.0], "tco2e_per_yr_low": [7.0, 5.0],
                           "tco2e_per_yr_high": [13.0, 5.0], "homes": [4.0, 6.0],
                           "aggregated_homes": [4.0, 0.0]})
    kpis, notes = stock_uncertainty(chosen)
    assert kpis == {"homes_from_aggregated_data": 4.0, "tco2e_per_yr_low": 12.0,
                    "tco2e_per_yr_high": 18.0}
    assert "4 of 10 homes" in notes[0]
    assert "between 12 (-20%) and 18 (+20%)" in notes[0]
    assert stock_uncertainty(chosen.assign(aggregated_homes=0.0)) == ({}, [])


# --- certificates reweighted ---------------------------------------------------------------

def certificates() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({
        "building_id": ["a", "b", "c", "d"], "zone_id": [Z1, Z1, Z1, None],
        "property_type": ["house", "house", "flat", "house"],
        "built_form": ["Semi-Detached", "Mid-Terrace", "", "Detached"],
        "tenure": ["owner-occupied"] * 4, "heat_demand_kwh": 10000.0})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * 4, crs=CRS), crs=CRS)


def test_certificate_types():
    assert certificate_types(certificates()).tolist() == ["semi_detached", "terraced", "flat",
                                                          "detached"]


def test_certificates_reweighted_to_census_counts_and_gaps_filled():
    kinds = pd.DataFrame({"code": [Z1, Z2], "Semi-detached": ["30", "0"],
                          "Terraced": ["20", "0"], "Detached": ["10", "20"]})
    stock = building_stock(zones(), {"households": households_table((60, 20, 0)),
                                     "dwelling_types": kinds})
    homes, warnings = reweight_certificates(certificates(), stock)
    certs = homes[homes["stock_source"] == "certificate"].set_index("building_id")
    # each certificate stands for the Census homes of its zone and type: 30 semis, 20 terraced
    assert certs["dwellings"].to_dict() == {"a": 30.0, "b": 20.0, "c": 0.0, "d": 1.0}
    filled = homes[homes["stock_source"] == "aggregated"]
    assert filled.groupby(["zone_id", "dwelling_type"])["dwellings"].sum().to_dict() == {
        (Z1, "detached"): 10, (Z2, "detached"): 20}
    assert any("outside every zone keep weight 1" in w for w in warnings)
    coverage = stock_coverage(pd.Index([Z1, Z2, Z3]), stock, homes)
    assert coverage["epc_certificates"].tolist() == [3, 0, 0]
    assert coverage.loc[Z1, "epc_coverage"] == pytest.approx(3 / 60)
    assert coverage["homes_from_archetypes"].tolist() == [10.0, 20.0, 0.0]


def test_tenure_raking_keeps_type_totals():
    frame = certificates().iloc[:2].copy()
    frame = pd.concat([frame, frame.assign(building_id=["e", "f"], tenure="private rented")],
                      ignore_index=True)
    kinds = pd.DataFrame({"code": [Z1], "Semi-detached": ["40"], "Terraced": ["20"]})
    tenure = pd.DataFrame({"code": [Z1], "Owned: Owns outright": ["45"],
                           "Private rented: Other": ["15"]})
    stock = building_stock(zones(), {"households": households_table((60, 0, 0)),
                                     "dwelling_types": kinds, "tenure": tenure})
    homes, _ = reweight_certificates(gpd.GeoDataFrame(frame, crs=CRS), stock)
    certs = homes[homes["stock_source"] == "certificate"]
    by_type = certs.groupby("dwelling_type")["dwellings"].sum()
    by_tenure = certs.groupby("tenure")["dwellings"].sum()
    assert by_type.round(6).to_dict() == {"semi_detached": 40.0, "terraced": 20.0}
    assert by_tenure.round(3).to_dict() == {"owner-occupied": 45.0, "private rented": 15.0}


# --- real Oxfordshire files ----------------------------------------------------------------

def test_real_oxfordshire_stock_and_candidates(real_data: Path):
    from geoplan.layers.stock import read_area_polygons
    from geoplan.layers.zones import zones_from_file
    from tests.conftest import real_file

    lsoa = real_file(real_data, "boundaries/lsoa21")
    households = real_file(real_data, "census/oxon_msoa21_households_census2021.csv")
    heating = real_file(real_data, "grid/gb_primary_substations_census2021_heating.csv")
    bands = real_file(real_data, "epc/oxon_oa_private_rental_epc_summary_clusters.csv")
    areas = read_area_polygons([real_file(real_data, "boundaries/msoa21"),
                                real_file(real_data, "boundaries/oxon_oa11.gpkg")])
    layer = zones_from_file(lsoa)
    assert len(layer) == 428
    stock = building_stock(layer, {"households": households, "heating": heating,
                                   "epc_bands": bands}, areas=areas)
    census = pd.read_csv(households)
    msoas = set(census.iloc[:, 0])
    assert stock.archetypes["dwellings"].sum() == census["Observation"].sum()
    assert stock.zones["households"].sum() == census["Observation"].sum()
    # heating: each primary's counts go half to each of its two nearest MSOAs; the county's
    # zones get exactly the halves that name the county's MSOAs
    primaries = pd.read_csv(heating)
    counts = primaries.iloc[:, 12:].fillna(0.0)
    halves = (primaries["NearestZone0"].isin(msoas).astype(float)
              + primaries["NearestZone1"].isin(msoas).astype(float)) / 2
    expected = float((counts.sum(axis=1) * halves).sum())
    assert stock.tables["heating"].to_numpy().sum() == pytest.approx(expected, rel=1e-9)
    assert (stock.zones["band_source"] == "table").sum() > 400
    one_district = layer[layer["district_id"] == "E07000178"]
    homes = stock.archetypes[stock.archetypes["zone_id"].isin(one_district["zone_id"])]
    retrofit = retrofit_candidates(homes, one_district)
    laep = laep_candidates(homes, one_district)
    assert retrofit["zone_id"].nunique() == len(one_district)
    assert set(laep["option"]) >= {"heat_pump", "fabric_first", "do_nothing"}
    assert retrofit["aggregated_homes"].sum() > 0


def test_archetypes_split_by_tenure_and_ids_unique():
    heating = pd.DataFrame({"code": [Z1], "Electric only": ["5"], "Renewable energy only": ["5"],
                            "No central heating": ["2"]})
    tenure = pd.DataFrame({"code": [Z1, Z2], "Owned outright": ["60", "0"],
                           "Social rented": ["30", "0"], "Private rented": ["10", "0"]})
    stock = building_stock(zones(), {"households": households_table((100, 40, 0)),
                                     "heating": heating, "tenure": tenure})
    homes = stock.archetypes
    assert homes["building_id"].is_unique
    one = homes[homes["zone_id"] == Z1].groupby("tenure")["dwellings"].sum().to_dict()
    assert set(one) == {"owner-occupied", "social rented", "private rented"}
    assert sum(one.values()) == 100
    assert all(abs(one[k] - v) <= 5 for k, v in {"owner-occupied": 60, "social rented": 30,
                                                  "private rented": 10}.items())
    # a zone without tenure counts keeps its homes, tenure unknown
    assert set(homes.loc[homes["zone_id"] == Z2, "tenure"]) == {"unknown"}
    assert homes.loc[homes["zone_id"] == Z2, "dwellings"].sum() == 40
    # electric-only and no central heating share a fuel; the renewable one is a heat pump
    assert set(homes["heating_system"]) == {"electricity", "heat pump"}


def test_summary_labels_the_stock_figures():
    from geoplan.outputs.summary import summary_markdown

    text = summary_markdown({"kpis": {"homes_from_aggregated_data": 4.0,
                                      "tco2e_per_yr_low": 12.0, "tco2e_per_yr_high": 18.0}})
    assert "Homes from aggregated data (archetypes) | 4" in text
    assert "Emission reductions, low archetype heat demand (tCO2e/yr) | 12" in text
