"""The electricity grid as a hierarchy: name matching, the grid graph and headroom lookup.

One group of functions per job:

* :func:`name_key`, :func:`match_names`, :func:`resolve_names` recognise one substation under
  the different spellings files use ("COWLEY GSP", "Cowley", "St. Ebbes & Osney").
* :func:`graph_from_substations` and :func:`ancestors_of` give the grid as a
  ``networkx.DiGraph`` (GSP -> BSP -> primary -> secondary): a load added at a substation uses
  headroom there and at every ancestor.
* :func:`headroom_for` picks the headroom of every substation for one scenario, year and season.

Which substation serves each zone is :func:`geoplan.layers.supply.assign_zones`.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely

from geoplan.assumptions import AssumptionTable
from geoplan.errors import LayerSchemaError, Problems
from geoplan.schemas import CRS, LEVELS, SUBSTATIONS
from geoplan.sources.names import name_key
from geoplan.years import value_in_year

__all__ = [
    "GRID_UNITS",
    "ancestors_of",
    "graph_from_substations",
    "headroom_for",
    "match_names",
    "mva_to_kw",
    "name_key",
    "power_factor",
    "resolve_names",
    "value_in_year",
]

logger = logging.getLogger(__name__)

GRID_UNITS = AssumptionTable("grid_units", key=("item",), numbers={"value": 0.0},
                             text=("unit",))
"""Unit conversions of grid figures: ``power_factor`` (kW per kVA)."""


def mva_to_kw(mva: Any, factor: float) -> Any:
    """Real power in kW of apparent power ``mva``: ``mva * factor * 1000``.

    The one place MVA becomes kW (headroom and reinforcement capacity alike).

    Examples
    --------
    >>> mva_to_kw(2.0, 0.95)
    1900.0
    """
    return mva * (factor * 1000.0)


def power_factor(units: pd.DataFrame) -> float:
    """Return the ``power_factor`` of a ``grid_units`` table, checked to lie in (0, 1]."""
    rows = units.loc[units["item"].astype(str) == "power_factor", "value"]
    if len(rows) != 1:
        raise LayerSchemaError(f"grid_units ({units.attrs.get('path', 'table')}) needs one "
                               "row with item power_factor (fix: add it, e.g. 0.95)")
    value = float(rows.iloc[0])
    if not 0.0 < value <= 1.0:
        raise LayerSchemaError(f"grid_units: power_factor {value:g} is outside (0, 1] "
                               "(fix: enter the DNO's planning power factor, e.g. 0.95)")
    return value


_AND = re.compile(r"\bAND\b|&")
_BNG = pyproj.CRS.from_user_input(CRS)
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_ORDER = " > ".join(LEVELS)
_NODE_COLUMNS = [c for c in SUBSTATIONS.columns if c != "geometry"]


def _loose_key(key: str) -> str:
    """``name_key`` without spaces and without "&" / "AND" (``"A & B"`` == ``"A and B"``)."""
    return re.sub(r"\s+", "", _AND.sub(" ", key))


def _text(value: object) -> str | None:
    """``value`` as stripped text, or None when it is missing or blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _texts(values: Iterable[object]) -> pd.Series:
    """Apply :func:`_text` to each value, keeping None (an object Series, not NaN)."""
    return pd.Series([_text(v) for v in values], dtype=object)


def _candidate_table(candidates: Mapping[str, object] | pd.Series | pd.DataFrame) -> pd.DataFrame:
    """One row per candidate: ``substation_id``, ``name``, ``key``, ``loose``."""
    if isinstance(candidates, pd.DataFrame):
        missing = [c for c in ("substation_id", "name") if c not in candidates.columns]
        if missing:
            raise LayerSchemaError(f"candidates need columns substation_id and name; {missing} "
                                   "are missing")
        pairs: Iterable[tuple[object, object]] = zip(
            candidates["substation_id"], candidates["name"], strict=True)
    else:
        pairs = candidates.items()
    table = pd.DataFrame([(str(i), str(n)) for i, n in pairs if _text(n) is not None],
                         columns=["substation_id", "name"], dtype=object)
    table["key"] = table["name"].map(name_key)
    table["loose"] = table["key"].map(_loose_key)
    return table


def _find_matches(names: Iterable[object], table: pd.DataFrame) -> dict[object, tuple[str, ...]]:
    """Every candidate id each name matches, by the first rule that matches at all."""
    exact = table.groupby("key")["substation_id"].agg(tuple).to_dict()
    loose = table.groupby("loose")["substation_id"].agg(tuple).to_dict()
    found: dict[object, tuple[str, ...]] = {}
    for name in names:
        if _text(name) is None:
            found[name] = ()
            continue
        key = name_key(name)
        ids = exact.get(key) or loose.get(_loose_key(key), ())
        found[name] = tuple(sorted(set(ids)))
    return found


