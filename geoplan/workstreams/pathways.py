"""The LAEP heat pathways and their ``heat_pathways`` assumption table.

Read by :mod:`geoplan.workstreams.laep` (pathway options per zone) and
:mod:`geoplan.workstreams.retrofit` (heat-pump readiness), so it sits below both.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, SourceFormatError
from geoplan.scenario.workstreams import PATHWAYS

__all__ = ["HEAT_PATHWAYS", "PATHWAYS", "pathway_value", "read_heat_pathways"]

PathLike = str | os.PathLike[str]

HEAT_PATHWAYS = AssumptionTable("heat_pathways", key=("pathway", "item"),
                                numbers={"value": 0.0}, text=("unit",))
"""LAEP pathway parameters (``layers/assumptions/heat_pathways.csv``)."""

_SHARE_ITEMS = ("suitable_share", "self_use_share")


def read_heat_pathways(path: PathLike | None = None) -> pd.DataFrame:
    """Read and check the pathway table (pathways must be :data:`PATHWAYS`; shares <= 1).

    Raises
    ------
    SourceFormatError
        Naming the file, row and column of every problem.
    """
    table = read_assumptions(HEAT_PATHWAYS, path)
    problems = Problems(table.attrs["path"], sheet=HEAT_PATHWAYS.name)
    for index, row in table.iterrows():
        line = int(index) + 2
        if row["pathway"] not in PATHWAYS:
            problems.add(f"unknown pathway {row['pathway']!r}", row=line, column="pathway",
                         fix=f"use one of {list(PATHWAYS)}")
        if row["item"] in _SHARE_ITEMS and row["value"] > 1:
            problems.add(f"share {row['value']:g} is above 1", row=line, column="value",
                         fix="give a share from 0 to 1")
    problems.raise_if_any(SourceFormatError)
    return table


def pathway_value(table: pd.DataFrame, pathway: str, item: str) -> float:
    """Return one pathway parameter; ``SourceFormatError`` naming the table if absent."""
    rows = table[(table["pathway"] == pathway) & (table["item"] == item)]
    if rows.empty:
        name = Path(str(table.attrs.get("path", "heat_pathways.csv"))).name
        raise SourceFormatError(f"{name}: no row for pathway {pathway!r}, item {item!r} "
                                "(fix: add it with its value, unit and source)")
    return float(rows["value"].iloc[0])
