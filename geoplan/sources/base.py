"""What every grid reader returns, and the shared step that turns raw records into layers.

A reader parses its format into two plain tables and hands them to :func:`finish_grid`:

``records`` (one row per substation as the file lists it)
    ``name``, ``level`` (one of :data:`geoplan.schemas.LEVELS`), ``x``/``y`` (EPSG:27700
    metres, NaN when the file gives no location), ``firm_capacity_mva``, ``peak_demand_mva``;
    optionally ``gsp_name``/``bsp_name`` (upstream names as written), ``source_id`` and
    ``parent_source_id`` (the file's own identifiers), ``scope`` (a namespace such as the DNO,
    for files that cover several networks); any other column is kept as an attribute.
``headroom`` (long format)
    ``record`` (index label into ``records``), ``scenario``, ``year``, ``season``,
    ``headroom_mva``.

:func:`finish_grid` assigns stable identifiers, resolves parents by tolerant name matching
(adding unlocated parent rows for upstream substations the file only names), builds point
geometries and checks both canonical schemas.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from geoplan.schemas import CRS, HEADROOM, LEVELS, SUBSTATIONS, validate_layer
from geoplan.sources.cells import is_blank
from geoplan.sources.names import name_key
from geoplan.sources.osgb import GB_LAT_RANGE, GB_LON_RANGE  # the one definition, re-exported here

__all__ = ["GB_LAT_RANGE", "GB_LON_RANGE", "GridTables", "finish_grid", "lonlat_to_bng"]

logger = logging.getLogger(__name__)

_TO_BNG = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)

_LEVEL_OF = {"gsp_name": "gsp", "bsp_name": "bsp"}
_HELPER_COLUMNS = ["x", "y", "gsp_name", "bsp_name", "source_id", "parent_source_id", "scope"]


@dataclass(frozen=True)
class GridTables:
    """Canonical grid layers read from one source file.

    Attributes
    ----------
    substations : geopandas.GeoDataFrame
        Canonical ``substations`` layer (EPSG:27700); upstream substations that the file only
        names have no geometry.
    headroom : pandas.DataFrame
        Canonical ``headroom`` table; ``year`` is missing (<NA>) for snapshot sources that
        state no year.
    source : pathlib.Path
        The file read.
    format : str
        The reader's format name, e.g. ``"ssen-headroom-report"``.
    warnings : tuple of str
        Things the reader repaired or skipped, one message each.
    """

    substations: gpd.GeoDataFrame
    headroom: pd.DataFrame
    source: Path
    format: str
    warnings: tuple[str, ...] = field(default=())

    def describe(self) -> dict[str, object]:
        """Summarise what was read: counts per level, scenarios, years, seasons, CRS."""
        subs, head = self.substations, self.headroom
        negative = head[head["headroom_mva"] < 0]
        years = sorted(int(y) for y in head["year"].dropna().unique())
        return {
            "source": self.source.name,
            "format": self.format,
            "crs": str(subs.crs),
            "substations": len(subs),
            "per_level": {lv: int((subs["level"] == lv).sum()) for lv in LEVELS
                          if (subs["level"] == lv).any()},
            "without_location": int(subs.geometry.isna().sum()),
            "headroom_rows": len(head),
            "scenarios": sorted(head["scenario"].unique().tolist()),
            "years": years,
            "seasons": sorted(head["season"].unique().tolist()),
            "negative_headroom_rows": len(negative),
            "warnings": list(self.warnings),
        }

    def filter(self, keep: pd.Series | np.ndarray) -> GridTables:
        """Keep the substations where ``keep`` is true, their ancestors and their headroom."""
        subs = self.substations
        wanted = set(subs.loc[np.asarray(keep, dtype=bool), "substation_id"])
        parents = dict(zip(subs["substation_id"], subs["parent_id"], strict=True))
        for sid in list(wanted):
            parent = parents.get(sid)
            while isinstance(parent, str) and parent not in wanted:
                wanted.add(parent)
                parent = parents.get(parent)
        kept = subs[subs["substation_id"].isin(wanted)].reset_index(drop=True)
        head = self.headroom[self.headroom["substation_id"].isin(wanted)].reset_index(drop=True)
        return GridTables(kept, head, self.source, self.format, self.warnings)


def lonlat_to_bng(lon: Iterable[float], lat: Iterable[float]) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude/latitude arrays to British National Grid metres."""
    x, y = _TO_BNG.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def finish_grid(
    records: pd.DataFrame,
    headroom: pd.DataFrame,
    *,
    source: Path,
    fmt: str,
    warnings: Iterable[str] = (),
) -> GridTables:
    """Turn a reader's raw records into canonical, checked grid layers.

    Parameters
    ----------
    records, headroom : pandas.DataFrame
        As described in the module docstring.
    source : pathlib.Path
        The file read (for messages).
    fmt : str
        The reader's format name.
    warnings : iterable of str
        Messages from the reader; each is logged once and kept on the result.

    Returns
    -------
    GridTables
    """
    notes = list(warnings)
    records = _add_missing_parents(_blank_to_none(_with_defaults(records.copy())))
    records["substation_id"] = _assign_ids(records, notes)
    records["parent_id"] = _resolve_parents(records, notes)
    subs = _to_substations(records)
    head = _to_headroom(headroom, records["substation_id"])
    validate_layer(subs, SUBSTATIONS, source.name)
    validate_layer(head, HEADROOM, source.name)
    for note in notes:
        logger.warning("%s: %s", source.name, note)
    return GridTables(subs, head, source, fmt, tuple(notes))


