"""SSEN Generation Availability Map reader: fixtures built with openpyxl, plus the real file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pyproj import Transformer
from python_calamine import CalamineWorkbook

from geoplan.errors import SourceFormatError, SourceNotFoundError
from geoplan.sources import detect_format, read_grid
from geoplan.sources.osgb import grid_ref_to_xy
from geoplan.sources.ssen_gam import (
    date_text,
    nameplate_capacity,
    number_and_note,
    read,
    snapshot_year,
    sniff,
)
from tests.conftest import real_file

REAL = "grid/ScotlandMapLocation_January_2023.xlsx"
NAME = "ScotlandMapLocation_January_2023.xlsx"

_COMMON = [
    "Break Fault Level vs Rating (kA)", "Location Latitude", "Location Longitude",
    "Location Grid Ref", "Nameplate Rating (MVA)", "Sum of quoted generation (MVA)",
    "Minimum Load (MW)", "Maximum Load (MW)", "Contracted Generation (MVA)",
    "Available Headroom Capacity (MVA)", "Reverse Powerflow Capability (%)", "Upstream status",
    "Transmission Works", "Transmission reinforcement date", "Downstream status",
    "Distribution Works", "Distribution reinforcement date", "SoW needed?", "Part of SWAN?",
    "Other constraints", "Voltage (kV)", "Site Classification",
]
GSP_HEADER = ["Area", "Grid Supply Point Name",
              *[h.replace("Nameplate Rating", "Nameplate rating") for h in _COMMON]]
BSP_HEADER = ["Area", "Bulk Supply Point Name", "GSP Parent", *_COMMON]
PS_HEADER = ["Area", "Primary Substation Name", "GSP Parent", "BSP Parent", *_COMMON]

SP_REF = "SP 51259 05741"  # centre of that 1 m square: (451259.5, 205741.5)


def _gsp(name: str, **cells: object) -> dict[str, object]:
    row: dict[str, object] = {
        "Area": "Scotland", "Grid Supply Point Name": name, "Nameplate rating (MVA)": 60.0,
        "Minimum Load (MW)": 5.0, "Maximum Load (MW)": 30.0,
        "Contracted Generation (MVA)": 10.0, "Available Headroom Capacity (MVA)": 0.0,
        "Upstream status": "Constrained", "Downstream status": "Constrained",
        "Voltage (kV)": "132 / 33", "Site Classification": "Red",
    }
    return {**row, **cells}


def _ps(name: str | None, gsp: str, **cells: object) -> dict[str, object]:
    row: dict[str, object] = {
        "Area": "Scotland", "Primary Substation Name": name, "GSP Parent": gsp,
        "BSP Parent": "", "Nameplate Rating (MVA)": "5.0", "Minimum Load (MW)": 0.5,
        "Maximum Load (MW)": 3.0, "Contracted Generation (MVA)": "0.4",
        "Available Headroom Capacity (MVA)": 5.1, "Upstream status": "Unconstrained",
        "Downstream status": "Unconstrained", "Voltage (kV)": "33 / 11",
        "Site Classification": "Green",
    }
    return {**row, **cells}


def _sheet(book: openpyxl.Workbook, title: str, header: list[str],
           rows: list[dict[str, object]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h) for h in header])


def _write(path: Path, sheets: dict[str, tuple[list[str], list[dict[str, object]]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        _sheet(book, title, header, rows)
    _sheet(book, "Contracted Generation", ["Area", "Project Name"], [])
    book.save(path)
    return path


def _layout(**changes: tuple[list[str], list[dict[str, object]]]) -> dict[str, tuple]:
    sheets = {
        "GSP": (GSP_HEADER, [
            _gsp("Alpha", **{"Location Grid Ref": SP_REF}),
            _gsp("Beta", **{"Location Latitude": "51.5", "Location Longitude": "-1.1",
                            "Nameplate rating (MVA)": "90", "Maximum Load (MW)": ""}),
        ]),
        "BSP": (BSP_HEADER, []),
        "PS": (PS_HEADER, [
            _ps("Gamma", "Alpha", **{
                "Location Latitude": 51.7, "Location Longitude": -1.2,
                "Nameplate Rating (MVA)": "1 x 12.5 2 x 11.5", "Maximum Load (MW)": 20.0,
                "Available Headroom Capacity (MVA)": "2.5 (subject to transmission works)",
                "Distribution Works": "Transformer replacement",
                "Distribution reinforcement date": 45000}),
            _ps("Delta", "Beta", **{"Maximum Load (MW)": "3.5", "Nameplate Rating (MVA)": 5.0}),
            _ps(None, "Beta", **{"Maximum Load (MW)": 1.0}),
            _ps("Epsilon", "Alpha", **{"Location Grid Ref": "NO 23206 23038",
                                       "Nameplate Rating (MVA)": "1 x 24"}),
        ]),
    }
    sheets.update(changes)
    return sheets


@pytest.fixture
def gam(tmp_path: Path) -> Path:
    return _write(tmp_path / NAME, _layout())


def _bng(lon: float, lat: float) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)


def test_reads_levels_parents_and_attributes(gam: Path) -> None:
    subs = read(gam).substations.set_index("substation_id")
    assert list(subs.index) == ["gsp-ALPHA", "gsp-BETA", "primary-DELTA", "primary-EPSILON",
                                "primary-GAMMA"]
    assert subs["parent_id"].to_dict() == {
        "gsp-ALPHA": None, "gsp-BETA": None, "primary-DELTA": "gsp-BETA",
        "primary-EPSILON": "gsp-ALPHA", "primary-GAMMA": "gsp-ALPHA"}
    gamma = subs.loc["primary-GAMMA"]
    assert gamma["nameplate_mva"] == pytest.approx(35.5)
    assert gamma["firm_capacity_mva"] == pytest.approx(23.0)
    assert gamma["peak_demand_mva"] == pytest.approx(20.0)
    assert gamma["generation_headroom_mva"] == pytest.approx(2.5)
    assert gamma["headroom_note"] == "subject to transmission works"
    assert gamma["reinforcement"] == "Transformer replacement"
    assert gamma["reinforcement_date"] == "2023-03-15"
    assert gamma["generation_rag"] == "Green"
    assert subs.loc["primary-DELTA", "peak_demand_mva"] == pytest.approx(3.5)
    assert np.isnan(subs.loc["primary-EPSILON", "firm_capacity_mva"])  # a single unit
    assert subs.loc["primary-EPSILON", "nameplate_mva"] == pytest.approx(24.0)
    assert subs.loc["gsp-BETA", "nameplate_mva"] == pytest.approx(90.0)
    assert np.isnan(subs.loc["gsp-BETA", "firm_capacity_mva"])  # a plain total
    assert np.isnan(subs.loc["gsp-BETA", "peak_demand_mva"])


def test_locations_from_lat_lon_grid_ref_or_none(gam: Path) -> None:
    subs = read(gam).substations.set_index("substation_id")
    alpha = subs.loc["gsp-ALPHA", "geometry"]
    assert (alpha.x, alpha.y) == pytest.approx((451259.5, 205741.5), abs=1.0)
    epsilon = subs.loc["primary-EPSILON", "geometry"]
    assert (epsilon.x, epsilon.y) == pytest.approx((323206.5, 723038.5), abs=1.0)
    beta = subs.loc["gsp-BETA", "geometry"]
    assert (beta.x, beta.y) == pytest.approx(_bng(-1.1, 51.5), abs=1.0)
    gamma = subs.loc["primary-GAMMA", "geometry"]
    assert (gamma.x, gamma.y) == pytest.approx(_bng(-1.2, 51.7), abs=1.0)
    assert subs.loc["primary-DELTA", "geometry"] is None
    assert subs.crs.to_epsg() == 27700


def test_maximum_load_in_mw_meets_capacity_in_mva_by_the_power_factor(gam: Path) -> None:
    # GAMMA: firm 23.0 MVA, maximum load 20 MW; at power factor 0.8 the load is 25 MVA
    grid = read_grid(gam, power_factor=0.8)
    subs = grid.substations.set_index("substation_id")
    assert subs.loc["primary-GAMMA", "peak_demand_mva"] == pytest.approx(25.0)
    head = grid.headroom.set_index("substation_id")["headroom_mva"]
    assert head["primary-GAMMA"] == pytest.approx(23.0 - 20.0 / 0.8)
    with pytest.raises(SourceFormatError, match=r"power_factor=1\.5 is not a power factor"):
        read(gam, power_factor=1.5)


def test_demand_headroom_is_derived_not_the_generation_figure(gam: Path) -> None:
    grid = read(gam)
    assert grid.headroom.to_dict("records") == [{
        "substation_id": "primary-GAMMA", "scenario": "published", "year": 2023,
        "season": "peak", "headroom_mva": pytest.approx(3.0)}]
    assert any("is generation headroom" in w and "derived for 1 of 5" in w
               for w in grid.warnings)


def test_warnings_count_skipped_and_placed_rows(gam: Path) -> None:
    warnings = read(gam).warnings
    assert "1 row without a substation name skipped (sheet 'PS' rows [4])" in warnings
    assert any(w.startswith("1 substation without any location (e.g. ['Delta'])")
               for w in warnings)
    assert any(w.startswith("2 substations without latitude/longitude placed at the grid")
               for w in warnings)


def test_year_argument_beats_file_name_and_absent_year_is_missing(gam: Path,
                                                                   tmp_path: Path) -> None:
    assert read(gam, year=2030).headroom["year"].tolist() == [2030]
    plain = _write(tmp_path / "gam.xlsx", _layout())
    assert read(plain).headroom["year"].isna().all()


def test_bsp_rows_link_primaries_through_their_bsp(tmp_path: Path) -> None:
    bsp = {"Area": "Scotland", "Bulk Supply Point Name": "Hub", "GSP Parent": "Alpha",
           "Location Grid Ref": SP_REF, "Nameplate Rating (MVA)": "2 x 30",
           "Minimum Load (MW)": 1.0, "Maximum Load (MW)": 12.0,
           "Available Headroom Capacity (MVA)": 3.0}
    primary = _ps("Leaf", "Alpha", **{"BSP Parent": "Hub", "Location Grid Ref": SP_REF})
    path = _write(tmp_path / NAME, _layout(BSP=(BSP_HEADER, [bsp]), PS=(PS_HEADER, [primary])))
    grid = read(path)
    parents = grid.substations.set_index("substation_id")["parent_id"]
    assert parents["primary-LEAF"] == "bsp-HUB"
    assert parents["bsp-HUB"] == "gsp-ALPHA"
    assert grid.headroom.set_index("substation_id")["headroom_mva"].to_dict() == {
        "bsp-HUB": pytest.approx(30.0 - 12.0)}


def test_every_bad_cell_is_reported_at_once(tmp_path: Path) -> None:
    layout = _layout(PS=(PS_HEADER, [
        _ps("Gamma", "Alpha", **{"Maximum Load (MW)": "lots", "Location Grid Ref": SP_REF}),
        _ps("Delta", "Alpha", **{"Nameplate Rating (MVA)": "two transformers",
                                 "Location Grid Ref": SP_REF}),
        _ps("Zeta", "Alpha", **{"Available Headroom Capacity (MVA)": "subject to study",
                                "Location Grid Ref": SP_REF}),
        _ps("Eta", "Alpha", **{"Location Grid Ref": "XX 123"}),
        _ps("Theta", "Alpha", **{"Location Latitude": -1.2, "Location Longitude": 51.7}),
    ]))
    with pytest.raises(SourceFormatError, match=r"5 problems in " + NAME) as caught:
        read(_write(tmp_path / NAME, layout))
    text = str(caught.value)
    assert (f"{NAME}, sheet 'PS', row 2, column 'Maximum Load (MW)': 'lots' is not a number"
            in text)
    assert "row 3, column 'Nameplate Rating (MVA)': 'two transformers' is not a nameplate" in text
    assert "Available Headroom Capacity" not in text  # generation headroom: not needed
    assert "row 5, column 'Location Grid Ref': 'XX 123' is not an OS grid reference" in text
    assert "row 6, column 'Location Latitude': latitude -1.2 is outside Great Britain" in text
    assert "row 6, column 'Location Longitude': longitude 51.7 is outside" in text
    rows = [problem.row for problem in caught.value.problems]
    assert rows == sorted(rows)


def _real_layout_row(header: list[str], **cells: object) -> dict[str, object]:
    """A primary row of the real Scotland 2023 'PS' sheet (its first row, Abernethy)."""
    published = ["Scotland", "Abernethy", "Abernethy", "", "1.8 / 13.1", 56.3397807571,
                 -3.29417358126, "NO 20094 17132", 6.3, "0", 0.028, 1.509, "1.479",
                 1.0190000000000001, 100.0, "Constrained", "", "", "Constrained", "", "",
                 "Yes", "No", "None Known", "33 / 11", "Amber"]
    return {**dict(zip(header, published, strict=True)), **cells}


def test_malformed_cells_in_unused_columns_do_not_refuse_the_file(tmp_path: Path) -> None:
    good = _real_layout_row(PS_HEADER)
    bad = _real_layout_row(PS_HEADER, **{
        "Primary Substation Name": "Balbeggie", "Contracted Generation (MVA)": "5.510.171",
        "Minimum Load (MW)": "n/k yet", "Available Headroom Capacity (MVA)": "12-15",
        "Distribution reinforcement date": 12.5})
    gsp = _gsp("Abernethy", **{"Location Grid Ref": "NO 20095 17132"})
    layout = _layout(GSP=(GSP_HEADER, [gsp]), PS=(PS_HEADER, [good, bad]))
    grid = read(_write(tmp_path / NAME, layout))
    subs = grid.substations.set_index("substation_id")
    assert grid.describe()["per_level"] == {"gsp": 1, "primary": 2}
    assert subs.loc["primary-ABERNETHY", "contracted_generation_mva"] == pytest.approx(1.479)
    assert np.isnan(subs.loc["primary-BALBEGGIE", "contracted_generation_mva"])
    assert np.isnan(subs.loc["primary-BALBEGGIE", "min_load_mw"])
    assert np.isnan(subs.loc["primary-BALBEGGIE", "generation_headroom_mva"])
    assert subs.loc["primary-BALBEGGIE", "reinforcement_date"] == "12.5"  # kept as published
    assert subs.loc["primary-BALBEGGIE", "peak_demand_mva"] == pytest.approx(1.509)  # needed: read
    notes = [w for w in grid.warnings if "the grid layer does not use this column" in w]
    assert len(notes) == 4
    assert any(w.startswith("sheet 'PS', column 'Contracted Generation (MVA)': 1 cell does "
                            "not read as a value and was left blank (row 3: '5.510.171')")
               for w in notes)
    assert any("'Distribution reinforcement date'" in w and "kept as published text" in w
               for w in notes)


def test_malformed_cell_in_a_needed_column_still_refuses(tmp_path: Path) -> None:
    row = _real_layout_row(PS_HEADER, **{"Maximum Load (MW)": "1.509.2"})
    with pytest.raises(SourceFormatError,
                       match=r"sheet 'PS', row 2, column 'Maximum Load \(MW\)': '1\.509\.2'"):
        read(_write(tmp_path / NAME, _layout(PS=(PS_HEADER, [row]))))


def test_bad_grid_ref_is_ignored_where_lat_lon_are_given(tmp_path: Path) -> None:
    row = _ps("Gamma", "Alpha", **{"Location Latitude": 51.7, "Location Longitude": -1.2,
                                   "Location Grid Ref": "XX 123"})
    grid = read(_write(tmp_path / NAME, _layout(PS=(PS_HEADER, [row]))))
    assert grid.substations.set_index("name").loc["Gamma", "geometry"] is not None


def test_renamed_column_is_reported_with_the_names_accepted(tmp_path: Path) -> None:
    header = [h.replace("Maximum Load (MW)", "Max Load") for h in PS_HEADER]
    path = _write(tmp_path / NAME, _layout(PS=(header, [])))
    with pytest.raises(SourceFormatError,
                       match=r"sheet 'PS', row 1: column 'Maximum Load \(MW\)' not found"):
        read(path)


def test_missing_name_header_is_reported(tmp_path: Path) -> None:
    header = [h.replace("Grid Supply Point Name", "Name") for h in GSP_HEADER]
    path = _write(tmp_path / NAME, _layout(GSP=(header, [_gsp("Alpha")])))
    with pytest.raises(SourceFormatError,
                       match=r"sheet 'GSP': no header row with a 'Grid Supply Point Name'"):
        read(path)


def test_missing_sheet_is_not_found(tmp_path: Path) -> None:
    sheets = _layout()
    del sheets["BSP"]
    with pytest.raises(SourceNotFoundError, match=r"sheet 'BSP' not found"):
        read(_write(tmp_path / NAME, sheets))


def test_workbook_without_rows_is_refused(tmp_path: Path) -> None:
    layout = _layout(GSP=(GSP_HEADER, []), PS=(PS_HEADER, []))
    with pytest.raises(SourceFormatError, match="no substation rows in sheets GSP, BSP and PS"):
        read(_write(tmp_path / NAME, layout))


def test_empty_or_non_spreadsheet_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(SourceFormatError, match=r"empty\.xlsx: the file is empty"):
        read(empty)
    text = tmp_path / "text.xlsx"
    text.write_text("not a workbook")
    with pytest.raises(SourceFormatError, match=r"text\.xlsx: not a readable spreadsheet"):
        read(text)


def test_detected_and_read_through_the_registry(gam: Path) -> None:
    assert detect_format(gam) == "ssen-gam"
    grid = read_grid(gam)
    assert grid.format == "ssen-gam"
    assert grid.describe()["per_level"] == {"gsp": 2, "primary": 3}


def test_sniff_claims_only_gam_sheets() -> None:
    assert sniff(["GSP", "BSP", "PS", "Contracted Generation", "Quoted Jobs"])
    assert not sniff(["Primary Headroom Dem", "LEP Reference"])
    assert not sniff(["GSP", "PS"])


@pytest.mark.parametrize(("cell", "expected"), [
    ("1 x 12.5 2 x 11.5", (35.5, 23.0)),
    ("2 x 20MVA", (40.0, 20.0)),
    ("3x15", (45.0, 30.0)),
    ("1 x 24", (24.0, None)),
    ("90", (90.0, None)),
    (6.25, (6.25, None)),
    ("", (None, None)),
])
def test_nameplate_capacity(cell: object, expected: tuple) -> None:
    assert nameplate_capacity(cell) == expected


@pytest.mark.parametrize("cell", ["two", "2 x 7.5/15", "0 x 12"])
def test_nameplate_capacity_refuses_other_text(cell: str) -> None:
    with pytest.raises(ValueError, match=r"nameplate|lists no transformer"):
        nameplate_capacity(cell)


@pytest.mark.parametrize(("cell", "expected"), [
    ("2.5 (subject to transmission works)", (2.5, "subject to transmission works")),
    ("-1.25 MVA - constrained", (-1.25, "constrained")),
    (" 7 ", (7.0, None)),
    ("N/A", (None, None)),
])
def test_number_and_note(cell: object, expected: tuple) -> None:
    assert number_and_note(cell) == expected


@pytest.mark.parametrize("cell", ["12-15", "awaiting study"])
def test_number_and_note_refuses_ranges_and_text(cell: str) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        number_and_note(cell)


def test_date_text() -> None:
    assert date_text(45000.0) == "2023-03-15"
    assert date_text("45000") == "2023-03-15"
    assert date_text(pd.Timestamp("2024-10-01").to_pydatetime()) == "2024-10-01"
    assert date_text("March 2023 ") == "March 2023"
    assert date_text(2025) == "2025"
    with pytest.raises(ValueError, match="is not a date"):
        date_text(12.5)


def test_snapshot_year_with_several_years_is_missing() -> None:
    notes: list[str] = []
    assert snapshot_year("gam_2022_2023.xlsx", None, notes) is None
    assert "several years ['2022', '2023']" in notes[0]
    assert snapshot_year("gam_2022_2023.xlsx", 2024, []) == 2024


# -- the real workbook ------------------------------------------------------------------------


def _raw_names(path: Path, sheet: str) -> list[str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [r[1] for r in rows[1:] if str(r[1]).strip()]


@pytest.mark.real_data
def test_real_workbook_levels_and_counts(real_data: Path) -> None:
    path = real_file(real_data, REAL)
    grid = read_grid(path)
    assert grid.format == "ssen-gam"
    per_level = grid.describe()["per_level"]
    assert per_level == {"gsp": len(_raw_names(path, "GSP")),
                         "primary": len(_raw_names(path, "PS"))}
    assert per_level == {"gsp": 63, "primary": 364}
    assert grid.substations.geometry.isna().sum() == 0
    assert grid.substations["parent_id"].isna().sum() == 63  # only the GSPs are roots


@pytest.mark.real_data
def test_real_workbook_primary_parent_and_location(real_data: Path) -> None:
    subs = read(real_file(real_data, REAL)).substations.set_index("substation_id")
    errol = subs.loc["primary-ERROL"]
    assert errol["parent_id"] == "gsp-ABERNETHY"
    assert errol["grid_ref"] == "NO 23206 23038"
    x, y = grid_ref_to_xy(errol["grid_ref"])
    assert errol.geometry.distance(type(errol.geometry)(x, y)) < 100
    assert errol["generation_headroom_mva"] == pytest.approx(5.0 + 1.04 - 0.45)
    assert errol["peak_demand_mva"] == pytest.approx(4.55)


@pytest.mark.real_data
def test_real_workbook_has_no_demand_headroom_to_publish(real_data: Path) -> None:
    grid = read(real_file(real_data, REAL))
    assert grid.headroom.empty  # plain nameplate totals only: firm capacity unknown
    assert grid.substations["firm_capacity_mva"].isna().all()
    assert grid.substations["generation_headroom_mva"].notna().all()
    far = [w for w in grid.warnings if "more than 1 km from their latitude/longitude" in w]
    assert len(far) == 1
    assert far[0].startswith("5 substations")
    assert "'Contullich'" in far[0]
