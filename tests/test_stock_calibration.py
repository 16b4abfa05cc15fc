"""DESNZ sub-national consumption tables and the heat demand calibrated to them."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geoplan.errors import LayerSchemaError, SourceFormatError
from geoplan.layers.stock_calibration import (
    ConsumptionInput,
    apply_prebound,
    calibrate_heat,
    calibration_kpis,
    metered_per_zone,
    prebound_ratio,
)
from geoplan.sources.consumption_tables import read_consumption_table
from geoplan.workstreams.savings import switch_effects

CRS = "EPSG:27700"

# --- readers -------------------------------------------------------------------------------

BEIS_MSOA = pd.DataFrame({
    "year": ["2018", "2018", "2019", "2019", "2019"],
    "sector": ["domestic", "non-domestic", "domestic", "domestic", "non-domestic"],
    "lad_code": ["E07000177"] * 5,
    "msoa11cd": ["E02005921", "E02005921", "E02005921", "E02005922", "E02005921"],
    "n_meters": ["10", "3", "11", "20", "4"],
    "consumption_kwh": ["40000", "90000", "41000.5", "70000", "95000"],
    "mean_kwh_per_meter": ["4000", "30000", "3727.3", "3500", "23750"],
    "median_kwh_per_meter": ["3900", "1", "3600", "3400", "2"]})


def test_beis_layout_latest_year_domestic_rows_only():
    table = read_consumption_table(BEIS_MSOA, "electricity")
    assert (table.level, table.year, table.years) == ("msoa", 2019, (2018, 2019))
    assert table.values.to_dict("index") == {
        "E02005921": {"meters": 11.0, "consumption_kwh": 41000.5},
        "E02005922": {"meters": 20.0, "consumption_kwh": 70000.0}}
    assert any("2 rows of other sectors (non-domestic)" in w for w in table.warnings)
    named = read_consumption_table(BEIS_MSOA, "electricity", year=2018)
    assert named.values["consumption_kwh"].to_dict() == {"E02005921": 40000.0}


@pytest.mark.parametrize("header", [
    # DESNZ LSOA domestic gas/electricity CSVs (2022 onwards) and the earlier BEIS files
    ["Local authority code", "Local authority", "MSOA code", "Middle Layer Super Output Area",
     "LSOA code", "Lower Layer Super Output Area", "Number of meters",
     "Total consumption (kWh)", "Mean consumption (kWh per meter)",
     "Median consumption (kWh per meter)"],
    ["LAName", "LACode", "MSOAName", "MSOACode", "LSOAName", "LSOACode", "METERS", "KWH",
     "MEAN", "MEDIAN"],
])
def test_desnz_lsoa_layouts_without_year_or_sector(header):
    rows = [["E07000177", "Cherwell", "E02005921", "Cherwell 001", "E01028401", "Cherwell 001A",
             "600", "7200000", "12000", "11000"],
            ["E07000177", "Cherwell", "E02005921", "Cherwell 001", "E01028402", "Cherwell 001B",
             "500", "5000000", "10000", "9000"],
            ["", "Unallocated", "", "", "", "", "7", "70000", "10000", "10000"]]
    if header[0] == "LAName":  # the old layout puts the names first
        rows = [[r[1], r[0], r[3], r[2], r[5], r[4], *r[6:]] for r in rows]
    table = read_consumption_table(pd.DataFrame(rows, columns=header), "gas")
    assert table.level == "lsoa"
    assert table.year is None
    assert table.values["consumption_kwh"].to_dict() == {"E01028401": 7.2e6,
                                                         "E01028402": 5.0e6}
    assert table.values["meters"].sum() == 1100
    assert any("1 rows without an area code" in w for w in table.warnings)


def test_missing_year_names_file_column_and_years(tmp_path):
    path = tmp_path / "elec.csv"
    BEIS_MSOA.to_csv(path, index=False)
    with pytest.raises(LayerSchemaError) as info:
        read_consumption_table(path, "electricity", year=2022)
    text = str(info.value)
    assert "elec.csv" in text
    assert "'year'" in text
    assert "[2018, 2019]" in text


def test_bad_cells_are_named_with_their_file_row(tmp_path):
    table = BEIS_MSOA.copy()
    table.loc[3, "consumption_kwh"] = "n/k"
    table.to_csv(tmp_path / "gas.csv", index=False)
    with pytest.raises(SourceFormatError, match=r"gas.csv.*row 5, column 'consumption_kwh'"):
        read_consumption_table(tmp_path / "gas.csv", "gas")


def test_table_without_domestic_rows_or_kwh_is_refused():
    with pytest.raises(LayerSchemaError, match="no domestic rows in column 'sector'"):
        read_consumption_table(BEIS_MSOA[BEIS_MSOA["sector"] != "domestic"], "gas")
    with pytest.raises(LayerSchemaError, match="no total kWh column"):
        read_consumption_table(BEIS_MSOA.drop(columns="consumption_kwh"), "gas")


# --- calibration by hand -------------------------------------------------------------------

CALIBRATION = pd.DataFrame(
    [("prebound", b, 1.0) for b in "ABCDE"] + [("prebound", "F", 0.5), ("prebound", "G", 0.5),
                                                ("factor", "min", 0.5), ("factor", "max", 2.0),
                                                ("electricity", "baseline_kwh_per_home", 2000.0),
                                                ("electricity", "min_heat_share", 0.1)],
    columns=["quantity", "item", "value"])
HEAT = pd.DataFrame({"quantity": "efficiency", "item": ["mains gas", "electricity",
                                                        "heat pump", "other"],
                     "value": [0.8, 1.0, 2.5, 0.8], "unit": "", "source": ""})


def homes() -> pd.DataFrame:
    """Z1: 10 gas homes in D (10,000 kWh heat), 5 gas homes in F (20,000);
    Z2: 4 direct electric homes in G (15,000), 6 gas homes in C (8,000)."""
    return pd.DataFrame({
        "zone_id": ["Z1", "Z1", "Z2", "Z2"], "epc_band": ["D", "F", "G", "C"],
        "main_fuel": ["mains gas", "mains gas", "electricity", "mains gas"],
        "heating_system": ["mains gas", "mains gas", "electricity", "mains gas"],
        "dwellings": [10, 5, 4, 6],
        "heat_demand_kwh": [10000.0, 20000.0, 15000.0, 8000.0],
        "heat_demand_kwh_low": [5000.0, 10000.0, 7500.0, 4000.0],
        "heat_demand_kwh_high": [20000.0, 40000.0, 30000.0, 16000.0]})


HOUSEHOLDS = pd.Series({"Z1": 15.0, "Z2": 10.0, "Z3": 0.0})
# Z1 modelled gas: (10 x 10,000 + 5 x 20,000 x 0.5) / 0.8 = 187,500 -> metered 150,000: 0.8
# Z2 modelled gas: 6 x 8,000 / 0.8 = 60,000 -> metered 180,000: 3, bounded to 2
# Z2 electricity: 47,000 - 2,000 x 10 homes = 27,000 over 4 x 15,000 x 0.5 / 1 = 30,000: 0.9
METERED = {"gas": pd.Series({"Z1": 150000.0, "Z2": 180000.0, "Z3": np.nan}),
           "electricity": pd.Series({"Z1": 30000.0, "Z2": 47000.0, "Z3": np.nan})}


def test_factors_per_zone_by_hand():
    result = calibrate_heat(homes(), METERED, HOUSEHOLDS, table=CALIBRATION, heat_factors=HEAT)
    zones = result.zones
    assert zones.loc["Z1", "modelled_gas_kwh"] == pytest.approx(187500)
    assert zones["heat_calibration_gas"].to_dict() == pytest.approx(
        {"Z1": 0.8, "Z2": 2.0, "Z3": np.nan}, nan_ok=True)
    assert zones.loc["Z2", "heat_calibration_electric"] == pytest.approx(0.9)
    assert np.isnan(zones.loc["Z1", "heat_calibration_electric"])  # no electric homes
    # D: 10,000 x 0.8; F: 20,000 x 0.5 (prebound) x 0.8; G: 15,000 x 0.5 x 0.9; C: 8,000 x 2
    assert result.buildings["heat_demand_kwh"].tolist() == pytest.approx(
        [8000.0, 8000.0, 6750.0, 16000.0])
    assert result.buildings["heat_demand_kwh_high"].tolist() == pytest.approx(
        [16000.0, 16000.0, 13500.0, 32000.0])
    assert result.buildings["heat_calibration"].tolist() == pytest.approx([0.8, 0.4, 0.45, 2])
    note = next(n for n in result.notes if "metered gas" in n)
    assert "in 2 of 3 zones, median factor 1.40 (range 0.80-2.00; 1 at the bounds" in note
    assert any("bands F x0.50, G x0.50" in n for n in result.notes)
    assert calibration_kpis(zones) == {
        "zones_heat_calibrated_gas": 2.0, "heat_calibration_gas_median": 1.4,
        "heat_calibration_gas_min": 0.8, "heat_calibration_gas_max": 2.0,
        "zones_heat_calibrated_electric": 1.0, "heat_calibration_electric_median": 0.9,
        "heat_calibration_electric_min": 0.9, "heat_calibration_electric_max": 0.9}


def test_small_electric_heating_share_is_not_calibrated():
    # Z2's modelled electric heat (30,000) is below 10% of 400,000 kWh metered
    metered = {"electricity": pd.Series({"Z1": 1e5, "Z2": 4e5})}
    result = calibrate_heat(homes(), metered, HOUSEHOLDS, table=CALIBRATION, heat_factors=HEAT)
    assert result.zones["heat_calibration_electric"].isna().all()
    # without gas meters the gas homes keep their modelled heat, but F still gets prebound
    assert result.buildings["heat_demand_kwh"].tolist() == pytest.approx(
        [10000.0, 10000.0, 7500.0, 8000.0])
    assert calibration_kpis(result.zones) == {}


def test_prebound_without_meters_for_certificate_homes_by_hand():
    # three certificate homes (one row each) in D, F and G, and one without a band
    certificates = pd.DataFrame({"epc_band": ["D", "F", "G", None],
                                 "heat_demand_kwh": [10000.0, 20000.0, 15000.0, 12000.0]})
    given = certificates.copy()
    scaled, notes = apply_prebound(certificates)  # the shipped table: F x0.75, G x0.65
    pd.testing.assert_frame_equal(certificates, given)  # a new table: the given one unchanged
    assert scaled["heat_demand_kwh"].tolist() == pytest.approx([10000.0, 15000.0, 9750.0,
                                                               12000.0])
    assert scaled["heat_calibration"].tolist() == pytest.approx([1.0, 0.75, 0.65, 1.0])
    assert len(notes) == 1
    assert "modelled heat of 2 homes" in notes[0]
    assert "F x0.75, G x0.65" in notes[0]
    # the same ratios as the metered path, and never twice (a prepared layer read back)
    assert prebound_ratio(certificates, CALIBRATION).tolist() == [1.0, 0.5, 0.5, 1.0]
    again, more = apply_prebound(scaled)
    assert again["heat_demand_kwh"].tolist() == scaled["heat_demand_kwh"].tolist()
    assert more == ()
    # metered calibration divides out the prebound already applied before its own p_b x f
    prebound = apply_prebound(homes(), CALIBRATION)[0]
    kept = prebound.copy()
    metered = calibrate_heat(prebound, METERED, HOUSEHOLDS,
                             table=CALIBRATION, heat_factors=HEAT).buildings
    pd.testing.assert_frame_equal(prebound, kept)  # its heat is divided in a new table
    direct = calibrate_heat(homes(), METERED, HOUSEHOLDS, table=CALIBRATION,
                            heat_factors=HEAT).buildings
    assert metered["heat_demand_kwh"].tolist() == pytest.approx(
        direct["heat_demand_kwh"].tolist())
    # rows standing for several homes count as many; low/high scale with the central value
    archetypes = homes()
    stock, notes = apply_prebound(archetypes, CALIBRATION)
    assert stock["heat_demand_kwh_low"].tolist() == pytest.approx([5000.0, 5000.0, 3750.0,
                                                                   4000.0])
    assert "modelled heat of 9 homes" in notes[0]  # 5 in F and 4 in G
    assert archetypes["heat_demand_kwh"].tolist()[1] == 20000.0  # the input is left as it was


def test_carbon_savings_change_with_calibration():
    carbon = pd.DataFrame({"year": [2025, 2025], "fuel": ["mains_gas", "electricity"],
                           "kgco2e_per_kwh": [0.2, 0.1], "source": ""})
    prices = carbon.rename(columns={"kgco2e_per_kwh": "pence_per_kwh"})
    loads = pd.DataFrame({"load": ["electric_resistance"], "kw_per_home": [2.0],
                          "source": ""})
    calibrated = calibrate_heat(homes(), METERED, HOUSEHOLDS, table=CALIBRATION,
                                heat_factors=HEAT).buildings

    def saved(frame: pd.DataFrame) -> np.ndarray:
        effects = switch_effects(frame, np.full(len(frame), 0.25), year=2025, carbon=carbon,
                                 prices=prices, loads=loads, heat_factors=HEAT)
        return effects["tco2e_per_yr"].to_numpy() * frame["dwellings"].to_numpy()

    # a quarter of the heat saved: homes x heat x 0.25 / efficiency x factor / 1000
    before = [10 * 10000 * 0.25 / 0.8 * 0.2 / 1000, 5 * 20000 * 0.25 / 0.8 * 0.2 / 1000,
              4 * 15000 * 0.25 / 1.0 * 0.1 / 1000, 6 * 8000 * 0.25 / 0.8 * 0.2 / 1000]
    assert saved(homes()) == pytest.approx(before)
    after = [b * f for b, f in zip(before, [0.8, 0.4, 0.45, 2.0], strict=True)]
    assert saved(calibrated) == pytest.approx(after)
    assert saved(calibrated).sum() == pytest.approx(5.0 + 2.5 + 0.675 + 6.0)


# --- apportionment to zones ----------------------------------------------------------------

def squares(ids=("E01000001", "E01000002", "E01000003")) -> gpd.GeoDataFrame:
    shapes = [box(450000 + 1000 * i, 200000, 451000 + 1000 * i, 201000) for i in range(3)]
    return gpd.GeoDataFrame({"zone_id": list(ids)}, geometry=shapes, crs=CRS)


def test_msoa_2011_table_through_lookup_and_polygons_by_households(tmp_path):
    zones = squares()
    (tmp_path / "lookup.csv").write_text("MSOA11CD,CHNGIND,MSOA21CD\n"
                                         "E02000009,U,E02000001\n")
    msoa = gpd.GeoDataFrame({"MSOA21CD": ["E02000001"]},
                            geometry=[box(450000, 200000, 453000, 201000)], crs=CRS)
    table = BEIS_MSOA.replace({"E02005921": "E02000009"})
    table.to_csv(tmp_path / "elec.csv", index=False)
    households = pd.Series({"E01000001": 30.0, "E01000002": 10.0, "E01000003": 0.0})
    spec = ConsumptionInput(tmp_path / "elec.csv", lookup=tmp_path / "lookup.csv")
    metered, notes = metered_per_zone(spec, "electricity", zones, households, [msoa])
    # E02005922 is not in the lookup: left out (and said); 41,000.5 kWh split 3:1:0
    assert metered.to_dict() == pytest.approx({"E01000001": 30750.375,
                                               "E01000002": 10250.125, "E01000003": 0.0})
    assert any("not in the lookup" in n for n in notes)
    assert notes[-1].endswith("41,000 kWh in the zones")
    with pytest.raises(LayerSchemaError, match="no area polygons hold them"):
        metered_per_zone(spec, "electricity", zones, households, [])


def test_polygons_of_one_file_per_district_are_joined():
    zones = squares()
    halves = [gpd.GeoDataFrame({"MSOA21CD": [code]}, geometry=[shape], crs=CRS)
              for code, shape in (("E02005921", box(450000, 200000, 451000, 201000)),
                                  ("E02005922", box(451000, 200000, 453000, 201000)))]
    households = pd.Series(1.0, index=zones["zone_id"])
    metered, _ = metered_per_zone(ConsumptionInput(BEIS_MSOA), "electricity",  # type: ignore[arg-type]
                                  zones, households, halves)
    assert metered.tolist() == pytest.approx([41000.5, 35000.0, 35000.0])


def test_lsoa_codes_that_are_zone_ids_need_no_polygons():
    zones = squares(("E01028401", "E01028402", "E01000003"))
    table = pd.DataFrame({"LSOA code": ["E01028401", "E01028402"], "Number of meters": [6, 5],
                          "Total consumption (kWh)": [72000, 50000]})
    metered, _ = metered_per_zone(ConsumptionInput(table), "gas", zones,  # type: ignore[arg-type]
                                  pd.Series(1.0, index=zones["zone_id"]))
    assert metered.to_dict() == pytest.approx({"E01028401": 72000.0, "E01028402": 50000.0,
                                               "E01000003": np.nan}, nan_ok=True)


# --- through the scenario and the layers ---------------------------------------------------

def test_scenario_keys_calibrate_the_zones_layer(tmp_path, small_sample):
    from geoplan.layers.prepare import prepare_layers, sample_inputs
    from geoplan.pipeline import layer_inputs
    from geoplan.scenario import load_scenario

    sample = sample_inputs(small_sample)
    census = pd.read_csv(sample.households)
    code = "LSOA21CD"
    gas = pd.DataFrame({"year": 2021, code: census[code],
                        "Number of meters": census["households"],
                        "Total consumption (kWh)": census["households"] * 9000.0})
    gas.to_csv(tmp_path / "gas.csv", index=False)
    (tmp_path / "s.yaml").write_text(
        f"name: stock\ninputs:\n  zones: {sample.zones}\n  grid: {sample.grid}\n"
        f"  within: Oxfordshire\n  building_stock:\n    households: {sample.households}\n"
        "    heating: heating.csv\n    gas_consumption: {path: gas.csv, year: 2021}\n")
    heating = pd.DataFrame({code: census[code], "Mains gas only": census["households"]})
    heating.to_csv(tmp_path / "heating.csv", index=False)
    given = layer_inputs(load_scenario(tmp_path / "s.yaml"))
    assert given.building_stock.gas_consumption == ConsumptionInput(tmp_path / "gas.csv", 2021)
    layers = prepare_layers(given)
    zones = layers.zones.set_index("zone_id")
    homes = layers.buildings
    # every home is gas heated: each zone's modelled gas now equals its metered gas
    bought = homes["heat_demand_kwh"] * homes["dwellings"] / 0.84
    per_zone = bought.groupby(homes["zone_id"]).sum()
    metered = zones["metered_gas_kwh"].reindex(per_zone.index)
    free = zones["heat_calibration_gas"].reindex(per_zone.index).between(0.5, 2.0,
                                                                        inclusive="neither")
    assert free.sum() > 0
    assert (per_zone[free] - metered[free]).abs().max() < 1e-6 * metered.max()
    assert any("heat calibration: gas-heated homes" in w for w in layers.warnings)


def test_real_oxfordshire_electricity_total_kept_in_lsoa_zones(real_data: Path):
    from geoplan.layers.zones import zones_from_file
    from tests.conftest import real_file

    path = real_file(real_data, "energy/oxon_msoa_electricity_consumption_2010_2019_beis.csv")
    lookup = real_file(real_data, "boundaries/oxon_msoa11_to_msoa21_lookup.csv")
    msoa = real_file(real_data, "boundaries/msoa21")
    zones = zones_from_file(real_file(real_data, "boundaries/lsoa21"))
    households = pd.Series(1.0, index=zones["zone_id"].astype(str))
    spec = ConsumptionInput(path, year=2019, lookup=lookup, areas=msoa)
    metered, notes = metered_per_zone(spec, "electricity", zones, households)
    raw = pd.read_csv(path)
    domestic = raw[(raw["year"] == 2019) & (raw["sector"] == "domestic")]
    assert len(domestic) == 86
    assert metered.sum() == pytest.approx(domestic["consumption_kwh"].sum(), rel=1e-9)
    assert metered.notna().all()
    assert len(metered) == 428
    assert "electricity 2019 domestic consumption" in notes[-1]
