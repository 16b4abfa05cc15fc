"""Several DNOs in one run: combining grid files and routing zones by licence area.

Great Britain has six DNO groups, each licensed for its own areas; a county on a boundary
(Oxfordshire: SSEN in the south, NGED in north Cherwell) needs one grid file per DNO. This
module holds what that needs:

* :func:`dno_key` gives one spelling per DNO (``"WPD"``, ``"Western Power Distribution"``
  and ``"NGED"`` are ``"NGED"``);
* :func:`combine_grids` joins the grid files of a run into one ``substations`` and one
  ``headroom`` table, each substation carrying its ``dno``. **Identifiers**: one file keeps
  its identifiers as published; with several files, *every* identifier (``substation_id``,
  ``parent_id`` and the headroom's ``substation_id``) is prefixed with its file's tag and a
  colon, always, not only on a collision, so an id never depends on which other files are
  read with it: ``"SSEN:primary-DEDDINGTON"``, ``"NGED:12774"``. A file's tag is its DNO
  (one DNO in the file), else its format name; two files with the same tag are told apart
  by ``-2``, ``-3`` in the order given (``"SSEN"``, ``"SSEN-2"``). Two substations are
  therefore never merged, whatever their published ids;
* :func:`licence_dno` finds the DNO whose licence area holds each zone's representative
  point, from any polygon file with a DNO column (:func:`read_licence_areas`);
* :func:`select_served` cuts a grid file that lists no areas (NGED's capacity map covers the
  Midlands, South Wales and the South West) to the substations that can serve the planned
  zones (a :class:`ServedArea`), when ``within`` names an area another file lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import LayerSchemaError
from geoplan.schemas import CRS
from geoplan.sources.base import GridTables
from geoplan.sources.vector import read_vector, to_bng

__all__ = ["FORMAT_DNO", "ServedArea", "combine_grids", "dno_key", "licence_dno",
           "read_licence_areas", "select_served"]

FORMAT_DNO = {"ssen-headroom-report": "SSEN", "ssen-gam": "SSEN", "ssen-dashboard": "SSEN",
              "nged-capacity": "NGED"}
"""The DNO that publishes each single-DNO grid format (other formats carry a ``dno`` column
or have none)."""

_ALIASES = {
    "nged": "NGED", "wpd": "NGED", "western power distribution": "NGED",
    "national grid electricity distribution": "NGED",
    "ssen": "SSEN", "sse": "SSEN", "sepd": "SSEN", "shepd": "SSEN",
    "scottish and southern electricity networks": "SSEN",
    "ukpn": "UKPN", "uk power networks": "UKPN",
    "npg": "NPG", "northern powergrid": "NPG",
    "enw": "ENW", "electricity north west": "ENW",
    "spen": "SPEN", "sp energy networks": "SPEN", "sp manweb": "SPEN",
    "sp distribution": "SPEN",
}


def dno_key(value: object) -> str | None:
    """Return one spelling for a DNO name (module docstring); None when blank.

    Examples
    --------
    >>> dno_key("Western Power Distribution"), dno_key(" ssen "), dno_key("Acme")
    ('NGED', 'SSEN', 'ACME')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    return _ALIASES.get(text.casefold(), text.upper())


def _with_dno(grid: GridTables) -> gpd.GeoDataFrame:
    """Return the file's substations with a ``dno`` column (its own, else the format's)."""
    subs = grid.substations.copy()
    default = FORMAT_DNO.get(grid.format)
    own = subs["dno"].map(dno_key) if "dno" in subs.columns else pd.Series(None, index=subs.index)
    subs["dno"] = own.where(own.notna(), default).astype(object)
    return subs


def _tags(grids: Sequence[GridTables], dnos: Sequence[pd.Series]) -> list[str]:
    """One tag per file: its one DNO, else its format; repeats get -2, -3 in order."""
    tags: list[str] = []
    for grid, dno in zip(grids, dnos, strict=True):
        named = set(dno.dropna())
        base = next(iter(named)) if len(named) == 1 else grid.format
        tag, n = base, 1
        while tag in tags:
            n += 1
            tag = f"{base}-{n}"
        tags.append(tag)
    return tags


