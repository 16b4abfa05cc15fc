"""EVs within reach of the chosen charger sites, each counted once (planning/charger_reach)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geoplan.planning.charger_reach import reach_once
from geoplan.workstreams.charger_demand import ChargerDemand

# three demand points 400 m reach: p1 10 EVs at (0, 0), p2 5 at (1000, 0), p3 7 at (5000, 0)
DEMAND = ChargerDemand(gpd.GeoDataFrame(
    {"point_id": ["p1", "p2", "p3"], "demand": [10.0, 5.0, 7.0]},
    geometry=[Point(0, 0), Point(1000, 0), Point(5000, 0)], crs=27700), walk_distance_m=400.0)


def _sites(where: dict[str, tuple[float, float, float]]) -> gpd.GeoDataFrame:
    """Site -> (x, y, demand_covered)."""
    return gpd.GeoDataFrame({"site_id": list(where),
                             "demand_covered": [c for _, _, c in where.values()]},
                            geometry=[Point(x, y) for x, y, _ in where.values()], crs=27700)


def test_sites_sharing_a_demand_point_count_its_evs_once_and_say_so() -> None:
    # a and b (100 m from p1) both claim p1's 10 EVs; c claims p2's 5; p3 is out of reach
    found = reach_once(DEMAND, _sites({"a": (100, 0, 10.0), "b": (0, 100, 10.0),
                                       "c": (1100, 0, 5.0)}))
    assert (found.once, found.summed, found.sites) == (15.0, 25.0, 3)
    note = found.note()
    assert note is not None
    assert "add up to 25.0, but 15.0 distinct EVs" in note
    assert "1.67 times" in note  # 25 / 15


def test_sites_apart_add_up_and_need_no_note() -> None:
    found = reach_once(DEMAND, _sites({"a": (100, 0, 10.0), "c": (1100, 0, 5.0)}))
    assert (found.once, found.summed) == (15.0, 15.0)
    assert found.note() is None
    # a capacity-capped site claims less than its reach: still no repeat
    capped = reach_once(DEMAND, _sites({"a": (100, 0, 4.0), "c": (1100, 0, 5.0)}))
    assert capped.once == pytest.approx(15.0)
    assert capped.note() is None
    assert reach_once(DEMAND, _sites({})).once == 0.0


def test_shared_reach_counts_each_demand_point_once_from_the_models() -> None:
    # points of 10, 4 and 1 EVs; s1 reaches the 10, s2 the 10 and the 1, s3 the 4 and the 1
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from geoplan.planning.charger_reach import shared_reach

    pattern = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1], [0, 1, 1]], dtype=float))
    handle = SimpleNamespace(pattern=pattern, weights=np.array([10.0, 4.0, 1.0]))
    context = SimpleNamespace(table=pd.DataFrame({"candidate_id": ["s1", "s2", "s3"]}),
                              coverage={"evs": handle})
    once = shared_reach([SimpleNamespace(compiled=SimpleNamespace(context=context)),
                         SimpleNamespace(compiled=None)])
    assert once is not None
    assert (once(["s1"]), once(["s1", "s2"]), once(["s3"]), once(["s1", "s2", "s3"])) == (
        10.0, 11.0, 5.0, 15.0)
    assert once(["not-a-charger"]) == 0.0
    assert shared_reach([SimpleNamespace(compiled=None)]) is None
