"""Tests for geoplan.sample.workbooks: DNO-format workbooks written for the sample and for tests."""

import zipfile

from geoplan.sample.workbooks import write_workbook


def test_workbooks_are_byte_identical_whatever_the_time(tmp_path):
    sheets = {"Sheet": [["a", 1], ["b", 2.5]]}
    first = write_workbook(tmp_path / "one.xlsx", sheets)
    second = write_workbook(tmp_path / "two.xlsx", sheets)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as book:
        assert {info.date_time for info in book.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z</dcterms:modified>" in core
