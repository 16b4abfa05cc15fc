"""Settings of the EV charger workstream and its ``charger_types`` assumption table.

Shared by :mod:`geoplan.workstreams.charger_demand` (where demand is) and
:mod:`geoplan.workstreams.chargers` (candidate sites and their model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, ScenarioError, SourceFormatError

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


@dataclass(frozen=True)
class ChargerSettings:
    """Settings of the EV charger workstream.

    Parameters
    ----------
    walk_distance_m : float
        Reach of a charger from a home.
    use_roads : bool
        Measure reach along the roads graph when one is given.
    charger_kw : tuple of int
        Power classes offered (rows of ``charger_types.csv``).
    ev_year : int
        Year of the projected EVs.
    budget_gbp : float, optional
        Workstream budget (e.g. a LEVI allocation) for new sites.
    coverage_floor_share : float or Mapping[str, float], optional
        Least share of each district's demand covered (existing chargers included).
    locked_in : tuple of str
        Site ids already funded.
    coverage_weight : float
        Weight of the coverage term (share of residual demand covered).
    capacitated : bool
        Limit the demand a site serves to its chargers' capacity.
    site_sizes : tuple of int
        Numbers of chargers offered per site and class (capped by the site).
    demand_cell_m : float, optional
        Gather home demand points per square cell of this side (None: one point per home).
    """

    walk_distance_m: float = 400.0
    use_roads: bool = True
    charger_kw: tuple[int, ...] = (7, 22, 50)
    ev_year: int = 2030
    budget_gbp: float | None = None
    coverage_floor_share: Any = None
    locked_in: tuple[str, ...] = ()
    coverage_weight: float = 1.0
    capacitated: bool = True
    site_sizes: tuple[int, ...] = (2, 4, 8, 16)
    demand_cell_m: float | None = 100.0

    def __post_init__(self) -> None:
        problems = []
        if not self.walk_distance_m > 0:
            problems.append(f"walk_distance_m={self.walk_distance_m!r} must be > 0 (e.g. 400)")
        if not self.charger_kw:
            problems.append("charger_kw is empty (e.g. (7, 22, 50))")
        if self.budget_gbp is not None and not self.budget_gbp >= 0:
            problems.append(f"budget_gbp={self.budget_gbp!r} must be >= 0 or None")
        if not self.coverage_weight >= 0:
            problems.append(f"coverage_weight={self.coverage_weight!r} must be >= 0")
        if not self.site_sizes or any(int(s) != s or s < 1 for s in self.site_sizes):
            problems.append(f"site_sizes={self.site_sizes!r} must be whole numbers >= 1")
        if self.demand_cell_m is not None and not self.demand_cell_m > 0:
            problems.append(f"demand_cell_m={self.demand_cell_m!r} must be > 0 or None")
        shares = (self.coverage_floor_share.values() if isinstance(
            self.coverage_floor_share, dict) else [self.coverage_floor_share])
        if any(s is not None and not 0 <= s <= 1 for s in shares):
            problems.append(f"coverage_floor_share={self.coverage_floor_share!r} must be "
                            "between 0 and 1")
        if problems:
            raise ScenarioError("chargers settings: " + "; ".join(problems))


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
