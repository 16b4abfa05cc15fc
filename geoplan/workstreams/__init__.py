"""Workstream models: each turns layers into candidates and model parts for the optimiser.

Buildings workstreams (retrofit, local area energy planning) and their energy tables are
re-exported here; the chargers, sequestration and joint modules add theirs to this list.
"""

from geoplan.workstreams.energy import (
    carbon_factor,
    fuel_price,
    read_carbon_factors,
    read_fuel_prices,
)
from geoplan.workstreams.laep import (
    LaepSettings,
    laep_candidates,
    laep_model,
    read_heat_pathways,
)
from geoplan.workstreams.loft import read_loft_insulation
from geoplan.workstreams.measures import read_retrofit_measures
from geoplan.workstreams.parts import ModelParts
from geoplan.workstreams.retrofit import (
    RetrofitSettings,
    home_options,
    retrofit_candidates,
    retrofit_model,
)
from geoplan.workstreams.retrofit_packages import home_packages
from geoplan.workstreams.savings import read_heat_loads

__all__ = [

    "LaepSettings",
    "ModelParts",
    "RetrofitSettings",
    "carbon_factor",
    "fuel_price",

    "home_options",
    "home_packages",
    "laep_candidates",
    "laep_model",
    "read_carbon_factors",
    "read_fuel_prices",
    "read_heat_loads",
    "read_heat_pathways",
    "read_loft_insulation",
    "read_retrofit_measures",
    "retrofit_candidates",
    "retrofit_model",
]
