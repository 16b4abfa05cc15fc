"""The edition year a published file states about itself, for its copyright statement.

ONS and OS geography products name their code columns after the edition of the boundaries
they hold: ``LSOA21CD`` (2021 LSOAs), ``LAD13CD``/``LAD13NM`` (districts as coded in 2013),
``MSOA11CD``. Their licence statement ("Contains OS data © Crown copyright and database
right <year>") carries that edition's year, not the year a run happens to read the file.
:func:`edition_year` finds it in a file's column names; a file that states none gives None,
and the caller keeps its own year (:mod:`geoplan.outputs.attribution`).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyogrio

__all__ = ["edition_year", "years_of_columns"]

_CODE = re.compile(r"^[A-Z]{2,8}(\d{2})(CD|NM|NMW)$")
"""An ONS/OS geography code or name column: letters, the edition's two digits, CD or NM."""
_TABLES = (".csv", ".txt")


def edition_year(path: str | Path) -> int | None:
    """Return the latest edition year a file's (or a folder's files') code columns state.

    Parameters
    ----------
    path : str or pathlib.Path
        A vector file (GeoPackage, GeoJSON, shapefile: every layer's fields) or a CSV (its
        header); or a folder (an input given as a folder of files, e.g. one boundary file
        per district), whose files directly inside it are read and the latest year wins. A
        missing or unreadable file states nothing.

    Returns
    -------
    int or None
        ``2000 + yy`` of the latest ``<GEOGRAPHY><yy>CD``/``NM`` column, e.g. 2021 for
        ``LSOA21CD``; None when no column names an edition.

    Examples
    --------
    >>> from geoplan.sources.edition import years_of_columns
    >>> years_of_columns(["LSOA21CD", "LSOA21NM", "LAD13CD", "geometry"])
    [2013, 2021, 2021]
    """
    path = Path(path)
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    years = [y for f in files for y in years_of_columns(_columns(f))]
    return max(years) if years else None


def years_of_columns(columns: list[str]) -> list[int]:
    """Edition years named by ONS/OS code columns (``LSOA21CD`` -> 2021), sorted."""
    return sorted(2000 + int(m.group(1)) for c in columns
                  if (m := _CODE.match(str(c).strip().upper())))


def _columns(path: Path) -> list[str]:
    if not path.is_file():
        return []
    try:
        if path.suffix.lower() in _TABLES:
            with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
                return next(csv.reader(handle), [])
        # every layer's columns: a GeoPackage may hold several (and read_info warns)
        return [str(f) for name, _ in pyogrio.list_layers(path)
                for f in pyogrio.read_info(path, layer=str(name))["fields"]]
    except (OSError, ValueError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return []  # not a table or vector file: it states no edition
