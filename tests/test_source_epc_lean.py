"""EPC reading file by file, deduplicating on key columns: the same homes as before.

The reference is the former whole-frame rule (kept here): sort every certificate by home,
date and key, give each home the last postcode found, keep its last certificate.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from geoplan.errors import SourceFormatError
from geoplan.sources.epc import (
    EPC_COLUMNS,
    _deduplicate,
    _halfway,
    _read_normalised,
    read_epc_certificates,
)
from tests.test_source_epc import certificate, write_certificates


def _reference(frame: pd.DataFrame) -> pd.DataFrame:
    """The former whole-frame deduplication."""
    known = frame.dropna(subset=["uprn", "_brn"]).sort_values(["_brn", "uprn"])
    by_brn = known.drop_duplicates("_brn").set_index("_brn")["uprn"]
    uprn = frame["uprn"].fillna(frame["_brn"].map(by_brn).astype("str"))
    building_id = ("uprn:" + uprn).fillna("brn:" + frame["_brn"]).fillna("lmk:" + frame["lmk_key"])
    fallback = "row:" + pd.Series(frame.index.astype(str), index=frame.index)
    frame = frame.assign(building_id=building_id.fillna(fallback), uprn=uprn)
    frame["certificates"] = frame.groupby("building_id")["building_id"].transform("size")
    order = frame.sort_values(["building_id", "lodgement_date", "lmk_key"], kind="stable",
                              na_position="first")
    frame["postcode"] = order.groupby("building_id")["postcode"].transform("last")
    latest = frame.loc[order.index].drop_duplicates("building_id", keep="last")
    return latest[list(EPC_COLUMNS)].sort_values("building_id").reset_index(drop=True)


def _two_files(tmp_path: Path) -> list[Path]:
    first = [
        certificate(LMK_KEY="1", UPRN="11", BUILDING_REFERENCE_NUMBER="501",
                    LODGEMENT_DATETIME="2015-01-01 00:00:00", POSTCODE="OX1 1AA"),
        certificate(LMK_KEY="2", UPRN="", BUILDING_REFERENCE_NUMBER="502",  # no UPRN anywhere
                    LODGEMENT_DATETIME="2016-01-01 00:00:00", TENURE="NO DATA!"),
        certificate(LMK_KEY="3", UPRN="", BUILDING_REFERENCE_NUMBER="",  # only its key
                    LODGEMENT_DATETIME="2017-01-01 00:00:00"),
        certificate(LMK_KEY="", UPRN="", BUILDING_REFERENCE_NUMBER=""),  # nothing: row number
        certificate(LMK_KEY="5", UPRN="15", BUILDING_REFERENCE_NUMBER="505",
                    CURRENT_ENERGY_EFFICIENCY="900"),  # implausible: dropped
    ]
    second = [
        certificate(LMK_KEY="6", UPRN="", BUILDING_REFERENCE_NUMBER="501",  # UPRN 11 by BRN
                    LODGEMENT_DATETIME="2020-01-01 00:00:00", POSTCODE=""),
        certificate(LMK_KEY="7", UPRN="", BUILDING_REFERENCE_NUMBER="502",  # same date: key 7
                    LODGEMENT_DATETIME="2016-01-01 00:00:00", TENURE="NO DATA!"),
        certificate(LMK_KEY="", UPRN="", BUILDING_REFERENCE_NUMBER=""),
        certificate(LMK_KEY="9", UPRN="19", LODGEMENT_DATETIME="", LODGEMENT_DATE=""),
        certificate(LMK_KEY="10", UPRN="19", LODGEMENT_DATETIME="2001-01-01 00:00:00"),
    ]
    return [write_certificates(tmp_path / "a" / "certificates.csv", first),
            write_certificates(tmp_path / "b" / "certificates.csv", second)]


def test_file_by_file_reading_keeps_the_homes_of_the_whole_frame_rule(tmp_path):
    files = _two_files(tmp_path)
    records = read_epc_certificates(tmp_path)
    parts, first = [], 0
    for path in files:
        read = _read_normalised(path, f"{path.parent.name}/{path.name}")
        parts.append(read.part.set_axis(read.part.index + first))  # numbered across files
        first += read.rows
    expected = _reference(pd.concat(parts))
    pd.testing.assert_frame_equal(records.frame, expected, check_exact=True)
    pd.testing.assert_frame_equal(_deduplicate(pd.concat(parts)), expected, check_exact=True)
    # by hand: 10 rows, one implausible; homes uprn:11 (2), uprn:19 (2), brn:502 (2),
    # lmk:3, and the rows without any key (row 3 of file a, row 7 overall of file b)
    assert records.rows_read == 10
    assert records.implausible == {"CURRENT_ENERGY_EFFICIENCY": 1}
    assert records.duplicates_dropped == 3
    assert records.sentinels["TENURE"] == 2  # one in each file, added up
    home = records.frame.set_index("building_id")
    assert sorted(home.index) == ["brn:502", "lmk:3", "row:3", "row:7", "uprn:11", "uprn:19"]
    assert home.loc["uprn:11", "lmk_key"] == "6"
    assert home.loc["uprn:11", "postcode"] == "OX1 1AA"  # the earlier certificate's
    assert home.loc["uprn:11", "source_file"] == "b/certificates.csv"
    assert home.loc["brn:502", "lmk_key"] == "7"
    assert home.loc["uprn:19", "lmk_key"] == "10"  # a date beats a missing one
    assert home["certificates"].to_dict() == {"brn:502": 2, "lmk:3": 1, "row:3": 1,
                                              "row:7": 1, "uprn:11": 2, "uprn:19": 2}



def _cell_by_cell(text: pd.Series) -> tuple[list[float], dict[str, int], list[int]]:
    """EPC number rules applied to each cell on its own (the reference for distinct reading)."""
    from geoplan.sources.epc_numbers import number

    values, invalid, ranged = [], {}, []
    for position, (label, cell) in enumerate(text.items()):
        implausible: dict = {}
        one = pd.Series([cell], index=[label], name=text.name, dtype=text.dtype)
        values.append(float(number(one, invalid, implausible).iloc[0]))
        if any(marked.any() for marked in implausible.values()):
            ranged.append(position)
    return values, invalid, ranged


def test_the_later_files_read_in_a_child_give_the_records_of_reading_in_turn(tmp_path,
                                                                              monkeypatch):
    # three files: the first read here, the other two in a forked child (their bytes split
    # most evenly so); the homes, row numbers and every count as when read one by one
    files = _two_files(tmp_path)
    files.append(write_certificates(tmp_path / "c" / "certificates.csv", [
        certificate(LMK_KEY="", UPRN="", BUILDING_REFERENCE_NUMBER=""),  # row number 10
        certificate(LMK_KEY="12", UPRN="21", BUILT_FORM="NO DATA!",
                    TOTAL_FLOOR_AREA="-5")]))  # a marker and an implausible area
    assert _halfway(files) == 1
    forked = read_epc_certificates(tmp_path)
    monkeypatch.setenv("GEOPLAN_FORK", "0")
    threads: list[str] = []  # in turn: no thread beside either (the deduplication's takes)
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start",
                        lambda self: (threads.append(self.name), start(self))[-1])
    in_turn = read_epc_certificates(tmp_path)
    assert threads == []
    pd.testing.assert_frame_equal(forked.frame, in_turn.frame, check_exact=True)
    assert "row:10" in set(forked.frame["building_id"])
    assert (forked.rows_read, forked.duplicates_dropped) == (in_turn.rows_read,
                                                             in_turn.duplicates_dropped)
    for name in ("files", "sentinels", "invalid", "encodings", "implausible"):
        assert getattr(forked, name) == getattr(in_turn, name), name
        assert list(getattr(forked, name)) == list(getattr(in_turn, name)), name  # order too
    assert forked.rows_read == 12
    assert forked.implausible == {"CURRENT_ENERGY_EFFICIENCY": 1, "TOTAL_FLOOR_AREA": 1}


def test_a_bad_file_read_in_the_child_is_named_as_in_turn(tmp_path):
    files = _two_files(tmp_path)
    files[1].write_text(files[1].read_text(encoding="utf-8").splitlines()[0] + "\n",
                        encoding="utf-8")  # a header and no certificates
    with pytest.raises(SourceFormatError, match=r"b/certificates\.csv.*no rows"):
        read_epc_certificates(tmp_path)


def test_numbers_read_once_per_distinct_text_match_cell_by_cell_reading():
    import numpy as np

    from geoplan.sources.epc_numbers import number

    # 12 homes, 5 distinct texts: 0 (missing for floor areas), 9000 (above any floor area),
    # "abc" (unreadable), 85.5 and 62; two cells missing.
    cells = ["85.5", "0", "62", "85.5", None, "9000", "abc", "62", "0", "85.5", None, "9000"]
    text = pd.Series(cells, index=range(100, 112), name="TOTAL_FLOOR_AREA", dtype="str")
    invalid: dict[str, int] = {}
    implausible: dict[str, np.ndarray] = {}
    values = number(text, invalid, implausible)
    expected, expected_invalid, ranged = _cell_by_cell(text)
    np.testing.assert_array_equal(values.to_numpy(), expected)
    assert list(values.index) == list(text.index)
    assert invalid == expected_invalid == {"TOTAL_FLOOR_AREA": 3}  # two 0s and "abc"
    assert list(np.flatnonzero(implausible["TOTAL_FLOOR_AREA"])) == ranged == [5, 11]
    assert values.iloc[0] == 85.5
    assert np.isnan(values.iloc[4])


def test_thousands_separators_are_judged_on_every_cell_not_the_distinct_texts():
    import numpy as np

    from geoplan.sources.epc_numbers import number
    from geoplan.sources.numbers import all_plain

    # "1,200" twice is a consistent thousands separator (two cells); once per distinct text
    # it would be one cell only, which the rules do not trust.
    text = pd.Series(["1,200", "1,200", "350"] * 3, name="ENERGY_CONSUMPTION_CURRENT",
                     dtype="str")
    assert not all_plain(pd.Series(["1,200", "350"], dtype="str"))
    assert all_plain(pd.Series(["12.5", " 350 ", "-3", "n/a", None], dtype="str"))
    values = number(text, {}, {})
    np.testing.assert_array_equal(values.to_numpy(), [1200.0, 1200.0, 350.0] * 3)


def test_description_rules_read_once_per_distinct_text_match_every_cell():
    from geoplan.distinct import each_distinct
    from geoplan.sources import epc

    walls = ["Cavity wall, filled cavity", "Solid brick, as built, no insulation (assumed)",
             None, "Cavity wall, filled cavity", "NO DATA!", "Timber frame, with insulation"]
    text = pd.Series(walls * 3, index=range(50, 68), dtype="str")
    for read, args in [(epc._classify, (epc._WALL_RULES, "other", "unknown")),
                       (epc._flag, (r"insulat|filled cavity", r"no insulation")),
                       (epc._roof_mm, ()), (epc._age_band, ()), (epc._storage, ()),
                       (epc._tenure, ()), (epc.fuel_from_text, ())]:
        pd.testing.assert_series_equal(each_distinct(text, read, *args), read(text, *args),
                                       check_names=False)


def test_clean_strips_and_drops_blanks_and_markers_keeping_the_rows_labels():
    from geoplan.sources.epc import _clean

    text = pd.Series([" Flat ", "", "   ", "No Data!", None, "n/a", "\tINVALID\n", "N/A x"],
                     index=range(90, 98), dtype="str", name="PROPERTY_TYPE")
    sentinels = {"PROPERTY_TYPE": 1}
    cleaned = _clean(text, sentinels)
    assert cleaned.index.tolist() == list(range(90, 98))
    assert cleaned.name == "PROPERTY_TYPE"
    assert cleaned.dtype == text.dtype
    assert [None if pd.isna(v) else v for v in cleaned] == [
        "Flat", None, None, None, None, None, None, "N/A x"]
    assert sentinels == {"PROPERTY_TYPE": 4}  # No Data!, n/a, INVALID added to the 1 before
