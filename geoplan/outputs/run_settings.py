"""The run's settings, kept inside its plan: ``plan.gpkg`` table ``run_settings``.

A plan GeoPackage carried away from its run folder still knows how the run drew it: the
scenario's name and description, the map title, the grid scenario, season and level, the plan
year whose headroom colours substations, the milestone years, how many unchosen candidates
each workstream's map layer shows, the choropleths and the data attributions. ``geoplan map``
and ``geoplan report`` read them back with :func:`read_run_settings`, so a redrawn map has the
run map's rules without options.

The table has two text columns, ``key`` and ``value`` (the value as JSON), one row per
setting, in the order of :func:`run_settings`; it opens in any GIS as a plain table.
:func:`shown_candidates` is the one rule for which candidates a map layer shows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from geoplan.outputs.attribution import attribution_lines, attribution_year
from geoplan.sample.build import DEFAULT_SEED
from geoplan.scenario import Scenario
from geoplan.version import __version__

__all__ = ["RUN_SETTINGS", "map_subtitle", "read_run_settings", "run_settings", "settings_table",
           "shown_candidates"]

logger = logging.getLogger(__name__)

RUN_SETTINGS = "run_settings"
"""Name of the settings table in ``plan.gpkg``."""


def run_settings(scenario: Scenario, *, plan_year: int, choropleths: Mapping[str, str],
                 unchosen: int, inputs: Iterable[str],
                 data_years: Mapping[str, int] | None = None) -> dict[str, Any]:
    """Return the settings a later map or report of this run needs, by name.

    Parameters
    ----------
    scenario : Scenario
        The run's scenario (as resolved).
    plan_year : int
        Year whose headroom colours the map's substations.
    choropleths : Mapping[str, str]
        Zone column -> legend label, as drawn on the run's map.
    unchosen : int
        Best-ranked unchosen candidates each map layer shows besides the chosen ones.
    inputs : Iterable[str]
        Input kinds the run read (the manifest's ``inputs`` keys that were given): their
        data statements (:func:`geoplan.outputs.attribution.attribution_lines`) are kept as
        ``attribution``, with the run's year as ``attribution_year``.
    data_years : Mapping[str, int], optional
        Input kind -> the edition year its file states
        (:func:`geoplan.sources.edition.edition_year`): the copyright statements of that
        data carry it instead of the run's year; kept as ``data_years``.
    """
    title = (f"{scenario.name}: {scenario.description}" if scenario.description
             else scenario.name)
    given = scenario.inputs
    seed = DEFAULT_SEED if given.seed is None else given.seed
    data = (f"synthetic sample county (scale {given.sample}, seed {seed})"
            if given.sample is not None else "the scenario's own files (see manifest.json)")
    year = attribution_year()
    years = {str(k): int(v) for k, v in sorted((data_years or {}).items())}
    return {"scenario": scenario.name, "description": scenario.description or "",
            "title": title, "data": data, "sample": given.sample is not None,
            "grid_scenario": scenario.grid.scenario, "grid_season": scenario.grid.season,
            "grid_level": scenario.grid.level, "plan_year": int(plan_year),
            "milestone_years": [int(y) for y in scenario.plan.years],
            "workstreams": list(scenario.workstreams.enabled()),
            "map_unchosen": int(unchosen), "choropleths": dict(choropleths),
            "inputs": list(inputs),
            "attribution": attribution_lines(inputs, year=year, years=years,
                                             sample=given.sample is not None),
            "attribution_year": year, "data_years": years, "geoplan": __version__}


def map_subtitle(settings: Mapping[str, Any]) -> str:
    """Return the line under a static map's title: data, milestones and grid of the run.

    Examples
    --------
    >>> map_subtitle({"data": "own files", "milestone_years": [2030, 2040],
    ...               "grid_scenario": "CT", "grid_season": "winter", "grid_level": "primary"})
    'Data: own files; milestone years 2030, 2040; grid: CT headroom, winter, primary level'
    """
    parts = []
    if settings.get("data"):
        parts.append(f"Data: {settings['data']}")
    if settings.get("milestone_years"):
        parts.append("milestone years " + ", ".join(map(str, settings["milestone_years"])))
    if settings.get("grid_scenario"):
        parts.append(f"grid: {settings['grid_scenario']} headroom, "
                     f"{settings.get('grid_season', '')}, {settings.get('grid_level', '')} level")
    return "; ".join(parts)


def settings_table(settings: Mapping[str, Any]) -> pd.DataFrame:
    """Return the settings as the ``run_settings`` table (``key``, ``value`` as JSON text)."""
    return pd.DataFrame({"key": pd.Series(list(settings), dtype=object),
                         "value": pd.Series([json.dumps(v, ensure_ascii=False)
                                             for v in settings.values()], dtype=object)})


def read_run_settings(table: pd.DataFrame | None) -> dict[str, Any]:
    """Read a ``run_settings`` table back into settings ({} when absent or not such a table).

    A value that is not JSON is kept as its text (a table edited by hand still reads).
    """
    if table is None or not {"key", "value"} <= set(table.columns):
        return {}
    out: dict[str, Any] = {}
    for key, value in zip(table["key"], table["value"], strict=True):
        if not isinstance(key, str) or value is None or pd.isna(value):
            continue
        try:
            out[key] = json.loads(str(value))
        except ValueError:
            logger.warning("run_settings: %r is not JSON; kept as text", key)
            out[key] = str(value)
    return out


def shown_candidates(table: pd.DataFrame, unchosen: int | None) -> pd.DataFrame:
    """Return the candidates a map layer shows: every chosen one and the best unchosen.

    Parameters
    ----------
    table : pandas.DataFrame
        A workstream's plan (``selected``, ``rank``).
    unchosen : int or None
        Unchosen candidates to keep, best rank first; None keeps every candidate.

    Returns
    -------
    pandas.DataFrame
        Rows in their order, index reset; ``attrs["candidates"]`` is the whole table's count
        (popups say "rank r of all candidates").

    Examples
    --------
    >>> plan = pd.DataFrame({"rank": [3, 1, 2, 4], "selected": [False, True, False, False]})
    >>> shown_candidates(plan, 1)["rank"].tolist()
    [1, 2]
    """
    chosen = table["selected"].map(lambda v: False if pd.isna(v) else bool(v)).astype(bool)
    if unchosen is None:
        shown = table.reset_index(drop=True)
    else:
        rank = pd.to_numeric(table["rank"], errors="coerce")
        others = rank.where(~chosen).rank(method="first")
        shown = table[(chosen | (others <= unchosen)).to_numpy()].reset_index(drop=True)
    shown.attrs["candidates"] = len(table)
    return shown
