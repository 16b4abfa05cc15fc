"""Helpers that read published cells: header matching and tolerant numbers."""

from __future__ import annotations

import math

import pytest

from geoplan.errors import Problems
from geoplan.sources._cells import (
    excel_column,
    find_columns,
    is_blank,
    normalise_header,
    parse_number,
)


@pytest.mark.parametrize(
    ("cell", "value"),
    [(1.5, 1.5), (3, 3.0), (" 1,234.5 ", 1234.5), ("12.5 MVA", 12.5), ("50%", 50.0),
     ("-0.25", -0.25), ("1e3", 1000.0), (".5", 0.5)],
)
def test_numbers(cell, value):
    assert parse_number(cell) == value


@pytest.mark.parametrize("cell", [None, "", "  ", "N/A", "n/a", "-", "#N/A", "TBC", math.nan])
def test_blanks(cell):
    assert is_blank(cell)
    assert parse_number(cell) is None


@pytest.mark.parametrize("cell", ["lots", "1.2.3", "12 apples", True, "1 x 12.5"])
def test_not_numbers(cell):
    with pytest.raises(ValueError, match="is not a number"):
        parse_number(cell)


def test_headers_and_columns():
    header = normalise_header(" Upstream Constraint\n(YES /  NO) ")
    assert header == "upstream constraint (yes / no)"
    assert [excel_column(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ",
                                                                   "AAA"]
    problems = Problems("f.csv")
    wanted = {"name": ("Name",), "value": ("Value (MVA)",), "gsp": ("GSP", "Grid Supply Point")}
    found = find_columns(["  Name ", "Value\n(MVA)"], wanted, problems, row=1)
    assert found == {"name": 0, "value": 1}
    assert len(problems) == 1
    assert "column 'GSP' not found" in str(next(iter(problems)))


def test_csv_rows_keep_file_numbers_and_skip_excel_sep_line(tmp_path):
    from geoplan.sources._cells import read_csv_text

    path = tmp_path / "t.csv"
    path.write_text("sep=,\na,b\n1,2\n\n3,4\n")
    frame = read_csv_text(path)
    assert list(frame.columns) == ["a", "b"]
    assert frame.to_numpy().tolist() == [["1", "2"], ["", ""], ["3", "4"]]


def test_gb_primaries_blank_line_is_ignored_and_rows_stay_true(tmp_path):
    from geoplan.errors import SourceFormatError
    from geoplan.sources.gb_primaries import read

    path = tmp_path / "gb.csv"
    path.write_text('PS Name,Firm Capacity (MVA),Demand (MVA),PF,"Geo(Long,Lat)",GSP,DNO\n'
                    'a,10,5,,"-1.2,51.7",COWLEY,SSEN\n\nb,10,x,,"-1.2,51.7",COWLEY,SSEN\n')
    with pytest.raises(SourceFormatError) as info:
        read(path)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].row == 4
