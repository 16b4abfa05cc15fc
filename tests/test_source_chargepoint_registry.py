"""Tests for the National Chargepoint Registry reader (geoplan.sources.chargepoint_registry)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point

from geoplan.errors import MissingCRSError, SourceFormatError, SourceNotFoundError
from geoplan.schemas import CHARGERS, validate_layer
from geoplan.sources.chargepoint_registry import (
    EXTRA_COLUMNS,
    NCR_COLUMNS,
    REASONS,
    read_chargepoints,
)
from tests.conftest import real_file

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
POSITION = {name: NCR_COLUMNS.index(name) for name in NCR_COLUMNS}  # first occurrence


def row(device: str, lat: str = "51.75", lon: str = "-1.25", **values: str) -> str:
    """One NCR CSV line (no quoting needed by the values used here)."""
    cells = [""] * len(NCR_COLUMNS)
    values = {"chargeDeviceID": device, "latitude": lat, "longitude": lon, **values}
    for name, value in values.items():
        cells[POSITION[name]] = value
    return ",".join(cells)


def connectors(*specs: tuple[str, str, str]) -> dict[str, str]:
    """Connector cells from (id, type, kW) triples."""
    cells: dict[str, str] = {}
    for number, (ident, kind, kw) in enumerate(specs, start=1):
        cells |= {f"connector{number}ID": ident, f"connector{number}Type": kind,
                  f"connector{number}RatedOutputKW": kw}
    return cells


HEADER = ",".join(NCR_COLUMNS)
GOOD_A = row("dev-a", name="Gloucester Green", postcode="OX1 2BU",
             chargeDeviceStatus="In service", dateCreated="2015-07-09 13:21:22",
             **connectors(("1", "Type 2 Mennekes (IEC62196)", "7.0"),
                          ("2", "Type 2 Mennekes (IEC62196)", "22.0")))
MULTILINE_B = row("dev-b", lat="51.70", lon="-1.30", name="@NAME@",
                  dateCreated="0000-00-00 00:00:00", **connectors(("9", "CHAdeMO", "50")))
SHIFTED = row("dev-s", name="Car park").replace("Car park", "Car park, Level 2")
BROKEN = row("dev-x", physicalRestrictionText="Closed at night@BREAK@after 8pm")
LINES = [
    HEADER,                                                        # line 1
    GOOD_A,                                                        # line 2
    MULTILINE_B.replace("@NAME@", '"Park and Ride\nLevel 2"'),     # lines 3-4
    SHIFTED,                                                       # line 5
    BROKEN.replace("@BREAK@", "\n"),                               # lines 6-7
    row("dev-c", lat="abc"),                                       # line 8
    row("dev-d", lat="-1.25", lon="51.75"),                        # line 9 (swapped)
    row("dev-a", name="repeat of A"),                              # line 10
    row(""),                                                       # line 11
    row("dev-e", lat=""),                                          # line 12
    "",                                                            # line 13 (blank)
    row("dev-f", lat="51.8", lon="-1.1"),                          # line 14
]


def write(tmp_path: Path, lines: list[str], name: str = "ncr.csv",
          encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture
def records(tmp_path: Path):
    return read_chargepoints(write(tmp_path, LINES))


def test_ncr_columns_are_the_158_published_names_with_the_duplicate() -> None:
    assert len(NCR_COLUMNS) == 158
    repeated = [i + 1 for i, name in enumerate(NCR_COLUMNS) if name == "connector3Validated"]
    assert repeated == [92, 103]
    assert NCR_COLUMNS[:5] == ("chargeDeviceID", "reference", "name", "latitude", "longitude")
    assert NCR_COLUMNS[-1] == "connector8Validated"


def test_good_rows_become_the_canonical_chargers_layer(records) -> None:
    frame = records.frame
    assert list(frame.columns) == [*CHARGERS.columns, *EXTRA_COLUMNS]
    validate_layer(frame, CHARGERS)
    assert frame["device_id"].tolist() == ["dev-a", "dev-b", "dev-f"]
    assert frame["kw"].tolist()[:2] == [22.0, 50.0]
    assert np.isnan(frame["kw"].iloc[2])
    assert frame["connectors"].tolist() == [2, 1, 0]
    assert frame["name"].tolist()[:2] == ["Gloucester Green", "Park and Ride Level 2"]
    assert frame["connector_types"].iloc[0] == "Type 2 Mennekes (IEC62196)"
    assert frame["date_created"].iloc[0] == pd.Timestamp("2015-07-09 13:21:22")
    assert pd.isna(frame["date_created"].iloc[1])  # 0000-00-00
    assert frame["source_row"].tolist() == [2, 3, 14]
    x, y = TO_BNG.transform(-1.25, 51.75)
    assert frame.geometry.iloc[0].distance(Point(x, y)) < 1e-6
    assert frame.crs.to_epsg() == 27700


def test_bad_rows_are_reported_with_their_first_line_and_reason(records) -> None:
    assert records.rows_read == 11
    assert records.rows_kept == 3
    assert records.rejected_by_reason() == {
        "wrong number of fields": [5, 6, 7],
        "location is not a number": [8],
        "location outside Great Britain": [9],
        "duplicate device id": [10],
        "no device id": [11],
        "no location": [12],
    }
    reasons = dict(records.rejected)
    assert reasons[5].startswith("wrong number of fields: 159 fields, expected 158")
    assert "'abc'" in reasons[8]
    assert "swapped" in reasons[9]
    assert "first on line 2" in reasons[10]
    assert all(reason.split(": ")[0] in REASONS for _, reason in records.rejected)
    assert records.describe()["rejected"]["wrong number of fields"] == 3
    assert any("connector3Validated" in note and "[92, 103]" in note for note in records.notes)


def test_windows_1252_text_and_excel_sep_line_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, ["sep=,", HEADER, row("dev-é", name="Café car park")],
                 encoding="cp1252")
    frame = read_chargepoints(path).frame
    assert frame["name"].tolist() == ["Café car park"]
    assert frame["source_row"].tolist() == [3]


def test_header_only_gives_an_empty_layer(tmp_path: Path) -> None:
    records = read_chargepoints(write(tmp_path, [HEADER]))
    assert records.rows_read == 0
    assert records.frame.empty
    validate_layer(records.frame, CHARGERS)


def test_semicolon_file_is_refused_naming_the_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, [";".join(NCR_COLUMNS), ";".join(["x"] * len(NCR_COLUMNS))])
    with pytest.raises(SourceFormatError, match=r"ncr\.csv: line 1 is semicolon-separated .*comma"):
        read_chargepoints(path)


def test_missing_location_columns_are_named(tmp_path: Path) -> None:
    header = [c for c in NCR_COLUMNS if c not in ("latitude", "longitude")]
    path = write(tmp_path, [",".join(header), ",".join(["x"] * len(header))])
    with pytest.raises(SourceFormatError, match=r"\['latitude', 'longitude'\] not found"):
        read_chargepoints(path)


def test_a_file_of_only_truncated_rows_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, "dev-1,ref,name,51.7", "dev-2,ref,name,51.8"])
    with pytest.raises(SourceFormatError, match=r"no usable rows among 2 \(line 2: wrong "
                                                r"number of fields: 4 fields"):
        read_chargepoints(path)


def test_missing_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="no such file"):
        read_chargepoints(tmp_path / "absent.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(SourceFormatError, match=r"empty\.csv: the file is empty"):
        read_chargepoints(tmp_path / "empty.csv")


def feature(props: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_geojson(tmp_path: Path, features: list[dict], name: str = "ncr.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_geojson_with_lower_case_names_is_read(tmp_path: Path) -> None:
    point = {"type": "Point", "coordinates": [-1.25, 51.75]}
    square = {"type": "Polygon", "coordinates": [[[-1, 51], [-1, 52], [0, 52], [-1, 51]]]}
    props = {"chargedeviceid": "g1", "connector1ratedoutputkw": "3.7",
             "connector2ratedoutputkw": "11.0", "connector2type": "Type 2",
             "datecreated": "2020-05-04 10:34:10"}
    path = write_geojson(tmp_path, [
        feature(props, point),
        feature({"chargedeviceid": "g2"}, None),
        feature({"chargedeviceid": "g3"}, square),
        feature({**props, "name": "again"}, point),
        feature({"chargedeviceid": "g4"}, {"type": "Point", "coordinates": [10.0, 45.0]}),
    ])
    records = read_chargepoints(path)
    assert records.frame["device_id"].tolist() == ["g1"]
    assert records.frame["kw"].tolist() == [11.0]
    assert records.frame["connectors"].tolist() == [2]
    assert records.rejected_by_reason() == {
        "no geometry": [2], "not a point": [3], "duplicate device id": [4],
        "location outside Great Britain": [5]}
    assert "Polygon" in dict(records.rejected)[3]


def test_geojson_without_geometry_is_refused(tmp_path: Path) -> None:
    path = write_geojson(tmp_path, [feature({"chargeDeviceID": "a", "latitude": 51.7}, None)])
    with pytest.raises(SourceFormatError, match="none of the 1 features has a geometry"):
        read_chargepoints(path)


def test_geojson_without_device_id_column_is_refused(tmp_path: Path) -> None:
    path = write_geojson(tmp_path, [feature({"id": "a"},
                                            {"type": "Point", "coordinates": [-1.2, 51.7]})])
    with pytest.raises(SourceFormatError, match=r"\['chargeDeviceID'\] not found"):
        read_chargepoints(path)


def test_layer_without_crs_needs_crs(tmp_path: Path) -> None:
    path = tmp_path / "ncr.gpkg"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame({"chargeDeviceID": ["a"]}, geometry=[Point(-1.25, 51.75)]).to_file(path)
    with pytest.raises(MissingCRSError, match=r"ncr\.gpkg: the file declares no coordinate"):
        read_chargepoints(path)
    frame = read_chargepoints(path, crs="EPSG:4326").frame
    x, y = TO_BNG.transform(-1.25, 51.75)
    assert frame.geometry.iloc[0].distance(Point(x, y)) < 1e-6


@pytest.mark.real_data
def test_real_raw_extract_keeps_good_rows_and_reports_broken_ones(real_data: Path) -> None:
    path = real_file(real_data, "ev/gb_ncr_chargepoints_extract_2017.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == NCR_COLUMNS
    records = read_chargepoints(path)
    assert records.rows_read == 3968
    assert records.rows_kept == 3962
    assert records.rejected_by_reason() == {
        "wrong number of fields": [993, 994, 996, 997],
        "location outside Great Britain": [3988, 4126],
    }
    assert "52 fields, expected 158" in dict(records.rejected)[993]
    frame = records.frame
    validate_layer(frame, CHARGERS)
    assert frame["device_id"].is_unique
    assert int(frame["date_created"].isna().sum()) == 94  # the 0000-00-00 dates
    assert frame["kw"].max() == 120.0
    assert frame["connectors"].value_counts().to_dict() == {2: 2486, 1: 896, 3: 494, 4: 86}


@pytest.mark.real_data
@pytest.mark.parametrize(("name", "devices", "connector_total"),
                         [("oxon_ncr_chargepoints_2017.geojson", 36, 65),
                          ("oxon_ncr_chargepoints_2021.geojson", 175, 312)])
def test_real_county_geojson(real_data: Path, name: str, devices: int,
                             connector_total: int) -> None:
    records = read_chargepoints(real_file(real_data, f"ev/{name}"))
    assert records.rows_read == records.rows_kept == devices
    assert records.rejected == ()
    assert int(records.frame["connectors"].sum()) == connector_total
    x0, y0, x1, y1 = records.frame.total_bounds  # all within Oxfordshire
    assert 410_000 < x0 < x1 < 480_000
    assert 165_000 < y0 < y1 < 250_000


def test_operator_is_the_owner_else_the_controller_and_placeholders_are_none(
        tmp_path: Path) -> None:
    lines = [HEADER,
             row("own", deviceOwnerName="Oxford City Council", deviceControllerName="Pod"),
             row("ctl", deviceOwnerName="*No Owner", deviceControllerName="POD Point"),
             row("nobody", deviceOwnerName="*No Owner", deviceControllerName="*No Controller"),
             row("blank")]
    frame = read_chargepoints(write(tmp_path, lines)).frame.set_index("device_id")
    assert frame["operator"].to_dict() == {"own": "Oxford City Council", "ctl": "POD Point",
                                           "nobody": None, "blank": None}
    assert list(frame.columns)[list(frame.columns).index("name") + 1] == "operator"
