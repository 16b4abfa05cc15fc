"""Write layers to files atomically, deterministically and without clobbering.

Every writer follows the same rules:

* an existing output is never replaced unless ``overwrite=True`` (:class:`OutputExistsError`),
  and a file output never replaces a folder;
* the file is written to a temporary name beside the target
  (:mod:`geoplan.files.temporary`) and moved into place only when complete, so an
  interrupted or failed write leaves nothing half-written;
* a write that fails for want of space or permission raises :class:`OutputWriteError`
  naming the output, not a raw operating-system or SQLite error;
* the same layers give byte-identical files (GeoPackage timestamps are pinned).

Commands also check that an output is none of their inputs (:func:`refuse_inputs`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoplan.errors import GeoplanError, OutputExistsError
from geoplan.files.temporary import fresh_temporary_name, parse_temporary_name, remove_stale

__all__ = ["OutputWriteError", "atomic_path", "output_write_error", "refuse_existing",
           "refuse_inputs", "write_csv", "write_geopackage"]

logger = logging.getLogger(__name__)

FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"
"""Timestamp GDAL writes into GeoPackage metadata, so reruns give identical bytes."""

_FULL = {getattr(errno, name, None) for name in ("ENOSPC", "EDQUOT", "EFBIG")} - {None}
_DENIED = {getattr(errno, name, None) for name in (
    "EACCES", "EPERM", "EROFS", "ENOENT", "ENOTDIR", "EISDIR", "EEXIST", "ENAMETOOLONG",
    "ELOOP")} - {None}
"""Error numbers meaning the disk is full, or the place cannot hold the output (names some
platforms lack are left out)."""
_FULL_TEXT = ("database or disk is full", "no space left on device", "disk quota exceeded",
              "file too large")
_DENIED_TEXT = ("unable to open", "cannot open", "could not open", "failed to create",
                "permission denied", "read-only", "no such file", "disk i/o error")
"""What GDAL and SQLite say (without an errno) when a file cannot be created or written."""


class OutputWriteError(GeoplanError, OSError):
    """An output cannot be written: no permission, a read-only place, or the disk is full."""


def output_write_error(target: Path, exc: BaseException, *,
                       inside: Path | None = None) -> OutputWriteError | None:
    """Return the clear error for ``exc`` raised while writing ``target`` (None: not about it).

    Parameters
    ----------
    target : pathlib.Path
        The output being written.
    exc : BaseException
        What the write raised.
    inside : pathlib.Path, optional
        The temporary file or folder being written. Given, a permission or missing-folder
        error counts only if it names a path there (so an unreadable *input* is not blamed
        on the output); a full disk always counts. Not given, every ``OSError`` counts.

    Examples
    --------
    >>> error = OSError(errno.ENOSPC, "No space left on device")
    >>> print(output_write_error(Path("out/run"), error))  # doctest: +ELLIPSIS
    cannot write out/run: the disk is full (No space left on device); free some space ...
    """
    if isinstance(exc, GeoplanError) or not isinstance(exc, Exception):
        return None
    told = str(exc)
    if inside is not None:
        told = told.replace(str(inside), str(target))  # name the output, not its temporary
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else told
    if (isinstance(exc, OSError) and exc.errno in _FULL) or any(
            phrase in told.lower() for phrase in _FULL_TEXT):
        return OutputWriteError(f"cannot write {target}: the disk is full ({reason}); free "
                                "some space or write the output elsewhere (-o)")
    if not _refused_by_the_system(exc, inside):
        return None
    filename = getattr(exc, "filename", None)
    name = os.fsdecode(filename) if filename is not None else None
    where = "" if name is None or _is_temporary(name) or Path(name) == target else f" ({name})"
    return OutputWriteError(f"cannot write {target}: {reason}{where}; write the output to a "
                            "folder you can write to (-o)")


def _refused_by_the_system(exc: Exception, inside: Path | None) -> bool:
    """Tell whether ``exc`` says a file could not be created (given ``inside``: there)."""
    if not isinstance(exc, OSError):  # GDAL and SQLite errors carry no errno: read the text
        text = str(exc)
        return (inside is not None and str(inside) in text
                and any(phrase in text.lower() for phrase in _DENIED_TEXT))
    if exc.errno is not None and exc.errno not in _DENIED:
        return False
    return inside is None or _names_a_path_in(exc, inside)


def _is_temporary(name: str) -> bool:
    return any(parse_temporary_name(part) for part in Path(name).parts)


def _names_a_path_in(exc: OSError, folder: Path) -> bool:
    for name in (exc.filename, exc.filename2):
        if name is not None and (Path(os.fsdecode(name)) == folder
                                 or folder in Path(os.fsdecode(name)).parents):
            return True
    return False


def refuse_existing(target: str | Path, *, overwrite: bool = False,
                    folder: bool = False) -> None:
    """Raise :class:`OutputExistsError` unless ``target`` is absent or may be replaced.

    Commands call this before slow work, so a refusal costs nothing.

    Parameters
    ----------
    target : str or pathlib.Path
        The output.
    overwrite : bool
        Whether replacing was asked for.
    folder : bool
        The output is a folder: a file or a link there is never replaced. Otherwise the
        output is a file: a folder there is never replaced.
    """
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return
    if not overwrite:
        raise OutputExistsError(
            f"{target} already exists; pass --overwrite (overwrite=True) to replace it"
        )
    if folder and (target.is_symlink() or not target.is_dir()):
        what = "a link" if target.is_symlink() else "a file"
        raise OutputExistsError(f"{target} is {what}, not an output folder; --overwrite "
                                "replaces only a folder geoplan wrote (choose another -o)")
    if not folder and target.is_dir() and not target.is_symlink():
        raise OutputExistsError(f"{target} is a folder; geoplan writes a file here and "
                                "--overwrite never replaces a folder with it (choose a file "
                                "name for -o)")


def refuse_inputs(output: str | Path, inputs: Iterable[str | Path | None]) -> None:
    """Raise :class:`OutputExistsError` if ``output`` is one of ``inputs`` or holds one.

    An output never replaces what a command reads: ``geoplan map plan.gpkg -o plan.gpkg``
    and ``geoplan compare out/c/a out/c/b -o out/c`` are refused before any work.

    Examples
    --------
    >>> refuse_inputs("run/map.html", ["run/plan.gpkg"])  # fine: beside it
    >>> refuse_inputs("run/plan.gpkg", ["run/plan.gpkg"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geoplan.errors.OutputExistsError: the output run/plan.gpkg is the input run/plan.gpkg; ...
    """
    out = Path(output)
    for given in inputs:
        if given is None:
            continue
        source = Path(given)
        if _same(out, source):
            relation = "is"
        elif out.resolve() in source.resolve().parents:
            relation = "holds"
        else:
            continue
        raise OutputExistsError(f"the output {out} {relation} the input {source}; an output "
                                "never replaces one of the command's inputs (choose another -o)")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


@contextlib.contextmanager
def atomic_path(target: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    Parameters
    ----------
    target : str or pathlib.Path
        Final output path. Missing parent folders are created.
    overwrite : bool
        Replace ``target`` if it exists (never a folder).

    Raises
    ------
    OutputExistsError
        If ``target`` exists and ``overwrite`` is false, or it is a folder (checked before
        any work is done).
    OutputWriteError
        If the file cannot be written there (no permission, disk full).
    """
    target = Path(target)
    refuse_existing(target, overwrite=overwrite)
    temporary = target.parent / fresh_temporary_name(target, "tmp", target.suffix)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target.parent)
    except OSError as exc:
        raise (output_write_error(target, exc) or exc) from exc
    try:
        yield temporary
        refuse_existing(target, overwrite=overwrite)  # it may have appeared meanwhile
        temporary.replace(target)
    except Exception as exc:
        converted = output_write_error(target, exc, inside=temporary)
        if converted is None:
            raise
        raise converted from exc
    finally:
        for extra in ("", "-journal", "-wal", "-shm"):  # SQLite's files beside a GeoPackage
            temporary.with_name(temporary.name + extra).unlink(missing_ok=True)


def write_geopackage(
    layers: Mapping[str, pd.DataFrame], path: str | Path, *, overwrite: bool = False,
    layer_metadata: Mapping[str, Mapping[str, str]] | None = None,
    geometry_types: Mapping[str, str] | None = None,
    finish: Callable[[Path], None] | None = None,
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
    geometry_types : mapping, optional
        Layer name -> the one geometry type to declare (e.g. ``MultiPolygon``; single
        geometries are promoted to it). A spatial layer not named here is promoted to
        ``MultiPolygon`` when it holds only polygons.
    finish : callable, optional
        Called with the (temporary) file once every layer is written, before it is moved into
        place, e.g. to add tables GDAL does not write (QGIS styles).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    metadata = layer_metadata or {}
    with atomic_path(path, overwrite=overwrite) as temporary, _pinned_timestamp():
        for name, frame in layers.items():
            _write_layer(frame, temporary, name, metadata.get(name),
                         (geometry_types or {}).get(name))
        if finish is not None:
            finish(temporary)
    logger.info("wrote %s (%s)", path, ", ".join(f"{n}: {len(f)} rows" for n, f in layers.items()))
    return path


def _write_layer(frame: pd.DataFrame, path: Path, layer: str,
                 metadata: Mapping[str, str] | None = None,
                 geometry_type: str | None = None) -> None:
    extra: dict[str, object] = {"layer_metadata": dict(metadata)} if metadata else {}
    if isinstance(frame, gpd.GeoDataFrame):
        if geometry_type is None:
            kinds = set(frame.geometry.dropna().geom_type)
            promote = bool(kinds) and kinds <= {"Polygon", "MultiPolygon"}
        else:
            extra["geometry_type"] = geometry_type
            promote = geometry_type.startswith("Multi")
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
