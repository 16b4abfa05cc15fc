"""One geometry type per exported layer: split layers that mix families, and merge them back.

A GIS layer (a GeoPackage table, a shapefile, a GeoJSON file) is read best when it has one
specific geometry type. :func:`single_geometry_parts` turns each plan layer into parts that do:

* a layer of one family keeps its name; polygons and lines are always written as
  multi-geometries (``MultiPolygon``, ``MultiLineString``), points as ``Point`` unless the
  layer holds a multipoint (then ``MultiPoint``);
* a layer that mixes points with other shapes (e.g. charger sites from car-park points and
  outlines) keeps its name as a ``Point`` layer of every row (a polygon or line is stood in
  for by a point on its surface, so markers show every site at county zoom), and its other
  shapes go to ``NAME_areas`` (and ``NAME_lines``), holding those rows whole;
* a layer that mixes lines and polygons becomes ``NAME_lines`` and ``NAME_areas`` (rows
  without geometry go with the first);
* every part remembers the row positions it holds in the layer, so :func:`merge_parts` puts
  the layer back together, shapes and row order as they were;
* a spatial layer without any geometry is written as ``Point`` (a type is needed);
* a plain table stays a table.

Row positions are stored as text by :func:`encode_rows` (``"0-3 7 9-12"``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geoplan.errors import SourceFormatError
from geoplan.outputs.fields import geometry_name, unique_name

__all__ = ["FAMILY_SUFFIXES", "LayerPart", "as_geometry_type", "decode_rows", "encode_rows",
           "layer_geometry_type", "merge_parts", "single_geometry_parts"]

logger = logging.getLogger(__name__)

FAMILY_SUFFIXES: Mapping[str, str] = {"Point": "points", "LineString": "lines",
                                      "Polygon": "areas", "GeometryCollection": "collections"}
"""Geometry family -> suffix of its part's name, in the order parts are written."""


@dataclass(frozen=True)
class LayerPart:
    """One layer as written: a whole plan layer or one geometry family of it.

    Attributes
    ----------
    name : str
        The layer's name in the file.
    frame : pandas.DataFrame
        Its rows.
    source : str
        The plan layer it comes from (``name`` itself when the layer was not split).
    rows : tuple of int or None
        Positions of its rows in ``source`` (None: all of them, in order).
    geometry_type : str or None
        The one geometry type to write (None for a plain table).
    """

    name: str
    frame: pd.DataFrame
    source: str
    rows: tuple[int, ...] | None
    geometry_type: str | None


def _family(kind: str) -> str:
    return kind if kind == "GeometryCollection" else kind.removeprefix("Multi")


def layer_geometry_type(kinds: Iterable[str]) -> str:
    """Return the one geometry type a layer of geometry types ``kinds`` (one family) is written as.

    >>> layer_geometry_type(["Polygon"]), layer_geometry_type(["Point"])
    ('MultiPolygon', 'Point')
    >>> layer_geometry_type(["Point", "MultiPoint"]), layer_geometry_type([])
    ('MultiPoint', 'Point')
    """
    kinds = set(kinds)
    families = {_family(kind) for kind in kinds}
    if len(families) > 1:
        raise ValueError(f"geometry types {sorted(kinds)} mix families")
    if not families:
        return "Point"
    family = families.pop()
    if family == "GeometryCollection":
        return family
    if family == "Point" and "MultiPoint" not in kinds:
        return "Point"
    return f"Multi{family}"


_MULTI_MAKERS = {
    "MultiPoint": (shapely.multipoints, shapely.GeometryType.POINT),
    "MultiLineString": (shapely.multilinestrings, shapely.GeometryType.LINESTRING),
    "MultiPolygon": (shapely.multipolygons, shapely.GeometryType.POLYGON)}
"""Multi type -> (its maker, the type id of its singles)."""


def as_geometry_type(values: np.ndarray, geometry_type: str | None) -> np.ndarray:
    """Return ``values`` (shapes, None for missing) with singles made one-part multis.

    Only when ``geometry_type`` is a multi type (``MultiPolygon`` ...) and only the single
    shapes of its family change; anything else is returned as it is.

    >>> from shapely.geometry import Point, box
    >>> shapes = as_geometry_type(np.array([box(0, 0, 1, 1), None], dtype=object),
    ...                           "MultiPolygon")
    >>> [None if s is None else (s.geom_type, len(s.geoms)) for s in shapes]
    [('MultiPolygon', 1), None]
    >>> as_geometry_type(np.array([Point(0, 0)], dtype=object), "Point")[0].geom_type
    'Point'
    """
    if geometry_type not in _MULTI_MAKERS:
        return values
    maker, single_type = _MULTI_MAKERS[geometry_type]
    out = np.array(values, dtype=object)
    single = shapely.get_type_id(out) == int(single_type)
    if single.any():
        out[single] = maker(out[single], indices=np.arange(int(single.sum())))
    return out


