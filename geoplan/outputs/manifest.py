"""``manifest.json``: what a run read, with which software and settings, and what it wrote.

A manifest lets anyone check that a run can be reproduced: the same input hashes, the same
scenario as resolved and the same software versions should give the same output hashes. Its
only field that differs between two identical runs is ``created``.

Structure (keys sorted when written)::

    {
      "manifest_version": 1,
      "created": "2025-01-31T09:30:00Z",               # UTC, the only non-deterministic field
      "geoplan": "0.2.0",                              # geoplan.version.__version__
      "software": {"python": "3.11.9", "gdal": ..., "geos": ..., "proj": ...,
                   "packages": {"geopandas": "1.2.0", ..., "missing-package": null}},
      "inputs": {"zones": {"path": "...", "kind": "file", "size": 1234, "sha256": "..."},
                 "land_cover": {"path": "...", "kind": "folder", "size": ..., "sha256": ...,
                                "files": [{"path": "a.tif", "size": ..., "sha256": ...}]},
                 "epc": null},                          # an input not given
      "scenario": {...},                                # the scenario as resolved
      "assumptions": {"carbon_factors": {"file": ..., "sha256": ..., "overrides": [...]}},
      "outputs": [{"path": "plan.gpkg", "size": ..., "sha256": ...}, ...]   # sorted by path
    }

A folder's ``sha256`` is the SHA-256 of its sorted lines "<relative path> TAB <sha256> NEWLINE".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from geoplan.errors import SourceNotFoundError
from geoplan.files.atomic import atomic_path
from geoplan.forked import in_turn
from geoplan.layers.land import Exclusion
from geoplan.layers.prepare import LayerInputs
from geoplan.outputs.summary import json_ready
from geoplan.version import __version__

__all__ = ["KEY_PACKAGES", "MANIFEST_VERSION", "InputHashes", "build_manifest", "file_digest",
           "folder_digest", "hash_inputs", "input_paths", "software_versions", "write_manifest"]

MANIFEST_VERSION = 1
KEY_PACKAGES = ("geopandas", "pandas", "numpy", "shapely", "pyproj", "pyogrio", "pyarrow",
                "rasterio", "networkx", "scipy", "highspy", "pulp", "folium", "matplotlib",
                "pydantic", "PyYAML", "click", "openpyxl", "python-calamine")
"""Libraries whose versions a manifest records."""
_CHUNK = 1 << 20


class _StoppedError(Exception):
    """Hashing was stopped (:meth:`InputHashes.stop`)."""


def file_digest(path: str | Path, *, stop: threading.Event | None = None) -> dict[str, Any]:
    """Size in bytes and SHA-256 (hex) of one file (``stop``: checked between chunks).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = path.write_bytes(b"abc")
    >>> file_digest(path)["sha256"][:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if stop is not None and stop.is_set():
                raise _StoppedError(str(path))
            digest.update(chunk)
    return {"size": Path(path).stat().st_size, "sha256": digest.hexdigest()}


def folder_digest(folder: str | Path, *, stop: threading.Event | None = None
                  ) -> dict[str, Any]:
    """Every file inside ``folder`` (recursively, sorted) with its digest, and a total."""
    folder = Path(folder)
    files = [{"path": path.relative_to(folder).as_posix(), **file_digest(path, stop=stop)}
             for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix())
             if path.is_file()]
    listing = "".join(f"{f['path']}\t{f['sha256']}\n" for f in files)
    return {"size": sum(f["size"] for f in files),
            "sha256": hashlib.sha256(listing.encode()).hexdigest(), "files": files}


def input_paths(inputs: LayerInputs) -> dict[str, Path | None]:
    """Return the manifest's name of each file or folder a run reads (None: not given)."""
    paths: dict[str, Path | None] = {}
    for name in ("zones", "districts", "grid", "licence_areas", "epc", "postcodes", "uprn",
                 "chargers", "vehicles", "households", "car_parks", "roads", "land_cover",
                 "emissions", "building_stock"):
        value: Any = getattr(inputs, name, None)
        if isinstance(value, tuple):  # several grid files: grid:1, grid:2, ...
            paths.update({f"{name}:{n}": Path(v) for n, v in enumerate(value, start=1)})
        elif hasattr(value, "files"):  # an apportioned table (vehicles, vehicles:lookup, ...)
            # or the building stock's tables (building_stock:households, ...)
            paths.update({f"{name}:{k}" if k else name: v for k, v in value.files().items()})
        elif hasattr(value, "path"):  # zones with their columns named
            paths[name] = Path(value.path)
        else:
            paths[name] = None if value is None else Path(value)
    for label, given in sorted(dict(inputs.exclusions).items()):
        source = given.source if isinstance(given, Exclusion) else given
        paths[f"exclusions:{label}"] = Path(source)
    classes = inputs.land_cover_classes
    if classes is not None and Path(classes).is_file():  # a mapping CSV, not a shipped name
        paths["land_cover_classes"] = Path(classes)
    return paths


