r"""Planning zones and districts from any vector file, as canonical layers in EPSG:27700.

Column matching rules (case-insensitive, applied to each file's column names):

* **geoplan's own zones** (a ``zones`` layer written by ``geoplan layers convert``, or the
  ``zones`` layer of a run's ``plan.gpkg``): the canonical columns ``zone_id``, ``zone_name``,
  ``district_id``, ``district_name`` play their own roles. In a file with several layers and
  no ``layer=``, the layer named ``zones`` is read.
* **Zone id**: the finest ONS geography present, ``OA`` < ``LSOA`` < ``MSOA`` < ``LAD``, a
  newer year before an older one (``OA21CD``, ``OA11CD``, ``LSOA21CD``, ``LSOA11CD``,
  ``MSOA21CD``, ``MSOA11CD``, then any column matching ``LAD\w*CD`` such as ``LAD13CD``,
  ``LAD22CD``, ``LADCD``, ``LADCD_ACTIVE``, in which case the zones *are* districts).
  ``id_column=`` overrides this.
* **Names**: the code column with ``CD`` replaced by ``NM`` (``LSOA21NM``, ``LADNM_ACTIVE`` or
  ``LADNM``); ``name_column=`` overrides it; with neither (Output Areas), the name is the id.
* **District code**: ``district_column=``, else the first column matching ``LAD\w*CD`` that has
  a matching name column, else the first such column. Names come from the matching ``NM``
  column, else from the ``districts`` layer. Without a code column, each zone takes the
  district it overlaps most (areas in EPSG:27700).

Repairs and warnings are logged and also listed in ``frame.attrs["warnings"]``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import (
    GeoplanError,
    LayerSchemaError,
    Problem,
    Problems,
    SourceFormatError,
    SourceNotFoundError,
)
from geoplan.schemas import CRS, DISTRICTS, ZONES, LayerSchema, validate_layer
from geoplan.sources.vector import check_in_gb, layer_names, read_vector, to_bng

__all__ = ["VECTOR_SUFFIXES", "ZoneFile", "districts_from_file", "zones_from_file"]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

VECTOR_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".parquet", ".geoparquet", ".fgb"})
"""Suffixes read when ``paths`` is a directory (an explicit file may have any suffix)."""

_AREA_CODE = re.compile(r"(OA|LSOA|MSOA)(\d\d)CD", re.IGNORECASE)
_LAD_CODE = re.compile(r"LAD\w*CD", re.IGNORECASE)
_LEVEL = {"OA": 0, "LSOA": 1, "MSOA": 2, "LAD": 3}
_POLYGONAL = ("Polygon", "MultiPolygon")

@dataclass(frozen=True)
class ZoneFile:
    """A zones file and the options to read it with (:func:`zones_from_file`).

    The mapping form of the scenario key ``inputs.zones``; for ``inputs.districts``,
    ``id_column`` and ``name_column`` name the district code and name columns
    (:func:`districts_from_file`).
    """

    path: Path
    id_column: str | None = None
    name_column: str | None = None
    district_column: str | None = None
    layer: str | None = None

    def options(self) -> dict[str, str]:
        """Return the options given, as keyword arguments of :func:`zones_from_file`."""
        named = {"id_column": self.id_column, "name_column": self.name_column,
                 "district_column": self.district_column, "layer": self.layer}
        return {k: v for k, v in named.items() if v is not None}


@dataclass(frozen=True)
class _Roles:
    """Source column playing each canonical role (``None``: not in the file)."""

    zone_id: str
    zone_name: str | None
    district_id: str | None
    district_name: str | None

    def key(self) -> tuple[str | None, ...]:
        return tuple(c.upper() if c else None for c in (self.zone_id, self.zone_name,
                                                        self.district_id, self.district_name))


def zones_from_file(
    paths: PathLike | Sequence[PathLike],
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    district_column: str | None = None,
    districts: PathLike | gpd.GeoDataFrame | None = None,
    layer: str | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read planning zones into the canonical ``zones`` layer.

    Parameters
    ----------
    paths : path, list of paths, or directory
        Vector files (GeoPackage, Shapefile, GeoJSON, GeoParquet, ...). A directory means every
        file in it with a suffix in :data:`VECTOR_SUFFIXES`, sorted by name. All files must
        have the same id, name and district columns; they are concatenated.
    id_column, name_column : str, optional
        Zone id and name columns, when the ONS conventions (module docstring) do not apply.
    district_column : str, optional
        Column holding each zone's district code.
    districts : path or geopandas.GeoDataFrame, optional
        District polygons (see :func:`districts_from_file`): names for district codes, or a
        spatial join (largest overlap) when the zones carry no district code.
    layer : str, optional
        Layer to read in multi-layer files (required when a file has several).
    crs : str, optional
        CRS of files that declare none, e.g. ``"EPSG:27700"``; never overrides a declared CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_id``, ``zone_name``, ``district_id``, ``district_name`` (str), ``geometry``
        (Polygon or MultiPolygon) in EPSG:27700, sorted by ``zone_id``. Invalid geometries are
        repaired; ``attrs["warnings"]`` lists what was repaired or left missing.

    Raises
    ------
    SourceNotFoundError
        A file, or the requested layer, does not exist.
    SourceFormatError
        A file is not a readable vector file, or has several layers and no ``layer=``.
    MissingCRSError
        A file has no CRS and ``crs=`` was not given.
    LayerSchemaError
        No id column, disagreeing files, empty layer, missing geometries, duplicate ids, no
        way to find districts, or ``crs=`` contradicting a file's CRS.
    """
    files = _expand(paths)
    source = _label(paths, files)
    warnings: list[str] = []
    parts, roles = [], []
    for path in files:
        raw = _read_layer(path, layer, crs)
        role = _zone_roles(raw, path, id_column, name_column, district_column)
        parts.append(_canonical(raw, role, path).assign(_source=path.name))
        roles.append(role)
    _check_agree(files, roles, source)
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CRS)
    frame = _clean_geometries(frame, source, warnings)
    frame = _drop_duplicates(frame, source, warnings)
    frame = _attach_districts(frame, roles[0], districts, source, warnings)
    return _finish(frame.drop(columns="_source"), ZONES, source, warnings)


