"""Map features and layer descriptions copy the frame's reports once, not per row or column."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from shapely.geometry import Point

from geoplan.outputs.fields import describe
from geoplan.outputs.map_layers import feature_collection


class _Tally:
    """A report that counts how often it is deep-copied."""

    copies = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> _Tally:
        _Tally.copies += 1
        return self


def test_feature_collection_does_not_copy_the_reports_once_per_row() -> None:
    frame = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(20)]},
                             geometry=[Point(450_000 + 100 * i, 200_000) for i in range(20)],
                             crs="EPSG:27700")
    frame.attrs["report"] = _Tally()
    _Tally.copies = 0
    data = feature_collection(frame, lambda row: {"id": row["id"]}, simplify_m=0, what="t")
    assert [f["properties"]["id"] for f in data["features"]] == [f"s{i}" for i in range(20)]
    assert data["features"][0]["geometry"]["type"] == "Point"
    assert _Tally.copies < 10  # a few for the frame; 24 when each row's Series copied them
    assert isinstance(frame.attrs["report"], _Tally)  # the caller's frame keeps its reports


def test_describe_lists_each_column_dtype_without_copying_the_reports_per_column() -> None:
    columns = {f"n{i}": [i, i + 1] for i in range(12)}
    frame = gpd.GeoDataFrame({**columns, "share": [0.5, 1.0], "name": ["a", "b"]},
                             geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:27700")
    frame.attrs["report"] = _Tally()
    _Tally.copies = 0
    described = describe(frame)
    assert described["fields"] == [*([f"n{i}", "int64"] for i in range(12)),
                                   ["share", "float64"], ["name", str(frame["name"].dtype)],
                                   ["geometry", "geometry"]]
    assert described["geometry_types"] == ["Point"]
    assert _Tally.copies < 6  # 12 or more when each column was taken out of the frame