def _prefixed(values: pd.Series, tag: str) -> pd.Series:
    return values.map(lambda v: v if v is None or (not isinstance(v, str) and pd.isna(v))
                      else f"{tag}:{v}")


def combine_grids(grids: Sequence[GridTables]) -> tuple[GridTables, list[str]]:
    """Join the grid files of one run (identifiers: module docstring).

    Parameters
    ----------
    grids : sequence of GridTables
        One or more files as read (and selected); order decides repeated tags.

    Returns
    -------
    (GridTables, list of str)
        The combined tables (``substations`` with a ``dno`` column; ``source`` the first
        file, ``format`` the formats joined by ``" + "``; warnings prefixed by file name)
        and each file's tag, in order (empty for one file).
    """
    if not grids:
        raise ValueError("combine_grids needs at least one grid file")
    frames = [_with_dno(g) for g in grids]
    if len(grids) == 1:
        one = grids[0]
        return GridTables(frames[0], one.headroom, one.source, one.format, one.warnings), []
    tags = _tags(grids, [f["dno"] for f in frames])
    subs: list[gpd.GeoDataFrame] = []
    heads: list[pd.DataFrame] = []
    warnings: list[str] = []
    for grid, frame, tag in zip(grids, frames, tags, strict=True):
        frame["substation_id"] = _prefixed(frame["substation_id"], tag)
        frame["parent_id"] = _prefixed(frame["parent_id"], tag)
        head = grid.headroom.copy()
        head["substation_id"] = _prefixed(head["substation_id"], tag)
        subs.append(frame)
        heads.append(head)
        warnings.extend(f"{grid.source.name}: {w}" for w in grid.warnings)
    substations = gpd.GeoDataFrame(pd.concat(subs, ignore_index=True), geometry="geometry",
                                   crs=CRS)
    headroom = pd.concat(heads, ignore_index=True)
    fmt = " + ".join(g.format for g in grids)
    return GridTables(substations, headroom, grids[0].source, fmt, tuple(warnings)), tags


def read_licence_areas(path: str | Path, dno_column: str | None = None) -> gpd.GeoDataFrame:
    """Read DNO licence-area polygons from any vector file with a DNO column.

    Parameters
    ----------
    path : path
        A polygon file (e.g. the NESO licence areas, or them cut by district).
    dno_column : str, optional
        The column naming each polygon's DNO; default: the column named ``dno`` (any case).

    Returns
    -------
    geopandas.GeoDataFrame
        ``dno`` (:func:`dno_key` spelling) and ``geometry``, in EPSG:27700.

    Raises
    ------
    LayerSchemaError
        When the file has no such column, or a polygon has no DNO.
    """
    frame = to_bng(read_vector(path), path)
    name = Path(path).name
    column = dno_column or next((c for c in frame.columns if str(c).casefold() == "dno"), None)
    if column is None or column not in frame.columns:
        shown = [c for c in frame.columns if c != frame.geometry.name]
        raise LayerSchemaError(f"{name}: no DNO column {dno_column or 'dno'!r} among {shown} "
                               "(fix: name the column that holds each licence area's DNO)")
    dno = frame[column].map(dno_key)
    blank = np.flatnonzero(dno.isna().to_numpy())
    if len(blank):
        raise LayerSchemaError(f"{name}: column {column!r} is blank in rows "
                               f"{[int(r) + 1 for r in blank[:10]]} (fix: give every licence "
                               "area its DNO, or drop those rows)")
    return gpd.GeoDataFrame({"dno": dno.to_numpy()}, geometry=frame.geometry.to_numpy(), crs=CRS)


def licence_dno(points: gpd.GeoSeries, areas: gpd.GeoDataFrame) -> pd.Series:
    """Return the DNO whose licence area holds each point (None outside every area).

    A point on the edge of two areas goes to the DNO first in alphabetical order, so the
    answer does not depend on the file's row order.
    """
    frame = gpd.GeoDataFrame({"_row": np.arange(len(points))}, geometry=points.to_numpy(),
                             crs=CRS)
    pairs = gpd.sjoin(frame, areas[["dno", "geometry"]], how="inner", predicate="intersects")
    first = pairs.sort_values(["_row", "dno"]).drop_duplicates("_row")
    found = pd.Series(first["dno"].to_numpy(), index=first["_row"].to_numpy(), dtype=object)
    return pd.Series([found.get(i) for i in range(len(points))], index=points.index,
                     dtype=object)