def _with_defaults(records: pd.DataFrame) -> pd.DataFrame:
    for column in _HELPER_COLUMNS:
        if column not in records:
            records[column] = np.nan if column in ("x", "y") else None
    for column in ("firm_capacity_mva", "peak_demand_mva"):
        if column not in records:
            records[column] = np.nan
    records["_key"] = _keys(records["name"])
    records["_order"] = np.arange(len(records))
    return records


def _blank_to_none(records: pd.DataFrame) -> pd.DataFrame:
    """Make every blank identifier or name cell ``None`` so lookups never see "nan"."""
    for column in ("gsp_name", "bsp_name", "source_id", "parent_source_id", "scope"):
        values = records[column].astype(object)
        records[column] = values.where(~values.map(is_blank), None)
    return records


def _keys(names: pd.Series) -> pd.Series:
    """:func:`name_key` of every name, computed once per distinct spelling."""
    distinct = pd.unique(names.dropna())
    return names.map(dict(zip(distinct, map(name_key, distinct), strict=True)))


def _idents(scope: pd.Series, level: object, key: pd.Series) -> pd.MultiIndex:
    """(scope, level, name key) of each row; a missing scope is ``""``."""
    levels = level if isinstance(level, pd.Series) else pd.Series(level, index=key.index)
    return pd.MultiIndex.from_arrays([scope.fillna("").to_numpy(), levels.to_numpy(),
                                      key.to_numpy()])


def _add_missing_parents(records: pd.DataFrame) -> pd.DataFrame:
    """Append an unlocated row for each upstream GSP/BSP named but not listed.

    The first spelling met in file order names the new row; a new BSP row takes the GSP
    written beside that first mention.
    """
    known = _idents(records["scope"], records["level"], records["_key"])
    added = []
    for column in ("gsp_name", "bsp_name"):
        level = _LEVEL_OF[column]
        named = records[records[column].notna()]
        rows = pd.DataFrame({"name": named[column].astype(str).str.strip(), "level": level,
                             "_key": _keys(named[column]), "scope": named["scope"],
                             "gsp_name": named["gsp_name"] if level == "bsp" else None})
        rows = rows.drop_duplicates(subset=["scope", "_key"])
        idents = _idents(rows["scope"], level, rows["_key"])
        new = ~idents.isin(known)
        added.append(rows[new])
        known = known.append(idents[new])
    extra = pd.concat(added, ignore_index=True) if added else pd.DataFrame()
    if extra.empty:
        return records
    extra["_order"] = len(records) + np.arange(len(extra))
    return pd.concat([records, extra.astype(object)], ignore_index=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9&]+", "_", text.upper()).strip("_") or "UNNAMED"