def match_names(
    names: Iterable[object], candidates: Mapping[str, object] | pd.Series | pd.DataFrame
) -> dict[object, str | None]:
    """Match substation names as another file spells them to substation ids.

    Rules, in order; the first rule that finds any candidate decides:

    1. equal :func:`name_key` (case, punctuation and trailing "GSP", "Primary", "33kV" ignored);
    2. equal after also removing spaces, "&" and the word "AND" ("St Ebbes & Osney",
       "ST EBBES AND OSNEY" and "StEbbes&Osney" are one name).

    Parameters
    ----------
    names : iterable
        Names to look up, e.g. the values of a supply-area layer's name column.
    candidates : mapping, pandas.Series or pandas.DataFrame
        Substation id -> name, or a frame with ``substation_id`` and ``name`` such as a
        ``substations`` layer (filter it to one level first: "COWLEY" is a GSP and a BSP).

    Returns
    -------
    dict
        Each distinct name as given -> the id of the one candidate it matches, or None when it
        matches several (ambiguous), none, or is blank; :func:`resolve_names` says which.

    Examples
    --------
    >>> match_names(["COWLEY GSP", "Nowhere"], {"G1": "Cowley", "P1": "Osney"})
    {'COWLEY GSP': 'G1', 'Nowhere': None}
    """
    found = _find_matches(names, _candidate_table(candidates))
    return {name: ids[0] if len(ids) == 1 else None for name, ids in found.items()}


def resolve_names(
    names: Iterable[object],
    candidates: Mapping[str, object] | pd.Series | pd.DataFrame,
    *,
    source: str | None = None,
    column: str | None = None,
) -> dict[object, str]:
    """Match every name like :func:`match_names` and return name -> id, or raise.

    Parameters
    ----------
    names, candidates
        As for :func:`match_names`.
    source, column : str, optional
        File (or layer) and column the names come from, to locate problems in the message.

    Returns
    -------
    dict
        Each distinct name -> substation id.

    Raises
    ------
    LayerSchemaError
        Listing every name that matches no candidate (with up to three close spellings from
        :mod:`difflib`), every name that matches several (with their ids) and blank names.
    """
    table = _candidate_table(candidates)
    found = _find_matches(names, table)
    problems = Problems(source)
    _name_problems(found, table, problems, column)
    problems.raise_if_any(LayerSchemaError)
    return {name: ids[0] for name, ids in found.items()}


def _name_problems(found: Mapping[object, tuple[str, ...]], table: pd.DataFrame,
                   problems: Problems, column: str | None) -> None:
    """Add one problem per name in ``found`` that matched zero or several candidates."""
    labels = table.groupby("key")[["name", "substation_id"]].apply(
        lambda g: [f"{n!r} ({i})" for n, i in zip(g["name"], g["substation_id"], strict=True)]
    ).to_dict() if len(table) else {}
    for name, ids in found.items():
        if len(ids) > 1:
            problems.add(f"name {name!r} matches several substations {list(ids)}",
                         column=column, fix="use the substation_id or a fuller name")
        elif not ids and _text(name) is None:
            problems.add("a name is missing or blank", column=column,
                         fix="give every row a substation name or id")
        elif not ids:
            close = difflib.get_close_matches(name_key(name), list(labels), n=3, cutoff=0.6)
            hint = [label for key in close for label in labels[key]]
            problems.add(f"name {name!r} matches no substation"
                         + (f"; did you mean {', '.join(hint)}?" if hint else ""),
                         column=column, fix="correct the spelling or add the substation")



