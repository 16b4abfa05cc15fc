"""Export plan layers to GeoPackage, shapefiles, GeoJSON, GeoParquet or CSV, and read them back.

:func:`export_plan` writes a mapping of layer name -> GeoDataFrame (one per workstream) or
DataFrame (a non-spatial table); :func:`read_plan` reads any export back into the same layers:
same names and order, columns, dtypes, values, geometry and CRS (the index is not kept).

One geometry type per layer
---------------------------
In every format every spatial layer has one specific geometry type
(:mod:`geoplan.outputs.export_parts`): polygons are written as ``MultiPolygon``; a layer that
mixes points with outlines (charger sites from car-park points and polygons) is written as a
``Point`` layer of every row (an outline stood in for by a point on its surface) plus
``NAME_areas`` holding the outlines; lines mixed with polygons become ``NAME_lines`` and
``NAME_areas``. :func:`read_plan` puts such layers back together.

Layouts
-------
``gpkg``
    One file, one layer per entry (plain tables as attribute tables). Each layer's column
    dtypes are stored in its GDAL layer metadata (``GEOPLAN_FIELDS``) so that, e.g.,
    nullable integers come back as such. QGIS's ``layer_styles`` table holds one default
    style per layer (:mod:`geoplan.outputs.qgis_style`: the web map's colours, labels and
    readable field aliases), so the plan opens in QGIS styled.
``shp``, ``geojson``, ``parquet``, ``csv``
    A folder (written atomically, like a run) holding one file per layer plus:

    * ``layers.csv``: one row per layer in order: ``layer`` (name), ``file``, ``geometry``
      (``native``, ``wkt``, ``x,y`` or empty for a table), ``geometry_types`` (of the layer
      as planned), ``crs`` (the file's own CRS), ``plan_crs`` (the layer's, which
      :func:`read_plan` restores), ``rows``, ``part_of`` and ``source_rows`` (for a part of
      a layer split by geometry type: the layer and its row positions there);
    * ``<file>_fields.csv``: one row per column in order: ``short_name`` (as in the file),
      ``full_name``, ``dtype``, ``blank`` and ``truncated`` (see below).

Format notes
------------
* **shp**: a folder rather than a zip, so that any GIS opens the files directly. A spatial
  layer is ``.shp .shx .dbf .prj .cpg`` (UTF-8; the ``.prj`` carries the CRS, e.g.
  EPSG:27700); a table is a lone ``.dbf``. Field names are shortened to readable names of
  at most 10 characters by :func:`short_field_names` (``candidate_id`` -> ``cand_id``,
  ``tco2e_per_yr`` -> ``co2_per_yr``) and ``<file>_fields.csv`` maps them back. Text longer
  than 254 bytes is cut (with a warning; ``truncated`` counts the values cut). DBF text
  cannot tell missing from empty: ``blank`` says which one a blank cell means (``missing``
  when the column had missing values and no empty text, else ``empty``). A one-part
  multipolygon in a layer that had polygons comes back as a polygon, as does the
  GeoPackage's.
* **geojson**: EPSG:4326 (longitude, latitude), as RFC 7946 requires, with 7 decimals
  (about 1 cm); :func:`read_plan` reprojects back to the layer's CRS. A plain table is
  written as CSV (as in the ``csv`` format), not as features without geometry.
* **parquet**: GeoParquet written by geopandas with pyarrow (the GDAL bundled with pyogrio has
  no Parquet driver); dtypes survive natively, and each file's ``geo`` metadata lists its one
  geometry type.
* **csv**: UTF-8, Unix line ends, full-precision numbers; point layers get ``x`` and ``y``
  columns, other layers a ``wkt`` column (``MULTIPOLYGON``, one type per file). Blank cells
  follow the ``blank`` rule above.

GeoPackage and CSV bytes are identical for identical layers (the GeoPackage timestamp and the
DBF date are pinned).

The field tables, short field names and dtype restore live in :mod:`geoplan.outputs.fields`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from geoplan.errors import (
    LayerSchemaError,
    MissingCRSError,
    SourceFormatError,
    SourceNotFoundError,
)
from geoplan.files.atomic import write_geopackage
from geoplan.files.run_folder import RunFolder
from geoplan.outputs.export_parts import (
    LayerPart,
    as_geometry_type,
    encode_rows,
    merge_parts,
    single_geometry_parts,
)
from geoplan.outputs.fields import (
    FIELD_COLUMNS,
    TEXT_DTYPES,
    blank_rule,
    describe,
    field_table,
    geometry_name,
    restore,
    short_field_names,
    unique_name,
)
from geoplan.outputs.qgis_style import STYLES_TABLE, write_field_titles, write_layer_styles

__all__ = ["DBF_TEXT_BYTES", "FORMATS", "INDEX", "export_plan", "exported_layers", "read_plan",
           "short_field_names"]

logger = logging.getLogger(__name__)

FORMATS = ("gpkg", "shp", "geojson", "parquet", "csv")
"""Formats :func:`export_plan` writes."""
INDEX = "layers.csv"
"""Name of the layer index in a folder export."""
DBF_TEXT_BYTES = 254
"""Longest text a DBF field holds, in bytes."""
_DBF_DATE = "2000-01-01"
_METADATA_KEY = "GEOPLAN_FIELDS"

Layers = Mapping[str, pd.DataFrame]


def export_plan(layers: Layers, path: str | Path, *, fmt: str = "gpkg",
                overwrite: bool = False) -> Path:
    """Write plan layers in one of :data:`FORMATS`, atomically.

    Parameters
    ----------
    layers : mapping
        Layer name -> GeoDataFrame (spatial) or DataFrame (table), in the order to write.
    path : str or pathlib.Path
        A ``.gpkg`` file for ``gpkg``; a folder for the other formats.
    fmt : {"gpkg", "shp", "geojson", "parquet", "csv"}
        Output format (see the module notes for what each keeps).
    overwrite : bool
        Replace an existing output (a folder only if it is an export: it holds ``layers.csv``).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is false.
    LayerSchemaError
        If a layer is not a table.
    """
    fmt = _check_format(fmt)
    frames = _checked_layers(layers)
    path = Path(path)
    if fmt == "gpkg":
        if path.suffix.lower() != ".gpkg":
            raise LayerSchemaError(f"{path}: a GeoPackage export needs a .gpkg file name")
        return _write_gpkg(single_geometry_parts(frames), path, overwrite)
    parts = single_geometry_parts(frames)
    with RunFolder(path, overwrite, marker=INDEX) as folder:
        rows = [_part_row(part, _WRITERS[fmt](part, folder / stem))
                for part, stem in zip(parts, _file_stems([p.name for p in parts]), strict=True)]
        _write_text(pd.DataFrame(rows), folder / INDEX)
    logger.info("exported %d layers to %s (%s)", len(parts), path, fmt)
    return path


def _write_gpkg(parts: list[LayerPart], path: Path, overwrite: bool) -> Path:
    metadata = {}
    for part in parts:
        described: dict[str, object] = dict(describe(part.frame))
        if part.rows is not None:
            described.update(part_of=part.source, rows=encode_rows(part.rows))
        metadata[part.name] = {_METADATA_KEY: json.dumps(described)}
    frames = {part.name: part.frame for part in parts}
    kinds = {part.name: part.geometry_type for part in parts if part.geometry_type}

    def styles(file: Path) -> None:
        write_field_titles(file, frames)
        write_layer_styles(file, frames)

    return write_geopackage(frames, path, overwrite=overwrite, layer_metadata=metadata,
                            geometry_types=kinds, finish=styles)


def _part_row(part: LayerPart, row: dict[str, object]) -> dict[str, object]:
    split = part.rows is not None
    return {**row, "part_of": part.source if split else "",
            "source_rows": encode_rows(part.rows or ()) if split else ""}


def read_plan(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read an export written by :func:`export_plan` (or any GeoPackage) back into layers.

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoPackage, or a folder holding ``layers.csv``.

    Returns
    -------
    dict
        Layer name -> GeoDataFrame (spatial layers, in their original CRS) or DataFrame.

    Raises
    ------
    SourceNotFoundError
        If ``path`` does not exist.
    SourceFormatError
        If ``path`` is neither a GeoPackage nor an export folder.
    """
    path = Path(path)
    if not path.exists():
        raise SourceNotFoundError(f"{path} does not exist")
    if path.is_file() and path.suffix.lower() == ".gpkg":
        return _read_gpkg(path)
    if not (path / INDEX).is_file():
        raise SourceFormatError(f"{path} is neither a .gpkg file nor a folder with {INDEX}, so "
                                "not a geoplan export; give the plan.gpkg a `geoplan run` "
                                "wrote, or a folder written by `geoplan export`")
    index = pd.read_csv(path / INDEX, dtype=str, keep_default_na=False)
    for column in ("plan_crs", "part_of", "source_rows"):  # absent from older exports
        if column not in index.columns:
            index[column] = index["crs"] if column == "plan_crs" else ""
    return merge_parts((row.layer, _read_folder_layer(path, row), row.part_of, row.source_rows)
                       for row in index.itertuples())


