"""SSEN Network Headroom Report reader: fixtures built in code, then the real SHEPD report."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner

from geoplan.cli.main import cli
from geoplan.errors import (
    AreaNotFoundError,
    LayerSchemaError,
    SourceFormatError,
    SourceNotFoundError,
)
from geoplan.layers import select_grid
from geoplan.pipeline import run_scenario
from geoplan.sample.workbooks import ReportSubstation, headroom_report_sheet, write_workbook
from geoplan.sources import detect_format, read_grid
from geoplan.sources.ssen_headroom_report import read
from tests.conftest import real_file

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
YEARS = (2023, 2024, 2030, 2035)
SHEET = "Primary Headroom Dem"


def _subs() -> list[ReportSubstation]:
    return [
        ReportSubstation("Osney", "COWLEY GSP", "SP 50000 06000", base=3.0, bsp="Osney BSP",
                         upstream="YES", headroom={("LW", "Winter", 2030): -1.25}),
        ReportSubstation("Headington", "COWLEY GSP", "SP 54000 07000", base=-0.5),
        ReportSubstation("Wantage", "Didcot", "SU 40000 88000", base=8.0),
    ]


def _report(tmp_path: Path, rows: list[list[object]] | None = None, *,
            extra: dict[str, list[list[object]]] | None = None,
            name: str = "sepd-network-headroom-report.xlsx") -> Path:
    sheets = {"Contents": [["Network Headroom Report"]],
              SHEET: rows if rows is not None else headroom_report_sheet(_subs(), YEARS),
              "LEP Reference": [["LEP", "Grid Supply Point", "Primary Substation "],
                                ["", "", ""],
                                ["Oxfordshire", "COWLEY", "OSNEY"],
                                ["Oxfordshire", "COWLEY", "HEADINGTON"],
                                ["Oxfordshire", "DIDCOT", "WANTAGE"],
                                ["Swindon and Wiltshire", "DIDCOT", "WANTAGE"]]}
    sheets.update(extra or {})
    return write_workbook(tmp_path / name, sheets)


def test_reads_blocks_parents_and_locations(tmp_path):
    grid = read(_report(tmp_path))
    subs = grid.substations.set_index("substation_id")
    assert sorted(subs.index) == ["bsp-OSNEY", "gsp-COWLEY", "gsp-DIDCOT", "primary-HEADINGTON",
                                  "primary-OSNEY", "primary-WANTAGE"]
    assert subs.loc["primary-OSNEY", "parent_id"] == "bsp-OSNEY"
    assert subs.loc["bsp-OSNEY", "parent_id"] == "gsp-COWLEY"
    assert subs.loc["primary-HEADINGTON", "parent_id"] == "gsp-COWLEY"
    assert subs.loc["primary-WANTAGE", "parent_id"] == "gsp-DIDCOT"
    assert subs.loc["gsp-COWLEY", "parent_id"] is None
    point = subs.loc["primary-OSNEY", "geometry"]
    assert (point.x, point.y) == (450000.5, 206000.5)
    assert subs.loc["gsp-COWLEY", "geometry"] is None  # named upstream only, no location
    assert bool(subs.loc["primary-OSNEY", "upstream_constraint"]) is True
    assert bool(subs.loc["primary-WANTAGE", "upstream_constraint"]) is False
    assert subs.loc["primary-WANTAGE", "areas"] == "Oxfordshire; Swindon and Wiltshire"
    assert grid.substations.crs.to_epsg() == 27700


def test_headroom_values_scenarios_years_and_seasons(tmp_path):
    head = read(_report(tmp_path)).headroom
    assert len(head) == 3 * 5 * 3 * len(YEARS)
    assert sorted(head["scenario"].unique()) == ["CT", "LW", "SP", "ST", "minimum"]
    assert sorted(head["season"].unique()) == ["spring_autumn", "summer", "winter"]
    assert sorted(head["year"].unique()) == list(YEARS)
    by_key = head.set_index(["substation_id", "scenario", "year", "season"])["headroom_mva"]
    assert by_key[("primary-OSNEY", "LW", 2030, "winter")] == -1.25
    # base 3.0 + summer shift 0.5 + CT shift 0.01 - 0.1 per year after 2023
    assert by_key[("primary-OSNEY", "CT", 2035, "summer")] == pytest.approx(3.0 + 0.5 + 0.01 - 1.2)
    assert by_key[("primary-HEADINGTON", "minimum", 2023, "winter")] == pytest.approx(-0.5)


def test_shepd_layout_without_bsp_and_messy_headers(tmp_path):
    rows = headroom_report_sheet(_subs(), YEARS, with_bsp=False,
                                 name_header="  Primary\nSubstation")
    rows[0] = [f" {c}\n " if isinstance(c, str) and c else c for c in rows[0]]
    grid = read(_report(tmp_path, rows, name="shepd-network-headroom-report.xlsx"))
    assert set(grid.substations["level"]) == {"gsp", "primary"}
    assert grid.substations.set_index("substation_id").loc["primary-OSNEY", "parent_id"] == (
        "gsp-COWLEY")
    assert len(grid.headroom) == 3 * 5 * 3 * len(YEARS)


def test_columns_are_found_by_header_not_position(tmp_path):
    rows = headroom_report_sheet(_subs(), YEARS)
    order = [3, 2, 1, 0, 4, 5, *range(6, len(rows[0]))]  # scenario/name/BSP/GSP swapped
    moved = [[row[i] for i in order] for row in rows]
    expected = read(_report(tmp_path)).headroom
    got = read(_report(tmp_path / "..", moved, name="moved.xlsx")).headroom
    assert got.equals(expected)


def test_nameless_rows_are_skipped_and_counted_not_inherited(tmp_path, caplog):
    rows = headroom_report_sheet(_subs(), YEARS)
    nameless = list(rows[3])
    nameless[2] = ""  # the name cell (GSP, BSP, name, ...)
    nameless[3] = "XX"
    rows.insert(4, nameless)
    rows.insert(5, list(nameless))
    grid = read(_report(tmp_path, rows))
    assert any("skipped 2 rows" in w for w in grid.warnings)
    assert "skipped 2 rows" in caplog.text
    assert "XX" not in set(grid.headroom["scenario"])
    assert len(grid.headroom) == 3 * 5 * 3 * len(YEARS)


def test_every_bad_number_is_listed_with_row_and_column(tmp_path):
    rows = headroom_report_sheet(_subs(), YEARS)
    rows[2][6] = "n.a.x"   # Osney MINIMUM, first winter year: row 3, column G
    rows[8][8] = "12 MVA?"  # Headington CT, third winter year: row 9, column I
    with pytest.raises(SourceFormatError) as info:
        read(_report(tmp_path, rows))
    message = str(info.value)
    assert "2 problems in sepd-network-headroom-report.xlsx" in message
    assert "sheet 'Primary Headroom Dem', row 3, column 'G': 'n.a.x' is not a number" in message
    assert "row 9, column 'I': '12 MVA?' is not a number (winter 2030)" in message
    assert "fix:" in message
    assert isinstance(info.value, ValueError)


def test_missing_column_names_the_header_and_fix(tmp_path):
    rows = headroom_report_sheet(_subs(), YEARS)
    rows[0][0] = "Supply Point"
    with pytest.raises(SourceFormatError, match=r"column 'Grid Supply Point' not found.*fix"):
        read(_report(tmp_path, rows))


def test_bad_grid_reference_and_repeated_scenario(tmp_path):
    rows = headroom_report_sheet(_subs(), YEARS)
    rows[2][4] = "SP 1234 567"  # odd digit count
    rows[4][3] = "CT"  # Osney's LW row now repeats CT
    with pytest.raises(SourceFormatError) as info:
        read(_report(tmp_path, rows))
    text = str(info.value)
    assert "row 3, column 'Grid Reference': 'SP 1234 567' is not an OS grid reference" in text
    assert "lists scenario 'CT' twice (rows 4 and 5)" in text


def test_missing_gsp_on_first_row_is_reported(tmp_path):
    rows = headroom_report_sheet(_subs(), YEARS)
    rows[7][0] = ""  # Headington's first row loses its GSP
    with pytest.raises(SourceFormatError, match="'Headington' starts without a Grid Supply Point"):
        read(_report(tmp_path, rows))


def test_missing_sheet_lists_sheets(tmp_path):
    path = write_workbook(tmp_path / "r.xlsx", {"Contents": [["x"]], "Primary Headroom Gen": [[1]]})
    with pytest.raises(SourceNotFoundError, match=r"sheet 'Primary Headroom Dem' not found.*"
                                                  r"Primary Headroom Gen"):
        read(path)


def test_empty_and_non_spreadsheet_files(tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(SourceFormatError, match=r"empty\.xlsx: the file is empty"):
        read(empty)
    text = tmp_path / "notes.xlsx"
    text.write_text("this is not a workbook\n")
    with pytest.raises(SourceFormatError, match=r"notes\.xlsx: not a readable spreadsheet"):
        read(text)


def test_detection_and_dispatch(tmp_path):
    path = _report(tmp_path)
    assert detect_format(path) == "ssen-headroom-report"
    assert read_grid(path).headroom.equals(read(path).headroom)


def test_output_is_deterministic(tmp_path):
    path = _report(tmp_path)
    first, second = read(path), read(path)
    assert first.headroom.equals(second.headroom)
    assert first.substations.to_wkb().equals(second.substations.to_wkb())


# --- selecting substations by the reference sheet's areas (--within) ----------------------

LEP_AND_DISTRICT = [["LEP", "Local Authority", "Grid Supply Point", "Bulk Supply Point",
                     "Primary Substation "], ["", "", "", "", ""],
                    ["Oxfordshire LEP", "Oxford", "COWLEY", "OSNEY BSP", "OSNEY"],
                    ["Oxfordshire LEP", "South Oxfordshire", "COWLEY", "", "HEADINGTON"],
                    ["South East Midlands", "South Northamptonshire", "COWLEY", "",
                     "HEADINGTON"],
                    ["Oxfordshire LEP", "Vale of White Horse", "DIDCOT", "", "WANTAGE"],
                    ["", "Swindon", "DIDCOT", "", "WANTAGE"],
                    ["Swindon and Wiltshire", "Wiltshire", "DIDCOT", "", "WANTAGE"]]


def _lep_and_district_report(tmp_path: Path) -> Path:
    return _report(tmp_path, extra={"LEP Reference": LEP_AND_DISTRICT})


def _primaries(grid) -> list[str]:
    subs = grid.substations
    return sorted(subs.loc[subs["level"] == "primary", "substation_id"])


def test_areas_hold_every_area_column_of_the_reference_sheet(tmp_path):
    subs = read(_lep_and_district_report(tmp_path)).substations.set_index("substation_id")
    assert subs.loc["primary-WANTAGE", "areas"] == (
        "Oxfordshire LEP; Swindon; Swindon and Wiltshire; Vale of White Horse; Wiltshire")
    assert subs.loc["primary-OSNEY", "areas"] == "Oxford; Oxfordshire LEP"


@pytest.mark.parametrize(("within", "primaries"), [
    ("Oxfordshire LEP", ["primary-HEADINGTON", "primary-OSNEY", "primary-WANTAGE"]),
    ("  oxfordshire   lep ", ["primary-HEADINGTON", "primary-OSNEY", "primary-WANTAGE"]),
    ("Oxfordshire", ["primary-HEADINGTON", "primary-OSNEY", "primary-WANTAGE"]),  # first words
    ("Oxford", ["primary-OSNEY"]),                # a district named in full, not a prefix
    ("south oxfordshire", ["primary-HEADINGTON"]),
    ("Swindon and", ["primary-WANTAGE"]),
    ("Vale", ["primary-WANTAGE"]),                # the only area beginning so
    ("Swindon", ["primary-WANTAGE"]),             # in full, though another area begins so
])
def test_within_a_lep_or_a_district_by_name_or_first_words(tmp_path, within, primaries):
    grid = read(_lep_and_district_report(tmp_path))
    chosen = select_grid(grid, within)
    assert _primaries(chosen) == primaries
    assert set(chosen.substations["parent_id"].dropna()) <= set(chosen.substations[
        "substation_id"])
    named_in_full = " ".join(within.split()).casefold() in {
        a.casefold() for t in grid.substations["areas"].dropna() for a in t.split("; ")}
    assert any("--within" in w for w in chosen.warnings) is not named_in_full


@pytest.mark.parametrize(("within", "message"), [
    ("south", r"area 'south' is ambiguous: it begins \['South East Midlands', 'South "
              r"Northamptonshire', 'South Oxfordshire'\] \(fix: write one of these names"),
    ("Wilt", r"no substation serves area 'Wilt'; it lists \['Oxford', 'Oxfordshire LEP', "
             r"'South East Midlands', 'South Northamptonshire', 'South Oxfordshire', "
             r"'Swindon', 'Swindon and Wiltshire', 'Vale of White Horse', 'Wiltshire'\]"),
    ("Oxfordshire Vale", r"no substation serves area 'Oxfordshire Vale'"),
    ("", r"no substation serves area ''"),
])
def test_within_an_unknown_or_ambiguous_area_lists_the_areas(tmp_path, within, message):
    grid = read(_lep_and_district_report(tmp_path))
    file = r"sepd-network-headroom-report\.xlsx: "
    with pytest.raises(AreaNotFoundError, match=file + message):
        select_grid(grid, within)


# --- the real SHEPD report ------------------------------------------------------------------

SHEPD = "grid/shepd-network-headroom-report.xlsx"


@pytest.fixture(scope="module")
def shepd(real_data):
    return read(real_file(real_data, SHEPD))


@pytest.fixture(scope="module")
def shepd_raw(real_data):
    """The demand sheet read independently with openpyxl, by the known published layout.

    The published sheet leaves column A empty: GSP is column B, the primary C, the scenario D,
    and the winter band's 14 years are columns G to T.
    """
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(real_file(real_data, SHEPD), read_only=True, data_only=True)
    rows = list(book["Primary Headroom Dem"].iter_rows(values_only=True))
    return rows[1], rows[2:]


def test_shepd_counts(shepd, shepd_raw):
    _, data = shepd_raw
    names = {row[2].strip() for row in data if row[2]}
    gsps = {row[1].strip() for row in data if row[1]}
    levels = Counter(shepd.substations["level"])
    assert levels["primary"] == len(names) == 369
    assert levels["gsp"] == len(gsps) == 63
    assert shepd.substations.loc[shepd.substations["level"] == "primary"].geometry.notna().all()
    assert len(shepd.headroom) == 369 * 5 * 3 * 14


def test_shepd_negative_winter_headroom_per_year_matches_independent_count(shepd, shepd_raw):
    years, data = shepd_raw
    expected = {}
    for offset in range(14):
        column = 6 + offset
        year = int(years[column])
        negatives = Counter(row[3] for row in data if row[column] is not None
                            and row[column] < 0)
        expected[year] = {("minimum" if "MINIMUM" in k else k): v for k, v in negatives.items()}
    winter = shepd.headroom[(shepd.headroom["season"] == "winter")
                            & (shepd.headroom["headroom_mva"] < 0)]
    got = {int(year): dict(Counter(g["scenario"])) for year, g in winter.groupby("year")}
    assert {y: v for y, v in expected.items() if v} == got
    # constraint grows over time in the minimum-headroom view
    assert got[2050]["minimum"] > got[2023]["minimum"] > 0


def test_shepd_grid_references_land_in_their_local_authority(shepd):
    subs = shepd.substations[shepd.substations["level"] == "primary"]
    aberdeen = subs[subs["areas"] == "Aberdeen City"]
    centre = np.array([394000.0, 806000.0])  # Aberdeen city centre, NJ 94 06
    distance = np.hypot(aberdeen.geometry.x - centre[0], aberdeen.geometry.y - centre[1])
    assert len(aberdeen) >= 10
    assert distance.max() < 15_000
    shetland = subs[subs["areas"].fillna("").str.contains("Shetland")]
    assert len(shetland) > 0
    assert (shetland.geometry.y > 1_100_000).all()
    assert {"Highland", "Aberdeenshire"} <= set(subs["areas"].dropna())


# --- blocks whose rows after the first carry no name (SEPD's BSP sheet) ----------------------

BSP_SHEET = "BSP Headroom Dem"


def _bsps() -> list[ReportSubstation]:
    return [ReportSubstation("Osney BSP", "COWLEY GSP", "SP 50500 06500", base=40.0,
                             headroom={("CT", "Winter", 2030): -0.4}),
            ReportSubstation("Didcot BSP", "Didcot", "SU 52000 90000", base=60.0)]


def _first_row_names_only(rows: list[list[object]], name_column: int) -> list[list[object]]:
    """The published BSP layout: the name cell blank on every row but a block's first."""
    out = [list(row) for row in rows]
    for row in out[2:]:
        if "MINIMUM" not in str(row[name_column + 1]):
            row[name_column] = ""
    return out


