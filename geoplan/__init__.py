"""geoplan: spatial data to ranked, defensible net-zero investment plans for a UK county."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from geoplan.errors import (
    AreaNotFoundError,
    GeoplanError,
    InfeasibleError,
    LayerSchemaError,
    MissingCRSError,
    OutputExistsError,
    ScenarioError,
    SourceFormatError,
    SourceNotFoundError,
)

try:
    __version__ = version("geoplan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AreaNotFoundError",
    "GeoplanError",
    "InfeasibleError",
    "LayerSchemaError",
    "MissingCRSError",
    "OutputExistsError",
    "ScenarioError",
    "SourceFormatError",
    "SourceNotFoundError",
    "__version__",
]