def exported_layers(path: str | Path) -> dict[str, int]:
    """Return the layers an export holds as written (split parts included) and their rows.

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoPackage or a folder written by :func:`export_plan`.

    Returns
    -------
    dict
        Layer name in the file(s) -> number of rows, in file order (QGIS's style table
        left out): e.g. ``chargers`` (every site as a point) and ``chargers_areas``.
    """
    path = Path(path)
    if path.is_file():
        return {name: int(pyogrio.read_info(path, layer=name)["features"])
                for name in _gpkg_layers(path) if name != STYLES_TABLE}
    index = pd.read_csv(path / INDEX, dtype={"layer": str, "rows": int}, keep_default_na=False)
    return dict(zip(index["layer"], index["rows"].astype(int), strict=True))


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise LayerSchemaError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def _checked_layers(layers: Layers) -> dict[str, pd.DataFrame]:
    if not layers:
        raise LayerSchemaError("nothing to export: no layers given")
    for name, frame in layers.items():
        if not isinstance(name, str) or not name:
            raise LayerSchemaError(f"layer name {name!r} must be non-empty text")
        if not isinstance(frame, pd.DataFrame):
            raise LayerSchemaError(f"layer {name!r} is a {type(frame).__name__}, not a "
                                   "(Geo)DataFrame; pass tables only")
    return dict(layers)


