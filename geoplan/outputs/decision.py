"""Decision support as a run writes it: CSV files, plan columns, the robust core layer, summary.

Figures come from :mod:`geoplan.planning.decision` (computed there); this module only shapes
them:

- ``replacement_cost.csv``, ``limit_values.csv``, ``portfolio.csv`` and
  ``candidate_frequency.csv``, each written when its analysis ran;
- the workstream layers of ``plan.gpkg`` gain ``replacement_cost``, ``portfolio_frequency``,
  ``robust_frequency`` and ``robust_core`` (:func:`with_decision_columns`);
- layer ``robust_core``: the chosen candidates in the robust core (:func:`robust_core_layer`),
  in ``plan.gpkg`` and as the map's layer "robust core" (:data:`MAP_LAYER`);
- the summary's ``decision_support`` section (:func:`decision_summary`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoplan.files.atomic import write_csv
from geoplan.planning.decision import DecisionSupport

__all__ = ["DECISION_FILES", "MAP_LAYER", "decision_summary", "robust_core_layer",
           "with_decision_columns", "write_decision"]

DECISION_FILES = {"replacement": "replacement_cost.csv", "limits": "limit_values.csv",
                  "portfolio": "portfolio.csv", "candidates": "candidate_frequency.csv"}
"""Frame of :class:`DecisionSupport` -> the file it is written to."""

MAP_LAYER = "robust core"
"""Name of the robust core's layer on the run's web map."""

_TOP_LINES = 5


def write_decision(found: DecisionSupport, folder: Path) -> list[Path]:
    """Write the analyses that ran; return the files written."""
    written = []
    for name, file in DECISION_FILES.items():
        frame: pd.DataFrame = getattr(found, name)
        if name == "candidates" and (frame.empty or frame[["portfolio_frequency",
                                                           "robust_frequency"]].isna().all()
                                     .all()):
            continue
        if len(frame):
            written.append(write_csv(frame, folder / file))
    return written


def with_decision_columns(tables: Mapping[str, pd.DataFrame], found: DecisionSupport | None
                          ) -> dict[str, pd.DataFrame]:
    """Each workstream's plan table with the decision support columns (by ``candidate_id``)."""
    if found is None or found.candidates.empty:
        return dict(tables)
    out = {}
    for name, table in tables.items():
        extra = found.columns_for(name)
        merged = table.merge(extra, on="candidate_id", how="left")
        merged["robust_core"] = merged["robust_core"].astype("boolean").fillna(False).astype(bool)
        out[name] = (gpd.GeoDataFrame(merged, geometry="geometry", crs=table.crs)
                     if isinstance(table, gpd.GeoDataFrame) else merged)
    return out


def robust_core_layer(tables: Mapping[str, pd.DataFrame]) -> gpd.GeoDataFrame | None:
    """Return the chosen candidates in the robust core (None: no robustness run)."""
    frames = [t.assign(workstream=name) for name, t in tables.items()
              if "robust_core" in t.columns and isinstance(t, gpd.GeoDataFrame)]
    if not frames or all(f["robust_frequency"].isna().all() for f in frames):
        return None
    keep = ["workstream", "candidate_id", "label", "rank", "selected", "cost_gbp",
            "tco2e_per_yr", "robust_frequency", "geometry"]
    core = [f.loc[f["robust_core"], [c for c in keep if c in f.columns]] for f in frames]
    layer = pd.concat(core, ignore_index=True)
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=frames[0].crs)


def decision_summary(found: DecisionSupport) -> dict[str, Any]:
    """Return the summary's ``decision_support`` section: statements, top replacements."""
    statements = list(found.notes)
    limits = found.limits
    if len(limits):
        ranked = limits.sort_values(["value", "constraint"], ascending=[False, True])
        for row in ranked.head(_TOP_LINES).itertuples():
            gain = ("not run (time limit)" if math.isnan(row.value)
                    else f"+{row.value + 0.0:,.4g} objective")
            dual = float(getattr(row, "lp_dual_value", math.nan))
            at_plan = ("" if math.isnan(dual)
                       else f"; LP dual at the plan, its choices held: {dual + 0.0:+,.4g}")
            statements.append(f"{row.unit} at {row.constraint}: {gain} ({row.method}, "
                              f"{row.status}{at_plan})")
    rows = []
    if len(found.replacement):
        ranked = found.replacement.sort_values(["replacement_cost", "candidate_id"],
                                               ascending=[False, True])
        rows = [{"candidate": r.candidate_id, "loss if removed": r.marginal_value,
                 "replacement cost": _shown(r.replacement_cost),
                 "at least": _shown(r.replacement_cost_low),
                 "re-solve": r.replacement_status}
                for r in ranked.head(_TOP_LINES).itertuples()]
    return {"statements": statements, "rows": rows}


def _shown(cost: float) -> float | str:
    """Return a replacement cost for the summary, in words where it is no number."""
    if math.isnan(cost):
        return "not run (time limit)"
    return cost if math.isfinite(cost) else "no plan without it"
