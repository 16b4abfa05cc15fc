"""Tests for geoplan.sources.geocode: UPRN and postcode lookups built in code, then the real
Code-Point."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan.errors import SourceFormatError, SourceNotFoundError
from geoplan.schemas import CRS
from geoplan.sources.geocode import (
    CODEPOINT_COLUMNS,
    UPRN_COLUMNS,
    GeocodeReport,
    geocode_homes,
    normalise_postcodes,
    read_postcode_centroids,
    read_uprn_coordinates,
)
from tests.conftest import real_file

CODEPOINT = "oxon_codepoint_open_2014_postcodes.csv"

# Code-Point Open rows: no header, 10 columns, postcodes in the 7-character form.
CODEPOINT_ROWS = (
    '"OX1 1AA",10,450673,205980,"E92000001","E19000002","E18000009","E10000025","E07000178",'
    '"E05009288"\n'
    '"OX2 6GG",10,450100,207300,"E92000001","","","","E07000178",""\n'
    '"OX4 9ZZ",90,0,0,"E92000001","","","","",""\n'
    '"OX1 1AA",10,1,1,"E92000001","","","","",""\n'
)


def homes(uprns: list[str | None], postcodes: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({"building_id": [f"h{i}" for i in range(len(uprns))],
                         "uprn": pd.Series(uprns, dtype="str"),
                         "postcode": pd.Series(postcodes, dtype="str")})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- postcodes ----------------------------------------------------------------------------


def test_normalise_postcodes() -> None:
    result = normalise_postcodes(pd.Series([" ox1 1aa", "OX2  6GG", "", None], dtype="str"))
    assert result.iloc[:2].tolist() == ["OX11AA", "OX26GG"]
    assert result.iloc[2:].isna().all()


def test_codepoint_open_without_header(tmp_path: Path) -> None:
    table = read_postcode_centroids(write(tmp_path, "ox.csv", CODEPOINT_ROWS))
    assert table.to_dict("list") == {"postcode": ["OX11AA", "OX26GG"],
                                     "easting": [450673.0, 450100.0],
                                     "northing": [205980.0, 207300.0]}
    assert table.attrs == {"files": ["ox.csv"], "no_coordinates": 1, "duplicates": 1}
    assert len(CODEPOINT_COLUMNS) == 10


def test_extract_with_header_and_a_folder_of_files(tmp_path: Path) -> None:
    write(tmp_path / "csv", "ox.csv", "Postcode,Positional_quality_indicator,Eastings,Northings,"
          "Country_code\nOX1 1AA,10,450673,205980,E92000001\n")
    write(tmp_path / "csv", "rg.csv", '"RG9 1AA",10,476000,182000,"E92000001","","","","",""\n')
    write(tmp_path / "csv", "notes.txt", "ignored")
    table = read_postcode_centroids(tmp_path / "csv")
    assert table["postcode"].tolist() == ["OX11AA", "RG91AA"]
    assert table["easting"].tolist() == [450673.0, 476000.0]
    assert table.attrs["files"] == ["ox.csv", "rg.csv"]


def test_postcode_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"missing\.csv: no such file"):
        read_postcode_centroids(tmp_path / "missing.csv")
    (tmp_path / "none").mkdir()
    with pytest.raises(SourceNotFoundError, match=r"no \.csv files in this folder"):
        read_postcode_centroids(tmp_path / "none")
    with pytest.raises(SourceFormatError, match=r"empty\.csv: the file is empty"):
        read_postcode_centroids(write(tmp_path, "empty.csv", ""))
    with pytest.raises(SourceFormatError, match=r"semi\.csv: line 1 is semicolon-separated"):
        read_postcode_centroids(write(tmp_path, "semi.csv", "Postcode;Eastings;Northings\n"))
    with pytest.raises(SourceFormatError, match=r"row 1: no 'northings' column; the header has"):
        read_postcode_centroids(write(tmp_path, "head.csv", "Postcode,Eastings,North\n"))
    with pytest.raises(SourceFormatError, match=r"row 1 has 2 values; a Code-Point Open CSV"):
        read_postcode_centroids(write(tmp_path, "short.csv", "OX1 1AA,10\n"))


def test_bad_coordinates_are_named_by_row(tmp_path: Path) -> None:
    text = ("Postcode,Quality,Eastings,Northings\nOX1 1AA,10,450673,205980\n"
            "OX1 1AB,10,n/a,206074\nOX1 1AD,10,450271,\n")
    with pytest.raises(SourceFormatError) as error:
        read_postcode_centroids(write(tmp_path, "pc.csv", text))
    assert [(p.row, p.column, p.message) for p in error.value.problems] == [
        (3, "easting", "'n/a' is not a number"), (4, "northing", "'' is not a number")]


def test_malformed_postcode_row_is_named(tmp_path: Path) -> None:
    text = CODEPOINT_ROWS.splitlines(keepends=True)
    text[1] = '"OX2 6GG",10,450100\n'
    with pytest.raises(SourceFormatError, match=r"pc\.csv, row 2: has 3 values, expected 10"):
        read_postcode_centroids(write(tmp_path, "pc.csv", "".join(text)))


# --- UPRN coordinates ---------------------------------------------------------------------


UPRN_TEXT = ("UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE\n"
             "100,450001.5,206001.0,51.75,-1.25\n"
             "200,450002.0,206002.0,51.75,-1.25\n"
             "300,bad,206003.0,51.75,-1.25\n")


def test_uprn_coordinates_keep_only_the_uprns_asked_for(tmp_path: Path) -> None:
    path = write(tmp_path, "osopenuprn.csv", UPRN_TEXT)
    table = read_uprn_coordinates(path, pd.Series(["200", "100", "999", None], dtype="str"))
    assert table.to_dict("list") == {"uprn": ["100", "200"], "easting": [450001.5, 450002.0],
                                     "northing": [206001.0, 206002.0]}
    assert UPRN_COLUMNS[:3] == ("UPRN", "X_COORDINATE", "Y_COORDINATE")


@pytest.mark.parametrize("asked", [["200", "100", "7"], ["200", "100", "7", "1" * 20]],
                         ids=["as numbers", "as text (a UPRN of 20 digits)"])
def test_uprn_coordinates_keep_the_texts_asked_for_read_in_blocks(
        tmp_path: Path, asked: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # the homes write a UPRN as digits without a leading zero: "0100" and "1e2" are other
    # texts, " 200 " is 200 stripped; the file is read in blocks (blocks of 3 rows here),
    # each matched against the same set
    import geoplan.sources.geocode as geocode

    rows = ["0100,1.0,1.0", "1e2,2.0,2.0", " 200 ,3.0,3.0", "100,4.0,4.0", "abc,5.0,5.0",
            "7,6.0,6.0", "70,7.0,7.0", f"{'1' * 20},8.0,8.0"]
    path = write(tmp_path, "osopenuprn.csv", "UPRN,X_COORDINATE,Y_COORDINATE\n"
                 + "".join(f"{row}\n" for row in rows))
    blocks, read = geocode.pacsv.open_csv, []

    def small_blocks(*args, **kwargs):
        kwargs["read_options"].block_size = 36
        batches = list(blocks(*args, **kwargs))
        read.append(len(batches))
        return iter(batches)

    monkeypatch.setattr(geocode.pacsv, "open_csv", small_blocks)
    table = read_uprn_coordinates(path, pd.Series(asked, dtype="str"))
    assert read[0] >= 3
    expected = {"200": 3.0, "100": 4.0, "7": 6.0, "1" * 20: 8.0}
    assert dict(zip(table["uprn"], table["easting"], strict=True)) == {
        k: v for k, v in expected.items() if k in asked}


def test_uprn_coordinates_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "osopenuprn.csv", UPRN_TEXT)
    with pytest.raises(SourceFormatError,
                       match=r"osopenuprn\.csv, row 4, column 'X_COORDINATE': 'bad' is not a"):
        read_uprn_coordinates(path)
    with pytest.raises(SourceNotFoundError, match="no such file"):
        read_uprn_coordinates(tmp_path / "nope.csv")
    with pytest.raises(SourceFormatError, match=r"row 1: columns \['Y_COORDINATE'\] are missing"):
        read_uprn_coordinates(write(tmp_path, "x.csv", "UPRN,X_COORDINATE\n1,2\n"))


# --- geocoding ----------------------------------------------------------------------------


def test_uprn_first_then_postcode_and_nobody_dropped(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    uprns = write(tmp_path, "osopenuprn.csv", UPRN_TEXT)
    postcodes = write(tmp_path, "ox.csv", CODEPOINT_ROWS)
    frame = homes(["100", "555", None, None, "200", None],
                  ["OX1 1AA", "ox2 6gg", "OX11AA", "ZZ9 9ZZ", None, None])
    with caplog.at_level(logging.WARNING, logger="geoplan.sources.geocode"):
        located, report = geocode_homes(frame, uprn_coordinates=uprns, postcodes=postcodes)
    assert report == GeocodeReport(homes=6, by_uprn=2, by_postcode=2, unmatched=2,
                                   no_postcode=1)
    assert located["building_id"].tolist() == frame["building_id"].tolist()
    assert located["geocode_method"].iloc[:5].tolist() == ["uprn", "postcode", "postcode", np.nan,
                                                           "uprn"]
    xy = shapely.get_coordinates(located.geometry.iloc[[0, 1, 2, 4]].values).tolist()
    assert xy == [[450001.5, 206001.0], [450100.0, 207300.0], [450673.0, 205980.0],
                  [450002.0, 206002.0]]
    assert located.geometry.iloc[[3, 5]].isna().all()
    assert located.crs == CRS
    assert "2 of 6 homes could not be located (2 by UPRN, 2 by postcode; 1 have no postcode)" \
        in caplog.text


def test_lookups_may_be_tables_and_are_optional() -> None:
    frame = homes(["1", None], ["OX1 1AA", "OX2 6GG"])
    table = pd.DataFrame({"postcode": ["OX26GG"], "easting": [1.0], "northing": [2.0]})
    located, report = geocode_homes(frame, postcodes=table)
    assert (report.by_uprn, report.by_postcode, report.unmatched) == (0, 1, 1)
    assert located.geometry.iloc[1].equals(shapely.Point(1, 2))
    _, nothing = geocode_homes(frame)
    assert (nothing.unmatched, nothing.no_postcode) == (2, 0)


# --- real data ----------------------------------------------------------------------------


@pytest.mark.real_data
def test_real_codepoint_file(real_data: Path) -> None:
    path = real_file(real_data, f"postcodes/{CODEPOINT}")
    table = read_postcode_centroids(path)
    assert len(table) == 20_854
    assert table.attrs["no_coordinates"] == 0
    assert table.attrs["duplicates"] == 0
    row = table.set_index("postcode").loc["GL560PF"]
    assert (row["easting"], row["northing"]) == (423125.0, 232116.0)
    frame = homes([None, None, None, None], ["gl56 0pf", "OX1 1AA", "OX11AA", "SW1A 1AA"])
    located, report = geocode_homes(frame, postcodes=path)
    assert (report.by_postcode, report.unmatched) == (3, 1)
    coordinates = shapely.get_coordinates(located.geometry.iloc[:3].values).tolist()
    assert coordinates == [[423125.0, 232116.0], [450673.0, 205980.0], [450673.0, 205980.0]]