def single_geometry_parts(frames: Mapping[str, pd.DataFrame]) -> list[LayerPart]:
    """Split each layer into parts of one geometry type (see the module notes).

    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point, box
    >>> mixed = gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=[box(0, 0, 1, 1), Point(0, 0), None])
    >>> [(p.name, p.rows, p.geometry_type) for p in single_geometry_parts({"sites": mixed})]
    [('sites', None, 'Point'), ('sites_areas', (0,), 'MultiPolygon')]
    >>> ways = gpd.GeoDataFrame({"id": [1, 2]},
    ...                         geometry=[box(0, 0, 1, 1), LineString([(0, 0), (1, 1)])])
    >>> [(p.name, p.rows, p.geometry_type) for p in single_geometry_parts({"ways": ways})]
    [('ways_lines', (1,), 'MultiLineString'), ('ways_areas', (0,), 'MultiPolygon')]
    """
    taken = {name.lower() for name in frames}
    parts: list[LayerPart] = []
    for name, frame in frames.items():
        if geometry_name(frame) is None:
            parts.append(LayerPart(name, frame, name, None, None))
            continue
        kinds = frame.geometry.geom_type
        families = kinds.map(_family, na_action="ignore")
        present = [f for f in FAMILY_SUFFIXES if (families == f).any()]
        if len(present) <= 1:
            parts.append(LayerPart(name, frame, name, None,
                                   layer_geometry_type(kinds.dropna())))
            continue
        names = []
        if "Point" in present:  # every row as a point; the other shapes in their own layers
            points = frame.copy()
            others = (families.notna() & (families != "Point")).to_numpy()
            points.loc[others, points.geometry.name] = shapely.point_on_surface(
                frame.geometry.to_numpy()[others])
            kinds_left = points.geometry.geom_type.dropna()
            parts.append(LayerPart(name, points, name, None, layer_geometry_type(kinds_left)))
            names.append(name)
        for index, family in enumerate(present):
            if "Point" in present and family == "Point":
                continue
            keep = (families == family).to_numpy().copy()
            if "Point" not in present and index == 0:  # rows without shape: the first part
                keep |= families.isna().to_numpy()
            part = unique_name(f"{name}_{FAMILY_SUFFIXES[family]}", taken, 100)
            taken.add(part.lower())
            names.append(part)
            rows = tuple(int(i) for i in keep.nonzero()[0])
            parts.append(LayerPart(part, frame[keep], name, rows,
                                   layer_geometry_type(kinds[keep].dropna())))
        logger.info("layer %r mixes %s geometries: written as layers %s (one geometry type "
                    "each)", name, ", ".join(present), ", ".join(names))
    return parts


def merge_parts(parts: Iterable[tuple[str, pd.DataFrame, str, str]]) -> dict[str, pd.DataFrame]:
    """Put layers split by :func:`single_geometry_parts` back together, in their row order.

    Parameters
    ----------
    parts : iterable of (name, frame, source, rows)
        Each layer as read: its name, rows, the layer it is part of (``""`` when whole) and
        its row positions there (:func:`encode_rows` text; ``""`` when whole).

    Returns
    -------
    dict
        Layer name -> frame, each where its first part was. When the layer itself was
        written (as points), its parts' shapes replace those rows' points; otherwise the
        parts' rows are put together.
    """
    grouped: dict[str, list[tuple[pd.DataFrame, str]]] = {}
    whole: dict[str, pd.DataFrame] = {}
    for name, frame, source, rows in parts:
        if not source or source == name:
            whole[name] = frame
            grouped.setdefault(name, [])
        else:
            grouped.setdefault(source, []).append((frame, rows))
    out: dict[str, pd.DataFrame] = {}
    for name, pieces in grouped.items():
        if name in whole:
            out[name] = _overlay(name, whole[name], pieces)
            continue
        positions = [p for _, rows in pieces for p in decode_rows(rows)]
        merged = pd.concat([frame for frame, _ in pieces], ignore_index=True)
        _check_positions(name, positions, len(merged))
        order = pd.Series(range(len(merged)), index=positions).sort_index().to_numpy()
        out[name] = merged.iloc[order].reset_index(drop=True)
    return out


def _overlay(name: str, base: pd.DataFrame, pieces: list[tuple[pd.DataFrame, str]]
             ) -> pd.DataFrame:
    if not pieces:
        return base
    out = base.copy()
    column = out.geometry.name
    for frame, rows in pieces:
        positions = decode_rows(rows)
        if len(positions) != len(frame) or (positions and max(positions) >= len(out)):
            raise SourceFormatError(f"layer {name!r}: a part's {len(frame)} rows do not match "
                                    f"its row positions {rows!r}; export the plan again")
        out.iloc[positions, out.columns.get_loc(column)] = frame.geometry.to_numpy()
    return out


def _check_positions(name: str, positions: list[int], count: int) -> None:
    if sorted(positions) != list(range(count)):
        raise SourceFormatError(f"layer {name!r}: its parts' row positions do not cover "
                                f"{count} rows once each; export the plan again")


def encode_rows(rows: Iterable[int]) -> str:
    """Write increasing row positions as runs.

    >>> encode_rows([0, 1, 2, 3, 7, 9, 10])
    '0-3 7 9-10'
    """
    runs: list[list[int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return " ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def decode_rows(text: str) -> list[int]:
    """Read row positions written by :func:`encode_rows`.

    >>> decode_rows("0-3 7 9-10")
    [0, 1, 2, 3, 7, 9, 10]
    """
    out: list[int] = []
    for run in text.split():
        first, _, last = run.partition("-")
        try:
            out.extend(range(int(first), int(last or first) + 1))
        except ValueError as exc:
            raise SourceFormatError(f"row positions {text!r}: {run!r} is not a number or a "
                                    "range a-b; export the plan again") from exc
    return out
