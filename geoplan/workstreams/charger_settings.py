"""Settings of the EV charger workstream and its ``charger_types`` assumption table.

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

__all__ = ["CHARGER_TYPES", "COVERAGE_NAME", "WORKSTREAM", "ChargerSettings",
           "read_charger_types"]

CHARGER_TYPES = AssumptionTable(
    "charger_types",
    key=("kw_class",),
    numbers={"charger_kw": 0.1, "cost_per_charger_gbp": 0.0, "peak_kw_per_charger": 0.0,
             "evs_per_charger": 0.0, "lifetime_years": 1.0, "tco2e_per_ev_yr": 0.0},
    text=("site_kinds",),
    optional_numbers={"max_per_site": 1.0},
)
"""Charger power classes: cost, after-diversity peak, EVs served, lifetime, carbon per EV."""

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
