"""OS grid references to British National Grid coordinates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

from geoplan.sources.osgb import grid_ref_to_xy, grid_refs_to_xy


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("SP 51259 05741", (451259.5, 205741.5)),  # Oxford
        ("sp5125905741", (451259.5, 205741.5)),
        ("NH 309623", (230950.0, 862350.0)),  # 100 m square
        ("TQ 30 80", (530500.0, 180500.0)),  # 1 km square
        ("SV 00000 00000", (0.5, 0.5)),  # false origin square
        ("HP 64 16", (464500.0, 1216500.0)),  # Shetland
        ("SU", (450000.0, 150000.0)),  # whole 100 km square
    ],
)
def test_known_references(ref, expected):
    assert grid_ref_to_xy(ref) == expected


@pytest.mark.parametrize("bad", ["SP 1234 567", "IA 123 456", "12345 67890", "SP 12345 6789X",
                                 "", "SP 123456789012"])
def test_bad_references(bad):
    with pytest.raises(ValueError, match="is not an OS grid reference"):
        grid_ref_to_xy(bad)


def test_oxford_reference_is_in_oxford_by_pyproj():
    to_lonlat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(*grid_ref_to_xy("SP 51259 05741"))
    assert lon == pytest.approx(-1.257, abs=0.01)
    assert lat == pytest.approx(51.75, abs=0.01)


@given(st.integers(0, 699_999), st.integers(0, 1_299_999))
def test_round_trip_from_coordinates(east, north):
    letters = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
    e100, n100 = east // 100_000, north // 100_000
    first = letters[(19 - n100) // 5 * 5 + (e100 + 10) // 5]
    second = letters[(19 - n100) * 5 % 25 + e100 % 5]
    ref = f"{first}{second} {east % 100_000:05d} {north % 100_000:05d}"
    assert grid_ref_to_xy(ref) == (east + 0.5, north + 0.5)


def test_many_with_blanks_and_bad():
    x, _, bad = grid_refs_to_xy(["SP 10 10", None, "", float("nan"), "junk"])
    assert x[0] == 410500.0
    assert np.isnan(x[1:]).all()
    assert bad == [4]


@pytest.mark.parametrize(
    ("place", "ref", "district"),
    [
        ("Carfax, Oxford", "SP 5129 0619", "E07000178"),
        ("Banbury Cross", "SP 4540 4040", "E07000177"),
        ("Witney Market Place", "SP 3570 0950", "E07000181"),
        ("Abingdon Market Place", "SU 4970 9710", "E07000180"),
        ("Henley-on-Thames Market Place", "SU 7600 8260", "E07000179"),
    ],
)
def test_grid_reference_lands_in_its_district(real_data, place, ref, district):
    import geopandas as gpd
    from shapely.geometry import Point

    from tests.conftest import real_file

    districts = gpd.read_file(real_file(real_data, "boundaries/oxon_districts.geojson"))
    districts = districts.to_crs("EPSG:27700")
    inside = districts[districts.contains(Point(grid_ref_to_xy(ref)))]
    assert inside["LAD13CD"].tolist() == [district], place


@pytest.mark.parametrize("ref", ["AA 00 00", "ZZ 10 10", "TZ 10 10"])
def test_squares_outside_the_grid(ref):
    with pytest.raises(ValueError, match="names a square outside the British National Grid"):
        grid_ref_to_xy(ref)
