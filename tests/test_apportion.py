"""Tests for apportioning tables keyed by area code to zones (geoplan.layers.apportion)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geoplan.errors import LayerSchemaError
from geoplan.layers.apportion import (
    AreaInput,
    apportion_file,
    apportion_table,
    even,
    largest_remainder,
    read_areas,
    read_lookup,
    recode,
    spread,
)
from geoplan.layers.zones import zones_from_file
from tests.conftest import real_file

BNG = "EPSG:27700"


def strip(n: int, width: float = 100.0, prefix: str = "Z") -> gpd.GeoDataFrame:
    """``n`` zones side by side, each ``width`` m wide and 100 m high."""
    return gpd.GeoDataFrame({"zone_id": [f"{prefix}{i}" for i in range(1, n + 1)]},
                            geometry=[box(width * i, 0, width * (i + 1), 100) for i in range(n)],
                            crs=BNG)


def test_recode_handles_unchanged_split_merged_and_complex_codes() -> None:
    pairs = pd.DataFrame({"source": ["A", "B", "B", "C", "D", "E", "E", "F"],
                          "target": ["A", "B1", "B2", "CD", "CD", "E1", "E2", "E2"]})
    values = pd.DataFrame({"n": [10.0, 30.0, 4.0, 6.0, 40.0, 8.0]},
                          index=["A", "B", "C", "D", "E", "F"])
    weights = pd.Series({"A": 1.0, "B1": 1.0, "B2": 2.0, "CD": 5.0, "E1": 3.0, "E2": 1.0})
    out, fell_back = recode(values, pairs, weights)
    # U passes A whole; S splits B 1:2; M adds C and D; X splits E 3:1 and adds F to E2.
    assert out["n"].to_dict() == pytest.approx({"A": 10, "B1": 10, "B2": 20, "CD": 10,
                                                "E1": 30, "E2": 18})
    assert out["n"].sum() == pytest.approx(values["n"].sum())
    assert fell_back == []


def test_recode_falls_back_to_land_area_then_equal_shares() -> None:
    pairs = pd.DataFrame({"source": ["B", "B", "C", "C"], "target": ["B1", "B2", "C1", "C2"]})
    values = pd.DataFrame({"n": [30.0, 8.0]}, index=["B", "C"])
    weights = pd.Series({"B1": 1.0, "C1": 1.0, "C2": 3.0})  # B2 has no weight
    out, fell_back = recode(values, pairs, weights, pd.Series({"B1": 2.0, "B2": 1.0}))
    assert out["n"].to_dict() == pytest.approx({"B1": 20, "B2": 10, "C1": 2, "C2": 6})
    assert fell_back == ["B"]
    out, _ = recode(values, pairs, weights)
    assert out["n"]["B1"] == pytest.approx(15)


def test_read_lookup_finds_columns_and_infers_or_checks_changes(tmp_path: Path) -> None:
    path = tmp_path / "lookup.csv"
    path.write_text("MSOA11CD,MSOA11NM,CHNGIND,MSOA21CD,LAD22CD\n"
                    "M1,a,U,M1,L1\nM2,b,S,M2a,L1\nM2,b,S,M2b,L1\n", encoding="utf-8")
    pairs = read_lookup(path, ["M1", "M2"])
    assert pairs.to_dict("list") == {"source": ["M1", "M2", "M2"],
                                     "target": ["M1", "M2a", "M2b"],
                                     "change": ["U", "S", "S"]}
    inferred = pd.DataFrame({"old": ["A", "B", "C", "D", "D"], "new": ["A", "BC", "BC", "D1",
                                                                       "D2"]})
    assert read_lookup(inferred, ["A"], ("old", "new"))["change"].tolist() == \
        ["U", "M", "M", "S", "S"]
    path.write_text("MSOA11CD,CHNGIND,MSOA21CD\nM1,U,M1\nM2,Q,M2\n", encoding="utf-8")
    with pytest.raises(LayerSchemaError, match=r"row 3: change indicator 'Q' is not one of"):
        read_lookup(path, ["M1"])
    with pytest.raises(LayerSchemaError, match=r"no column holds the table's codes"):
        read_lookup(path, ["E99"])


def test_spread_keeps_nested_totals_despite_slivers() -> None:
    """Zone Z2 pokes 0.01 m into area Q: a sliver, so P's total stays in P's zones."""
    zones = gpd.GeoDataFrame({"zone_id": ["Z1", "Z2", "Z3"]},
                             geometry=[box(0, 0, 100, 100), box(100, 0, 200.01, 100),
                                       box(200.01, 0, 300, 100)], crs=BNG)
    areas = gpd.GeoSeries([box(0, 0, 200, 100), box(200, 0, 300, 100)], index=["P", "Q"],
                          crs=BNG)
    values = pd.DataFrame({"n": [90.0, 10.0]}, index=["P", "Q"])
    out, outside, _ = spread(values, areas, zones)
    assert out["n"].tolist() == pytest.approx([45.0, 45.0, 10.0])
    assert outside["n"] == 0.0
    exact, _, _ = spread(values, areas, zones, sliver=0.0)
    assert exact["n"].iloc[1] == pytest.approx(45.0 + 10.0 * 1.0 / 10000)


def test_spread_follows_zone_weights_and_leaves_out_uncovered_parts() -> None:
    zones = strip(2)
    areas = gpd.GeoSeries([box(0, 0, 400, 100)], index=["P"], crs=BNG)  # half outside zones
    values = pd.DataFrame({"n": [100.0], "m": [8.0]}, index=["P"])
    out, outside, _ = spread(values, areas, zones, pd.Series([30.0, 10.0]))
    assert out["n"].tolist() == pytest.approx([37.5, 12.5])
    assert out["m"].tolist() == pytest.approx([3.0, 1.0])
    assert outside.to_dict() == pytest.approx({"n": 50.0, "m": 4.0})
    by_land, _, fell_back = spread(values, areas, zones, pd.Series([30.0, np.nan]))
    assert by_land["n"].tolist() == pytest.approx([25.0, 25.0])
    assert fell_back == ["P"]


def test_apportion_table_through_lookup_and_polygons_preserves_totals() -> None:
    zones = strip(4)  # Z1..Z4; new areas N1 = Z1+Z2, N2 = Z3, N3 = Z4
    areas = gpd.GeoSeries([box(0, 0, 200, 100), box(200, 0, 300, 100), box(300, 0, 400, 100)],
                          index=["N1", "N2", "N3"], crs=BNG)
    lookup = pd.DataFrame({"source": ["O1", "O2", "O2"], "target": ["N1", "N2", "N3"],
                           "change": ["U", "S", "S"]})
    values = pd.DataFrame({"n": [60.0, 40.0, 7.0]}, index=["O1", "O2", "GONE"])
    homes = pd.Series([10.0, 20.0, 30.0, 10.0])
    result = apportion_table(values, zones, lookup=lookup, areas=areas, zone_weights=homes)
    # O2 splits 30:10 between N2 and N3 by their homes; O1 splits 10:20 over Z1, Z2.
    assert result.values["n"].to_dict() == pytest.approx({"Z1": 20, "Z2": 40, "Z3": 30,
                                                          "Z4": 10})
    report = result.report
    assert report["read"] == {"n": 107.0}
    assert report["resolved"] == {"n": 100.0}
    assert report["apportioned"] == pytest.approx({"n": 100.0})
    assert report["codes_left_out"] == ["GONE"]
    assert report["left_out"] == {"n": 7.0}
    assert report["changes"] == {"U": 1, "S": 1, "M": 0, "X": 0}
    assert any("1 area codes are not in the lookup" in w for w in result.warnings)
    by_area = apportion_table(values, zones, lookup=lookup, areas=areas,
                              area_weights=pd.Series({"N2": 1.0, "N3": 3.0}))
    assert by_area.values["n"].tolist() == pytest.approx([30, 30, 10, 30])


def test_apportion_table_direct_codes_and_zones_without_value() -> None:
    zones = strip(3)
    values = pd.DataFrame({"n": [5.0, 9.0]}, index=["Z1", "X9"])
    result = apportion_table(values, zones, source="t.csv")
    assert result.values["n"].tolist()[0] == 5.0
    assert result.values["n"].isna().tolist() == [False, True, True]
    assert result.report["codes_left_out"] == ["X9"]
    assert result.report["zones_without_value"] == 2
    assert any(w.startswith("t.csv: 1 area codes match no zone id") for w in result.warnings)
    assert any("2 of 3 zones get no value" in w for w in result.warnings)


def test_apportion_file_reads_lookup_polygons_and_weights(tmp_path: Path) -> None:
    zones = strip(4)
    (tmp_path / "table.csv").write_text("MSOA11CD,name,count,other\nO1,a,60,\nO2,b,40,[c]\n",
                                        encoding="utf-8")
    (tmp_path / "lookup.csv").write_text("MSOA11CD,CHNGIND,MSOA21CD\nO1,U,N1\nO2,S,N2\n"
                                         "O2,S,N3\n", encoding="utf-8")
    (tmp_path / "weights.csv").write_text("Middle layer Super Output Areas Code,Observation\n"
                                          "N1,5\nN2,1\nN3,3\n", encoding="utf-8")
    polygons = gpd.GeoDataFrame({"MSOA21CD": ["N1", "N2", "N3"]},
                                geometry=[box(0, 0, 200, 100), box(200, 0, 300, 100),
                                          box(300, 0, 400, 100)], crs=BNG)
    (tmp_path / "areas").mkdir()
    polygons.iloc[:2].to_file(tmp_path / "areas/a.geojson")
    polygons.iloc[2:].to_file(tmp_path / "areas/b.geojson")
    spec = AreaInput(tmp_path / "table.csv", lookup=tmp_path / "lookup.csv",
                     areas=tmp_path / "areas", weight="households",
                     weights=tmp_path / "weights.csv")
    result = apportion_file(spec, zones, what="things")
    assert result.report["columns"] == ["count"]  # 'other' holds a '[c]': not all counts
    assert result.values["count"].tolist() == pytest.approx([30.0, 30.0, 10.0, 30.0])
    result = apportion_file(replace(spec, columns=("count", "other")), zones, what="things")
    assert result.values["other"].tolist() == [0.0] * 4
    assert any("1 blank cells in ['count', 'other'] were counted as 0" in w
               for w in result.warnings)
    assert any("1 suppressed cells" in w for w in result.warnings)
    # O2's 40 split 1:3 by households per new code; within N1 the land area decides.
    assert result.values["count"].tolist() == pytest.approx([30.0, 30.0, 10.0, 30.0])
    with pytest.raises(LayerSchemaError, match=r"weight 'dwellings' has no values"):
        apportion_file(AreaInput(tmp_path / "table.csv", weight="dwellings"), zones, what="x")
    with pytest.raises(ValueError, match=r"weight must be one of"):
        AreaInput(tmp_path / "table.csv", weight="people")


def test_read_areas_picks_the_code_column_and_joins_repeated_codes() -> None:
    frame = gpd.GeoDataFrame({"FID": [1, 2, 3], "code": ["A", "A", "B"]},
                             geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)],
                             crs=BNG)
    areas = read_areas(frame, ["A", "B"])
    assert list(areas.index) == ["A", "B"]
    assert areas.area.tolist() == pytest.approx([2.0, 1.0])


# --- cases of the building stock (geoplan.layers.stock), once its own module ---------------

L1, L2, L3 = "E01000001", "E01000002", "E01000003"
M1 = "E02000001"


def lsoas() -> gpd.GeoDataFrame:
    """Unit-km squares side by side, one per LSOA code."""
    return gpd.GeoDataFrame({"zone_id": [L1, L2, L3]},
                            geometry=[box(450000 + 1000 * i, 200000, 451000 + 1000 * i, 201000)
                                      for i in range(3)], crs=BNG)


def test_lookup_splits_by_household_weight_and_keeps_totals() -> None:
    values = pd.DataFrame({"vehicles": [100.0, 8.0]}, index=[M1, "E02000002"])
    lookup = read_lookup(pd.DataFrame({"LSOA21CD": [L1, L2, L3],
                                       "MSOA21CD": [M1, M1, "E02000002"]}),
                         list(values.index), ("MSOA21CD", "LSOA21CD"))
    out = apportion_table(values, lsoas(), lookup=lookup,
                          zone_weights=pd.Series([300.0, 100.0, 50.0]))
    # by hand: M1's 100 split 300:100, the other MSOA's 8 all to L3
    assert out.values["vehicles"].to_dict() == {L1: 75.0, L2: 25.0, L3: 8.0}
    assert out.report["resolved"] == out.report["apportioned"] == {"vehicles": 108.0}
    assert out.report["codes_left_out"] == []
    assert out.warnings == ()


def test_whole_numbers_by_largest_remainder() -> None:
    values = pd.DataFrame({"homes": [10.0]}, index=[M1])
    lookup = pd.DataFrame({"source": [M1] * 3, "target": [L1, L2, L3], "change": "S"})
    out = apportion_table(values, lsoas(), lookup=lookup, zone_weights=even(lsoas()),
                          whole=True)
    # 10 / 3 = 3.33 each: one zone (the first in order) gets the remainder
    assert out.values["homes"].tolist() == [4.0, 3.0, 3.0]
    area = gpd.GeoSeries([box(450000, 200000, 453000, 201000)], index=[M1], crs=BNG)
    spread_out = apportion_table(values, lsoas(), areas=area, whole=True)
    assert spread_out.values["homes"].tolist() == [4.0, 3.0, 3.0]
    # Hamilton by hand: floors 2, 2, 1 of 5.6; remainders .4 .4 .8 -> the .8, then the
    # first .4; a second group of two halves gives its one unit to the earlier entry.
    got = largest_remainder(np.array([2.4, 2.4, 0.8, 0.5, 0.5]), np.array([0, 0, 0, 1, 1]))
    assert got.tolist() == [3.0, 2.0, 1.0, 1.0, 0.0]


def test_zero_weights_fall_back_to_land_area_and_unmatched_codes_are_counted() -> None:
    values = pd.DataFrame({"n": [6.0, 5.0]}, index=[M1, "E02000009"])
    lookup = pd.DataFrame({"source": [M1, M1], "target": [L1, L2], "change": "S"})
    out = apportion_table(values, lsoas().iloc[:2], lookup=lookup,
                          zone_weights=pd.Series([0.0, 0.0]))
    assert out.values["n"].tolist() == [3.0, 3.0]
    assert out.report["codes_left_out"] == ["E02000009"]
    assert len(out.warnings) == 2
    assert "1 area codes are not in the lookup" in out.warnings[0]
    assert "1 codes were split by land area" in out.warnings[1]


def test_polygon_shares_and_fine_areas_add_up() -> None:
    # M1 covers L1 wholly and half of L2; L3 not at all
    area = gpd.GeoSeries([box(450000, 200000, 451500, 201000)], index=[M1], crs=BNG)
    values = pd.DataFrame({"n": [3.0]}, index=[M1])
    for weights in (None, even(lsoas())):
        out = apportion_table(values, lsoas(), areas=area, zone_weights=weights)
        assert out.values["n"].tolist()[:2] == pytest.approx([2.0, 1.0])
        assert np.isnan(out.values["n"].iloc[2])
    small = gpd.GeoSeries([box(450000, 200000, 450500, 201000),
                           box(450500, 200000, 451000, 201000)],
                          index=["E00000001", "E00000002"], crs=BNG)
    fine = pd.DataFrame({"n": [2.0, 3.0]}, index=["E00000001", "E00000002"])
    out = apportion_table(fine, lsoas(), areas=small, zone_weights=even(lsoas()))
    assert out.values["n"].fillna(0.0).to_dict() == {L1: 5.0, L2: 0.0, L3: 0.0}


def test_even_weight_of_an_area_input(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(f"MSOA21CD,n\n{M1},30\n", encoding="utf-8")
    (tmp_path / "l.csv").write_text(f"MSOA21CD,LSOA21CD\n{M1},{L1}\n{M1},{L2}\n{M1},{L3}\n",
                                    encoding="utf-8")
    spec = AreaInput(tmp_path / "t.csv", lookup=tmp_path / "l.csv",
                     lookup_columns=("MSOA21CD", "LSOA21CD"), weight="even")
    wide = lsoas().assign(geometry=[box(0, 0, 1, 1), box(1, 0, 4, 1), box(4, 0, 5, 1)])
    # evenly 10 each, though L2 is three times as large (weight "area": 6, 18, 6)
    assert apportion_file(spec, wide, what="n").values["n"].tolist() == [10.0, 10.0, 10.0]
    assert apportion_file(replace(spec, weight="area"), wide, what="n").values[
        "n"].tolist() == pytest.approx([6.0, 18.0, 6.0])


@pytest.mark.real_data
def test_real_dft_vehicles_and_census_households_to_lsoa21(real_data: Path) -> None:
    """DfT ULEVs per MSOA 2011 -> MSOA 2021 (ONS lookup, S split by Census households) ->
    the 428 LSOAs 2021 of Oxfordshire; Census households per MSOA 2021 -> LSOAs by area."""
    lsoa = real_file(real_data, "boundaries/lsoa21")
    msoa = real_file(real_data, "boundaries/msoa21")
    census = real_file(real_data, "census/oxon_msoa21_households_census2021.csv")
    dft = real_file(real_data, "ev/oxon_msoa_ev_indicators_2021_2022.csv")
    lookup = real_file(real_data, "boundaries/oxon_msoa11_to_msoa21_lookup.csv")
    zones = zones_from_file(lsoa)
    assert len(zones) == 428
    homes = apportion_file(AreaInput(census, areas=msoa), zones, what="households")
    vehicles = apportion_file(AreaInput(dft, columns=("ulevs_q3_2021_representative",),
                                        lookup=lookup, areas=msoa, weight="households",
                                        weights=census), zones, what="vehicles",
                              zone_weights=homes.values["Observation"].set_axis(zones.index))
    table = pd.read_csv(dft)
    pairs = pd.read_csv(lookup)
    resolved = table[table["MSOA11CD"].isin(pairs["MSOA11CD"])]
    evs = vehicles.values["ulevs_q3_2021_representative"]
    assert vehicles.report["changes"] == {"U": 85, "S": 1, "M": 0, "X": 0}
    assert vehicles.report["codes_left_out"] == []
    assert evs.notna().all()
    assert evs.sum() == pytest.approx(resolved["ulevs_q3_2021_representative"].sum(), rel=1e-12)
    # Each MSOA 2021's total equals the sum over its LSOAs (LSOA21NM "Oxford 019A" is in
    # MSOA21NM "Oxford 019"); an unchanged MSOA keeps its DfT figure.
    names = gpd.read_file(msoa / "E07000178.geojson")[["MSOA21CD", "MSOA21NM"]]
    in_msoa = zones["zone_name"].str[:-1].to_numpy()
    per_msoa = evs.groupby(in_msoa).sum()
    census_table = pd.read_csv(census)
    per_msoa_homes = homes.values["Observation"].groupby(in_msoa).sum()
    expected_homes = census_table.set_index("Middle layer Super Output Areas")["Observation"]
    assert per_msoa_homes.to_dict() == pytest.approx(expected_homes.to_dict(), rel=1e-9)
    unchanged = pairs[pairs["CHNGIND"] == "U"].merge(table, on="MSOA11CD")
    assert per_msoa[unchanged["MSOA21NM"]].to_numpy() == pytest.approx(
        unchanged["ulevs_q3_2021_representative"].to_numpy(), rel=1e-9)
    split = pairs[pairs["CHNGIND"] == "S"]
    whole = table.loc[table["MSOA11CD"] == split["MSOA11CD"].iloc[0],
                      "ulevs_q3_2021_representative"].iloc[0]
    shares = census_table.set_index("Middle layer Super Output Areas Code")["Observation"][
        split["MSOA21CD"]]
    assert per_msoa[split["MSOA21NM"]].to_numpy() == pytest.approx(
        (whole * shares / shares.sum()).to_numpy(), rel=1e-9)
    assert set(names["MSOA21NM"]) <= set(per_msoa.index)