def _junk(rows: list[list[object]], count: int, label: str = "") -> list[list[object]]:
    """Unlabelled value rows under the last block, as at the foot of SEPD's primary sheet."""
    width = len(rows[0])
    return [["", "", "", label, "", "", *[7.5 + i] * (width - 6)] for i in range(count)]


def _bsp_report(tmp_path: Path, *, junk: int = 5) -> Path:
    primary = headroom_report_sheet(_subs(), YEARS)
    primary += _junk(primary, junk)
    bsp = _first_row_names_only(headroom_report_sheet(
        _bsps(), YEARS, with_bsp=False, name_header="Bulk Supply Point"), 1)
    bsp += [row[:1] + row[2:] for row in _junk(bsp, 3)]  # no BSP column on this sheet
    return _report(tmp_path, primary, extra={BSP_SHEET: bsp})


def _counts(grid) -> dict[str, int]:
    return grid.headroom.groupby("substation_id").size().to_dict()


def test_bsp_blocks_named_on_first_row_read_every_scenario(tmp_path):
    grid = read(_bsp_report(tmp_path))
    head = grid.headroom[grid.headroom["substation_id"].str.startswith("bsp-")]
    per = head.groupby("substation_id")[["scenario", "season", "year"]]
    for sid in ("bsp-OSNEY", "bsp-DIDCOT"):
        got = per.get_group(sid)
        assert not got.duplicated().any()
        assert sorted(got["scenario"].unique()) == ["CT", "LW", "SP", "ST", "minimum"]
        assert len(got) == 5 * 3 * len(YEARS)
    by_key = head.set_index(["substation_id", "scenario", "year", "season"])["headroom_mva"]
    assert by_key[("bsp-OSNEY", "CT", 2030, "winter")] == -0.4
    # base 60 + spring/autumn shift 1.0 + SP shift 0.04 - 0.1 per year after 2023
    assert by_key[("bsp-DIDCOT", "SP", 2035, "spring_autumn")] == pytest.approx(61.04 - 1.2)
    named = read(_report(tmp_path / "..", headroom_report_sheet(_subs(), YEARS), name="n.xlsx",
                         extra={BSP_SHEET: headroom_report_sheet(
                             _bsps(), YEARS, with_bsp=False, name_header="Bulk Supply Point")}))
    assert grid.headroom.equals(named.headroom)


