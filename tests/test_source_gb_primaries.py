"""Tests for the GB primary substations CSV reader (geoplan.sources.gb_primaries)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from pyproj import Transformer
from shapely.geometry import Point

import geoplan.sources
from geoplan.errors import SourceFormatError, SourceNotFoundError
from geoplan.sources import detect_format, gb_primaries, read_grid
from geoplan.sources.cells import normalise_header
from tests.conftest import real_file

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

# Published header, with stray spaces around two cells; rows cover every rule of the reader.
HEADER = ' PS Name ,Firm Capacity (MVA),Demand (MVA),PF,"Geo(Long,Lat)", GSP ,DNO\n'
ROWS = (
    'arncott,20.5,14.0,,"-1.1,51.85",COWLEY,SSEN\n'
    'berinsfield,23.0,25.0,0.98,"-1.17,51.66",Cowley GSP,SSEN\n'
    'cowley local,32.5 MVA,27,,"-1.2,51.73", COWLEY ,SSEN\n'
    'lonely,10,4,,"-1.3,51.7",,SSEN\n'
    "nowhere,10,4,,,COWLEY,SSEN\n"
    'arncott,20.5,14.0,,"-1.1,51.85",COWLEY,SSEN\n'
    'oxted,16.7,10.4,,"0.13,51.37",Northfleet,UKPN\n'
    'oxted,16.7,10.4,,"0.006,51.26",Northfleet,UKPN\n'
    'cowley road,14,14,,"-3.5,50.7",Cowley,WPD\n'
)


def write(tmp_path: Path, text: str, name: str = "primaries.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tables(tmp_path: Path) -> geoplan.sources.GridTables:
    return gb_primaries.read(write(tmp_path, HEADER + ROWS))


def by_id(tables: geoplan.sources.GridTables) -> pd.DataFrame:
    return tables.substations.set_index("substation_id")


def test_sniff_accepts_the_published_header_only() -> None:
    header = [normalise_header(c) for c in
              ["PS Name", "Firm Capacity (MVA)", "Demand (MVA)", "PF", "Geo(Long,Lat)", "GSP",
               "DNO"]]
    assert gb_primaries.sniff(header)
    assert gb_primaries.sniff([c for c in header if c != "pf"])
    assert not gb_primaries.sniff([c for c in header if c != "geo(long,lat)"])
    assert not gb_primaries.sniff(["substation", "headroom"])


def test_ids_levels_and_parents_are_scoped_by_dno(tables: geoplan.sources.GridTables) -> None:
    subs = by_id(tables)
    assert sorted(subs.index) == [
        "SSEN-gsp-COWLEY", "SSEN-primary-ARNCOTT", "SSEN-primary-BERINSFIELD",
        "SSEN-primary-COWLEY_LOCAL", "SSEN-primary-LONELY", "SSEN-primary-NOWHERE",
        "UKPN-gsp-NORTHFLEET", "UKPN-primary-OXTED", "UKPN-primary-OXTED-2",
        "WPD-gsp-COWLEY", "WPD-primary-COWLEY_ROAD",
    ]
    assert subs.loc["SSEN-primary-BERINSFIELD", "parent_id"] == "SSEN-gsp-COWLEY"
    assert subs.loc["SSEN-primary-COWLEY_LOCAL", "parent_id"] == "SSEN-gsp-COWLEY"
    assert subs.loc["WPD-primary-COWLEY_ROAD", "parent_id"] == "WPD-gsp-COWLEY"
    assert subs.loc["SSEN-primary-LONELY", "parent_id"] is None
    assert subs.loc["WPD-gsp-COWLEY", "dno"] == "WPD"
    assert subs.loc["SSEN-gsp-COWLEY", "geometry"] is None
    assert subs.loc["SSEN-primary-ARNCOTT", "name"] == "arncott"


def test_numbers_and_extra_attributes(tables: geoplan.sources.GridTables) -> None:
    subs = by_id(tables)
    assert subs.loc["SSEN-primary-COWLEY_LOCAL", "firm_capacity_mva"] == 32.5
    assert subs.loc["SSEN-primary-COWLEY_LOCAL", "peak_demand_mva"] == 27.0
    assert subs.loc["SSEN-primary-BERINSFIELD", "power_factor"] == 0.98
    assert np.isnan(subs.loc["SSEN-primary-ARNCOTT", "power_factor"])
    assert subs.loc["SSEN-primary-ARNCOTT", "dno"] == "SSEN"
    assert list(tables.substations.columns[-2:]) == ["dno", "power_factor"]


def test_locations_are_projected_and_blank_ones_left_empty(
    tables: geoplan.sources.GridTables,
) -> None:
    subs = by_id(tables)
    x, y = TO_BNG.transform(-1.1, 51.85)
    point = subs.loc["SSEN-primary-ARNCOTT", "geometry"]
    assert (point.x, point.y) == pytest.approx((x, y), abs=0.01)
    assert subs.loc["SSEN-primary-NOWHERE", "geometry"] is None
    assert tables.substations.crs == "EPSG:27700"
    assert "1 substations have no location; they have no geometry" in tables.warnings


def test_headroom_is_firm_minus_demand(tables: geoplan.sources.GridTables) -> None:
    head = tables.headroom.set_index("substation_id")
    assert len(head) == 8
    assert head.loc["SSEN-primary-BERINSFIELD", "headroom_mva"] == pytest.approx(-2.0)
    assert head.loc["SSEN-primary-COWLEY_LOCAL", "headroom_mva"] == pytest.approx(5.5)
    assert set(head["scenario"]) == {"published"}
    assert set(head["season"]) == {"peak"}
    assert head["year"].isna().all()
    assert "SSEN-gsp-COWLEY" not in head.index


def test_year_argument_is_written_to_headroom(tmp_path: Path) -> None:
    tables = gb_primaries.read(write(tmp_path, HEADER + ROWS), year=2023)
    assert tables.headroom["year"].dtype == "Int64"
    assert set(tables.headroom["year"]) == {2023}


def test_duplicates_and_missing_gsps_are_reported(tables: geoplan.sources.GridTables) -> None:
    text = "\n".join(tables.warnings)
    assert "1 rows repeat an earlier row exactly (rows [7]); they were dropped" in text
    assert "1 primaries name no GSP; they have no parent" in text
    assert "1 rows repeat the DNO, name and GSP of an earlier row" in text
    assert "'oxted' (UKPN, GSP 'Northfleet') rows 8 and 9" in text
    subs = by_id(tables)
    first, second = subs.loc["UKPN-primary-OXTED"], subs.loc["UKPN-primary-OXTED-2"]
    assert first.geometry.x != second.geometry.x
    assert first["parent_id"] == second["parent_id"] == "UKPN-gsp-NORTHFLEET"


def test_columns_are_found_by_header_not_position(tmp_path: Path) -> None:
    frame = pd.read_csv(write(tmp_path, HEADER + ROWS), dtype=str, keep_default_na=False)
    reordered = write(tmp_path, frame.iloc[:, ::-1].to_csv(index=False), "reordered.csv")
    original = gb_primaries.read(write(tmp_path, HEADER + ROWS))
    moved = gb_primaries.read(reordered)
    pd.testing.assert_frame_equal(moved.headroom, original.headroom)
    assert_geodataframe_equal(moved.substations, original.substations)


def test_bad_cells_are_all_listed_in_one_error(tmp_path: Path) -> None:
    rows = (
        'a,ten,5,,"-1.1,51.85",COWLEY,SSEN\n'
        'b,10,5,,"somewhere in Oxford",COWLEY,SSEN\n'
        'c,10,5,,"51.85,-1.1",COWLEY,SSEN\n'
        ',10,5,,"-1.1,51.85",COWLEY,SSEN\n'
    )
    with pytest.raises(SourceFormatError) as caught:
        gb_primaries.read(write(tmp_path, HEADER + rows))
    message = str(caught.value)
    assert len(caught.value.problems) == 4
    assert "4 problems in primaries.csv" in message
    assert "row 2, column 'Firm Capacity (MVA)': 'ten' is not a number" in message
    assert "row 3, column 'Geo(Long,Lat)': 'somewhere in Oxford' is not a" in message
    assert "row 4, column 'Geo(Long,Lat)': '51.85,-1.1' is outside Great Britain" in message
    assert "the two numbers look swapped" in message
    assert "row 5, column 'PS Name': the substation has no name" in message
    assert "fix: write the location as 'longitude,latitude'" in message


def test_missing_column_names_the_header_and_fix(tmp_path: Path) -> None:
    text = "PS Name,Firm Capacity (MVA),GSP,DNO\nx,1,G,SSEN\n"
    with pytest.raises(SourceFormatError, match=r"(?s)primaries.csv.*row 1: column "
                       r"'Demand \(MVA\)' not found; the header has \['PS Name'.*fix: restore"):
        gb_primaries.read(write(tmp_path, text))


def test_missing_file_raises_not_found(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"absent\.csv: no such file"):
        gb_primaries.read(tmp_path / "absent.csv")


def _available_formats() -> dict[str, str]:
    """The registry restricted to reader modules that exist (others are written in parallel)."""
    return {fmt: module for fmt, module in geoplan.sources.FORMATS.items()
            if importlib.util.find_spec(module) is not None}


def test_detected_and_read_through_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geoplan.sources, "FORMATS", _available_formats())
    path = write(tmp_path, HEADER + ROWS)
    assert detect_format(path) == "gb-primaries"
    tables = read_grid(path, year=2024)
    assert tables.format == "gb-primaries"
    assert set(tables.headroom["year"]) == {2024}


# --- the real published file -------------------------------------------------------------


@pytest.fixture(scope="module")
def real_csv(real_data: Path) -> Path:
    return real_file(real_data, "grid/gb_primary_substations.csv")


@pytest.fixture(scope="module")
def real_tables(real_csv: Path) -> geoplan.sources.GridTables:
    return gb_primaries.read(real_csv)


@pytest.fixture(scope="module")
def plain(real_csv: Path) -> pd.DataFrame:
    return pd.read_csv(real_csv)


@pytest.mark.real_data
def test_real_counts_match_plain_pandas(
    real_tables: geoplan.sources.GridTables, plain: pd.DataFrame
) -> None:
    subs = real_tables.substations
    primaries = subs[subs["level"] == "primary"]
    assert primaries["dno"].value_counts().to_dict() == plain["DNO"].value_counts().to_dict()
    no_gsp = int(plain["GSP"].isna().sum())
    assert no_gsp == 336
    assert int(primaries["parent_id"].isna().sum()) == no_gsp
    parents = subs.set_index("substation_id").loc[primaries["parent_id"].dropna()]
    assert (parents["level"] == "gsp").all()
    assert (parents["dno"].to_numpy() == primaries.dropna(subset="parent_id")["dno"]).all()


@pytest.mark.real_data
def test_real_headroom_matches_plain_pandas(
    real_tables: geoplan.sources.GridTables, plain: pd.DataFrame
) -> None:
    expected = np.sort((plain["Firm Capacity (MVA)"] - plain["Demand (MVA)"]).to_numpy())
    head = real_tables.headroom
    assert len(head) == len(plain) == 4205
    np.testing.assert_allclose(np.sort(head["headroom_mva"].to_numpy()), expected)
    assert int((head["headroom_mva"] < 0).sum()) == 136
    assert real_tables.describe()["negative_headroom_rows"] == 136


@pytest.mark.real_data
def test_real_oxfordshire_primary_lies_in_south_oxfordshire(
    real_tables: geoplan.sources.GridTables, plain: pd.DataFrame, real_data: Path
) -> None:
    districts = gpd.read_file(real_file(real_data, "boundaries/oxon_districts.geojson"))
    south = districts.to_crs("EPSG:27700").set_index("LAD13CD").geometry["E07000179"]
    row = plain[plain["PS Name"] == "berinsfield"].iloc[0]
    subs = real_tables.substations.set_index("substation_id")
    berinsfield = subs.loc["SSEN-primary-BERINSFIELD"]
    assert berinsfield["parent_id"] == "SSEN-gsp-COWLEY"
    assert berinsfield["firm_capacity_mva"] == pytest.approx(row["Firm Capacity (MVA)"])
    assert south.contains(berinsfield.geometry)
    assert not south.contains(Point(berinsfield.geometry.x, berinsfield.geometry.y + 30_000))


@pytest.mark.real_data
def test_real_file_is_detected_by_the_full_registry(real_csv: Path) -> None:
    assert detect_format(real_csv) == "gb-primaries"
    assert read_grid(real_csv).describe()["per_level"]["primary"] == 4205
