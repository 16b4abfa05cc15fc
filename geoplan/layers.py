"""Read any supported source as one kind of canonical layer, optionally limited to an area.

This is the one entry point the ``geoplan layers`` commands (and notebooks) use::

    tables = read_layers("sepd-network-headroom-report.xlsx", "substations",
                         within="Oxfordshire")
    tables.layers["substations"], tables.layers["headroom"]

Kinds: ``zones`` (one ``zones`` layer) and ``substations`` (a ``substations`` layer plus the
non-spatial ``headroom`` table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geoplan.errors import AreaNotFoundError, SourceNotFoundError
from geoplan.schemas import SUBSTATIONS, ZONES, LayerSchema, validate_layer
from geoplan.sources import read_grid
from geoplan.sources.base import GridTables
from geoplan.vector import read_vector, to_bng

__all__ = ["KINDS", "LayerSet", "open_layer", "read_layers"]

KINDS = ("zones", "substations")
VECTOR_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".json", ".parquet", ".fgb", ".zip"})


@dataclass(frozen=True)
class LayerSet:
    """Canonical layers read from one source.

    Attributes
    ----------
    kind : str
        ``"zones"`` or ``"substations"``.
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


def read_layers(
    source: str | Path | Sequence[str | Path],
    kind: str,
    *,
    fmt: str = "auto",
    within: str | None = None,
    **options: object,
) -> LayerSet:
    """Read ``source`` as canonical layers of ``kind``.

    Parameters
    ----------
    source : path or sequence of paths
        A file, a folder of vector files (zones), or several files (zones).
    kind : {"zones", "substations"}
        What the source holds.
    fmt : str
        Grid format for ``substations`` (``"auto"`` detects it from the headers).
    within : str, optional
        Keep only part of the layer: a path to a polygon file (features inside it), or a
        name: for zones a district code or name, for substations an area from the DNO's
        reference sheet (e.g. ``"Oxfordshire"``).
    **options
        Passed to the reader (``columns=``, ``year=``, ``crs=``, ``layer=``, ``id_column=``,
        ``name_column=``, ``district_column=``, ``districts=``).

    Returns
    -------
    LayerSet
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, not {kind!r}")
    if kind == "zones":
        return _zones(source, within, options)
    if not isinstance(source, str | Path):
        raise ValueError("substations are read from one file at a time")
    grid = read_grid(source, fmt, **options)
    if within is not None:
        grid = grid.filter(_substations_within(grid, within))
    return LayerSet("substations", {"substations": grid.substations, "headroom": grid.headroom},
                    Path(source).name, grid.format, grid.warnings, grid.describe())


_SCHEMAS: dict[str, LayerSchema] = {"zones": ZONES, "substations": SUBSTATIONS}


def open_layer(path: str | Path, name: str) -> gpd.GeoDataFrame:
    """Open a canonical layer written by ``geoplan layers convert`` and check its schema.

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoPackage holding the layer.
    name : {"zones", "substations"}
        Layer name.

    Raises
    ------
    SourceNotFoundError
        If the file or the layer is missing (the message lists the layers present).
    LayerSchemaError
        If the layer does not follow the canonical schema.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"{path}: no such file")
    present = [str(n) for n, _ in pyogrio.list_layers(path)]
    if name not in present:
        raise SourceNotFoundError(
            f"{path.name}: no layer {name!r} (it has {present}); fix: write it with "
            f"`geoplan layers convert ... --kind {name} -o {path.name}`"
        )
    frame = gpd.read_file(path, layer=name, engine="pyogrio")
    canonical = list(_SCHEMAS[name].columns)
    frame = frame[[*canonical, *[c for c in frame.columns if c not in canonical]]]
    for column in ("parent_id", "district_id", "district_name", "zone_name"):
        if column in frame.columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    validate_layer(frame, _SCHEMAS[name], path.name)
    return frame


def _zones(source: object, within: str | None, options: dict[str, object]) -> LayerSet:
    from geoplan.zones import zones_from_file

    zones = zones_from_file(source, **options)  # type: ignore[arg-type]
    warnings = tuple(zones.attrs.get("warnings", ()))
    if within is not None:
        zones = zones[_zones_within(zones, within)].reset_index(drop=True)
    name = Path(source).name if isinstance(source, str | Path) else f"{len(source)} files"  # type: ignore[arg-type]
    summary = {
        "source": name, "format": "vector", "crs": str(zones.crs), "zones": len(zones),
        "districts": {str(k): int(v) for k, v in
                      zones.groupby("district_name", dropna=False).size().items()},
        "area_km2": round(float(zones.area.sum()) / 1e6, 1), "warnings": list(warnings),
    }
    return LayerSet("zones", {"zones": zones}, name, "vector", warnings, summary)


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


def _substations_within(grid: GridTables, within: str) -> np.ndarray:
    subs = grid.substations
    if _is_boundary_file(within):
        keep = np.asarray(subs.geometry.notna() & subs.geometry.within(_boundary(within)))
        return _nonempty(keep, "substation", within)
    if "areas" not in subs.columns:
        raise AreaNotFoundError(
            f"{grid.source.name} lists no areas to select {within!r} from "
            "(fix: pass a boundary file to --within instead)"
        )
    wanted = within.strip().casefold()
    listed = subs["areas"].fillna("").map(lambda text: [a.casefold() for a in text.split("; ")])
    keep = listed.map(lambda areas: wanted in areas).to_numpy()
    if not keep.any():
        known = sorted({a for text in subs["areas"].dropna() for a in text.split("; ")})
        raise AreaNotFoundError(f"no substation serves area {within!r}; the file lists "
                                f"{known} (fix: use one of these names, or a boundary file)")
    return keep


def _zones_within(zones: gpd.GeoDataFrame, within: str) -> np.ndarray:
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
