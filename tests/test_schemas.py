"""Canonical schema checks list every problem at once."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from shapely.geometry import Point

from geoplan.errors import GeoplanError, LayerSchemaError
from geoplan.schemas import HEADROOM, SUBSTATIONS, validate_layer


def _subs(**changes):
    frame = gpd.GeoDataFrame(
        {"substation_id": ["g", "p"], "name": ["G", "P"], "level": ["gsp", "primary"],
         "parent_id": [None, "g"], "firm_capacity_mva": [90.0, 20.0],
         "peak_demand_mva": [50.0, 12.0]},
        geometry=[None, Point(450000, 206000)], crs="EPSG:27700")
    for key, value in changes.items():
        frame[key] = value
    return frame


def test_good_layer_passes():
    validate_layer(_subs(), SUBSTATIONS)


def test_every_problem_listed():
    bad = _subs(level=["gsp", "tower"], parent_id=[None, "nowhere"]).to_crs("EPSG:4326")
    with pytest.raises(LayerSchemaError) as info:
        validate_layer(bad, SUBSTATIONS, "grid.gpkg")
    text = str(info.value)
    assert text.startswith("3 problems in grid.gpkg:")
    assert "values ['tower'] are not allowed" in text
    assert "parents ['nowhere']" in text
    assert "CRS is EPSG:4326, expected EPSG:27700" in text
    assert isinstance(info.value, GeoplanError)
    assert isinstance(info.value, ValueError)


def test_missing_column_and_duplicate_key():
    with pytest.raises(LayerSchemaError, match="'peak_demand_mva': canonical column is missing"):
        validate_layer(_subs().drop(columns="peak_demand_mva"), SUBSTATIONS)
    head = pd.DataFrame({"substation_id": ["a", "a"], "scenario": ["CT", "CT"],
                         "year": pd.array([2030, 2030], dtype="Int64"),
                         "season": ["winter", "winter"], "headroom_mva": [1.0, 2.0]})
    with pytest.raises(LayerSchemaError, match="2 rows share a key"):
        validate_layer(head, HEADROOM)


def test_duplicate_keys_are_found_on_codes_as_pandas_finds_them():
    # headroom's key is four columns; a missing year equals another missing year (a row
    # without a year repeated is a duplicate), 2030 in another season is not
    from geoplan.schemas import _duplicated

    head = pd.DataFrame({
        "substation_id": pd.array(["a", "a", "b", "b", "b", "c", None, None], dtype="str"),
        "scenario": ["CT"] * 8,
        "year": pd.array([2030, 2030, None, None, 2030, 2030, 2030, 2030], dtype="Int64"),
        "season": ["winter", "summer", "winter", "winter", "winter", "winter", "winter",
                   "winter"],
        "headroom_mva": [1.0] * 8}, index=range(10, 18))
    key = ["substation_id", "scenario", "year", "season"]
    found = _duplicated(head, key)
    pd.testing.assert_series_equal(found, head.duplicated(subset=key, keep=False))
    assert found.tolist() == [False, False, True, True, False, False, True, True]
    assert not _duplicated(head, []).any()


def test_a_one_column_key_is_checked_as_pandas_checks_one_column():
    # pandas' one-column route: None and NaN in an object column are different keys (a
    # reviewer's finding: counted on codes they were one, and a duplicate was reported)
    from geoplan.schemas import _duplicated

    frame = pd.DataFrame({"k": pd.Series([None, np.nan, "a", "a", "b"], dtype=object)})
    found = _duplicated(frame, ["k"])
    pd.testing.assert_series_equal(found, frame.duplicated(subset=["k"], keep=False))
    assert found.tolist() == [False, False, True, True, False]


@pytest.mark.parametrize(("values", "dtype"), [
    ([None, np.nan, "a"], object), ([None, None, "a"], object), (["a", None, None], "str"),
    (["a", None, "b"], "str"), ([1.0, np.nan, np.nan], float), ([3, 1, 2], "int64"),
    (["b", "a", "b"], "str"), (["a", "b", "c"], "str"), (["a", "a", "b"], "str"),
    (["a", "b", "b"], "str"), (["a", "b", None], "str"), (["a", "ab", "b"], "str"),
    (["c", "b", "a"], "str")])
def test_a_one_column_key_unique_or_not_is_found_as_pandas_finds_it(values, dtype):
    # unique keys take a faster route (is_unique); missing values still count as values
    from geoplan.schemas import _duplicated

    frame = pd.DataFrame({"k": pd.Series(values, dtype=dtype)}, index=[7, 3, 5])
    pd.testing.assert_series_equal(_duplicated(frame, ["k"]),
                                   frame.duplicated(subset=["k"], keep=False))


def test_sorted_text_keys_are_unique_only_when_each_follows_the_one_before():
    # the sorted route (one pass of comparisons) answers only for strictly increasing text
    # without gaps, in one chunk of Arrow memory or several
    from geoplan.schemas import _increasing_text

    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["a", "b"], ["c"]])))
    assert _increasing_text(chunked)
    repeated = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["a", "b"], ["b"]])))
    assert not _increasing_text(repeated)
    assert not _increasing_text(pd.Series(["a", "b", None], dtype="str"))
    assert not _increasing_text(pd.Series(["a", "b"], dtype=object))
    assert _increasing_text(pd.Series(["uprn:1", "uprn:10", "uprn:2"], dtype="str"))


def test_a_repeated_key_column_name_is_checked_as_before():
    # two columns named "k": frame["k"] is a frame, which has no is_unique; pandas' own
    # duplicated of that frame, as before the faster route
    from geoplan.schemas import _duplicated

    frame = pd.DataFrame([["a", "x"], ["a", "x"], ["b", "y"]], columns=["k", "k"])
    pd.testing.assert_series_equal(_duplicated(frame, ["k"]),
                                   frame["k"].duplicated(keep=False).rename(None))
