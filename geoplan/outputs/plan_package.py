"""Read a plan GeoPackage (or any export of one) into workstream plans and context layers.

``geoplan map`` and ``geoplan report`` both start here: :func:`read_plan_package` sorts the
layers :func:`geoplan.outputs.export.read_plan` gives back into the plans (spatial layers
with ``rank`` and ``selected``) and the context (:data:`CONTEXT_LAYERS`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoplan.errors import SourceNotFoundError
from geoplan.outputs.export import read_plan
from geoplan.outputs.run_settings import RUN_SETTINGS

__all__ = ["CONTEXT_LAYERS", "read_plan_package"]

CONTEXT_LAYERS = ("zones", "districts", "substations", "headroom", "grid_evidence",
                  "existing_chargers", RUN_SETTINGS)
"""Layers of a plan GeoPackage that are context, not a workstream's plan."""


def read_plan_package(path: Path) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, pd.DataFrame]]:
    """Read a plan GeoPackage: workstream plans and the context layers present.

    A workstream plan is any other spatial layer with ``rank`` and ``selected`` columns.

    Returns
    -------
    (dict, dict)
        Plans by layer name (file order) and context layers by name.

    Raises
    ------
    SourceNotFoundError
        The file is missing or holds no plan layer.
    """
    if not path.is_file():
        raise SourceNotFoundError(f"{path}: no such file (give the plan.gpkg a run wrote)")
    plans: dict[str, gpd.GeoDataFrame] = {}
    context: dict[str, pd.DataFrame] = {}
    # read_plan puts a layer split by geometry type (chargers_points, chargers_areas) together
    for name, frame in read_plan(path).items():
        spatial = isinstance(frame, gpd.GeoDataFrame)
        if name in CONTEXT_LAYERS:
            context[name] = frame
            continue
        if not spatial:
            continue
        if {"rank", "selected"} <= set(frame.columns):
            plans[name] = frame
    if not plans:
        raise SourceNotFoundError(
            f"{path.name}: no plan layer (a spatial layer with columns 'rank' and 'selected'); "
            f"layers: {[n for n, _ in pyogrio.list_layers(path)]}")
    return plans, context