def test_trailing_unlabelled_rows_are_not_glued_to_the_last_block(tmp_path):
    grid = read(_bsp_report(tmp_path, junk=5))
    counts = _counts(grid)
    assert counts["primary-WANTAGE"] == counts["primary-OSNEY"] == 5 * 3 * len(YEARS)
    assert counts["bsp-DIDCOT"] == counts["bsp-OSNEY"] == 5 * 3 * len(YEARS)
    assert 7.5 not in set(grid.headroom["headroom_mva"])
    assert any(f"{SHEET!r}: skipped 5 rows" in w for w in grid.warnings)
    assert any(f"{BSP_SHEET!r}: skipped 3 rows" in w for w in grid.warnings)


@pytest.mark.parametrize(("labels", "glued"), [
    (["CT", "LW"], 0),                    # repeats what the block has: not its next rows
    (["MINIMUM HEADROOM", "CT"], 0),      # a new nameless block, not a continuation
    (["XX"], 0),                          # not a scenario label
])
def test_nameless_rows_out_of_scenario_order_are_skipped(tmp_path, labels, glued):
    primary = headroom_report_sheet(_subs(), YEARS)
    for label in labels:
        primary += _junk(primary, 1, label)
    grid = read(_report(tmp_path, primary))
    assert _counts(grid)["primary-WANTAGE"] == 5 * 3 * len(YEARS)
    assert any(f"skipped {len(labels)} rows" in w for w in grid.warnings)


