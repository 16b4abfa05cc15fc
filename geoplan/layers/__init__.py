"""Layers: canonical GeoDataFrames in EPSG:27700, one entry point per layer kind.

``read_layers(path, kind)`` reads any supported file into the canonical layers of a kind
(:mod:`geoplan.layers.read`, readers per kind in :mod:`geoplan.layers.kinds`);
:func:`geoplan.layers.prepare.prepare_layers` reads every layer of a plan at once and gives
each zone, home, site and parcel its serving substation. The modules here build each layer
from what :mod:`geoplan.sources` read: zones, grid, supply, buildings, ev, sites, land, roads.
"""

from __future__ import annotations

from geoplan.layers.read import (
    KINDS,
    LayerSet,
    crs_name,
    open_layer,
    read_layers,
    rows_within,
    select_grid,
    source_name,
    zones_layer,
)

__all__ = ["KINDS", "LayerSet", "crs_name", "open_layer", "read_layers", "rows_within",
           "select_grid", "source_name", "zones_layer"]