def districts_from_file(
    path: PathLike,
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    r"""Read district polygons into a ``district_id``, ``district_name``, geometry layer.

    Parameters
    ----------
    path : path
        One vector file, e.g. ONS district boundaries with ``LAD13CD``/``LAD13NM``, or
        geoplan's own (``district_id``, ``district_name``; in a file of several layers, the
        one named ``districts``, as in a run's ``plan.gpkg``).
    id_column : str, optional
        District code column; default: the first column matching ``LAD\w*CD`` (``LAD13CD``,
        ``LADCD_ACTIVE``, ...), preferring one with a matching ``NM`` column.
    name_column : str, optional
        District name column; default: the matching ``NM`` column, else the code (warned).
    layer, crs : str, optional
        As in :func:`zones_from_file`.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`DISTRICTS` layer in EPSG:27700, sorted by ``district_id``.

    Raises
    ------
    GeoplanError
        The same errors as :func:`zones_from_file`, e.g. ``LayerSchemaError`` when no district
        code column is found.
    """
    path = Path(path)
    raw = _read_layer(path, layer, crs, prefer="districts")
    return _districts_from_frame(raw, path.name, id_column, name_column)


def _districts_from_frame(raw: gpd.GeoDataFrame, source: str, id_column: str | None,
                          name_column: str | None) -> gpd.GeoDataFrame:
    columns = [str(c) for c in raw.columns if c != raw.geometry.name]
    if id_column is None and _find(columns, "district_id"):  # geoplan's own districts
        id_column, name_column = "district_id", name_column or _find(columns, "district_name")
    code = _explicit(columns, "id_column", id_column, source) or _lad_code(columns)
    if code is None:
        _fail(LayerSchemaError, source, f"no district code column among {columns}",
              "pass id_column= naming the district code column")
    name = _explicit(columns, "name_column", name_column, source) or _name_of(columns, code)
    warnings: list[str] = []
    if name is None:
        _warn(warnings, f"{source}: no district name column; using codes as names "
              "(pass name_column=)")
    ids = _check_ids(_as_str(raw[code]), source, code)
    frame = gpd.GeoDataFrame({"district_id": ids,
                              "district_name": _as_str(raw[name]) if name else ids},
                             geometry=raw.geometry.values, crs=raw.crs)
    frame = _clean_geometries(frame, source, warnings, key="district_id")
    return _finish(frame, DISTRICTS, source, warnings)


def _expand(paths: PathLike | Sequence[PathLike]) -> list[Path]:
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not items:
        raise SourceNotFoundError("no zone files given (fix: pass a file or a directory)")
    files: list[Path] = []
    for item in map(Path, items):
        if not item.is_dir():
            files.append(item)
            continue
        found = sorted(p for p in item.iterdir() if p.suffix.lower() in VECTOR_SUFFIXES)
        if not found:
            seen = sorted(p.name for p in item.iterdir())[:10]
            raise SourceNotFoundError(
                f"{item}: no vector files (suffixes {sorted(VECTOR_SUFFIXES)}); it holds {seen} "
                "(fix: give the boundary file itself, or the folder that holds it)"
            )
        files.extend(found)
    return files


def _label(paths: PathLike | Sequence[PathLike], files: list[Path]) -> str:
    if isinstance(paths, str | os.PathLike):
        return Path(paths).name
    names = [p.name for p in files]
    return ", ".join(names) if len(names) <= 3 else f"{names[0]} and {len(names) - 1} more files"


def _read_layer(path: Path, layer: str | None, crs: str | None,
                prefer: str = "zones") -> gpd.GeoDataFrame:
    """Read one layer of ``path`` in EPSG:27700, refusing empty layers and zones outside GB.

    Without ``layer``, a file of several layers is read at the one named ``prefer``, if any.
    """
    if layer is None and path.suffix.lower() not in (".parquet", ".geoparquet"):
        names = layer_names(path) if path.is_file() else []
        layer = prefer if len(names) > 1 and prefer in names else None
    frame = read_vector(path, layer)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.active_geometry_name is None:
        _fail(SourceFormatError, path, "has no geometry column, so it is not a vector layer",
              "give a GeoPackage, Shapefile, GeoJSON or GeoParquet file of polygons")
    if frame.empty:
        _fail(LayerSchemaError, path, "layer is empty (no features)",
              "check the file, or pass layer= (--layer) to choose another layer")
    projected = to_bng(frame, path, crs)
    check_in_gb(frame, projected, path, "zones")
    return projected


def _zone_roles(raw: gpd.GeoDataFrame, path: Path, id_column: str | None,
                name_column: str | None, district_column: str | None) -> _Roles:
    """Decide which source column plays each canonical role (see the module docstring)."""
    columns = [str(c) for c in raw.columns if c != raw.geometry.name]
    given = {"id_column": id_column, "name_column": name_column,
             "district_column": district_column}
    explicit = {role: _explicit(columns, role, value, path.name) for role, value in
                given.items()}
    if not any(explicit.values()) and _find(columns, "zone_id"):
        return _canonical_roles(columns)
    zone_id = explicit["id_column"] or _ons_zone_id(columns)
    if zone_id is None:
        _fail(LayerSchemaError, path, f"no zone id column recognised among columns {columns}",
              "pass id_column= and name_column= (--id-column/--name-column; in a scenario "
              "inputs.zones: {path: ..., id_column: ..., name_column: ...})")
    zone_name = explicit["name_column"] or _name_of(columns, zone_id)
    if _LAD_CODE.fullmatch(zone_id) and district_column is None:
        return _Roles(zone_id, zone_name, zone_id, zone_name)
    district = explicit["district_column"] or _lad_code(columns)
    return _Roles(zone_id, zone_name, district, _name_of(columns, district) if district else None)


def _canonical_roles(columns: list[str]) -> _Roles:
    """Roles of geoplan's own zones layer (module docstring)."""
    found = [_find(columns, c) for c in ("zone_id", "zone_name", "district_id", "district_name")]
    return _Roles(found[0] or "zone_id", *found[1:])


def _explicit(columns: list[str], role: str, name: str | None, source: str) -> str | None:
    """Resolve a user-given column name case-insensitively; error when it is absent."""
    if name is None:
        return None
    found = _find(columns, name)
    if found is None:
        _fail(LayerSchemaError, source, f"{role}={name!r} is not a column; columns: {columns}",
              f"pass one of those columns as {role}=")
    return found


def _find(columns: list[str], name: str) -> str | None:
    return next((c for c in columns if c.upper() == name.upper()), None)


def _ons_zone_id(columns: list[str]) -> str | None:
    ranked = []
    for position, column in enumerate(columns):
        match = _AREA_CODE.fullmatch(column)
        if match:
            ranked.append((_LEVEL[match[1].upper()], -int(match[2]), position, column))
        elif _LAD_CODE.match(column):
            year = re.search(r"\d\d", column)
            ranked.append((_LEVEL["LAD"], -int(year[0]) if year else 0, position, column))
    return min(ranked)[-1] if ranked else None


def _lad_code(columns: list[str]) -> str | None:
    codes = [c for c in columns if _LAD_CODE.match(c)]
    named = [c for c in codes if _name_of(columns, c)]
    return next(iter(named or codes), None)


def _name_of(columns: list[str], code: str) -> str | None:
    cut = code.upper().rfind("CD")
    if cut < 0:
        return None
    stem, suffix = code[:cut], code[cut + 2:]
    return _find(columns, f"{stem}NM{suffix}") or _find(columns, f"{stem}NM")


def _check_agree(files: list[Path], roles: list[_Roles], source: str) -> None:
    if len({r.key() for r in roles}) > 1:
        fix = "read them separately, or give files with the same id/name/district columns"
        found = [Problem(f"id, name, district code, district name columns are {r.key()}",
                         file=path.name, fix=fix) for path, r in zip(files, roles, strict=True)]
        raise LayerSchemaError(f"{source}: files disagree on their columns:", found)


def _canonical(raw: gpd.GeoDataFrame, roles: _Roles, path: Path) -> gpd.GeoDataFrame:
    def column(name: str | None) -> pd.Series:
        return _as_str(raw[name]) if name else pd.Series(np.nan, raw.index, dtype="str")

    ids = _check_ids(column(roles.zone_id), path, roles.zone_id)
    data = {"zone_id": ids, "zone_name": column(roles.zone_name) if roles.zone_name else ids,
            "district_id": column(roles.district_id),
            "district_name": column(roles.district_name)}
    return gpd.GeoDataFrame(data, geometry=raw.geometry.values, crs=raw.crs)


def _check_ids(ids: pd.Series, source: Path | str, column: str) -> pd.Series:
    missing = np.flatnonzero(ids.isna().to_numpy())
    if len(missing):
        _fail(LayerSchemaError, source, f"column {column!r}: {len(missing)} features have no "
              f"id (feature numbers {[int(i) + 1 for i in missing[:10]]})",
              "give every feature an id")
    return ids


def _as_str(values: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    return values.astype("str").str.strip().replace("", np.nan)


def _clean_geometries(frame: gpd.GeoDataFrame, source: str, warnings: list[str],
                      key: str = "zone_id") -> gpd.GeoDataFrame:
    """Refuse rows without geometry, repair invalid polygons, refuse non-polygons."""
    problems = Problems(source)
    geoms, ids = frame.geometry.values, frame[key]
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    _add_rows(problems, empty, ids, "have no geometry", "remove them or draw their boundary")
    problems.raise_if_any(LayerSchemaError)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = [_polygonal(g) for g in shapely.make_valid(geoms[invalid])]
        _warn(warnings, f"{source}: repaired {int(invalid.sum())} invalid geometries "
              "(shapely.make_valid, polygonal parts kept)")
    bad = ~np.isin(shapely.get_type_id(geoms), (3, 6)) | shapely.is_empty(geoms)
    _add_rows(problems, bad, ids, "are not polygons (or have no area once repaired)",
              "zones must be Polygon or MultiPolygon features")
    problems.raise_if_any(LayerSchemaError)
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _add_rows(problems: Problems, mask: np.ndarray, ids: pd.Series, what: str,
              fix: str) -> None:
    if mask.any():
        problems.add(f"{int(mask.sum())} features {what}: ids {ids[mask].tolist()[:10]}",
                     fix=fix)


def _drop_duplicates(frame: gpd.GeoDataFrame, source: str,
                     warnings: list[str]) -> gpd.GeoDataFrame:
    """Drop ids repeated across files with identical geometry; refuse any other repeat."""
    repeated = frame["zone_id"].duplicated(keep=False).to_numpy()
    if not repeated.any():
        return frame
    rows = frame.loc[repeated, ["zone_id", "_source"]].assign(
        _shape=shapely.to_wkb(shapely.normalize(frame.geometry.values[repeated])))
    stats = rows.groupby("zone_id").agg(shapes=("_shape", "nunique"),
                                        files=("_source", "nunique"), rows=("_source", "size"))
    same = (stats["shapes"] == 1) & (stats["files"] == stats["rows"])
    if not same.all():
        clash = {i: sorted(rows.loc[rows["zone_id"] == i, "_source"]) for i in
                 stats.index[~same][:10]}
        _fail(LayerSchemaError, source, f"{int((~same).sum())} zone ids are repeated with "
              f"different geometry or within one file: {clash}", "make zone ids unique")
    _warn(warnings, f"{source}: {int(same.sum())} zone ids appear in several files with "
          f"identical geometry; kept one of each: {list(stats.index[:5])}")
    return frame.drop_duplicates("zone_id", keep="first")


def _attach_districts(frame: gpd.GeoDataFrame, roles: _Roles,
                      districts: PathLike | gpd.GeoDataFrame | None, source: str,
                      warnings: list[str]) -> gpd.GeoDataFrame:
    layer = _load_districts(districts) if districts is not None else None
    if roles.district_id is not None and frame["district_id"].isna().any():
        _warn(warnings, f"{source}: {int(frame['district_id'].isna().sum())} zones have no "
              f"code in column {roles.district_id!r}; they are left without a district")
    if roles.district_id is None:
        if layer is None:
            _fail(LayerSchemaError, source, "zones have no district code column "
                  f"(none matches {_LAD_CODE.pattern})",
                  "pass districts= (--districts) with district polygons to join by overlap, "
                  "or district_column= (--district-column)")
        frame = _join_districts(frame, layer, source, warnings)
    if layer is not None:
        lookup = pd.Series(layer["district_name"].to_numpy(), index=layer["district_id"])
        frame["district_name"] = frame["district_name"].fillna(frame["district_id"].map(lookup))
    unnamed = frame["district_name"].isna() & frame["district_id"].notna()
    if unnamed.any():
        codes = sorted(frame.loc[unnamed, "district_id"].unique())[:5]
        _warn(warnings, f"{source}: {int(unnamed.sum())} zones have no district name "
              f"(codes {codes}); pass districts= (--districts) with names for these codes")
    return frame


def _load_districts(districts: PathLike | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(districts, gpd.GeoDataFrame):
        return districts_from_file(districts)
    canonical = {"district_id", "district_name"} <= set(districts.columns)
    frame = to_bng(districts, "districts GeoDataFrame")
    return _districts_from_frame(frame, "districts GeoDataFrame",
                                 "district_id" if canonical else None,
                                 "district_name" if canonical else None)


def _join_districts(frame: gpd.GeoDataFrame, layer: gpd.GeoDataFrame, source: str,
                    warnings: list[str]) -> gpd.GeoDataFrame:
    """Give each zone the district it overlaps most (ties: lowest district id)."""
    zone_pos, district_pos = layer.sindex.query(frame.geometry.values, predicate="intersects")
    area = shapely.area(shapely.intersection(frame.geometry.values[zone_pos],
                                             layer.geometry.values[district_pos]))
    pairs = pd.DataFrame({"zone": zone_pos, "area": area,
                          "district_id": layer["district_id"].to_numpy()[district_pos]})
    pairs = pairs[pairs["area"] > 0].groupby(["zone", "district_id"], as_index=False)["area"]
    best = pairs.sum().sort_values(["zone", "area", "district_id"],
                                   ascending=[True, False, True]).drop_duplicates("zone")
    frame = frame.copy()
    frame["district_id"] = pd.Series(best["district_id"].to_numpy(), index=best["zone"],
                                     dtype="str").reindex(range(len(frame))).to_numpy()
    lost = frame.loc[frame["district_id"].isna(), "zone_id"]
    if len(lost):
        _warn(warnings, f"{source}: {len(lost)} zones overlap no district and have none, e.g. "
              f"{sorted(lost)[:5]}; check the districts layer covers the zones")
    return frame


def _finish(frame: gpd.GeoDataFrame, schema: LayerSchema, source: str,
            warnings: list[str]) -> gpd.GeoDataFrame:
    columns = list(schema.columns)
    frame = frame[columns].sort_values(columns[0], kind="stable").reset_index(drop=True)
    for column in columns[:-1]:
        frame[column] = frame[column].astype("str")
    validate_layer(frame, schema, source)
    frame.attrs["warnings"] = list(warnings)
    return frame


def _warn(warnings: list[str], message: str) -> None:
    logger.warning("%s", message)
    warnings.append(message)


def _fail(error: type[GeoplanError], source: Path | str, message: str, fix: str) -> NoReturn:
    name = Path(source).name
    raise error(f"{name}: {message}", [Problem(message, file=name, fix=fix)])