def _file_stems(names: list[str]) -> list[str]:
    taken = {"layers"}
    stems = []
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "layer"
        stem = unique_name(base, taken, 100)
        while f"{stem}_fields".lower() in taken:
            stem = unique_name(f"{stem}_", taken, 100)
        taken.update({stem.lower(), f"{stem}_fields".lower()})
        stems.append(stem)
    return stems


def _attributes(frame: pd.DataFrame) -> pd.DataFrame:
    geometry = geometry_name(frame)
    table = pd.DataFrame(frame.drop(columns=geometry) if geometry else frame)
    return table.reset_index(drop=True)


def _truncate_text(table: pd.DataFrame, fields: pd.DataFrame, layer: str) -> pd.DataFrame:
    for column in table.columns:
        values = table[column]
        if str(values.dtype) not in TEXT_DTYPES:
            continue
        text = values.dropna().astype(str)
        long = text[text.str.encode("utf-8").str.len() > DBF_TEXT_BYTES]
        if long.empty:
            continue
        cut = long.map(lambda s: s.encode("utf-8")[:DBF_TEXT_BYTES].decode("utf-8", "ignore"))
        table[column] = values.astype(object).where(~values.index.isin(cut.index), cut)
        fields.loc[fields["full_name"] == column, "truncated"] = len(cut)
        logger.warning("layer %r, column %r: %d values longer than %d bytes were cut for the "
                       "shapefile (use gpkg to keep them whole)", layer, column, len(cut),
                       DBF_TEXT_BYTES)
    return table