def _assign_ids(records: pd.DataFrame, notes: list[str]) -> pd.Series:
    own = records["source_id"].where(records["source_id"].notna(), None)
    made = [
        "-".join(p for p in (str(scope) if scope else "", level, _slug(key)) if p)
        for scope, level, key in zip(records["scope"], records["level"], records["_key"],
                                     strict=True)
    ]
    ids = pd.Series([str(o).strip() if o is not None and str(o).strip() else m
                     for o, m in zip(own, made, strict=True)], index=records.index)
    counts = ids.groupby(ids).cumcount()
    repeated = counts > 0
    if repeated.any():
        examples = sorted(set(ids[repeated]))[:5]
        notes.append(f"{int(repeated.sum())} substations repeat an identifier already used "
                     f"(e.g. {examples}); they were given suffixes -2, -3, ...")
        ids = ids.where(~repeated, ids + "-" + (counts + 1).astype(str))
    return ids


def _resolve_parents(records: pd.DataFrame, notes: list[str]) -> pd.Series:
    """Parent of each row: by the file's own parent identifier, else by upstream names.

    A primary or secondary takes its BSP when one is named, else its GSP; a BSP takes its
    GSP. Names match within the same scope and level by :func:`name_key`.
    """
    scope = records["scope"]
    lookup = pd.Series(records["substation_id"].to_numpy(),
                       index=_idents(scope, records["level"], records["_key"]))
    lookup = lookup[~lookup.index.duplicated()]
    parent = pd.Series(None, index=records.index, dtype=object)
    linked = records["parent_source_id"].notna()
    if linked.any():
        own = records["source_id"].astype(str).str.strip()
        by_source = pd.Series(records["substation_id"].to_numpy(), index=own)
        by_source = by_source[records["source_id"].notna().to_numpy()]
        by_source = by_source[~by_source.index.duplicated()]
        wanted = records.loc[linked, "parent_source_id"].astype(str).str.strip()
        parent[linked] = wanted.map(by_source)
        unknown = int(parent[linked].isna().sum())
        if unknown:
            notes.append(f"{unknown} parent identifiers do not match any substation in the "
                         "file; those substations have no parent")
    for column, children in (("bsp_name", ("primary", "secondary")),
                             ("gsp_name", ("bsp", "primary", "secondary"))):
        todo = parent.isna() & records[column].notna() & records["level"].isin(children)
        if todo.any():
            idents = _idents(scope[todo], _LEVEL_OF[column], _keys(records.loc[todo, column]))
            parent[todo] = lookup.reindex(idents).to_numpy()
    return parent.astype(object).where(parent.notna(), None)


def _to_substations(records: pd.DataFrame) -> gpd.GeoDataFrame:
    x, y = records["x"].astype(float).to_numpy(), records["y"].astype(float).to_numpy()
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), index=records.index)
    points[~(np.isfinite(x) & np.isfinite(y))] = None
    extras = [c for c in records.columns
              if c not in SUBSTATIONS.columns and c not in _HELPER_COLUMNS
              and not c.startswith("_")]
    rank = records["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    order = records.assign(_rank=rank).sort_values(["_rank", "substation_id"], kind="stable").index
    columns = [c for c in SUBSTATIONS.columns if c != "geometry"]
    frame = records.loc[order, [*columns, *extras]].astype(
        {"substation_id": str, "name": str, "level": str,
         "firm_capacity_mva": float, "peak_demand_mva": float}
    )
    for column in extras:
        present = frame[column].dropna()
        if len(present) and present.map(lambda v: isinstance(v, bool | np.bool_)).all():
            frame[column] = frame[column].astype("boolean")
    out = gpd.GeoDataFrame(frame, geometry=points.loc[order], crs=CRS).reset_index(drop=True)
    return out[[*SUBSTATIONS.columns, *extras]]


def _to_headroom(headroom: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    head = pd.DataFrame({
        "substation_id": headroom["record"].map(ids).astype(str),
        "scenario": headroom["scenario"].astype(str),
        "year": pd.array(headroom["year"], dtype="Int64"),
        "season": headroom["season"].astype(str),
        "headroom_mva": headroom["headroom_mva"].astype(float),
    })
    head = head.dropna(subset=["headroom_mva"])
    return head.sort_values(list(HEADROOM.key), kind="stable").reset_index(drop=True)