def graph_from_substations(substations: gpd.GeoDataFrame) -> nx.DiGraph:
    """Build the grid hierarchy from a ``substations`` layer: edges go parent -> child.

    Nodes are ``substation_id`` values with attributes ``name``, ``level``,
    ``firm_capacity_mva``, ``peak_demand_mva`` and ``x``/``y`` (British National Grid metres
    of the point; None when unlocated or when the frame has no geometry);
    ``graph.graph["crs"]`` is :data:`geoplan.schemas.CRS`. A row's ``parent_id`` (missing or
    blank: a root) is its only parent, so every node has at most one incoming edge.

    Rules, all checked before raising once:

    * ids are present and unique; ``level`` is one of :data:`geoplan.schemas.LEVELS`;
    * every ``parent_id`` is a ``substation_id`` of the layer;
    * a child's level is strictly below its parent's (gsp > bsp > primary > secondary;
      levels may be skipped, e.g. a primary fed straight from a GSP);
    * there are no cycles (each is named);
    * located substations are in EPSG:27700.

    Parameters
    ----------
    substations : geopandas.GeoDataFrame or pandas.DataFrame

    Returns
    -------
    networkx.DiGraph

    Raises
    ------
    LayerSchemaError
        Listing every problem found.
    """
    problems = Problems(sheet=SUBSTATIONS.name)
    missing = [c for c in _NODE_COLUMNS if c not in substations.columns]
    if missing:
        problems.add(f"columns {missing} are missing", fix=f"the layer needs {_NODE_COLUMNS}")
        problems.raise_if_any(LayerSchemaError)
    frame = _node_frame(substations, problems)
    graph = nx.DiGraph(crs=CRS)
    first = frame.dropna(subset=["substation_id"]).drop_duplicates("substation_id")
    for row in first.itertuples(index=False):
        graph.add_node(row.substation_id, name=row.name, level=row.level,
                       firm_capacity_mva=row.firm_capacity_mva,
                       peak_demand_mva=row.peak_demand_mva, x=row.x, y=row.y)
    _add_edges(graph, first, problems)
    _check_cycles(graph, problems)
    problems.raise_if_any(LayerSchemaError)
    return graph


