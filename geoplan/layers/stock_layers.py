"""The building stock's layer sets, as :func:`geoplan.layers.prepare.prepare_layers` adds them.

The stock built from aggregated tables (:mod:`geoplan.layers.stock`) becomes the buildings
layer, or reweights the EPC certificates read (:mod:`geoplan.layers.stock_reweight`); with
metered consumption the heat demand is calibrated to it
(:mod:`geoplan.layers.stock_calibration`). The ``building_stock`` set holds each zone's
coverage.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geoplan.layers.layer_set import LayerSet
from geoplan.layers.stock import Stock, StockInputs, building_stock, read_area_polygons
from geoplan.layers.stock_calibration import (
    CALIBRATION_COLUMNS,
    Calibration,
    calibrate_heat,
    metered_per_zone,
)
from geoplan.layers.stock_reweight import reweight_certificates, stock_coverage

__all__ = ["stock_sets"]


def stock_sets(given: StockInputs, zones: gpd.GeoDataFrame, sets: dict[str, LayerSet]
               ) -> None:
    """Build the stock; make it (or the reweighted certificates) the buildings layer.

    Parameters
    ----------
    given : StockInputs
        The building stock's tables (and metered consumption, if given).
    zones : geopandas.GeoDataFrame
        The zones, with ``zone_id``.
    sets : dict of str to LayerSet
        The layer sets read so far: its ``buildings`` (EPC certificates, if any) are
        reweighted to the stock; ``buildings`` and ``building_stock`` are set.
    """
    areas = read_area_polygons(list(given.areas)) if given.areas else []
    stock = building_stock(zones, given.tables(), areas=areas,
                           weight="area" if given.weight == "area" else "even")
    warnings = list(stock.warnings)
    if "buildings" in sets:
        certificates = sets["buildings"]
        homes, notes = reweight_certificates(certificates.layers["buildings"], stock)
        warnings += [*certificates.warnings, *notes]
        layers = {**certificates.layers, "buildings": homes}
        summary = {**certificates.summary, "stock": "certificates reweighted to the stock"}
    else:
        homes = stock.archetypes
        layers = {"buildings": homes}
        summary = {"stock": "archetypes from aggregated tables"}
    summary |= {"archetypes": len(stock.archetypes),
                "households": int(stock.zones["households"].sum())}
    calibration = None
    if given.consumption():
        calibration = _calibrated(given, zones, stock, homes, areas, warnings)
        homes = calibration.buildings
        layers["buildings"] = homes
        summary["heat_demand"] = "calibrated to metered consumption"
    sets["buildings"] = LayerSet("buildings", layers, "building_stock", "building_stock",
                                 tuple(warnings), summary)
    coverage = stock_coverage(pd.Index(zones["zone_id"].astype(str)), stock, homes)
    if calibration is not None:
        coverage = coverage.join(calibration.zones[list(CALIBRATION_COLUMNS)])
    sets["building_stock"] = LayerSet("building_stock", {"coverage": coverage},
                                      "building_stock", "building_stock")


def _calibrated(given: StockInputs, zones: gpd.GeoDataFrame, stock: Stock,
                homes: gpd.GeoDataFrame, areas: list[gpd.GeoDataFrame], warnings: list[str]
                ) -> Calibration:
    """Return the metered consumption per zone and the heat demand calibrated to it."""
    households = stock.zones.set_index("zone_id")["households"].astype(float)
    metered = {}
    for fuel, spec in given.consumption().items():
        metered[fuel], notes = metered_per_zone(spec, fuel, zones, households, areas)
        warnings += notes
    calibration = calibrate_heat(homes, metered, households)
    warnings += calibration.notes
    return calibration
