"""Rules worked out once per distinct value give the column the rule gives on every cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.distinct import each_distinct, map_distinct

FUELS = ["mains gas", "electricity", None, "oil", "mains gas", "heat pump", "mains gas"]


def _columns() -> list[pd.Series]:
    """Repeating columns of the dtypes homes carry, with missing cells and a shuffled index."""
    rng = np.random.default_rng(7)
    index = rng.permutation(np.arange(100, 100 + 3 * len(FUELS)))
    text = pd.Series(FUELS * 3, index=index, dtype="str", name="heating_system")
    return [text, text.astype(object),
            pd.Series([True, False, None, True, True, None, False] * 3, index=index,
                      dtype="boolean", name="storage_heaters"),
            pd.Series([1.5, np.nan, 2.0, 1.5, 3.0, 2.0, np.nan] * 3, index=index),
            pd.Series([3, 1, 3, 2, 1, 3, 3] * 3, index=index, dtype="int64")]


@pytest.mark.parametrize("column", _columns(), ids=lambda c: str(c.dtype))
def test_map_distinct_equals_map_on_every_cell(column: pd.Series) -> None:
    mapping = {value: float(i) for i, value in enumerate(column.dropna().unique()[:-1])}
    pd.testing.assert_series_equal(map_distinct(column, mapping), column.map(mapping))


@pytest.mark.parametrize("column", _columns(), ids=lambda c: str(c.dtype))
def test_each_distinct_equals_the_rule_on_every_cell(column: pd.Series) -> None:
    def rule(values: pd.Series, suffix: str) -> pd.Series:
        return values.astype(object).fillna("unknown").astype(str) + suffix

    pd.testing.assert_series_equal(each_distinct(column, rule, "!"), rule(column, "!"))


def test_the_rule_sees_each_distinct_value_once_missing_cells_as_one() -> None:
    seen: list[int] = []

    def rule(values: pd.Series) -> pd.Series:
        seen.append(len(values))
        return values.str.len()

    column = pd.Series(FUELS * 10, dtype="str")
    out = each_distinct(column, rule)
    assert seen == [5]  # mains gas, electricity, oil, heat pump and the missing cell
    pd.testing.assert_series_equal(out, column.str.len())
    no_missing = column.dropna()
    each_distinct(no_missing, rule)
    assert seen == [5, 4]


def test_mostly_distinct_columns_and_empty_columns_go_to_the_rule_whole() -> None:
    seen: list[int] = []

    def rule(values: pd.Series) -> pd.Series:
        seen.append(len(values))
        return values.str.upper()

    ids = pd.Series([f"uprn:{i}" for i in range(9)] + ["uprn:0"], dtype="str")
    pd.testing.assert_series_equal(each_distinct(ids, rule), ids.str.upper())
    empty = pd.Series([], dtype="str")
    pd.testing.assert_series_equal(each_distinct(empty, rule), empty.str.upper())
    assert seen == [10, 0]


def test_a_series_mapping_keeps_its_dtype() -> None:
    by_zone = pd.Series(["P1", "P2"], index=["Z1", "Z2"], dtype="str")
    zones = pd.Series(["Z1", "Z2", None, "Z3", "Z1", "Z1", "Z2", "Z2"], dtype="str")
    pd.testing.assert_series_equal(map_distinct(zones, by_zone), zones.map(by_zone))
    assert map_distinct(zones, by_zone).dtype == by_zone.dtype
