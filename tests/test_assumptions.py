import pytest

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import SourceFormatError, SourceNotFoundError

SPEC = AssumptionTable("measures", key=("measure",), numbers={"cost_gbp": 0.0},
                       text=("note",), optional_numbers={"scop": 1.0})


def write(tmp_path, text):
    path = tmp_path / "measures.csv"
    path.write_text(text)
    return path


def test_reads_numbers_text_and_source_in_order(tmp_path):
    path = write(tmp_path, "source,measure,cost_gbp,note,scop,extra\n"
                           "DESNZ 2023,loft,\"1,200\",,,x\nBEIS,ashp,\"11,000\",heat pump,2.8,y\n")
    table = read_assumptions(SPEC, path)
    assert list(table.columns) == ["measure", "cost_gbp", "note", "scop", "extra", "source"]
    assert table["cost_gbp"].tolist() == [1200.0, 11000.0]
    assert table["scop"].isna().tolist() == [True, False]
    assert table.attrs["path"] == str(path)


def test_thousands_separators_must_be_used_by_the_whole_column(tmp_path):
    path = write(tmp_path, "source,measure,cost_gbp,note,scop\n"
                           "DESNZ 2023,loft,\"1,200\",,\nBEIS,ashp,11000,,\n")
    with pytest.raises(SourceFormatError, match=r"row 2, column 'cost_gbp': '1,200' has a "
                                                r"thousands separator.*fix: write the number"):
        read_assumptions(SPEC, path)


def test_lists_every_problem_with_row_and_column(tmp_path):
    path = write(tmp_path, "measure,cost_gbp,note,scop,source\n"
                           "loft,-5,,,DESNZ\nloft,abc,,0.5,\n,10,,,BEIS\n")
    with pytest.raises(SourceFormatError) as caught:
        read_assumptions(SPEC, path)
    text = str(caught.value)
    assert "6 problems in measures.csv" in text
    assert "row 2" in text
    assert "-5 is below the least allowed value 0" in text
    assert "row 3" in text
    assert "'abc' is not a number" in text
    assert "0.5 is below the least allowed value 1" in text
    assert "no source is given" in text
    assert "appears more than once" in text
    assert "row 4" in text
    assert "key is blank" in text


def test_missing_column_is_named(tmp_path):
    path = write(tmp_path, "measure,cost_gbp,note,scop\nloft,1,,,\n")
    with pytest.raises(SourceFormatError, match=r"source.*column is missing"):
        read_assumptions(SPEC, path)


def test_unknown_default_table_lists_the_shipped_ones():
    with pytest.raises(SourceNotFoundError, match="no assumption table 'nope'"):
        read_assumptions(AssumptionTable("nope", key=("k",)))
