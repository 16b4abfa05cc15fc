"""Helpers that read published cells: header matching and tolerant numbers."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoplan.errors import Problems
from geoplan.sources.cells import (
    excel_column,
    find_columns,
    is_blank,
    normalise_header,
    parse_number,
)
from geoplan.sources.numbers import (
    ANY,
    CAPACITY_MVA,
    CHARGER_KW,
    COUNT,
    FLOOR_AREA_M2,
    HEADROOM_MVA,
    PERCENT,
    SAP_RATING,
    CellError,
    column_separator,
    parse_cell,
    parse_column,
)


@pytest.mark.parametrize(
    ("cell", "value"),
    [(1.5, 1.5), (3, 3.0), (" 1234.5 ", 1234.5), ("-0.25", -0.25), ("1e3", 1000.0),
     (".5", 0.5), ("\u22123.2", -3.2), ("+7", 7.0)],
)
def test_numbers(cell, value):
    assert parse_number(cell) == value


@pytest.mark.parametrize(("cell", "quantity", "value"),
                         [("12.5 MVA", HEADROOM_MVA, 12.5), ("12.5mva", HEADROOM_MVA, 12.5),
                          ("50%", PERCENT, 50.0), ("90 m²", FLOOR_AREA_M2, 90.0),
                          ("90 m2", FLOOR_AREA_M2, 90.0), ("22 kW", CHARGER_KW, 22.0)])
def test_the_columns_own_unit_is_accepted(cell, quantity, value):
    assert parse_number(cell, quantity) == value


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
    from geoplan.sources.cells import read_csv_text

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


# --- the one set of number rules (geoplan.sources.numbers) -----------------------------


def _grouped(value: int, mark: str) -> str:
    """``value`` written with ``mark`` between groups of three digits."""
    return f"{value:,}".replace(",", mark)


@given(st.lists(st.integers(1000, 10**12), min_size=2, max_size=8),
       st.sampled_from([",", " ", "\u00a0", "\u202f", "'"]))
def test_consistent_thousands_separators_read_back_as_the_numbers(numbers, mark):
    values, bad = parse_column(pd.Series([_grouped(n, mark) for n in numbers], dtype=object))
    assert bad == []
    assert values.tolist() == [float(n) for n in numbers]


@given(st.floats(1000, 1e9, allow_nan=False).map(lambda v: round(v, 2)))
def test_grouped_decimals_read_back(value):
    cells = pd.Series([f"{value:,.2f}", "1,000.5"], dtype=object)
    values, bad = parse_column(cells)
    assert bad == []
    assert values[0] == pytest.approx(value, abs=0.005)


@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_plain_text_reads_as_the_float_it_was_written_from(value):
    assert parse_number(repr(value)) == value
    assert parse_number(f" {value!r} ") == value


@given(st.integers(1000, 10**9), st.sampled_from([",", "\u00a0"]))
def test_a_lone_grouped_number_among_plain_ones_is_refused(number, mark):
    cells = pd.Series(["12", _grouped(number, mark), "7.5"], dtype=object)
    values, bad = parse_column(cells)
    assert [b.label for b in bad] == [1]
    assert "thousands" in bad[0].message
    assert "without separators" in bad[0].fix
    assert np.isnan(values[1])


def test_grouping_is_refused_when_the_column_also_has_big_plain_numbers():
    values, bad = parse_column(pd.Series(["1,200", "13,073", "4500"], dtype=object))
    assert [b.label for b in bad] == [0, 1]
    assert values[2] == 4500.0


def test_a_decimal_comma_elsewhere_makes_comma_groups_ambiguous():
    _, bad = parse_column(pd.Series(["1,200", "13,073", "0,5"], dtype=object))
    assert [b.label for b in bad] == [0, 1, 2]
    assert "decimal comma" in bad[2].message


@pytest.mark.parametrize("cell", ["1,5", "0,512", "12,5 MVA"])
def test_a_decimal_comma_is_refused_naming_the_fix(cell):
    with pytest.raises(CellError, match="decimal comma") as info:
        parse_cell(cell, HEADROOM_MVA)
    assert "convert the file to '.' decimals" in info.value.fix


def test_a_declared_decimal_comma_reads_european_numbers():
    cells = pd.Series(["1.234,5", "2.000", "5,5", "\u22120,25"], dtype=object)
    values, bad = parse_column(cells, decimal=",")
    assert bad == []
    assert values.tolist() == [1234.5, 2000.0, 5.5, -0.25]
    with pytest.raises(CellError, match="decimal point"):
        parse_cell("1.5", decimal=",")


@pytest.mark.parametrize(("cell", "words"), [
    ("5.510.171", "'.' to group thousands"), ("(3.2)", "accounting-style negative"),
    ("12.5.3", "is not a number"), ("inf", "not a finite number"),
    ("-Infinity", "not a finite number"), ("1e400", "not a finite number"),
    ("13.073 MW", "is in MW, but the column holds demand headroom in MVA"),
    ("50%", "is a percentage"), ("12 MVA?", "is not a number")])
def test_refused_cells_say_why(cell, words):
    with pytest.raises(CellError, match=re.escape(words)):
        parse_cell(cell, HEADROOM_MVA)


@pytest.mark.parametrize(("quantity", "inside", "outside"), [
    (HEADROOM_MVA, [-2000, 0, 2000], [-2000.5, 13073]), (CAPACITY_MVA, [0, 5000], [5001]),
    (FLOOR_AREA_M2, [5, 5000], [4.9, 1e12]), (SAP_RATING, [1, 100, 150], [-5, 0, 500]),
    (COUNT, [0, 1e6], [-1]), (PERCENT, [0, 100], [101]), (CHARGER_KW, [3.7, 350], [-7]),
    (ANY, [-1e15, 1e15], [1e300, -1e300])])
def test_plausible_ranges(quantity, inside, outside):
    for value in inside:
        assert parse_cell(value, quantity) == value
        assert parse_cell(str(value), quantity) == value
    for value in outside:
        with pytest.raises(CellError, match="outside the plausible range") as info:
            parse_cell(str(value), quantity)
        assert quantity.range_text() in str(info.value)


def test_spreadsheet_numbers_are_range_checked_too():
    values, bad = parse_column(pd.Series([1.0, 3000.0, np.nan, np.inf]), HEADROOM_MVA)
    assert [(b.label, b.message.split(" is")[0]) for b in bad] == [(1, "3000"), (3, "inf")]
    assert values.isna().tolist() == [False, True, True, True]



def test_a_column_of_number_cells_alone_skips_the_text_steps(monkeypatch):
    # a workbook's figures column (object dtype, numbers only): read and range-checked as
    # such, without the text steps, which cost a few pandas calls per column even when empty
    import geoplan.sources.numbers as numbers

    def no_text(*args):
        raise AssertionError("text steps run on a column without text cells")

    cells = pd.Series([1.5, 3000.0, 2, -0.25, np.inf], index=[7, 8, 9, 10, 11], dtype=object)
    with monkeypatch.context() as patch:
        patch.setattr(numbers, "_cell_texts", no_text)
        values, bad = parse_column(cells, HEADROOM_MVA)
    assert [(b.label, b.message.split(" is")[0]) for b in bad] == [(8, "3000"), (11, "inf")]
    assert values[[7, 9, 10]].tolist() == [1.5, 2.0, -0.25]
    assert values[[8, 11]].isna().all()
    # one text cell among them: the text steps read it, the numbers are unchanged
    mixed, bad = parse_column(pd.concat([cells, pd.Series([" 4 "], index=[12])]), HEADROOM_MVA)
    assert mixed[[7, 9, 10, 12]].tolist() == [1.5, 2.0, -0.25, 4.0]
    assert [b.label for b in bad] == [8, 11]

@pytest.mark.parametrize("cell", ["NaN", "", " ", "N/A", None, np.nan])
def test_blank_markers_are_missing_not_zero(cell):
    values, bad = parse_column(pd.Series(["1", cell], dtype=object))
    assert bad == []
    assert values[0] == 1.0
    assert np.isnan(values[1])


def test_text_columns_read_the_same_as_object_columns():
    cells = ["1", " 2 ", "\u22123", "x", "", "4e2"]
    plain, bad_plain = parse_column(pd.Series(cells, dtype=object))
    text, bad_text = parse_column(pd.Series(cells, dtype="string"))
    assert plain.equals(text)
    assert [b.label for b in bad_plain] == [b.label for b in bad_text] == [3]


def test_column_separator_needs_two_grouped_cells_and_one_mark():
    assert column_separator(pd.Series(["1,200", "13,073"])) == ","
    assert column_separator(pd.Series(["1,200", "350"])) is None
    assert column_separator(pd.Series(["1,200", "13\u00a0073", "2,000"])) is None


def test_bad_cell_int_label_is_the_integer_row_label():
    _, bad = parse_column(pd.Series(["1", "x", "3", "y"], index=[10, 11, 12, np.int64(13)],
                                    dtype=object))
    assert [item.int_label for item in bad] == [11, 13]
    _, named = parse_column(pd.Series(["x"], index=["row a"], dtype=object))
    with pytest.raises(TypeError, match="'row a' is not an integer row label"):
        _ = named[0].int_label