def test_nameless_row_continues_only_the_block_directly_above(tmp_path):
    bsp = _first_row_names_only(headroom_report_sheet(
        _bsps(), YEARS, with_bsp=False, name_header="Bulk Supply Point"), 1)
    stray = list(bsp[3])
    stray[0] = "GSP ONLY"  # a GSP but no name: the start of a block that lost its name
    bsp.insert(3, stray)   # ... between Osney BSP's MINIMUM row and its nameless CT..SP rows
    grid = read(_report(tmp_path, headroom_report_sheet(_subs(), YEARS),
                        extra={BSP_SHEET: bsp}))
    osney = grid.headroom[grid.headroom["substation_id"] == "bsp-OSNEY"]
    assert set(osney["scenario"]) == {"minimum"}  # nothing after the stray row is glued
    assert any(f"{BSP_SHEET!r}: skipped 5 rows" in w for w in grid.warnings)
    assert _counts(grid)["bsp-DIDCOT"] == 5 * 3 * len(YEARS)


# --- the real SEPD report (Oxfordshire's DNO) -----------------------------------------------

SEPD = "grid/sepd-network-headroom-report.xlsx"


@pytest.fixture(scope="module")
def sepd(real_data):
    return read(real_file(real_data, SEPD))


@pytest.fixture(scope="module")
def sepd_raw(real_data):
    """Both demand sheets read independently with openpyxl, by the known published layout.

    Column A is empty. Primary sheet: GSP B, BSP C, primary D, scenario E, winter years from
    H. BSP sheet: GSP B, BSP C, scenario D, winter years from G; the BSP name is written on
    each block's first row only, so here it is carried down over the block's 5 rows.
    """
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(real_file(real_data, SEPD), read_only=True, data_only=True)
    sheets = {}
    for sheet, name_col, scenario_col, first in ((SHEET, 3, 4, 7), (BSP_SHEET, 2, 3, 6)):
        rows = list(book[sheet].iter_rows(values_only=True))
        data, name = [], None
        for row in rows[2:]:
            if row[name_col] and row[scenario_col] == "MINIMUM HEADROOM":
                name = row[name_col].strip()
            if row[scenario_col]:  # a labelled row of the current block
                label = "minimum" if "MINIMUM" in row[scenario_col] else row[scenario_col]
                data.append((name, label, rows[1][first:first + 14], row[first:first + 14]))
        sheets[sheet] = data
    return sheets


