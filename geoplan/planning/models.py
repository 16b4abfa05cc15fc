"""Each workstream's candidates and model parts, built from the layers and a scenario.

One builder per workstream, each giving a :class:`WorkstreamModel`:
:func:`retrofit_workstream` and :func:`laep_workstream` (from the homes' options, which they
share), :func:`charger_workstream` and :func:`sequestration_workstream`.
:func:`geoplan.planning.solve.workstream_models` calls those the scenario enables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from geoplan.assumptions import AssumptionSet
from geoplan.errors import LayerSchemaError
from geoplan.layers.prepare import PreparedLayers
from geoplan.layers.site_names import site_names
from geoplan.planning.building_inputs import building_settings, building_tables
from geoplan.scenario import Scenario
from geoplan.workstreams.charger_demand import ChargerDemand, charger_demand
from geoplan.workstreams.chargers import charger_candidates, charger_model
from geoplan.workstreams.laep import laep_candidates, laep_model
from geoplan.workstreams.parts import ModelParts
from geoplan.workstreams.retrofit import retrofit_candidates, retrofit_model
from geoplan.workstreams.sequestration import sequestration_candidates, sequestration_model

__all__ = ["WorkstreamModel", "charger_workstream", "laep_workstream", "retrofit_workstream",
           "sequestration_workstream"]


@dataclass(frozen=True)
class WorkstreamModel:
    """One workstream's candidates and model parts, and what built them."""

    name: str
    candidates: gpd.GeoDataFrame
    parts: ModelParts
    settings: object
    demand: ChargerDemand | None = None
    notes: tuple[str, ...] = ()
    assumptions: AssumptionSet | None = field(default=None, repr=False, compare=False)
    """The tables that built it, passed on down the chain (:func:`geoplan.build_candidates`)."""


def _need(layer: object, name: str, workstream: str) -> Any:
    if layer is None and name == "epc":
        raise LayerSchemaError(f"the {workstream} workstream needs homes, which the scenario's "
                               "inputs do not give (fix: set inputs.epc to EPC certificates, "
                               "or inputs.building_stock to aggregated Census tables (see "
                               f"scenarios/README.md), or workstreams.{workstream}.enabled: "
                               "false)")
    if layer is None:
        raise LayerSchemaError(f"the {workstream} workstream needs the {name} layer, which the "
                               f"scenario's inputs do not give (fix: set inputs.{name}, or "
                               f"workstreams.{workstream}.enabled: false)")
    return layer


def retrofit_workstream(scenario: Scenario, layers: PreparedLayers,
                        assumptions: AssumptionSet, options: pd.DataFrame | None = None
                        ) -> WorkstreamModel:
    """Build the retrofit workstream (``options``: the homes' options, shared with LAEP)."""
    settings = building_settings(scenario, assumptions, "retrofit")
    buildings = _need(layers.buildings, "epc", "retrofit")
    candidates = retrofit_candidates(buildings, layers.zones, settings,
                                     tables=building_tables(scenario, assumptions),
                                     options=options)
    return WorkstreamModel("retrofit", candidates, retrofit_model(candidates, settings),
                           settings)


def laep_workstream(scenario: Scenario, layers: PreparedLayers, assumptions: AssumptionSet,
                    options: pd.DataFrame | None = None) -> WorkstreamModel:
    """Build the LAEP workstream (``options``: the homes' options, shared with retrofit)."""
    settings = building_settings(scenario, assumptions, "laep")
    buildings = _need(layers.buildings, "epc", "laep")
    candidates = laep_candidates(buildings, layers.zones, settings,
                                 tables=building_tables(scenario, assumptions), options=options)
    return WorkstreamModel("laep", candidates, laep_model(candidates, settings), settings)


def charger_workstream(scenario: Scenario, layers: PreparedLayers,
                       assumptions: AssumptionSet) -> WorkstreamModel:
    """Build the EV charger workstream: demand, named sites, candidates and model parts."""
    settings = scenario.workstreams.chargers.settings()
    ev_demand = _need(layers.ev_demand, "vehicles", "chargers")
    sites = _need(layers.sites, "car_parks", "chargers")
    types = assumptions.table("charger_types")
    demand = charger_demand(ev_demand, layers.zones, settings, buildings=layers.buildings,
                            chargers=layers.chargers,
                            roads=layers.roads if settings.use_roads else None,
                            parking=assumptions.table("offstreet_parking"), charger_types=types)
    sites = site_names(sites, layers.road_names, max_distance_m=settings.site_name_road_m)
    candidates = charger_candidates(sites, demand, settings, zones=layers.zones,
                                    site_kinds=assumptions.table("site_kinds"),
                                    charger_types=types,
                                    ev_attribution=None if settings.ev_attribution_share
                                    is not None else assumptions.table("ev_attribution"))
    parts = charger_model(candidates, settings, demand=demand)
    return WorkstreamModel("chargers", candidates, parts, settings, demand)


def sequestration_workstream(scenario: Scenario, layers: PreparedLayers,
                             assumptions: AssumptionSet) -> WorkstreamModel:
    """Build the land-based sequestration workstream from the land parcels."""
    settings = scenario.workstreams.sequestration.settings()
    land = _need(layers.land, "land_cover", "sequestration")
    candidates = sequestration_candidates(land, settings, zones=layers.zones,
                                          sequestration=assumptions.table("sequestration"),
                                          classes=assumptions.table("land_cover_classes"),
                                          profile=assumptions.table("woodland_profile"),
                                          peat=assumptions.table("peat_conditions"))
    parts = sequestration_model(candidates, settings, emissions=layers.emissions)
    return WorkstreamModel("sequestration", candidates, parts, settings)
