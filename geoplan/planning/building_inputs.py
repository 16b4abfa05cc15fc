"""What the retrofit and LAEP workstreams are built from: tables, settings, shared options.

Split from :mod:`geoplan.planning.solve` (which re-exports the names): the assumption tables
both read (:data:`BUILDING_TABLES`, :func:`building_tables`), each one's settings with every
carbon factor year (:func:`building_settings`), and the per-home options both price, computed
once when they agree (:func:`shared_options`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geoplan.assumptions import AssumptionSet
from geoplan.layers.prepare import PreparedLayers
from geoplan.scenario import Scenario
from geoplan.workstreams.energy import carbon_factors_for
from geoplan.workstreams.laep import shared_home_options

__all__ = ["BUILDING_TABLES", "building_settings", "building_tables", "shared_options"]

BUILDING_TABLES = ("retrofit_measures", "loft_insulation", "carbon_factors", "fuel_prices",
                   "heat_loads", "heat_pathways", "epc_heat", "standing_charges")
"""Assumption tables the retrofit and LAEP workstreams read."""


def building_tables(scenario: Scenario, assumptions: AssumptionSet) -> dict[str, pd.DataFrame]:
    """Return the buildings tables, carbon factors on the scenario's electricity basis."""
    tables = {name: assumptions.table(name) for name in BUILDING_TABLES}
    tables["carbon_factors"] = carbon_factors_for(tables["carbon_factors"],
                                                  scenario.carbon.electricity_factor)
    return tables


def _factor_years(settings: Any, assumptions: AssumptionSet) -> Any:
    """Return settings whose trajectory years include every carbon factor table year.

    Lifetime carbon (the objective and the finance figures) interpolates a candidate's
    ``tco2e_per_yr_<year>`` columns; with a column at each year the table lists, that is each
    year's factor (the table is linear between its years), whatever the objective.
    """
    listed = pd.to_numeric(assumptions.table("carbon_factors")["year"], errors="coerce")
    years = sorted({*settings.trajectory_years, *(int(y) for y in listed.dropna())})
    return settings.model_copy(update={"trajectory_years": tuple(years)})


def building_settings(scenario: Scenario, assumptions: AssumptionSet, name: str) -> Any:
    """Return the settings ``retrofit`` or ``laep`` is built with (every factor year)."""
    return _factor_years(getattr(scenario.workstreams, name).settings(), assumptions)


def shared_options(scenario: Scenario, layers: PreparedLayers,
                   assumptions: AssumptionSet) -> pd.DataFrame | None:
    """Return the per-home options retrofit and LAEP share (computed once), or None.

    None unless both are enabled, the layers have homes and the options would be the same
    (:func:`~geoplan.workstreams.laep.shared_home_options`).
    """
    if not {"retrofit", "laep"} <= set(scenario.workstreams.enabled()) or layers.buildings is None:
        return None
    return shared_home_options(layers.buildings,
                               building_settings(scenario, assumptions, "retrofit"),
                               building_settings(scenario, assumptions, "laep"),
                               building_tables(scenario, assumptions))
