"""Off-street parking weights of homes, per distinct value, against the per-home rule."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoplan.assumptions import read_assumptions
from geoplan.layers.ev import OFFSTREET_PARKING
from geoplan.sources.cells import normalise_header
from geoplan.workstreams.charger_demand import _home_points, _home_weights

PROPERTY_TYPES = ["house", "Flat", "flat", "maisonette", "Bungalow", "Park home", "NO DATA!",
                  "", None, np.nan, pd.NA, 3.0]
BUILT_FORMS = ["Detached", "Semi-Detached", "Mid-Terrace", "End-Terrace",
               "Enclosed Mid-Terrace", "semis", "Apartments", "unknown", "", None, np.nan, 7]


def _per_home_reference(homes: pd.DataFrame, parking: pd.DataFrame) -> np.ndarray:
    """The former rule, one home at a time: the first column whose text names a type."""
    lookup: dict[str, str] = {}
    for dwelling, aliases in zip(parking["dwelling_type"], parking["aliases"], strict=True):
        for name in [dwelling, *str(aliases).split(";")]:
            if name.strip():
                lookup.setdefault(normalise_header(name).replace("_", " "), dwelling)
    shares = dict(zip(parking["dwelling_type"], parking["share_no_offstreet"].astype(float),
                      strict=True))
    weights = []
    for row in homes[["property_type", "built_form"]].itertuples(index=False):
        kind = "other"
        for value in row:
            found = lookup.get(normalise_header(value).replace("_", " ")) if isinstance(
                value, str) else None
            if found is not None:
                kind = found
                break
        weights.append(shares[kind])
    return np.asarray(weights)


def test_weights_equal_the_per_home_rule_for_every_pair_of_values():
    parking = read_assumptions(OFFSTREET_PARKING)
    pairs = list(itertools.product(PROPERTY_TYPES, BUILT_FORMS))
    homes = pd.DataFrame(pairs * 2, columns=["property_type", "built_form"], dtype=object)
    got = _home_weights(homes, parking)
    np.testing.assert_array_equal(got, _per_home_reference(homes, parking))
    # hand checks: a flat is a flat whatever its form; a house takes its form's share
    shares = dict(zip(parking["dwelling_type"], parking["share_no_offstreet"], strict=True))
    assert got[pairs.index(("Flat", "Detached"))] == shares["flat"]
    assert got[pairs.index(("house", "Mid-Terrace"))] == shares["terraced"]
    assert got[pairs.index((None, None))] == shares["other"]
    text = homes.astype("string")  # as the buildings layer holds them: text or missing
    np.testing.assert_array_equal(_home_weights(text, parking),
                                  _per_home_reference(text.astype(object), parking))


def test_weights_with_one_column_or_none_and_no_homes():
    parking = read_assumptions(OFFSTREET_PARKING)
    shares = dict(zip(parking["dwelling_type"], parking["share_no_offstreet"], strict=True))
    only_form = pd.DataFrame({"built_form": ["Semi-Detached", None]})
    assert _home_weights(only_form, parking).tolist() == [shares["semi_detached"],
                                                          shares["other"]]
    assert _home_weights(pd.DataFrame({"x": [1, 2]}), parking).tolist() == [shares["other"]] * 2
    assert len(_home_weights(pd.DataFrame({"property_type": [], "built_form": []}), parking)) == 0


@pytest.mark.parametrize("cell_m", [None, 100.0])
def test_home_points_keep_every_zones_evs_with_homes_without_an_id(cell_m) -> None:
    # per home and per cell: a home without a building id is its own point (it was dropped
    # with its share of the zone's EVs when points were per home), negative coordinates are
    # cut into cells like any others, and a zone without homes gives no point here
    homes = gpd.GeoDataFrame(
        {"zone_id": ["Z1", "Z1", "Z1", "Z2", "Z2"],
         "building_id": ["b1", None, "no id, row 1", "b4", "b4"],
         "property_type": ["house", "flat", "house", "house", "flat"],
         "built_form": ["detached", "", "semi-detached", "mid-terrace", ""]},
        geometry=gpd.points_from_xy([-150.0, -20.0, 30.0, 500.0, 520.0],
                                    [10.0, 10.0, 10.0, -40.0, -60.0]), crs="EPSG:27700")
    demand = pd.Series({"Z1": 10.0, "Z2": 4.0, "Z3": 2.0})
    points = _home_points(homes, demand, read_assumptions(OFFSTREET_PARKING), cell_m)
    totals = points.groupby("zone_id")["evs"].sum()
    assert totals.to_dict() == pytest.approx({"Z1": 10.0, "Z2": 4.0})
    if cell_m is None:  # b4 twice is one point; the home without an id is one of its own,
        # named by its row, primed where a building id already has that name
        assert sorted(points["key"]) == ["b1", "b4", "no id, row 1", "no id, row 1'"]
    else:  # cells of 100 m: x -150 -> -2, -20 -> -1, 30 -> 0; y -40, -60 -> -1
        assert sorted(points["key"]) == ["-1-0", "-2-0", "0-0", "5--1"]
