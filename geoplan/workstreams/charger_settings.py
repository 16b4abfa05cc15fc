"""Settings of the EV charger workstream and its assumption tables.

``charger_types`` describes each charger power class; ``ev_attribution`` the share of the
petrol-to-EV switch carbon a charger is credited with (:func:`attribution_share`).

``ChargerSettings`` is defined with the other workstreams' settings in
:mod:`geoplan.scenario.workstreams` (the scenario's ``workstreams.chargers`` section extends it).

Shared by :mod:`geoplan.workstreams.charger_demand` (where demand is) and
:mod:`geoplan.workstreams.chargers` (candidate sites and their model).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, SourceFormatError
from geoplan.scenario.workstreams import ChargerSettings

__all__ = ["ATTRIBUTION_ITEM", "CHARGER_TYPES", "COVERAGE_NAME", "EV_ATTRIBUTION", "WORKSTREAM",
           "ChargerSettings", "attribution_share", "read_charger_types"]

CHARGER_TYPES = AssumptionTable(
    "charger_types",
    key=("kw_class",),
    numbers={"charger_kw": 0.1, "cost_per_charger_gbp": 0.0, "peak_kw_per_charger": 0.0,
             "evs_per_charger": 0.0, "lifetime_years": 1.0, "tco2e_per_ev_yr": 0.0},
    text=("site_kinds",),
    optional_numbers={"max_per_site": 1.0},
)
"""Charger power classes: cost, after-diversity peak, EVs served, lifetime, carbon per EV."""

EV_ATTRIBUTION = AssumptionTable(
    "ev_attribution", key=("item",),
    numbers={"value": 0.0, "value_low": 0.0, "value_high": 0.0}, text=("unit",))
"""Share of the petrol-to-EV switch carbon credited to a charger, with low/high bounds."""

ATTRIBUTION_ITEM = "ev_attribution_share"
"""The ``item`` of the ``ev_attribution`` row :func:`attribution_share` reads."""

COVERAGE_NAME = "ev_coverage"
"""Name of the coverage term (floors refer to it; the plan's score part)."""

WORKSTREAM = "chargers"


def read_charger_types(path: str | Any | None = None) -> pd.DataFrame:
    """Read and check the ``charger_types`` table.

    Raises
    ------
    SourceFormatError
        Listing every missing column, missing source, negative or non-numeric value, and
        ``kw_class`` that is not a number (file, row and column named).
    """
    table = read_assumptions(CHARGER_TYPES, path)
    problems = Problems(table.attrs["path"], sheet=CHARGER_TYPES.name)
    for index, value in table["kw_class"].items():
        try:
            float(value)
        except ValueError:
            problems.add(f"kw_class {value!r} is not a number", row=int(index) + 2,
                         column="kw_class", fix="name the class by its kW, e.g. 7 or 50")
    problems.raise_if_any(SourceFormatError)
    table["kw_class"] = table["kw_class"].astype(float)
    return table


def attribution_share(table: pd.DataFrame | None = None, override: float | None = None) -> float:
    """Share of the petrol-to-EV switch carbon credited to the chargers.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        The ``ev_attribution`` table (default: the shipped one); its
        ``ev_attribution_share`` row gives the share.
    override : float, optional
        The scenario's ``workstreams.chargers.ev_attribution_share``; wins over the table
        (the table is then not read).

    Returns
    -------
    float
        Between 0 and 1.

    Raises
    ------
    SourceFormatError
        The row is missing, or its value, low or high is above 1 or out of order
        (file, row and column named).

    Examples
    --------
    >>> attribution_share(override=0.0)
    0.0
    """
    if override is not None:
        return float(override)
    table = read_assumptions(EV_ATTRIBUTION) if table is None else table
    problems = Problems(table.attrs.get("path", "ev_attribution.csv"), sheet=EV_ATTRIBUTION.name)
    rows = [i for i, item in enumerate(table["item"].astype(str)) if item == ATTRIBUTION_ITEM]
    if not rows:
        problems.add(f"no row {ATTRIBUTION_ITEM!r} (items: {sorted(table['item'].astype(str))})",
                     column="item", fix=f"add the row {ATTRIBUTION_ITEM} with its source")
        problems.raise_if_any(SourceFormatError)
    row = table.iloc[rows[0]]
    values = {c: float(row[c]) for c in ("value_low", "value", "value_high")}
    for column, value in values.items():
        if value > 1.0:
            problems.add(f"{ATTRIBUTION_ITEM} {column} {value:g} is above 1", row=rows[0] + 2,
                         column=column, fix="give a share between 0 and 1 (0.25 for a quarter)")
    if not values["value_low"] <= values["value"] <= values["value_high"]:
        problems.add(f"{ATTRIBUTION_ITEM} value {values['value']:g} is not within its bounds "
                     f"{values['value_low']:g}-{values['value_high']:g}", row=rows[0] + 2,
                     column="value", fix="give value_low <= value <= value_high")
    problems.raise_if_any(SourceFormatError)
    return values["value"]