def _sepd_head(grid, level):
    subs = grid.substations
    ids = subs.loc[subs["level"] == level, ["substation_id", "name"]]
    return grid.headroom.merge(ids, on="substation_id")


@pytest.mark.real_data
@pytest.mark.parametrize(("level", "sheet", "count"), [("primary", SHEET, 412),
                                                       ("bsp", BSP_SHEET, 97)])
def test_sepd_every_substation_has_5_scenarios_x_3_seasons_every_year(sepd, sepd_raw, level,
                                                                       sheet, count):
    names = {name for name, *_ in sepd_raw[sheet]}
    head = _sepd_head(sepd, level)
    years = sorted(head["year"].unique())
    assert len(years) == 14
    assert head["name"].nunique() == len(names) == count
    assert not head.duplicated(["substation_id", "scenario", "year", "season"]).any()
    per = head.groupby("substation_id")[["scenario", "season"]].nunique()
    assert (per["scenario"] == 5).all()
    assert (per["season"] == 3).all()
    sizes = head.groupby("substation_id").size()
    assert (sizes == 5 * 3 * len(years)).all()  # the last block (ZETLAND ROAD) included
    assert sum(f"{sheet!r}: skipped" in w for w in sepd.warnings) == (sheet == SHEET)


@pytest.mark.real_data
def test_sepd_primary_sheet_trailing_rows_are_skipped_not_glued(sepd):
    assert any(f"{SHEET!r}: skipped 15 rows" in w for w in sepd.warnings)
    sizes = _sepd_head(sepd, "primary").groupby("name").size()
    assert sizes["ZETLAND ROAD"] == sizes.median() == 5 * 3 * 14


