"""Readers for the grid files DNOs publish, one module per format, chosen by their headers.

Every reader module defines ``FORMAT`` (its name), ``LABEL`` (what users see), ``SHAPE``
(``"workbook"``, ``"table"``, ``"vector"`` or ``"any"``), ``sniff(signature) -> bool``
(``signature`` is the list of sheet names of a workbook, the normalised header cells of a CSV,
or the layer names of a GeoPackage) and
``read(path, **options) -> GridTables``; and ``SCENARIOS`` (the scenario names its headroom
rows carry, empty when the file or the mapping names them) and ``UNITS`` (the unit the file
publishes headroom in: ``"MVA"``, or ``"MW"``, converted to MVA at a power factor), which
``geoplan layers formats`` prints.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from types import ModuleType

from geoplan.errors import SourceFormatError
from geoplan.sources.base import GridTables
from geoplan.sources.cells import normalise_header, open_workbook
from geoplan.sources.sniff import check_file, csv_header

__all__ = ["FORMATS", "GridTables", "detect_format", "read_grid"]

FORMATS: dict[str, str] = {
    "ssen-headroom-report": "geoplan.sources.ssen_headroom_report",
    "ssen-gam": "geoplan.sources.ssen_gam",
    "ssen-dashboard": "geoplan.sources.ssen_dashboard",
    "nged-capacity": "geoplan.sources.nged_capacity",
    "gb-primaries": "geoplan.sources.gb_primaries",
    "npg-ndp": "geoplan.sources.npg_ndp",
    "ukpn-dfes": "geoplan.sources.ukpn_dfes",
    "spen-nshr": "geoplan.sources.spen_nshr",
    "geoplan-gpkg": "geoplan.sources.canonical",
    "generic": "geoplan.sources.generic",
}
"""Format name -> reader module, in detection order (``generic`` is the fallback for vector
files and needs a column mapping)."""

_GRID_FILE = "a grid file (a workbook, CSV or GeoPackage)"
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
TABLE_SUFFIXES = frozenset({".csv", ".txt"})


def _reader(fmt: str) -> ModuleType:
    if fmt not in FORMATS:
        raise SourceFormatError(
            f"unknown format {fmt!r}; choose one of {['auto', *FORMATS]}"
        )
    return importlib.import_module(FORMATS[fmt])


def _signature(path: Path) -> tuple[str, list[str]]:
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return "workbook", list(open_workbook(path).sheet_names)
    if suffix in TABLE_SUFFIXES:
        return "table", [normalise_header(c) for c in csv_header(path)]
    if suffix == ".gpkg":
        from geoplan.sources.vector import layer_names  # vector imports this package

        return "vector", layer_names(path)
    return "vector", []


def detect_format(path: str | Path) -> str:
    """Name the grid format of ``path`` from its sheet names or CSV header.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist (or is a symlink loop).
    SourceFormatError
        If the path is a folder or a device such as ``/dev/null``, or no reader recognises
        the file; the message lists the formats tried and how to
        read the file with the generic reader instead.
    """
    path = check_file(path, _GRID_FILE)
    shape, signature = _signature(path)
    for fmt in FORMATS:
        module = _reader(fmt)
        if module.SHAPE in (shape, "any") and fmt != "generic" and module.sniff(signature):
            return fmt
    if shape == "vector":
        return "generic"
    seen = signature[:12]
    raise SourceFormatError(
        f"{path.name}: not a grid format geoplan recognises (it has "
        f"{'sheets' if shape == 'workbook' else 'columns'} {seen}); known formats: "
        f"{[f for f in FORMATS if f != 'generic']} (fix: use --format generic with "
        "--map substation_id=COLUMN --map name=COLUMN ... to name the columns)"
    )


def read_grid(path: str | Path, fmt: str = "auto", **options: object) -> GridTables:
    """Read a DNO grid file into canonical ``substations`` and ``headroom`` layers.

    Parameters
    ----------
    path : str or pathlib.Path
        The published file.
    fmt : str
        ``"auto"`` to detect from the file's headers, or one of :data:`FORMATS`.
    **options
        Passed to the reader (e.g. ``columns=`` for ``generic``; ``year=`` for snapshot
        formats). ``power_factor=`` converts the MW a format publishes to MVA (readers that
        take it: MW headroom files, and the SSEN GAM's maximum load); others ignore it.

    Returns
    -------
    GridTables
    """
    path = check_file(path, _GRID_FILE)
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "generic" and not options.get("columns"):
        raise SourceFormatError(
            f"{path.name}: a generic file needs a column mapping (fix: name its columns, e.g. "
            "--map name='Site Name' --map headroom_mva='Headroom (MVA)'; for a published "
            "DNO file, check --format)"
        )
    reader = _reader(fmt)
    factor = options.pop("power_factor", None)
    if factor is not None and "power_factor" in inspect.signature(reader.read).parameters:
        options["power_factor"] = factor
    return reader.read(path, **options)
