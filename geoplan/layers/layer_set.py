"""What every layer kind's reader shares: the :class:`LayerSet` result and area selection.

``within`` keeps part of any layer: a boundary file (features inside it), or a name: a DNO
reference area for substations, in full or by its first words (:func:`select_grid`), a
district code or name for zones and for the other kinds when ``zones=`` is given
(:func:`rows_within`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import (
    AreaNotFoundError,
    LayerSchemaError,
    MissingCRSError,
)
from geoplan.schemas import CRS
from geoplan.sources.base import GridTables
from geoplan.sources.canonical import open_layer
from geoplan.sources.vector import layer_fields, layer_names, read_vector, to_bng

__all__ = [
    "VECTOR_SUFFIXES",
    "LayerSet",
    "PathLike",
    "Source",
    "ZonesInput",
    "crs_name",
    "require_bng",
    "rows_within",
    "select_grid",
    "source_name",
    "zones_layer",
    "zones_within",
]

logger = logging.getLogger(__name__)

VECTOR_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".json", ".parquet", ".fgb", ".zip"})

PathLike = str | Path
Source = PathLike | Sequence[PathLike]
ZonesInput: TypeAlias = PathLike | gpd.GeoDataFrame | None


@dataclass(frozen=True)
class LayerSet:
    """Canonical layers read from one source.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    layers : Mapping[str, pandas.DataFrame]
        Layer name -> table, in the order they are written.
    source : str
        What was read (file or folder name).
    format : str
        The reader used.
    warnings : tuple of str
        What the reader repaired or skipped.
    summary : Mapping[str, object]
        Counts for ``geoplan layers validate``.
    """

    kind: str
    layers: Mapping[str, pd.DataFrame]
    source: str
    format: str
    warnings: tuple[str, ...] = ()
    summary: Mapping[str, object] = field(default_factory=dict)


def select_grid(grid: GridTables, within: str | None) -> GridTables:
    """Keep the substations serving ``within`` (see :func:`read_layers`); all when None.

    A name selects the substations whose ``areas`` (the DNO's reference sheet: a LEP, a
    local authority...) list it, compared case-insensitively; it may also be the first
    words of one area's name, so ``Oxfordshire`` selects SEPD's ``Oxfordshire LEP`` (noted
    in the warnings). The ancestors of the substations kept are kept too.

    Raises
    ------
    AreaNotFoundError
        If the name is no area of the file, or begins several; the message lists them.
    """
    if within is None:
        return grid
    keep, note = _substations_within(grid, within)
    kept = grid.filter(keep)
    if note is None:
        return kept
    logger.warning("%s: %s", grid.source.name, note)
    return replace(kept, warnings=(*kept.warnings, note))


def zones_layer(zones: ZonesInput, districts: PathLike | None = None
                ) -> gpd.GeoDataFrame | None:
    """Return the ``zones`` layer given as a frame or a file.

    A GeoPackage written by ``geoplan layers convert`` (layer ``zones`` with ``zone_id``) is
    opened as it is; any other file is read by :func:`geoplan.layers.zones.zones_from_file`.

    Raises
    ------
    LayerSchemaError
        If a frame has no ``zone_id`` column, or is not in British National Grid.
    """
    if zones is None or isinstance(zones, gpd.GeoDataFrame):
        if zones is not None and "zone_id" not in zones.columns:
            raise LayerSchemaError(f"zones: no zone_id column among {list(zones.columns)} "
                                   "(fix: read them with geoplan.layers.zones.zones_from_file)")
        if zones is not None:
            require_bng("zones", zones)
        return zones
    path = Path(zones)
    if (path.suffix.lower() == ".gpkg" and "zones" in layer_names(path)
            and "zone_id" in layer_fields(path, "zones")):
        return open_layer(path, "zones")
    from geoplan.layers.zones import zones_from_file

    return zones_from_file(path, districts=districts)


def require_bng(name: str, frame: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    """Refuse ``frame`` unless it is in British National Grid (:data:`geoplan.schemas.CRS`).

    Raises
    ------
    MissingCRSError
        If it has no CRS.
    LayerSchemaError
        If it has another (named, with the fix).
    """
    if frame.crs is None:
        raise MissingCRSError(f"{name} have no CRS (fix: build zones with "
                              "geoplan.layers.zones.zones_from_file, which gives EPSG:27700)")
    if frame.crs != gpd.GeoSeries(crs=CRS).crs:
        raise LayerSchemaError(f"{name} are in {frame.crs.to_string()}, expected {CRS} "
                               f"(fix: reproject with .to_crs({CRS!r}))")


def source_name(source: object) -> str:
    """Return the file name of ``source``, or ``"<n> files"`` for several paths."""
    if isinstance(source, str | Path):
        return Path(source).name
    return f"{len(source)} files"  # type: ignore[arg-type]


def crs_name(frame: gpd.GeoDataFrame) -> str | None:
    """Return ``frame``'s CRS as ``EPSG:<code>`` (or its name), None when it has none."""
    if frame.crs is None:
        return None
    epsg = frame.crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else frame.crs.name