def _node_frame(substations: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """Normalised node table (text ids, float capacities, x/y) plus id and level problems."""
    frame = pd.DataFrame({
        "substation_id": _texts(substations["substation_id"]),
        "name": [t or "" for t in _texts(substations["name"])],
        "level": _texts(substations["level"]),
        "parent_id": _texts(substations["parent_id"]),
        "firm_capacity_mva": pd.to_numeric(substations["firm_capacity_mva"]).to_numpy(float),
        "peak_demand_mva": pd.to_numeric(substations["peak_demand_mva"]).to_numpy(float),
    })
    xs, ys = _point_xy(substations, problems)
    frame["x"], frame["y"] = pd.Series(xs, dtype=object), pd.Series(ys, dtype=object)
    if frame["substation_id"].isna().any():
        problems.add(f"{int(frame['substation_id'].isna().sum())} rows have no id",
                     column="substation_id", fix="give every substation an id")
    ids = frame["substation_id"].dropna()
    repeated = sorted(set(ids[ids.duplicated()]))
    if repeated:
        problems.add(f"ids {_sample(repeated)} are used by more than one row",
                     column="substation_id", fix="make substation ids unique")
    bad = sorted(set(frame["level"].dropna()) - set(LEVELS)) + (
        ["<missing>"] if frame["level"].isna().any() else [])
    if bad:
        problems.add(f"levels {bad} are not allowed", column="level",
                     fix=f"use one of {list(LEVELS)}")
    return frame


def _point_xy(frame: pd.DataFrame, problems: Problems) -> tuple[list[float | None], ...]:
    """Return x and y of each row's point (point on surface of other shapes); None if unlocated."""
    if not isinstance(frame, gpd.GeoDataFrame) or frame.active_geometry_name is None:
        return [None] * len(frame), [None] * len(frame)
    geoms = frame.geometry.to_numpy()
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if located.any() and (frame.crs is None or frame.crs != _BNG):
        problems.add(f"CRS is {frame.crs}, expected {CRS}", column="geometry",
                     fix=f"reproject with .to_crs({CRS!r}) (or .set_crs if already BNG metres)")
    xy = np.full((len(frame), 2), np.nan)
    xy[located] = shapely.get_coordinates(shapely.point_on_surface(geoms[located]))
    return tuple([float(v) if np.isfinite(v) else None for v in xy[:, i]] for i in (0, 1))


def _add_edges(graph: nx.DiGraph, frame: pd.DataFrame, problems: Problems) -> None:
    """Add parent -> child edges, recording unknown parents and levels out of order."""
    unknown, inverted = [], []
    for child, parent, level in frame[["substation_id", "parent_id", "level"]].itertuples(
        index=False
    ):
        if parent is None:
            continue
        if parent not in graph:
            unknown.append(f"{child} -> {parent}")
            continue
        graph.add_edge(parent, child)
        parent_level = graph.nodes[parent]["level"]
        if level in _RANK and parent_level in _RANK and _RANK[level] <= _RANK[parent_level]:
            inverted.append(f"{child} ({level}) under {parent} ({parent_level})")
    if unknown:
        problems.add(f"{len(unknown)} parent ids are not substations of this layer: "
                     f"{_sample(unknown)}", column="parent_id",
                     fix="add the parent substations or clear parent_id")
    if inverted:
        problems.add(f"{len(inverted)} substations are not below their parent's level "
                     f"({_ORDER}): {_sample(inverted)}", column="level",
                     fix="correct the level or the parent_id")


def _check_cycles(graph: nx.DiGraph, problems: Problems) -> None:
    """Record each cycle of parents, written from its smallest id."""
    cycles = []
    for cycle in nx.simple_cycles(graph):
        start = cycle.index(min(cycle))
        cycles.append([*cycle[start:], *cycle[:start]])
    for cycle in sorted(cycles):
        problems.add("substations form a cycle (each is the parent of the next): "
                     + " -> ".join([*cycle, cycle[0]]), column="parent_id",
                     fix="break the cycle by correcting a parent_id")


def _sample(items: list[str], size: int = 10) -> str:
    more = f" and {len(items) - size} more" if len(items) > size else ""
    return ", ".join(repr(i) for i in items[:size]) + more


def ancestors_of(graph: nx.DiGraph, substation_id: str) -> list[str]:
    """Every substation upstream of ``substation_id``, parent first, ending at the root.

    Parameters
    ----------
    graph : networkx.DiGraph
        From :func:`graph_from_substations`.
    substation_id : str
        Where a load is added.

    Returns
    -------
    list of str
        Empty for a root (e.g. a GSP).

    Raises
    ------
    LayerSchemaError
        When the id is not in the graph (close ids are suggested), or a hand-made graph has a
        node with two parents or a cycle above it.
    """
    if substation_id not in graph:
        close = difflib.get_close_matches(str(substation_id), [str(n) for n in graph], n=3)
        hint = f"; did you mean {_sample(close)}?" if close else ""
        raise LayerSchemaError(f"substation {substation_id!r} is not in the grid graph{hint}")
    chain: list[str] = []
    node = substation_id
    while parents := list(graph.predecessors(node)):
        if len(parents) > 1 or parents[0] == substation_id or parents[0] in chain:
            raise LayerSchemaError(f"substation {node!r} has parents {parents} above "
                                   f"{substation_id!r}; build the graph with "
                                   "graph_from_substations to check it")
        node = parents[0]
        chain.append(node)
    return chain



def headroom_for(
    headroom: pd.DataFrame, scenario: str, year: int, season: str = "winter"
) -> pd.Series:
    """Headroom of each substation in one scenario, year and season.

    For each substation, among the rows of that ``scenario`` and ``season`` (one of
    :data:`geoplan.schemas.SEASONS`):

    * the row of ``year`` itself, else of the latest year before it (reports skip years:
      2033 uses 2032);
    * else a row whose year is missing (a snapshot source), valid for any year;
    * else none: the substation is left out (its data starts after ``year``).

    Parameters
    ----------
    headroom : pandas.DataFrame
        A canonical ``headroom`` table.
    scenario : str
    year : int
    season : str, default "winter"

    Returns
    -------
    pandas.Series
        ``headroom_mva`` indexed by ``substation_id`` (sorted); negative means constrained.

    Raises
    ------
    LayerSchemaError
        When a column is missing, a substation has two rows for one year, or no row matches
        (the message lists the scenarios, seasons and years available).
    """
    missing = [c for c in ("substation_id", "scenario", "year", "season", "headroom_mva")
               if c not in headroom.columns]
    if missing:
        raise LayerSchemaError(f"headroom table misses columns {missing}")
    rows = headroom[(headroom["scenario"] == scenario) & (headroom["season"] == season)]
    repeated = rows.duplicated(["substation_id", "year"], keep=False)
    if repeated.any():
        sample = sorted(set(rows.loc[repeated, "substation_id"].astype(str)))
        raise LayerSchemaError(f"headroom has several {scenario!r}/{season!r} rows for one "
                               f"year at substations {_sample(sample)}")
    values = value_in_year(rows, year, value="headroom_mva")
    if values.empty:
        raise _no_headroom(headroom, scenario, year, season)
    return values


def _no_headroom(headroom: pd.DataFrame, scenario: str, year: int, season: str) -> Exception:
    """Build the error for a request no row answers, listing what the table holds."""
    rows = headroom[(headroom["scenario"] == scenario) & (headroom["season"] == season)]
    years = sorted(int(y) for y in (rows if len(rows) else headroom)["year"].dropna().unique())
    undated = bool(headroom["year"].isna().any())
    scenarios = sorted(headroom["scenario"].astype(str).unique())
    seasons = sorted(headroom["season"].astype(str).unique())
    return LayerSchemaError(
        f"no headroom for scenario {scenario!r}, season {season!r} in {year} or earlier; "
        f"available: scenarios {scenarios}, seasons {seasons}, years {years}"
        + (" and rows without a year" if undated else "")
    )