def hash_inputs(inputs: Mapping[str, str | Path | None], *,
                stop: threading.Event | None = None) -> dict[str, Any]:
    """Return each input's record: path, kind, size and SHA-256 (folders file by file).

    Raises
    ------
    SourceNotFoundError
        If an input does not exist.
    """
    return {name: _input(name, path, stop) for name, path in sorted(inputs.items())}


class InputHashes:
    """:func:`hash_inputs` on a thread, started at once; :meth:`result` waits for it.

    Reading files and SHA-256 let other threads run, so a run hashes its inputs (about 1 GB
    for 1.2 million homes, 0.8 s) while its solver's child solves. With ``GEOPLAN_FORK=0``
    (:func:`geoplan.forked.in_turn`) no thread: :meth:`result` hashes them.
    """

    def __init__(self, inputs: Mapping[str, str | Path | None]) -> None:
        self._inputs = dict(inputs)
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._hashed: Future[dict[str, Any]] | None = None
        if not in_turn():
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="geoplan-hashing")
            self._hashed = self._pool.submit(hash_inputs, self._inputs, stop=self._stop)

    def result(self) -> dict[str, Any]:
        """Return :func:`hash_inputs`'s records, or raise what it raised."""
        if self._hashed is None:
            return hash_inputs(self._inputs)
        try:
            return self._hashed.result()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop hashing (at the next chunk of a file) and wait for the thread to end."""
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def build_manifest(
    inputs: Mapping[str, str | Path | None],
    scenario_resolved: Mapping[str, Any],
    *,
    assumptions_used: Mapping[str, Any],
    outputs: Sequence[str | Path],
    outputs_root: str | Path | None = None,
    created: dt.datetime | None = None,
    hashed_inputs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Describe a run: inputs with hashes, software, scenario, assumptions, output hashes.

    Parameters
    ----------
    inputs : mapping
        Input name (e.g. a :class:`~geoplan.layers.prepare.LayerInputs` field) -> file or folder
        (every file inside is hashed), or ``None`` for an input not given.
    scenario_resolved : mapping
        The scenario after ``extends:`` and defaults were applied (JSON-able values).
    assumptions_used : mapping
        Table name -> ``{"file", "sha256", "overrides"}`` (as in the summary).
    outputs : sequence of path
        Files or folders the run wrote (folders are listed file by file).
    outputs_root : path, optional
        Output paths are recorded relative to this folder (default: each one's parent), so a
        run written into a temporary folder records the names it will have.
    created : datetime, optional
        The time to record (default: now, UTC).
    hashed_inputs : mapping, optional
        What :func:`hash_inputs` gave for ``inputs`` (e.g. by :class:`InputHashes` during
        the run); default: they are hashed now.

    Returns
    -------
    dict
        See the module docstring.

    Raises
    ------
    SourceNotFoundError
        If an input or output does not exist.
    """
    when = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return {
        "manifest_version": MANIFEST_VERSION,
        "created": when.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "geoplan": __version__,  # the source tree's, even when installed metadata is older
        "software": software_versions(),
        "inputs": dict(sorted(hashed_inputs.items())) if hashed_inputs is not None
        else hash_inputs(inputs),
        "scenario": json_ready(scenario_resolved),
        "assumptions": json_ready(assumptions_used),
        "outputs": _outputs(outputs, outputs_root),
    }


def software_versions() -> dict[str, Any]:
    """Python, GDAL, GEOS and PROJ versions and those of :data:`KEY_PACKAGES`."""
    import pyogrio
    import pyproj
    import shapely

    return {"python": platform.python_version(), "gdal": pyogrio.__gdal_version_string__,
            "geos": shapely.geos_version_string, "proj": pyproj.proj_version_str,
            "packages": {name: _version(name) for name in KEY_PACKAGES}}


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _input(name: str, path: str | Path | None, stop: threading.Event | None = None
           ) -> dict[str, Any] | None:
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        return {"path": str(path), "kind": "folder", **folder_digest(path, stop=stop)}
    if path.is_file():
        return {"path": str(path), "kind": "file", **file_digest(path, stop=stop)}
    raise SourceNotFoundError(f"input {name!r}: {path} does not exist, so it cannot be hashed "
                              "for the manifest")


def _outputs(outputs: Sequence[str | Path], root: str | Path | None) -> list[dict[str, Any]]:
    listed = []
    for output in map(Path, outputs):
        base = Path(root) if root is not None else output.parent
        if output.is_dir():
            prefix = output.relative_to(base).as_posix()
            listed += [{**f, "path": f"{prefix}/{f['path']}"} for f in
                       folder_digest(output)["files"]]
        elif output.is_file():
            listed.append({"path": output.relative_to(base).as_posix(), **file_digest(output)})
        else:
            raise SourceNotFoundError(f"output {output} does not exist; list only files the "
                                      "run wrote")
    return sorted(listed, key=lambda f: f["path"])


def write_manifest(manifest: Mapping[str, Any], path: str | Path, *,
                   overwrite: bool = False) -> Path:
    """Write ``manifest`` as JSON (sorted keys, two-space indent, UTF-8), atomically."""
    path = Path(path)
    text = json.dumps(json_ready(manifest), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"
    with atomic_path(path, overwrite=overwrite) as temporary:
        temporary.write_text(text, encoding="utf-8", newline="\n")
    return path
