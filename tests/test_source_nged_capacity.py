"""NGED network capacity map CSV reader, on CSV fixtures written in code."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from pyproj import Transformer

from geoplan.errors import SourceFormatError
from geoplan.sources import detect_format, read_grid
from geoplan.sources.nged_capacity import read, sniff

HEADER = [
    "Network Reference ID", "Substation Name", "Parent Network Reference ID",
    "Substation Number", "Asset Type", "Group", "Upstream Voltage", "Downstream Voltage",
    "Fault Level Headroom", "Firm Capacity of Substation (MVA)",
    "Reverse Power Capability (MVA)", "Measured Peak Demand (MVA)", "Demand Headroom (MVA)",
    "Demand Headroom RAG", "Upstream Demand Headroom RAG", "Upstream Demand Headroom",
    "Generation Headroom (MVA)", "Generation Headroom RAG", "Latitude", "Longitude",
]
NAME = "network-capacity-map-16-01-2025.csv"


def _row(ref: str, name: str, kind: str, parent: str = "", **cells: str) -> dict[str, str]:
    row = {
        "Network Reference ID": ref, "Substation Name": name,
        "Parent Network Reference ID": parent, "Substation Number": f"S{ref}",
        "Asset Type": kind, "Group": "Banbury", "Upstream Voltage": "33",
        "Downstream Voltage": "11", "Firm Capacity of Substation (MVA)": "24.0",
        "Reverse Power Capability (MVA)": "12.0", "Measured Peak Demand (MVA)": "18.5",
        "Demand Headroom (MVA)": "5.5", "Demand Headroom RAG": "Amber",
        "Generation Headroom (MVA)": "3.0", "Latitude": "52.06", "Longitude": "-1.34",
    }
    return {**row, **cells}


ROWS = [
    _row("100", "Banbury GSP", "GSP", **{"Firm Capacity of Substation (MVA)": "240",
                                         "Measured Peak Demand (MVA)": "250.5",
                                         "Demand Headroom (MVA)": "-10.5",
                                         "Demand Headroom RAG": "Red"}),
    _row("200", "Banbury BSP", "Bulk Supply Point", parent="100.0",
         Latitude="52.0", Longitude="-1.3"),
    _row("300", "Adderbury", "primary", parent="200", Latitude="", Longitude=""),
    _row("400", "", "Primary", parent="200"),
    _row("500", "Orphan", "PRIMARY", parent="999", **{"Demand Headroom (MVA)": ""}),
]


def _write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows([{h: row.get(h, "") for h in header} for row in rows])
    return path


@pytest.fixture
def capacity(tmp_path: Path) -> Path:
    return _write(tmp_path / NAME, ROWS)


def _bng(lon: float, lat: float) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)


def test_reads_ids_levels_and_parents_by_reference(capacity: Path) -> None:
    subs = read(capacity).substations.set_index("substation_id")
    assert subs["level"].to_dict() == {"100": "gsp", "200": "bsp", "300": "primary",
                                       "500": "primary"}
    assert subs["parent_id"].to_dict() == {"100": None, "200": "100", "300": "200",
                                           "500": None}
    assert subs.loc["300", "name"] == "Adderbury"


def test_capacity_demand_and_attributes(capacity: Path) -> None:
    subs = read(capacity).substations.set_index("substation_id")
    assert subs.loc["100", "firm_capacity_mva"] == pytest.approx(240.0)
    assert subs.loc["100", "peak_demand_mva"] == pytest.approx(250.5)
    assert subs.loc["100", "demand_rag"] == "Red"
    assert subs.loc["200", "substation_number"] == "S200"
    assert subs.loc["200", "reverse_power_mva"] == pytest.approx(12.0)
    assert subs.loc["200", "generation_headroom_mva"] == pytest.approx(3.0)


def test_locations_and_unlocated_rows(capacity: Path) -> None:
    grid = read(capacity)
    subs = grid.substations.set_index("substation_id")
    bsp = subs.loc["200", "geometry"]
    assert (bsp.x, bsp.y) == pytest.approx(_bng(-1.3, 52.0), abs=1.0)
    assert subs.loc["300", "geometry"] is None
    assert any(w.startswith("1 substation without any location (e.g. ['Adderbury'])")
               for w in grid.warnings)


def test_published_headroom(capacity: Path) -> None:
    head = read(capacity).headroom
    assert head.to_dict("records") == [
        {"substation_id": sid, "scenario": "published", "year": 2025, "season": "peak",
         "headroom_mva": pytest.approx(value)}
        for sid, value in [("100", -10.5), ("200", 5.5), ("300", 5.5)]
    ]
    orphan = read(capacity).substations.set_index("substation_id").loc["500"]
    assert orphan["firm_capacity_mva"] == pytest.approx(24.0)  # kept though headroom is blank


def test_year_argument_and_file_name_without_year(capacity: Path, tmp_path: Path) -> None:
    assert set(read(capacity, year=2023).headroom["year"]) == {2023}
    plain = _write(tmp_path / "capacity.csv", ROWS)
    assert read(plain).headroom["year"].isna().all()


def test_warnings_for_nameless_rows_and_unknown_parents(capacity: Path) -> None:
    warnings = read(capacity).warnings
    assert "1 row without a substation name skipped (file rows [5])" in warnings
    assert any(w.startswith("1 parent identifiers do not match any substation")
               for w in warnings)


def test_unused_columns_and_order_do_not_matter(capacity: Path, tmp_path: Path) -> None:
    keep = ["Demand Headroom (MVA)", "Longitude", "Latitude", "Asset Type",
            "Measured Peak Demand (MVA)", "Firm Capacity of Substation (MVA)",
            "Substation Name", "Parent Network Reference ID", "Network Reference ID"]
    minimal = read(_write(tmp_path / NAME, ROWS, header=keep))
    full = read(capacity)
    assert minimal.headroom.equals(full.headroom)
    assert minimal.substations["parent_id"].equals(full.substations["parent_id"])


def test_every_bad_cell_is_reported_at_once(tmp_path: Path) -> None:
    rows = [
        _row("1", "Alpha", "GSP", **{"Firm Capacity of Substation (MVA)": "tbd soon"}),
        _row("2", "Bravo", "Switching Station", parent="1"),
        _row("3", "Charlie", "Primary", parent="1", Latitude="-1.3", Longitude="52"),
    ]
    with pytest.raises(SourceFormatError, match=r"4 problems in " + NAME) as caught:
        read(_write(tmp_path / NAME, rows))
    text = str(caught.value)
    assert (f"{NAME}, row 2, column 'Firm Capacity of Substation (MVA)': 'tbd soon' is not a "
            "number" in text)
    assert "row 3, column 'Asset Type': 'Switching Station' is not a substation level" in text
    assert "'primary substation'" in text  # the allowed values are listed
    assert "row 4, column 'Latitude': latitude '-1.3' is outside Great Britain" in text
    assert "row 4, column 'Longitude': longitude '52' is outside Great Britain" in text


def test_missing_column_is_reported(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Parent Network Reference ID"]
    with pytest.raises(SourceFormatError,
                       match=rf"{NAME}, row 1: column 'Parent Network Reference ID' not found"):
        read(_write(tmp_path / NAME, ROWS, header=header))


def test_empty_file_and_file_without_rows_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(SourceFormatError, match=r"empty\.csv: the file is empty"):
        read(empty)
    with pytest.raises(SourceFormatError, match="the file has no substation rows"):
        read(_write(tmp_path / NAME, []))


def test_detected_and_read_through_the_registry(capacity: Path) -> None:
    assert detect_format(capacity) == "nged-capacity"
    assert read_grid(capacity).describe()["per_level"] == {"gsp": 1, "bsp": 1, "primary": 2}


def test_sniff_claims_only_the_nged_header() -> None:
    assert sniff([h.casefold() for h in HEADER])
    assert not sniff(["assetid", "substation", "substation type",
                      "estimated demand headroom (mva)"])
    assert not sniff(["ps name", "firm capacity (mva)", "demand (mva)", "geo(long,lat)"])