@dataclass(frozen=True)
class ServedArea:
    """The planned area that a grid file without areas is cut to (:func:`select_served`).

    Attributes
    ----------
    zones : geopandas.GeoDataFrame
        The plan's zones (EPSG:27700).
    licence : geopandas.GeoDataFrame, optional
        Licence-area polygons (:func:`read_licence_areas`): only the zones in the licence
        area of the file's DNO count.
    max_km : float
        ``grid.max_serving_distance_km``.
    level : str
        The serving level (``grid.level``).
    """

    zones: gpd.GeoDataFrame
    licence: gpd.GeoDataFrame | None = None
    max_km: float = 10.0
    level: str = "primary"


def select_served(grid: GridTables, area: ServedArea) -> tuple[GridTables, str]:
    """Keep the substations of ``grid`` that can serve the zones of ``area``.

    The zones counted are those in the licence area of the file's DNO (all zones without
    licence areas, or when none lies in it). A located substation of ``area.level`` is kept
    when it lies within ``area.max_km`` of one of those zones, or is the nearest of its
    level to one of their representative points (so that serving a zone from this file
    gives the same substation as the whole file would); every kept substation's parents up
    the chain are kept too (:meth:`GridTables.filter`). The rest are dropped.

    Returns
    -------
    (GridTables, str)
        The tables kept, and a note counting what was kept and dropped (also appended to
        the tables' warnings). When the file has no located substation of the level, the
        file is returned whole and the note says so.
    """
    subs = _with_dno(grid)
    zones, whose = _counted_zones(subs, area)
    located = (subs.geometry.notna() & ~subs.geometry.is_empty).to_numpy()
    mask = located & (subs["level"] == area.level).to_numpy()
    if not mask.any() or zones.empty:
        note = (f"lists no areas and has no located {area.level} substation, so all "
                f"{len(subs)} of its substations are kept")
        return replace(grid, warnings=(*grid.warnings, note)), note
    candidates = gpd.GeoDataFrame({"_row": np.flatnonzero(mask)},
                                  geometry=subs.geometry.to_numpy()[mask], crs=CRS)
    shapes = gpd.GeoDataFrame(geometry=zones.geometry.to_numpy(), crs=CRS)
    near = gpd.sjoin_nearest(candidates, shapes, how="inner",
                             max_distance=area.max_km * 1000.0)
    points = gpd.GeoDataFrame(geometry=zones.geometry.representative_point().to_numpy(),
                              crs=CRS)
    nearest = gpd.sjoin_nearest(points, candidates, how="inner")
    rows = set(near["_row"]) | set(nearest["_row"])
    keep = np.zeros(len(subs), dtype=bool)
    keep[sorted(rows)] = True
    kept = grid.filter(keep)
    levels = kept.substations["level"].value_counts()
    shown = ", ".join(f"{levels[lv]} {lv}" for lv in ("gsp", "bsp", "primary", "secondary")
                      if lv in levels)
    note = (f"lists no areas, so its substations were selected by place: kept "
            f"{len(kept.substations)} of {len(subs)} ({shown}): the {area.level} "
            f"substations within {area.max_km:g} km of the {len(zones)} "
            f"zone{'s' if len(zones) != 1 else ''} {whose}, or nearest to one, and their "
            f"parents; dropped "
            f"{len(subs) - len(kept.substations)}")
    return replace(kept, warnings=(*kept.warnings, note)), note


def _counted_zones(subs: gpd.GeoDataFrame, area: ServedArea
                   ) -> tuple[gpd.GeoDataFrame, str]:
    """Return the zones a file without areas must serve, and how they were chosen."""
    zones = area.zones
    dnos = sorted(set(subs["dno"].dropna()))
    if area.licence is None or not dnos:
        return zones, "of the plan"
    owner = licence_dno(zones.geometry.representative_point(), area.licence)
    mine = owner.isin(dnos).to_numpy()
    if not mine.any():
        return zones, f"of the plan (none lies in {' or '.join(dnos)}'s licence area)"
    return zones[mine], f"in {' or '.join(dnos)}'s licence area"