def _write_text(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _index_row(frame: pd.DataFrame, name: str, file: Path, geometry: str,
               file_crs: object = None) -> dict[str, object]:
    """Return the row of ``layers.csv``: ``crs`` is the file's own CRS, ``plan_crs`` the layer's."""
    spatial = geometry_name(frame) is not None
    crs = _crs_text(frame.crs) if spatial else ""
    kinds = "|".join(describe(frame)["geometry_types"])
    return {"layer": name, "file": file.name, "geometry": geometry if spatial else "",
            "geometry_types": kinds, "crs": _crs_text(file_crs) if file_crs else crs,
            "plan_crs": crs, "rows": len(frame)}


def _crs_text(crs: object) -> str:
    if crs is None:
        return ""
    crs = pyproj.CRS.from_user_input(crs)
    code = crs.to_authority()
    return ":".join(code) if code else crs.to_wkt()


def _write_shp(part: LayerPart, stem: Path) -> dict[str, object]:
    frame, name = part.frame, part.name
    table, fields = _attributes(frame), field_table(frame)
    fields = blank_rule(table, fields)
    table = _truncate_text(table, fields, name)
    short = short_field_names([str(c) for c in table.columns])
    fields["short_name"] = fields["full_name"].map(short).fillna("")
    table = table.rename(columns=short)
    options = {"encoding": "UTF-8", "layer_options": {"DBF_DATE_LAST_UPDATE": _DBF_DATE}}
    geometry = geometry_name(frame)
    if geometry is None:
        file = stem.with_suffix(".dbf")
        pyogrio.write_dataframe(table, file, driver="ESRI Shapefile", **options)
    else:
        file = stem.with_suffix(".shp")
        kind = part.geometry_type or "Point"
        spatial = gpd.GeoDataFrame(table, geometry=frame.geometry.to_numpy(), crs=frame.crs)
        pyogrio.write_dataframe(spatial, file, driver="ESRI Shapefile",
                                promote_to_multi=kind.startswith("Multi") or None,
                                geometry_type=kind, **options)
    _write_text(fields, stem.with_name(f"{stem.name}_fields.csv"))
    return _index_row(frame, name, file, "native")


def _write_geojson(part: LayerPart, stem: Path) -> dict[str, object]:
    frame, name = part.frame, part.name
    if geometry_name(frame) is None:  # a plain table is a table, not features without shapes
        return _write_csv(part, stem)
    table, fields = _attributes(frame), field_table(frame)
    if frame.crs is None:
        raise MissingCRSError(f"layer {name!r} has no CRS, so it cannot be reprojected to "
                              "EPSG:4326 for GeoJSON; set its CRS first")
    spatial = gpd.GeoDataFrame(table, geometry=frame.geometry.to_crs(4326).to_numpy(), crs=4326)
    file = stem.with_suffix(".geojson")
    kind = part.geometry_type or "Point"
    pyogrio.write_dataframe(spatial, file, driver="GeoJSON", layer_options={"RFC7946": "YES"},
                            promote_to_multi=kind.startswith("Multi") or None,
                            geometry_type=kind)
    _write_text(fields, stem.with_name(f"{stem.name}_fields.csv"))
    return _index_row(frame, name, file, "native", file_crs="EPSG:4326")


def _write_parquet(part: LayerPart, stem: Path) -> dict[str, object]:
    frame, name = part.frame, part.name
    file = stem.with_suffix(".parquet")
    table = frame.reset_index(drop=True)
    geometry = geometry_name(table)
    if geometry is not None:
        table[geometry] = gpd.GeoSeries(_shapes(part), index=table.index, crs=frame.crs)
    table.attrs = {}  # pandas would store attrs (e.g. a plan's CRS object) as JSON
    table.to_parquet(file, index=False)
    _write_text(field_table(frame), stem.with_name(f"{stem.name}_fields.csv"))
    return _index_row(frame, name, file, "native")


def _shapes(part: LayerPart) -> np.ndarray:
    """Return the part's shapes as written: singles promoted to its one multi type."""
    return as_geometry_type(part.frame.geometry.to_numpy(), part.geometry_type)


def _write_csv(part: LayerPart, stem: Path) -> dict[str, object]:
    frame, name = part.frame, part.name
    table, fields = _attributes(frame), field_table(frame)
    fields = blank_rule(table, fields)
    encoding = ""
    if geometry_name(frame) is not None:
        geometry = gpd.GeoSeries(_shapes(part), crs=frame.crs)
        points = set(geometry.dropna().geom_type) <= {"Point"}
        encoding = "x,y" if points and not {"x", "y"} & set(table.columns) else "wkt"
        if encoding in table.columns:
            raise LayerSchemaError(f"layer {name!r} already has a column 'wkt'; rename it to "
                                   "export the layer as CSV")
        if encoding == "x,y":
            table["x"], table["y"] = geometry.x, geometry.y
        else:
            table["wkt"] = shapely.to_wkt(geometry.to_numpy(), rounding_precision=-1)
    file = stem.with_suffix(".csv")
    _write_text(table, file)
    _write_text(fields, stem.with_name(f"{stem.name}_fields.csv"))
    return _index_row(frame, name, file, encoding)


_WRITERS = {"shp": _write_shp, "geojson": _write_geojson, "parquet": _write_parquet,
            "csv": _write_csv}


def _gpkg_layers(path: Path) -> list[str]:
    """Layer names of the GeoPackage ``path``, or a clear error when it is not one."""
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as exc:
        raise SourceFormatError(
            f"{path}: not a GeoPackage (GDAL cannot open it: {str(exc).split(';')[0]}); give "
            "the plan.gpkg a `geoplan run` wrote, or a folder written by `geoplan export`"
        ) from exc


def _read_gpkg(path: Path) -> dict[str, pd.DataFrame]:
    parts = []
    for name in _gpkg_layers(path):
        if name == STYLES_TABLE:  # QGIS's styles, not a plan layer
            continue
        frame = pyogrio.read_dataframe(path, layer=name)
        metadata = pyogrio.read_info(path, layer=name).get("layer_metadata") or {}
        described = json.loads(metadata.get(_METADATA_KEY, "{}"))
        names = {n for n, d in described.get("fields", []) if d != "geometry"}
        if names and names != set(frame.columns) - {"geometry"}:
            logger.warning("%s, layer %r: columns changed since export; dtypes not restored",
                           path.name, name)
        elif names:
            fields = pd.DataFrame([[n, n, d, "", 0] for n, d in described["fields"]],
                                  columns=FIELD_COLUMNS)
            frame = restore(frame, fields, described["geometry_types"], crs=None)
        parts.append((str(name), frame, described.get("part_of", ""), described.get("rows", "")))
    return merge_parts(parts)


def _read_folder_layer(folder: Path, row: object) -> pd.DataFrame:
    file = folder / row.file  # type: ignore[attr-defined]
    fields = pd.read_csv(folder / f"{file.stem}_fields.csv", dtype=str, keep_default_na=False)
    geometry, crs = row.geometry, row.plan_crs or None  # type: ignore[attr-defined]
    if file.suffix == ".parquet":
        frame = gpd.read_parquet(file) if geometry else pd.read_parquet(file)
    elif file.suffix == ".csv":
        frame = _read_csv_layer(file, geometry, crs)
    else:
        frame = pyogrio.read_dataframe(file)
    if file.suffix == ".geojson" and not geometry:
        frame = pd.DataFrame(frame.drop(columns="geometry"))
    elif file.suffix == ".geojson" and crs:
        frame = frame.to_crs(crs)
    kinds = [kind for kind in row.geometry_types.split("|") if kind]  # type: ignore[attr-defined]
    return restore(frame, fields, kinds, crs)


def _read_csv_layer(file: Path, geometry: str, crs: str | None) -> pd.DataFrame:
    table = pd.read_csv(file, dtype=str, keep_default_na=False)
    if geometry == "x,y":
        x = pd.to_numeric(table.pop("x").where(lambda v: v != "")).to_numpy(float)
        y = pd.to_numeric(table.pop("y").where(lambda v: v != "")).to_numpy(float)
        shapes = shapely.points(x, y)
        shapes[np.isnan(x) | np.isnan(y)] = None
        return gpd.GeoDataFrame(table, geometry=shapes, crs=crs)
    if geometry == "wkt":
        text = table.pop("wkt").to_numpy(object)
        shapes = shapely.from_wkt(np.where(text == "", None, text))
        return gpd.GeoDataFrame(table, geometry=shapes, crs=crs)
    return table