@pytest.mark.real_data
@pytest.mark.parametrize("sheet", [SHEET, BSP_SHEET])
def test_sepd_winter_values_match_an_independent_read(sepd, sepd_raw, sheet):
    level = "primary" if sheet == SHEET else "bsp"
    head = _sepd_head(sepd, level).query("season == 'winter'")
    got = head.set_index(["name", "scenario", "year"])["headroom_mva"]
    expected = {(name, label, int(year)): value for name, label, years, values in sepd_raw[sheet]
                for year, value in zip(years, values, strict=True)}
    assert len(got) == len(expected) == len(sepd_raw[sheet]) * 14
    assert got.to_dict() == pytest.approx(expected)


@pytest.mark.real_data
def test_sepd_oxfordshire_bsps_have_their_ct_headroom(sepd):
    """The issue's cases: Yarnton and Witney BSPs' CT winter headroom in 2030 and 2040."""
    head = _sepd_head(sepd, "bsp").set_index(["name", "scenario", "year", "season"])
    value = head["headroom_mva"]
    assert value[("YARNTON BSP", "CT", 2030, "winter")] == pytest.approx(-0.40, abs=0.005)
    assert value[("YARNTON BSP", "CT", 2040, "winter")] == pytest.approx(-71.5, abs=0.05)
    assert value[("WITNEY BSP", "CT", 2040, "winter")] == pytest.approx(-47.1, abs=0.05)



