"""Write layers to files atomically, deterministically and without clobbering.

Every writer follows the same rules:

* an existing output is never replaced unless ``overwrite=True`` (:class:`OutputExistsError`);
* the file is written to a temporary name beside the target and moved into place only when
  complete, so an interrupted or failed write leaves nothing half-written;
* the same layers give byte-identical files (GeoPackage timestamps are pinned).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoplan.errors import OutputExistsError

__all__ = ["atomic_path", "refuse_existing", "write_csv", "write_geopackage"]

logger = logging.getLogger(__name__)

FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"
"""Timestamp GDAL writes into GeoPackage metadata, so reruns give identical bytes."""


def refuse_existing(target: str | Path, *, overwrite: bool = False) -> None:
    """Raise :class:`OutputExistsError` if ``target`` exists and ``overwrite`` is false.

    Commands call this before slow work, so a refusal costs nothing.
    """
    if Path(target).exists() and not overwrite:
        raise OutputExistsError(
            f"{target} already exists; pass --overwrite (overwrite=True) to replace it"
        )


@contextlib.contextmanager
def atomic_path(target: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    Parameters
    ----------
    target : str or pathlib.Path
        Final output path. Missing parent folders are created.
    overwrite : bool
        Replace ``target`` if it exists.

    Raises
    ------
    OutputExistsError
        If ``target`` exists and ``overwrite`` is false (checked before any work is done).
    """
    target = Path(target)
    refuse_existing(target, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix,
                                    dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    temporary.unlink()  # writers create the file themselves
    try:
        yield temporary
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def write_geopackage(
    layers: Mapping[str, pd.DataFrame], path: str | Path, *, overwrite: bool = False,
    layer_metadata: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """Write layers to one GeoPackage, atomically.

    Parameters
    ----------
    layers : mapping
        Layer name -> GeoDataFrame (a spatial layer) or DataFrame (a non-spatial table, as
        QGIS and ArcGIS open attribute tables).
    path : str or pathlib.Path
        The ``.gpkg`` file to write.
    overwrite : bool
        Replace an existing file.
    layer_metadata : mapping, optional
        Layer name -> ``{key: text}`` stored as GDAL layer metadata (keys in capitals, no
        colon; :mod:`geoplan.outputs.export` keeps column dtypes there).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    metadata = layer_metadata or {}
    with atomic_path(path, overwrite=overwrite) as temporary, _pinned_timestamp():
        for name, frame in layers.items():
            _write_layer(frame, temporary, name, metadata.get(name))
    logger.info("wrote %s (%s)", path, ", ".join(f"{n}: {len(f)} rows" for n, f in layers.items()))
    return path


def _write_layer(frame: pd.DataFrame, path: Path, layer: str,
                 metadata: Mapping[str, str] | None = None) -> None:
    extra = {"layer_metadata": dict(metadata)} if metadata else {}
    if isinstance(frame, gpd.GeoDataFrame):
        spatial = frame.geometry.dropna()
        kinds = set(spatial.geom_type)
        promote = bool(kinds) and kinds <= {"Polygon", "MultiPolygon"}
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG",
                                promote_to_multi=promote or None, **extra)
    else:
        pyogrio.write_dataframe(pd.DataFrame(frame), path, layer=layer, driver="GPKG", **extra)


@contextlib.contextmanager
def _pinned_timestamp() -> Iterator[None]:
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def write_csv(frame: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a table to CSV (UTF-8, Unix line ends, no index), atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; a geometry column, if any, is dropped.
    path : str or pathlib.Path
        The ``.csv`` file to write.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    table = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    with atomic_path(path, overwrite=overwrite) as temporary:
        table.to_csv(temporary, index=False, lineterminator="\n", encoding="utf-8")
    logger.info("wrote %s (%d rows)", path, len(table))
    return path
