"""Atomic, non-clobbering, deterministic file output."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, Polygon

from geoplan.errors import OutputExistsError
from geoplan.files.atomic import atomic_path
from geoplan.outputs import write_geopackage


def _layers():
    points = gpd.GeoDataFrame({"id": ["a", "b"], "ok": pd.array([True, None], dtype="boolean")},
                              geometry=[Point(1, 2), None], crs="EPSG:27700")
    shapes = gpd.GeoDataFrame({"id": ["p"]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)])],
                              crs="EPSG:27700")
    return {"points": points, "shapes": shapes, "table": pd.DataFrame({"v": [1.5, 2.5]})}


def test_writes_spatial_and_table_layers(tmp_path):
    path = write_geopackage(_layers(), tmp_path / "sub" / "out.gpkg")
    assert dict(pyogrio.list_layers(path)) == {"points": "Point", "shapes": "MultiPolygon",
                                               "table": None}
    points = gpd.read_file(path, layer="points")
    assert points.geometry.isna().tolist() == [False, True]
    assert pyogrio.read_dataframe(path, layer="table")["v"].tolist() == [1.5, 2.5]


def test_refuses_to_overwrite_then_replaces_when_asked(tmp_path):
    path = tmp_path / "out.gpkg"
    path.write_text("keep me")
    with pytest.raises(OutputExistsError, match="already exists; pass --overwrite"):
        write_geopackage(_layers(), path)
    assert path.read_text() == "keep me"
    write_geopackage(_layers(), path, overwrite=True)
    assert "points" in dict(pyogrio.list_layers(path))


def test_failure_leaves_nothing_behind(tmp_path):
    path = tmp_path / "out.gpkg"
    def fail_halfway() -> None:
        with atomic_path(path) as temporary:
            temporary.write_text("half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_halfway()
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "out.gpkg"
    write_geopackage(_layers(), path)
    before = path.read_bytes()
    broken = {"points": _layers()["points"], "bad": "not a frame"}
    with pytest.raises(ValueError, match="DataFrame constructor not properly called"):
        write_geopackage(broken, path, overwrite=True)  # type: ignore[dict-item]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]


def test_byte_identical_reruns(tmp_path):
    digests = {hashlib.sha256(write_geopackage(_layers(), tmp_path / f"{i}.gpkg").read_bytes())
               .hexdigest() for i in range(2)}
    assert len(digests) == 1