@pytest.fixture(scope="module")
def sepd_reference(real_data):
    """(LEP, local authority, primary) rows of the real 'LEP Reference' sheet (openpyxl)."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(real_file(real_data, SEPD), read_only=True, data_only=True)
    rows = list(book["LEP Reference"].iter_rows(values_only=True))
    assert rows[0][1:6] == ("LEP", "Local Authority", "Grid Supply Point", "Bulk Supply Point",
                            "Primary Substation ")
    return [(row[1], row[2], row[5].strip()) for row in rows[2:] if row[5]]


@pytest.mark.real_data
@pytest.mark.parametrize(("within", "lep", "district"), [
    ("Oxfordshire", "Oxfordshire LEP", None),  # the README's command; the sheet's LEP name
    ("Cherwell", None, "Cherwell"),            # a district of the reference sheet
])
def test_sepd_within_the_readme_command(real_data, sepd_reference, tmp_path, within, lep,
                                        district):
    out = tmp_path / "grid.gpkg"
    result = CliRunner().invoke(cli, ["layers", "convert", str(real_file(real_data, SEPD)),
                                      "--kind", "substations", "--within", within, "-o",
                                      str(out)])
    assert result.exit_code == 0, result.output
    subs = gpd.read_file(out, layer="substations")
    expected = {name.casefold() for area, la, name in sepd_reference
                if (lep is None or area == lep) and (district is None or la == district)}
    primaries = subs[subs["level"] == "primary"]
    assert set(primaries["name"].str.casefold()) == expected
    assert len(expected) == (65 if lep else 15)  # distinct primaries the sheet lists there
    assert set(subs["parent_id"].dropna()) <= set(subs["substation_id"])
    assert {"bsp", "gsp"} <= set(subs["level"])
    headroom = gpd.read_file(out, layer="headroom")
    assert set(headroom["substation_id"]) <= set(subs["substation_id"])
    assert (f"--within {within!r}" in result.output) is (lep is not None)


# --- a plan under a scenario that one level of the report does not give --------------------

def _sample_without_bsp_scenario(sample: Path, folder: Path, scenario: str) -> Path:
    """The sample county, its report's BSP sheet without ``scenario``'s rows (others linked)."""
    openpyxl = pytest.importorskip("openpyxl")
    folder.mkdir()
    for item in sample.iterdir():
        if item.name != "grid":
            (folder / item.name).symlink_to(item)
    report = next((sample / "grid").glob("*.xlsx"))
    book = openpyxl.load_workbook(report)
    sheet = book[BSP_SHEET]
    column = [c.value for c in sheet[1]].index("Scenario") + 1
    for row in range(sheet.max_row, 2, -1):
        if sheet.cell(row, column).value == scenario:
            sheet.delete_rows(row)
    (folder / "grid").mkdir()
    book.save(folder / "grid" / report.name)
    return folder


def test_laep_with_reinforcement_runs_under_ct_when_bsps_have_no_ct_figures(small_sample,
                                                                            tmp_path):
    """Shipped laep.yaml (reinforcement on) with grid.scenario CT: BSPs give no CT figure.

    Unless the scenario says so, a served level without figures stops the run, naming the
    key; said so, the level is left unconstrained (and reported), and reinforcement is offered
    only where the plan has a limit, instead of stopping on options at unlimited BSPs.
    """
    folder = _sample_without_bsp_scenario(small_sample, tmp_path / "county", "CT")
    path = tmp_path / "laep-ct.yaml"
    text = (f"extends: {SCENARIOS / 'laep.yaml'}\nname: laep-ct\n"
            f"inputs: {{sample: null, folder: {folder}}}\n"
            # the maps, tornado and trade-off curve add nothing here (checked elsewhere), nor
            # does proving the plan within 0.01%: a plan within 0.5% is enough (the root alone,
            # node_limit 1, spent 15 s in HiGHS's heuristics)
            "outputs: {map: false, static_map: false, sensitivity: false}\n"
            "plan: {tradeoff_fractions: []}\nsolver: {gap: 0.005}\n")
    path.write_text(text + "grid: {scenario: CT}\n", encoding="utf-8")
    with pytest.raises(LayerSchemaError, match=r"grid.unconstrained_levels: \[bsp\]"):
        run_scenario(path, tmp_path / "refused")
    path.write_text(text + "grid: {scenario: CT, unconstrained_levels: [gsp, bsp]}\n",
                    encoding="utf-8")
    result = run_scenario(path, tmp_path / "out")
    assert result.scenario.grid.reinforcement.enabled
    assert result.plans.plans["joint"].plan.has_plan
    notes = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "no bsp substation" in notes
    offered = result.plans.plans["joint"].reinforcements["substation_id"].astype(str)
    assert len(offered) > 0
    assert offered.str.startswith("primary-").all()
