"""Grid evidence as a run writes it: plan.gpkg layer, CSV and the summary's plain words.

Figures come from :mod:`geoplan.planning.grid_evidence` (computed there); this module only
shapes them: :func:`evidence_layer` puts each substation's point on its rows,
:func:`write_evidence_csv` writes ``grid_evidence.csv`` beside ``plan.gpkg``, and
:func:`evidence_summary` gives the summary's ``grid_evidence`` section: one sentence per
substation that blocks the most kW ("WITNEY (bsp) blocks 5,720 kW ... in 2050, worth ...
tCO2e/yr; unlocking needs 21.7 MVA, about £3,600,000; the same kW from flexibility would
cost about £... a year") and a table of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.files.atomic import write_csv
from geoplan.planning.grid_evidence import ALL, GridEvidence

__all__ = ["EVIDENCE_TOP", "evidence_layer", "evidence_summary", "write_evidence_csv"]

EVIDENCE_TOP = 10
"""Substations the summary names (those blocking the most kW); all are in the layer and CSV."""


def evidence_layer(evidence: GridEvidence, substations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the evidence table (long: substation, year, workstream) with substation points."""
    points = substations[["substation_id", "geometry"]].assign(
        substation_id=substations["substation_id"].astype(str)).drop_duplicates("substation_id")
    table = evidence.table.merge(points, on="substation_id", how="left")
    return gpd.GeoDataFrame(table, geometry="geometry", crs=substations.crs)


def write_evidence_csv(evidence: GridEvidence, path: str | Path) -> Path:
    """Write the evidence table to ``path`` (one row per substation, year, workstream)."""
    return write_csv(evidence.table, path)


def _kw(value: float) -> str:
    return f"{value:,.0f} kW"


def _worst(totals: pd.DataFrame) -> pd.DataFrame:
    """Per blocking substation, the year it blocks the most kW (earliest on ties)."""
    rows = totals[totals["blocked_units"] > 0].sort_values(
        ["substation_id", "blocked_kw", "year"], ascending=[True, False, True], kind="stable")
    worst = rows.drop_duplicates("substation_id")
    first = rows.groupby("substation_id")["year"].min().rename("first_year")
    worst = worst.join(first, on="substation_id")
    return worst.sort_values(["blocked_kw", "substation_id"], ascending=[False, True],
                             kind="stable")


def _split(table: pd.DataFrame, sub: str, year: int) -> str:
    rows = table[(table["substation_id"] == sub) & (table["year"] == year)
                 & (table["workstream"] != ALL) & (table["blocked_kw"] > 0)]
    return ", ".join(f"{ws} {_kw(kw)}" for ws, kw in
                     zip(rows["workstream"], rows["blocked_kw"], strict=True))


def _sentence(row: Mapping[str, Any], table: pd.DataFrame) -> str:
    name = row["name"] or row["substation_id"]
    year = int(row["year"])
    words = (f"{name} ({row['level']}) blocks {_kw(row['blocked_kw'])} of load-adding "
             f"candidates in {year} ({_split(table, row['substation_id'], year)}; "
             f"{int(row['blocked_units'])} zones or sites, {int(row['blocked_options'])} "
             f"options), worth {row['blocked_tco2e_per_yr']:,.1f} tCO2e/yr; headroom there is "
             f"{_kw(row['headroom_kw'])}")
    if int(row["first_year"]) < year:
        words += f", and it blocks from {int(row['first_year'])}"
    if np.isfinite(row["reinforcement_gbp"]):
        words += (f"; unlocking needs {row['unlock_mva']:,.1f} MVA, about "
                  f"£{row['reinforcement_gbp']:,.0f} "
                  f"({int(row['reinforcement_options'])} reinforcement option(s) at the "
                  "grid_reinforcement assumption's cost, indicative)")
        ready = row["reinforcement_ready_year"]
        if np.isfinite(ready):
            words += f", ready from {int(ready)}"
    else:
        words += (f"; unlocking needs {row['unlock_mva']:,.1f} MVA (no reinforcement cost "
                  f"for level {row['level']!r} in grid_reinforcement)")
    words += _flexibility_words(row)
    if row.get("value_evaluated"):
        words += (f"; {row['value_step_kw']:,.0f} kW more headroom there changes the plan's "
                  f"carbon by {row['value_tco2e_per_yr_per_kw']:+,.3f} tCO2e/yr per kW "
                  f"(re-solve: {row['value_added_kw']:,.1f} kW more added)")
    return words + "."


def _flexibility_words(row: Mapping[str, Any]) -> str:
    """Return the cost of flexibility beside reinforcement ("" when it is not priced)."""
    yearly = float(row.get("unlock_flexibility_gbp_per_yr", np.nan))
    if not np.isfinite(yearly) or yearly <= 0:
        return ""
    per_kw = yearly / float(row["unlock_kw"])
    words = (f"; the same {_kw(row['unlock_kw'])} from flexibility would cost about "
             f"£{yearly:,.0f} a year (£{per_kw:,.2f} per kW a year at the grid_flexibility "
             "price, indicative)")
    years = float(row.get("flexibility_breakeven_years", np.nan))
    if np.isfinite(years):
        words += f", as much as reinforcement after {years:,.1f} years"
    need = float(row.get("flexibility_gbp_per_yr", np.nan))
    if np.isfinite(need) and need > 0:
        words += (f"; until reinforcement is ready flexibility must carry "
                  f"{_kw(row['flexibility_kw'])}, about £{need:,.0f} a year")
    return words


_COLUMNS = ("substation_id", "name", "level", "year", "first_year", "headroom_kw",
            "wanted_kw", "added_kw", "blocked_kw", "blocked_units", "blocked_options",
            "blocked_before_model_units", "blocked_tco2e_per_yr", "unlock_mva",
            "reinforcement_gbp", "reinforcement_ready_year", "flexibility_kw",
            "flexibility_gbp_per_yr", "unlock_flexibility_gbp_per_yr",
            "flexibility_breakeven_years", "value_tco2e_per_yr_per_kw",
            "value_status")


def evidence_summary(evidence: GridEvidence, top: int = EVIDENCE_TOP) -> dict[str, Any]:
    """Return the summary's ``grid_evidence`` section: statements, then the top rows."""
    totals = evidence.totals()
    worst = _worst(totals)
    if not evidence.load_adding:
        return {"statements": ["No candidate adds peak load, so substation headroom blocks "
                               "nothing.", *evidence.notes], "substations": []}
    blocked, before = evidence.blocked_candidates(), evidence.blocked_candidates("before model")
    share = f" ({blocked / evidence.load_adding:.0%})" if evidence.load_adding else ""
    statements = [
        f"{blocked:,} of {evidence.load_adding:,} load-adding candidates{share} are blocked by "
        f"substation headroom in some milestone year; {before:,} of them before the model "
        "(headroom at most 0 and no reinforcement offered), the others because the model could "
        "not fit them beside the loads it chose.",
        f"{len(worst)} substation(s) block load. A zone or site blocked at a primary and at its "
        "bulk supply point counts at both; plan.gpkg layer grid_evidence and "
        "grid_evidence.csv give every substation, year and workstream (wanted = added + "
        "blocked + other).",
    ]
    statements += [_sentence(row, evidence.table) for row in
                   worst.head(top).to_dict("records")]
    statements += list(evidence.notes)
    present = [c for c in _COLUMNS if c in worst.columns]
    shown = worst.head(top)[present].copy()
    for column in ("year", "first_year", "reinforcement_ready_year"):
        shown[column] = pd.array(np.round(shown[column].to_numpy(float)), dtype="Int64")
    return {"statements": statements, "substations": shown}
