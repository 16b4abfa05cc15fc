"""geoplan: spatial data to ranked, defensible net-zero investment plans for a UK county."""

from __future__ import annotations

import logging

from geoplan.errors import (
    AreaNotFoundError,
    CRSError,
    GeoplanError,
    InfeasibleError,
    LayerSchemaError,
    MissingCRSError,
    OutputExistsError,
    ScenarioError,
    SourceFormatError,
    SourceNotFoundError,
)
from geoplan.files.atomic import write_csv, write_geopackage
from geoplan.layers.grid import ancestors_of, graph_from_substations, headroom_for, match_names
from geoplan.layers.read import open_layer, read_layers
from geoplan.layers.supply import assign_zones
from geoplan.layers.zones import districts_from_file, zones_from_file
from geoplan.sources import detect_format, read_grid
from geoplan.version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AreaNotFoundError",
    "CRSError",
    "GeoplanError",
    "InfeasibleError",
    "LayerSchemaError",
    "MissingCRSError",
    "OutputExistsError",
    "ScenarioError",
    "SourceFormatError",
    "SourceNotFoundError",
    "__version__",
    "ancestors_of",
    "assign_zones",
    "detect_format",
    "districts_from_file",
    "graph_from_substations",
    "headroom_for",
    "match_names",
    "open_layer",
    "read_grid",
    "read_layers",
    "write_csv",
    "write_geopackage",
    "zones_from_file",
]
