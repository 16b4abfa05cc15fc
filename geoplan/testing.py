"""Assertions for your own tests: a layer follows its canonical schema, a plan keeps its limits.

>>> import pandas as pd
>>> plan = pd.DataFrame({"candidate_id": ["a", "b"], "selected": [True, False],
...                      "cost_gbp": [60.0, 50.0], "group_id": ["z1", "z1"],
...                      "substation_id": ["p1", "p1"], "peak_kw_added": [80.0, 30.0]})
>>> assert_plan_feasible(plan, budget_gbp=100, headroom_kw={"p1": 100})
>>> assert_plan_feasible(plan, budget_gbp=50)
Traceback (most recent call last):
...
AssertionError: plan breaks its limits: chosen cost 60 is over the budget 50
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geoplan.errors import LayerSchemaError
from geoplan.schemas import (
    BUILDINGS,
    CANDIDATES,
    CHARGERS,
    DISTRICTS,
    EV_DEMAND,
    HEADROOM,
    LAND,
    SITES,
    SUBSTATIONS,
    ZONES,
    LayerSchema,
    validate_layer,
)

__all__ = ["SCHEMAS", "assert_layer_schema", "assert_plan_feasible"]

SCHEMAS: dict[str, LayerSchema] = {
    "zones": ZONES, "districts": DISTRICTS, "substations": SUBSTATIONS, "headroom": HEADROOM,
    "buildings": BUILDINGS, "ev_demand": EV_DEMAND, "chargers": CHARGERS, "sites": SITES,
    "land": LAND, "candidates": CANDIDATES,
}
"""Canonical schema of each layer name."""

_TOLERANCE = 1e-6


def assert_layer_schema(frame: pd.DataFrame, name: str) -> None:
    """Assert that ``frame`` follows the canonical schema of the layer ``name``.

    Raises
    ------
    AssertionError
        Listing every problem (missing or misordered columns, duplicate keys, values outside
        their allowed sets, a CRS other than EPSG:27700), or naming an unknown layer.
    """
    if name not in SCHEMAS:
        raise AssertionError(f"unknown layer {name!r}; one of {sorted(SCHEMAS)}")
    try:
        validate_layer(frame, SCHEMAS[name], name)
    except LayerSchemaError as error:
        raise AssertionError(str(error)) from None


def assert_plan_feasible(plan: pd.DataFrame, *, budget_gbp: float | None = None,
                         headroom_kw: Mapping[str, float] | None = None) -> None:
    """Assert that the chosen rows of a plan table keep its budget, groups and headroom.

    Parameters
    ----------
    plan : pandas.DataFrame
        A plan table (``selected``, ``cost_gbp``; ``group_id`` for options that exclude each
        other; ``substation_id`` and ``peak_kw_added`` for grid load), e.g. ``Plan.table``
        or a workstream layer of ``plan.gpkg``.
    budget_gbp : float, optional
        Most the chosen rows may cost.
    headroom_kw : Mapping[str, float], optional
        Most load the chosen rows may add at each substation (its own load only; no parents).

    Raises
    ------
    AssertionError
        Naming every limit broken and by how much.
    """
    chosen = plan[plan["selected"].astype(bool).to_numpy()]
    broken = []
    cost = float(chosen["cost_gbp"].sum())
    if budget_gbp is not None and cost > budget_gbp + _TOLERANCE * max(1.0, budget_gbp):
        broken.append(f"chosen cost {cost:g} is over the budget {budget_gbp:g}")
    if "group_id" in chosen.columns:
        groups = chosen["group_id"].dropna()
        twice = sorted(groups[groups.duplicated()].astype(str).unique())
        if twice:
            broken.append(f"more than one option chosen in groups {twice}")
    if headroom_kw is not None:
        load = chosen.groupby(chosen["substation_id"].astype(str))["peak_kw_added"].sum()
        for substation, added in load.items():
            limit = headroom_kw.get(str(substation))
            if limit is not None and added > limit + _TOLERANCE * max(1.0, abs(limit)):
                broken.append(f"{added:g} kW added at {substation}, over its {limit:g} kW")
    if broken:
        raise AssertionError("plan breaks its limits: " + "; ".join(broken))
