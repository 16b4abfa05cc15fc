"""geoplan's own GeoPackages: the ``substations`` and ``headroom`` layers ``convert`` writes.

Reading them back lets users validate an output, or re-select part of it with ``--within``,
without going back to the published file.
"""

from __future__ import annotations

from pathlib import Path

import pyogrio

from geoplan.schemas import HEADROOM, SUBSTATIONS, validate_layer
from geoplan.sources.base import GridTables

__all__ = ["FORMAT", "LABEL", "SHAPE", "read", "sniff"]

FORMAT = "geoplan-gpkg"
LABEL = "GeoPackage written by geoplan (layers substations + headroom)"
SHAPE = "vector"


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
    from geoplan.layers import open_layer

    path = Path(path)
    substations = open_layer(path, "substations")
    headroom = pyogrio.read_dataframe(path, layer="headroom")
    headroom = headroom[list(HEADROOM.columns)].astype({"year": "Int64"})
    for column in SUBSTATIONS.columns:
        if column.endswith("_mva"):
            substations[column] = substations[column].astype(float)
    validate_layer(headroom, HEADROOM, path.name)
    return GridTables(substations, headroom, path, FORMAT, ())
