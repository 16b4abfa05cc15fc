"""Wide headroom tables for the generic reader: a header template turns columns into rows.

A wide table has one row per substation and its headroom values across, one column per year
(or scenario, or season). The generic reader's ``headroom_mva`` mapping may then name a
*header template* such as ``"Headroom {year} (MVA)"`` or ``"{scenario} {year}"``:
:func:`wide_columns` finds the columns whose header matches it (ignoring case and spacing)
and what each header says, and :func:`melt` gives one row per file row and matching column.
See :mod:`geoplan.sources.generic` for the whole mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from geoplan.errors import Problems
from geoplan.sources.cells import normalise_header

__all__ = ["PARTS", "WIDE_MARK", "WideColumn", "melt", "wide_columns"]

WIDE_MARK = "<wide headroom columns>"
"""Stands in the resolved mapping for the headroom columns of a wide table."""

PARTS = {"year": r"(?P<year>(?:19|20)\d{2})", "scenario": r"(?P<scenario>.+?)",
         "season": r"(?P<season>.+?)"}
"""The parts a header template may hold, and what each matches."""


@dataclass(frozen=True)
class WideColumn:
    """One headroom column of a wide table and what its header says."""

    column: str
    year: int | None
    scenario: str | None
    season: str | None


def wide_columns(
    columns: Mapping[str, str], available: list[str], problems: Problems
) -> tuple[Mapping[str, str], list[WideColumn]]:
    """Split a ``headroom_mva`` header template (``{year}`` ...) off a column mapping.

    Parameters
    ----------
    columns : Mapping
        The caller's mapping (canonical key -> column name or template).
    available : list of str
        The file's column names.
    problems : Problems
        Where a template that matches nothing, or a part also mapped to a column, is recorded.

    Returns
    -------
    tuple
        The mapping without the template, and the matching columns in file order (empty for
        a long table, whose ``headroom_mva`` names one column).

    Examples
    --------
    >>> rest, found = wide_columns({"name": "Site", "headroom_mva": "{scenario} {year}"},
    ...                            ["Site", "CT 2030", "LW 2040"], Problems())
    >>> rest, [(w.column, w.scenario, w.year) for w in found]
    ({'name': 'Site'}, [('CT 2030', 'CT', 2030), ('LW 2040', 'LW', 2040)])
    """
    template = columns.get("headroom_mva") if isinstance(columns, Mapping) else None
    if not isinstance(template, str) or not any(f"{{{p}}}" in template for p in PARTS):
        return columns, []
    rest = {k: v for k, v in columns.items() if k != "headroom_mva"}
    parts = [p for p in PARTS if f"{{{p}}}" in template]
    for part in parts:
        if part in rest:
            problems.add(f"{part} is mapped to column {rest[part]!r} and also read from the "
                         f"headroom_mva header template {template!r}",
                         fix=f"drop one of the two ways of giving the {part}")
    pattern = re.escape(" ".join(template.split()))
    for part in parts:
        pattern = pattern.replace(re.escape(f"{{{part}}}"), PARTS[part], 1)
    regex = re.compile(f"^{pattern}$", re.IGNORECASE)  # parts keep the header's spelling
    found = []
    for column in available:
        match = regex.match(" ".join(str(column).split()))
        if match:
            got = match.groupdict()
            found.append(WideColumn(str(column), int(got["year"]) if got.get("year") else None,
                                    got.get("scenario"), got.get("season")))
    if not found:
        problems.add(f"no column matches the headroom_mva header template {template!r}",
                     fix="write the template as the headers read, with {year} (and "
                     "{scenario}, {season}) where they differ, e.g. 'Headroom {year} (MVA)'; "
                     f"the file's columns are {[str(c) for c in available]}")
    return rest, found


def melt(rows: pd.DataFrame, frame: pd.DataFrame, wide: list[WideColumn], problems: Problems,
         seasons: Mapping[str, str],
         numbers: Callable[[pd.Series, str], pd.Series]) -> pd.DataFrame:
    """One row per file row and headroom column: the wide table made long.

    Parameters
    ----------
    rows : pandas.DataFrame
        The generic reader's parsed rows, one per file row (index = file row number).
    frame : pandas.DataFrame
        The file's cells, same index.
    wide : list of WideColumn
        From :func:`wide_columns`.
    problems : Problems
        Where a header part that is not a season is recorded.
    seasons : Mapping
        Folded season spellings -> canonical season.
    numbers : callable
        ``(cells, column name) -> floats``: reads one column by the number rules, naming
        that column in messages.

    Returns
    -------
    pandas.DataFrame
        ``rows`` repeated per column (the index repeats the file row numbers), with
        ``headroom_mva`` and the year, scenario and season the header gives.
    """
    parts = []
    for item in wide:
        part = rows.copy()
        part["headroom_mva"] = numbers(frame[item.column], item.column)
        if item.year is not None:
            part["year"] = pd.array([item.year] * len(part), dtype="Int64")
        if item.scenario is not None:
            part["scenario"] = item.scenario.strip()
        if item.season is not None:
            season = seasons.get(normalise_header(item.season))
            if season is None:
                problems.add(f"{item.season!r} in the header is not a season",
                             column=item.column, fix=f"use one of {sorted(set(seasons))}")
            part["season"] = season or "peak"
        parts.append(part)
    return pd.concat(parts)
