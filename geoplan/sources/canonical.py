"""geoplan's own GeoPackages: any canonical layer ``geoplan layers convert`` writes.

Reading them back lets users validate an output, or re-select part of it with ``--within``,
without going back to the published file; :func:`open_layer` opens one canonical layer and
checks its schema, :func:`read` the grid's ``substations`` and ``headroom`` layers.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from geoplan.errors import SourceNotFoundError
from geoplan.schemas import (
    BUILDINGS,
    CHARGERS,
    EV_DEMAND,
    HEADROOM,
    LAND,
    SITES,
    SUBSTATIONS,
    ZONES,
    LayerSchema,
    validate_layer,
)
from geoplan.sources.base import GridTables
from geoplan.sources.vector import layer_fields, layer_names, read_vector

__all__ = ["FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "is_own_layer", "open_layer", "read",
           "sniff"]

FORMAT = "geoplan-gpkg"
LABEL = "GeoPackage written by geoplan (layers substations + headroom)"
SHAPE = "vector"
UNITS = "MVA"
SCENARIOS: tuple[str, ...] = ()
"""Scenario names this format gives (the scenarios stored in the GeoPackage's headroom layer)."""


def sniff(signature: list[str]) -> bool:
    """Whether a vector file's layer names are those geoplan writes for the grid."""
    return {"substations", "headroom"} <= set(signature)


def read(path: str | Path, *, year: int | None = None) -> GridTables:
    """Read and check the canonical grid layers of a geoplan GeoPackage.

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoPackage written by ``geoplan layers convert --kind substations``.
    year : int, optional
        Ignored; years are already in the ``headroom`` table.

    Raises
    ------
    SourceNotFoundError
        If a layer is missing.
    LayerSchemaError
        If a layer does not follow its canonical schema.
    """
    path = Path(path)
    substations = open_layer(path, "substations")
    headroom = pyogrio.read_dataframe(path, layer="headroom")
    headroom = headroom[list(HEADROOM.columns)].astype({"year": "Int64"})
    for column in SUBSTATIONS.columns:
        if column.endswith("_mva"):
            substations[column] = substations[column].astype(float)
    validate_layer(headroom, HEADROOM, path.name)
    return GridTables(substations, headroom, path, FORMAT, ())


_SCHEMAS: dict[str, LayerSchema] = {"zones": ZONES, "substations": SUBSTATIONS,
                                    "buildings": BUILDINGS, "chargers": CHARGERS,
                                    "sites": SITES, "land": LAND, "ev_demand": EV_DEMAND}


def open_layer(path: str | Path, name: str) -> gpd.GeoDataFrame:
    """Open a canonical layer written by ``geoplan layers convert`` and check its schema.

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoPackage holding the layer.
    name : {"zones", "substations", "buildings", "chargers", "sites", "land", "ev_demand"}
        Layer name (``ev_demand`` is a table without geometry).

    Raises
    ------
    SourceNotFoundError
        If the file or the layer is missing (the message lists the layers present).
    LayerSchemaError
        If the layer does not follow the canonical schema.
    """
    path = Path(path)
    present = layer_names(path)
    if name not in present:
        raise SourceNotFoundError(
            f"{path.name}: no layer {name!r} (it has {present}); fix: write it with "
            f"`geoplan layers convert ... --kind {name} -o {path.name}`"
        )
    frame = read_vector(path, name)
    canonical = list(_SCHEMAS[name].columns)
    frame = frame[[*canonical, *[c for c in frame.columns if c not in canonical]]]
    for column, dtype in _SCHEMAS[name].columns.items():
        if dtype == "Int64" and column in frame.columns:
            frame[column] = frame[column].astype("Int64")
    for column in ("parent_id", "district_id", "district_name", "zone_name", "zone_id"):
        if column in frame.columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    validate_layer(frame, _SCHEMAS[name], path.name)
    return frame


def is_own_layer(path: str | Path, name: str) -> bool:
    """Whether ``path`` is a GeoPackage holding layer ``name`` with its canonical columns.

    Such a layer was written by geoplan (``geoplan layers convert``, or a run's ``plan.gpkg``)
    and is read back as written (:func:`open_layer`); any other file is not.
    """
    path = Path(path)
    if name not in _SCHEMAS or path.suffix.lower() != ".gpkg" or not path.is_file():
        return False
    if name not in layer_names(path):
        return False
    fields = set(layer_fields(path, name))
    return all(c in fields for c in _SCHEMAS[name].columns if c != "geometry")