def rows_within(frame: pd.DataFrame, within: str, zones: gpd.GeoDataFrame | None,
                noun: str) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None]:
    """Keep the rows of ``frame`` in ``within`` (see :func:`read_layers`).

    Parameters
    ----------
    frame : pandas.DataFrame
        A layer; selected by ``zone_id`` when it has one and ``zones`` is given, else by
        where its geometry lies.
    within : str
        A boundary file, or a district code or name of ``zones``.
    zones : geopandas.GeoDataFrame or None
        The zones (needed to select by district).
    noun : str
        What a row is (``"home"``, ``"site"``...), for messages.

    Returns
    -------
    tuple
        The rows kept (index reset) and the zones in ``within`` (None without zones).

    Raises
    ------
    AreaNotFoundError
        If ``within`` names no file and no zones are given, or no row lies inside it.
    """
    chosen = None if zones is None else zones[zones_within(zones, within)]
    if chosen is not None and "zone_id" in frame.columns:
        keep = frame["zone_id"].isin(set(chosen["zone_id"])).to_numpy()
    elif _is_boundary_file(within) or chosen is not None:
        area = _boundary(within) if chosen is None else chosen.geometry.union_all()
        points = frame.geometry.representative_point()
        keep = np.asarray(frame.geometry.notna() & points.within(area))
    else:
        raise AreaNotFoundError(f"--within {within!r} names no file; to select {noun}s by "
                                "district name, also give the zones (zones= or --zones)")
    _nonempty(keep, noun, within)
    return frame[keep].reset_index(drop=True), chosen


def _is_boundary_file(within: str) -> bool:
    path = Path(within)
    return path.suffix.lower() in VECTOR_SUFFIXES and path.exists()


def _boundary(within: str) -> object:
    return to_bng(read_vector(within), within).union_all()


def _nonempty(keep: np.ndarray, noun: str, within: str) -> np.ndarray:
    if not keep.any():
        raise AreaNotFoundError(f"no {noun} lies inside {Path(within).name} (fix: check the "
                                "boundary covers the area, and that its CRS is right)")
    return keep


def _substations_within(grid: GridTables, within: str) -> tuple[np.ndarray, str | None]:
    """Mask of the substations in ``within`` and a note when a name stood for a longer one."""
    subs = grid.substations
    if _is_boundary_file(within):
        keep = np.asarray(subs.geometry.notna() & subs.geometry.within(_boundary(within)))
        return _nonempty(keep, "substation", within), None
    if "areas" not in subs.columns:
        raise AreaNotFoundError(
            f"{grid.source.name} lists no areas to select {within!r} from "
            "(fix: pass a boundary file to --within instead)"
        )
    known = sorted({a for text in subs["areas"].dropna() for a in text.split("; ")})
    area = _area_named(within, known, grid.source.name)
    listed = subs["areas"].fillna("").map(lambda text: {_fold(a) for a in text.split("; ")})
    keep = listed.map(lambda areas: _fold(area) in areas).to_numpy()
    note = (None if _fold(area) == _fold(within) else
            f"--within {within!r}: substations serving area {area!r}, the only area whose "
            "name begins with those words")
    return keep, note


def _fold(name: str) -> str:
    """Return an area name compared case-insensitively, spaces folded."""
    return " ".join(name.split()).casefold()


def _area_named(within: str, known: list[str], file: str) -> str:
    """Return the area of ``known`` that ``within`` names: in full, or by its first words.

    Raises
    ------
    AreaNotFoundError
        If no area is named so, or several begin with those words; the message lists them.
    """
    wanted = _fold(within)
    exact = [a for a in known if _fold(a) == wanted]
    if exact:
        return exact[0]
    begin = [a for a in known if wanted and _fold(a).startswith(wanted + " ")]
    if len(begin) == 1:
        return begin[0]
    if begin:
        raise AreaNotFoundError(f"{file}: area {within!r} is ambiguous: it begins {begin} "
                                "(fix: write one of these names in full)")
    raise AreaNotFoundError(f"{file}: no substation serves area {within!r}; it lists {known} "
                            "(fix: use one of these names, or its first words when only "
                            "one area begins so, or a boundary file)")


def zones_within(zones: gpd.GeoDataFrame, within: str) -> np.ndarray:
    """Mask of the zones inside a boundary file, or of a district given by code or name."""
    if _is_boundary_file(within):
        keep = np.asarray(zones.representative_point().within(_boundary(within)))
        return _nonempty(keep, "zone", within)
    wanted = within.strip().casefold()
    keep = (zones["district_id"].fillna("").str.casefold().eq(wanted)
            | zones["district_name"].fillna("").str.casefold().eq(wanted)).to_numpy()
    if not keep.any():
        known = sorted(set(zones["district_id"].dropna()) | set(zones["district_name"].dropna()))
        raise AreaNotFoundError(f"no zone is in district {within!r}; districts are {known} "
                                "(fix: use a code or name from this list, or a boundary file)")
    return keep
