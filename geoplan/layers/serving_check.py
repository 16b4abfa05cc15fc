r"""Is each serving substation a plausible one? Households per kVA and distance, as a warning.

:func:`geoplan.layers.serving.serve` gives each zone the nearest substation of the serving
level. When a grid file lacks the substations of a town (NGED's capacity map of north
Cherwell lists no Banbury primary), the nearest is a small rural one, and every grid figure
of the town's zones is then that substation's, silently. This module checks the assignment
against what the DNO file says of each substation and reports what does not fit in **one**
counted warning; it never re-assigns a zone (the plan's figures are left as read).

For a substation :math:`s` of the serving level with households :math:`H_s` in its zones
(summed over the zones it serves) and capacity figure :math:`C_s` in MVA, its measured peak
demand (``peak_demand_mva``) when the file gives one, else its firm capacity
(``firm_capacity_mva``):

.. math::  r_s = 1000 \, C_s / H_s \quad \text{kVA per household}

A primary's measured peak carries its homes' after-diversity maximum demand (ADMD) and the
non-domestic load besides, and its firm capacity must carry the peak, so :math:`r_s` below
the published least ADMD per household, in kVA (:math:`a / p` for ADMD :math:`a` kW and
power factor :math:`p`), means the substation cannot be the one that serves those homes. The
floor :math:`a` and the distance beyond which a serving substation is implausibly far are
rows of ``layers/assumptions/serving_checks.csv`` (:data:`SERVING_CHECKS`). Substations
whose file gives neither figure (SSEN's headroom report gives headroom only) are checked
for distance only, and counted.

Examples
--------
Two zones of 600 households each served by a primary with a 0.1 MVA peak: 0.08 kVA per home.

>>> import geopandas as gpd, pandas as pd
>>> zones = pd.DataFrame({"zone_id": ["a", "b"], "zone_name": ["A", "B"],
...                       "substation_id": ["p1", "p1"], "serving_distance_km": [1.0, 2.0]})
>>> subs = pd.DataFrame({"substation_id": ["p1"], "name": ["Little"], "level": ["primary"],
...                      "firm_capacity_mva": [5.0], "peak_demand_mva": [0.1]})
>>> table = serving_load(zones, subs, pd.Series({"a": 600.0, "b": 600.0}), "primary")
>>> round(float(table.loc[0, "kva_per_household"]), 3)
0.083
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import LayerSchemaError
from geoplan.layers.grid import GRID_UNITS, power_factor

__all__ = ["LOAD_COLUMNS", "SERVING_CHECKS", "SERVING_WARNING", "ServingLimits", "check_serving",
           "serving_columns", "serving_limits", "serving_load", "serving_plausibility",
           "zone_households"]

SERVING_WARNING = "serving: plausibility:"
"""How the warning of :func:`serving_plausibility` starts (the summary's grid evidence
repeats it)."""

SERVING_CHECKS = AssumptionTable("serving_checks", key=("item",), numbers={"value": 0.0},
                                 text=("unit",))
"""Thresholds of the check: ``admd_kw_per_household`` and ``max_serving_distance_km``."""

LOAD_COLUMNS = ("substation_id", "name", "dno", "zones", "zone_names", "households_served",
                "capacity_mva", "capacity_basis", "kva_per_household", "furthest_zone_km")
"""Columns of :func:`serving_load`, in order."""

_SHOWN = 5  # substations named in the warning per kind; the rest are counted


@dataclass(frozen=True)
class ServingLimits:
    """What is plausible: least ADMD per household (kW), power factor, furthest zone (km)."""

    admd_kw_per_household: float
    power_factor: float
    max_distance_km: float

    @property
    def floor_kva(self) -> float:
        """The least plausible kVA per household: ADMD over the power factor."""
        return self.admd_kw_per_household / self.power_factor


def check_serving(zones: pd.DataFrame, substations: pd.DataFrame,
                  layers: Mapping[str, Mapping[str, pd.DataFrame]], level: str,
                  factor: float | None, max_distance_km: float
                  ) -> tuple[pd.DataFrame, tuple[str, ...], dict[str, object]]:
    """Check a run's served zones (module docstring): substations, warning, report.

    Without households or homes per zone in ``layers`` nothing is checked: the substations
    come back unchanged, with no warning and a report saying so. Otherwise they gain
    :func:`serving_columns`. ``factor`` None: the shipped ``grid_units`` power factor.
    """
    counted = zone_households(layers)
    if counted is None:
        return substations, (), {"checked": False, "why": "no households or homes per zone"}
    households, what = counted
    if factor is None:
        factor = power_factor(read_assumptions(GRID_UNITS))
    load = serving_load(zones, substations, households, level)
    notes, report = serving_plausibility(load, serving_limits(None, factor, max_distance_km),
                                         level, what)
    return serving_columns(substations, load), notes, {"checked": True, **report}


def serving_limits(table: pd.DataFrame | None, factor: float, max_distance_km: float
                   ) -> ServingLimits:
    """Read the ADMD floor of a ``serving_checks`` table (the shipped one when None).

    ``factor`` is the power factor (kW per kVA) that turns the floor into kVA.

    The distance is the run's own (scenario key ``grid.max_serving_distance_km``, whose
    default is the table's ``max_serving_distance_km`` row), so zones and substations are
    flagged at the same distance.

    Raises
    ------
    LayerSchemaError
        When the table has no ``admd_kw_per_household`` row or its value is not above 0.
    """
    table = read_assumptions(SERVING_CHECKS) if table is None else table
    rows = table[table["item"].astype(str) == "admd_kw_per_household"]
    value = float(rows["value"].iloc[0]) if len(rows) == 1 else float("nan")
    if not value > 0:
        raise LayerSchemaError(f"serving_checks ({table.attrs.get('path', 'table')}) needs one "
                               "row admd_kw_per_household with a value above 0 (kW)")
    return ServingLimits(value, float(factor), float(max_distance_km))


def zone_households(layers: Mapping[str, Mapping[str, pd.DataFrame]]
                    ) -> tuple[pd.Series, str] | None:
    """Households per zone id and what they are, from the prepared layers, or None.

    The ``ev_demand`` layer's ``households`` (a census count) when read, else the homes of
    the ``buildings`` layer's zone summary (``homes``).
    """
    for kind, name, column, what in (("ev_demand", "ev_demand", "households", "households"),
                                     ("buildings", "zone_buildings", "homes", "homes")):
        frame = layers.get(kind, {}).get(name)
        if frame is not None and column in frame.columns and len(frame):
            counts = pd.to_numeric(frame[column], errors="coerce").astype(float)
            return pd.Series(counts.to_numpy(), index=frame["zone_id"].astype(str)), what
    return None


def serving_load(zones: pd.DataFrame, substations: pd.DataFrame, households: pd.Series,
                 level: str) -> pd.DataFrame:
    """Households and capacity per serving substation (module docstring), sorted by ratio.

    Parameters
    ----------
    zones : pandas.DataFrame
        Served zones: ``zone_id``, ``substation_id``, ``serving_distance_km`` (and
        ``zone_name``, shown in the warning; ``serving_flag``, whose ``set_by_scenario``
        zones are left out of ``furthest_zone_km``).
    substations : pandas.DataFrame
        The substations layer (``firm_capacity_mva``, ``peak_demand_mva`` may be blank).
    households : pandas.Series
        Households per zone id (a zone without a count adds none).
    level : str
        The serving level: only its substations are rows.

    Returns
    -------
    pandas.DataFrame
        :data:`LOAD_COLUMNS`; ``capacity_basis`` is the column the figure came from ("" and
        NaN ratio when neither is given, or no households); ``dno`` blank without one.
    """
    ids = zones["zone_id"].astype(str)
    names = zones["zone_name"].astype(str) if "zone_name" in zones.columns else ids
    km = pd.to_numeric(zones["serving_distance_km"])
    if "serving_flag" in zones.columns:  # a distance the scenario chose is not a finding
        km = km.mask(zones["serving_flag"].astype(str).str.contains("set_by_scenario"))
    frame = pd.DataFrame({"substation_id": zones["substation_id"].astype(str).to_numpy(),
                          "households": ids.map(households).astype(float).to_numpy(),
                          "name": names.to_numpy(), "km": km.to_numpy()})
    grouped = frame.groupby("substation_id", sort=True).agg(
        zones=("name", "size"), zone_names=("name", lambda n: ", ".join(sorted(n))),
        households_served=("households", "sum"), furthest_zone_km=("km", "max"))
    subs = substations[(substations["level"].astype(str) == level).to_numpy()]
    subs = subs.set_index(subs["substation_id"].astype(str))
    subs = subs.assign(dno=subs["dno"].astype(object) if "dno" in subs.columns else None)
    out = grouped.join(subs[["name", "dno", "firm_capacity_mva", "peak_demand_mva"]],
                       how="left")
    peak, firm = (pd.to_numeric(out[c], errors="coerce") for c in ("peak_demand_mva",
                                                                     "firm_capacity_mva"))
    use_peak = (peak > 0).to_numpy()
    use_firm = ~use_peak & (firm > 0).to_numpy()
    out["capacity_mva"] = np.where(use_peak, peak, np.where(use_firm, firm, np.nan))
    out["capacity_basis"] = np.where(use_peak, "peak_demand_mva",
                                     np.where(use_firm, "firm_capacity_mva", ""))
    served = out["households_served"].where(out["households_served"] > 0)
    out["kva_per_household"] = out["capacity_mva"] * 1000.0 / served
    out["name"] = out["name"].fillna(pd.Series(out.index, index=out.index)).astype(str)
    out = out.reset_index().sort_values(["kva_per_household", "substation_id"],
                                        na_position="last")
    return out[list(LOAD_COLUMNS)].reset_index(drop=True)


def serving_plausibility(load: pd.DataFrame, limits: ServingLimits, level: str,
                         what: str = "households") -> tuple[tuple[str, ...], dict[str, object]]:
    """Return the one warning (or none) and the report of a :func:`serving_load` table.

    A substation is named when its ``kva_per_household`` is below ``limits.floor_kva`` or a
    zone it serves lies further than ``limits.max_distance_km``.
    """
    low = load[(load["kva_per_household"] < limits.floor_kva).to_numpy()]
    far = load[(load["furthest_zone_km"] > limits.max_distance_km).to_numpy()]
    far = far.sort_values(["furthest_zone_km", "substation_id"], ascending=[False, True])
    checked = int(load["kva_per_household"].notna().sum())
    report: dict[str, object] = {
        "admd_kw_per_household": limits.admd_kw_per_household,
        "floor_kva_per_household": limits.floor_kva, "counted": what,
        "substations_checked": checked, "substations_without_capacity": len(load) - checked,
        "implausible_households": list(low["substation_id"]),
        "beyond_max_distance": list(far["substation_id"])}
    if low.empty and far.empty:
        return (), report
    parts = [f"{SERVING_WARNING} {len(low) + len(_only(far, low))} of {len(load)} "
             f"{level} substations serving zones are implausible for them"]
    if len(low):
        parts.append(f"Too little capacity for their {what} ({len(low)} of the {checked} whose "
                     f"file gives a peak or firm capacity; floor {limits.floor_kva:.2f} kVA "
                     f"per {what[:-1]}, an after-diversity maximum demand of "
                     f"{limits.admd_kw_per_household:g} kW at power factor "
                     f"{limits.power_factor:g}, serving_checks.csv): "
                     + "; ".join(_low_text(row, what) for row in _shown(low)) + _more(low))
    if len(far):
        parts.append(f"Zones more than {limits.max_distance_km:g} km away ({len(far)}): "
                     + "; ".join(f"{r.name} ({r.substation_id}), furthest of its {r.zones} "
                                 f"zones {r.furthest_zone_km:.1f} km" for r in _shown(far))
                     + _more(far))
    if len(load) > checked:
        parts.append(f"{len(load) - checked} substations were checked for distance only (no "
                     f"peak or firm capacity in their file, or no {what})")
    dnos = sorted({str(d) for d in pd.concat([low, far])["dno"].dropna()})
    owner = f" of {' or '.join(dnos)}" if dnos else ""
    parts.append("Every grid figure of their zones (headroom, reinforcement, grid evidence, "
                 "DNO evidence) is that substation's and was not changed. Fix: add the grid "
                 f"file{owner} that lists the substations that really serve these zones (e.g. "
                 "the DNO's primaries of that town, or the missing DNO's file), or set the "
                 "zones' substations with grid.serving_overrides. Substations layer columns "
                 "households_served, kva_per_household; zones layer column substation_id")
    return (". ".join(parts) + ".",), report


def serving_columns(substations: pd.DataFrame, load: pd.DataFrame) -> pd.DataFrame:
    """Return ``substations`` with the check's columns (blank where a substation serves none).

    ``households_served``, ``kva_per_household`` and ``capacity_basis`` (the column the
    ratio's MVA came from: ``peak_demand_mva`` or ``firm_capacity_mva``).
    """
    ids = substations["substation_id"].astype(str)
    table = load.set_index("substation_id")
    return substations.assign(
        households_served=ids.map(table["households_served"]).astype(float).to_numpy(),
        kva_per_household=ids.map(table["kva_per_household"]).astype(float).to_numpy(),
        capacity_basis=ids.map(table["capacity_basis"]).fillna("").astype(str).to_numpy())


def _only(rows: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    return rows[~rows["substation_id"].isin(other["substation_id"])]


def _shown(rows: pd.DataFrame) -> list[Any]:
    return list(rows.head(_SHOWN).itertuples(index=False))


def _more(rows: pd.DataFrame) -> str:
    return f"; and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""


def _low_text(r: Any, what: str) -> str:
    """One substation of too little capacity for its households, as the warning names it."""
    names = str(r.zone_names).split(", ")
    sample = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    basis = "measured peak" if r.capacity_basis == "peak_demand_mva" else "firm capacity"
    return (f"{r.name} ({r.substation_id}) serves {r.zones} zones ({sample}) with "
            f"{r.households_served:,.0f} {what} on {r.capacity_mva:g} MVA of {basis}: "
            f"{r.kva_per_household:.2f} kVA per {what[:-1]}")
