"""Tell a folder geoplan wrote from one it did not, before ``--overwrite`` replaces it.

A folder is geoplan's own when its record file (the ``marker``) is one geoplan writes and
lists every file in the folder:

==================  ===========================  =========================================
marker              written by                   files it vouches for
==================  ===========================  =========================================
``manifest.json``   ``geoplan run``              its ``geoplan`` key and ``outputs`` list
``sample.json``     ``geoplan sample``           its ``geoplan_version`` key and ``files``
``compare.json``    ``geoplan compare``          the four comparison files, and ``a/`` and
                                                 ``b/`` when each is a run folder of its own
``layers.csv``      ``geoplan export``           each listed layer file, its sidecars
                                                 (``.shx``, ``.dbf``, ...) and field table
==================  ===========================  =========================================

Anything else in the folder (a web app's ``index.html``, a user's notes) is foreign, and a
folder holding anything foreign is never replaced. An empty folder holds nothing to lose.

Examples
--------
>>> import json, tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "manifest.json").write_text('{"name": "my-web-app"}')
>>> _ = (folder / "index.html").write_text("<html></html>")
>>> ownership_problem(folder, "manifest.json")
"manifest.json is not geoplan's (it has no 'geoplan' key)"
>>> _ = (folder / "manifest.json").write_text(json.dumps(
...     {"geoplan": "0.1.0", "outputs": [{"path": "summary.md"}]}))
>>> ownership_problem(folder, "manifest.json")
'it holds files geoplan did not write: index.html (its manifest.json does not list them)'
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["KINDS", "MARKERS", "ownership_problem", "present_files"]

_SHOWN = 8
"""Foreign files named in a message (the rest are counted)."""
_COMPARE_FILES = ("compare.md", "compare.json", "changes.csv", "compare.html")

Listed = set[str] | str
"""Files a record vouches for, or why the record is not geoplan's."""


def present_files(folder: Path) -> set[str]:
    """Every file or link inside ``folder``, as POSIX paths relative to it (empty folders not).

    Symbolic links are listed, never followed.
    """
    found: set[str] = set()
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root).relative_to(folder)
        links = [d for d in dirs if (Path(root) / d).is_symlink()]
        found.update((base / name).as_posix() for name in [*files, *links])
    return found


def ownership_problem(folder: Path, marker: str | None) -> str | None:
    """Say why ``folder`` is not geoplan's own, or return None if it is (or is empty).

    Parameters
    ----------
    folder : pathlib.Path
        An existing folder.
    marker : str or None
        The record file of the kind of folder expected (one of :data:`MARKERS`); with
        ``None`` only an empty folder counts as geoplan's.

    Returns
    -------
    str or None
        E.g. ``"manifest.json is not geoplan's (it has no 'geoplan' key)"`` or ``"it holds
        files geoplan did not write: index.html (its manifest.json does not list them)"``.
    """
    present = present_files(folder)
    if not present:
        return None
    if marker is not None and marker in MARKERS and marker not in present:
        return f"it has no {marker}, so geoplan did not write it"
    listed = MARKERS[marker](folder) if marker in MARKERS else set()
    if isinstance(listed, str):
        return listed
    foreign = sorted(present - listed)
    if not foreign:
        return None
    shown = ", ".join(foreign[:_SHOWN])
    more = f" and {len(foreign) - _SHOWN:,} more" if len(foreign) > _SHOWN else ""
    record = f" (its {marker} does not list them)" if marker in MARKERS else ""
    return f"it holds files geoplan did not write: {shown}{more}{record}"


def _json(folder: Path, name: str) -> dict[str, Any] | str:
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return f"{name} is not geoplan's (it is not JSON geoplan can read)"
    if not isinstance(data, dict):
        return f"{name} is not geoplan's (it is not a JSON object)"
    return data


def _paths(values: Any) -> set[str] | None:
    """Return the relative paths in a list of strings, or None if it is not one."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    return {PurePosixPath(v.replace("\\", "/")).as_posix() for v in values}


def _run(folder: Path) -> Listed:
    data = _json(folder, "manifest.json")
    if isinstance(data, str):
        return data
    if "geoplan" not in data:
        return "manifest.json is not geoplan's (it has no 'geoplan' key)"
    outputs = data.get("outputs")
    paths = _paths([o.get("path") if isinstance(o, dict) else None for o in outputs]
                   if isinstance(outputs, list) else None)
    if paths is None:
        return "manifest.json is not geoplan's (it has no 'outputs' list of the files written)"
    return paths | {"manifest.json"}


def _sample(folder: Path) -> Listed:
    data = _json(folder, "sample.json")
    if isinstance(data, str):
        return data
    if "geoplan_version" not in data or data.get("synthetic") is not True:
        return "sample.json is not geoplan's (it has no 'geoplan_version' key)"
    paths = _paths(data.get("files"))
    if paths is None:
        return "sample.json is not geoplan's (it has no 'files' list of the files written)"
    return paths | {"sample.json"}


def _compare(folder: Path) -> Listed:
    data = _json(folder, "compare.json")
    if isinstance(data, str):
        return data
    if not {"a", "b", "top", "kpis", "changes"} <= set(data):
        return "compare.json is not geoplan's (it lacks the keys a comparison has)"
    listed = set(_COMPARE_FILES)
    for side in ("a", "b"):
        run = folder / side
        if (run.is_dir() and not run.is_symlink()
                and ownership_problem(run, "manifest.json") is None):
            listed |= {f"{side}/{name}" for name in present_files(run)}
    return listed


def _export(folder: Path) -> Listed:
    try:
        with (folder / "layers.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return "layers.csv is not geoplan's (it is not a CSV geoplan can read)"
    files = [row.get("file") for row in rows]
    if not rows or not all(isinstance(f, str) and f and "/" not in f for f in files):
        return "layers.csv is not geoplan's (it has no 'file' column naming each layer's file)"
    stems = {PurePosixPath(f).stem for f in files if isinstance(f, str)}
    present = present_files(folder)
    return {"layers.csv"} | {name for name in present if "/" not in name and any(
        name.startswith(f"{stem}.") or name == f"{stem}_fields.csv" for stem in stems)}


MARKERS: dict[str, Callable[[Path], Listed]] = {
    "manifest.json": _run, "sample.json": _sample, "compare.json": _compare,
    "layers.csv": _export,
}
"""Record file -> reader of the files it vouches for (or why it is not geoplan's)."""

KINDS = {"manifest.json": "run", "sample.json": "sample", "compare.json": "comparison",
         "layers.csv": "export"}
"""Record file -> the kind of folder it marks, as messages name it."""
