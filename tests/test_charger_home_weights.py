"""Off-street parking weights of homes, per distinct value, against the per-home rule."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from geoplan.assumptions import read_assumptions
from geoplan.layers.ev import OFFSTREET_PARKING
from geoplan.sources.cells import normalise_header
from geoplan.workstreams.charger_demand import _home_weights

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
