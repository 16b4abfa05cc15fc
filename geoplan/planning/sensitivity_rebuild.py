r"""Exact tornado responses for the buildings tables: the chosen zones' homes rebuilt.

A home's yearly tCO2e is :math:`\max(0, E_0 k_f - E_1 k_{f'})`
(:func:`geoplan.workstreams.savings.switch_effects`), clipped per home before homes are
summed into a candidate, and a home's package, standing charges and bill change follow from
the measures table. So a change of a carbon factor series, a standing charge or a measure's
saving share cannot be carried to a candidate by scaling its figures. Instead
:class:`BuildingRebuild` builds the candidates again through the same code
(:func:`~geoplan.workstreams.retrofit.retrofit_candidates`,
:func:`~geoplan.workstreams.laep.laep_candidates`, then
:func:`~geoplan.planning.phasing.lifetime_columns`) with one table changed, from only the homes
of the zones that hold chosen candidates (a zone's candidates depend on its own homes alone),
and :func:`replaced` takes the chosen candidates' carbon columns, ``cost_gbp`` and
``saving_gbp_per_yr`` from the rebuild.

Tables are changed by :func:`at_bound`: a :data:`SERIES` table (the electricity carbon factor
trajectories) takes its ``_low`` or ``_high`` column on every row that gives one (the other
rows keep their value), any other table only the bound's own cell. A rebuild at the run's own
tables must give the plan's figures back (:func:`unreproduced`); when it does not, the
tornado says so instead of showing figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionSet
from geoplan.layers.buildings import zoned_homes
from geoplan.layers.prepare import PreparedLayers
from geoplan.planning.phasing import lifetime_columns
from geoplan.planning.solve import BUILDING_TABLES, PlanResult, building_settings
from geoplan.scenario import Scenario
from geoplan.workstreams.energy import carbon_factors_for
from geoplan.workstreams.laep import laep_candidates, shared_home_options
from geoplan.workstreams.retrofit import retrofit_candidates
from geoplan.workstreams.retrofit_packages import priced_floor_areas

__all__ = ["BUILDERS", "SERIES", "BuildingRebuild", "at_bound", "building_rebuild",
           "only_options", "rebuilt_frames", "replaced", "unreproduced"]

BUILDERS: dict[str, Callable[..., Any]] = {"retrofit": retrofit_candidates,
                                           "laep": laep_candidates}
"""Workstreams rebuilt, and the function that builds their candidates."""

SERIES = {"carbon_factors": "kgco2e_per_kwh"}
"""Tables whose low and high columns are one alternative series across all rows."""

TAKEN = re.compile(r"^(tco2e_per_yr(_.+)?|lifetime_tco2e_.+|cost_gbp|saving_gbp_per_yr)$")
"""Columns of a chosen candidate taken from its rebuild."""


@dataclass(frozen=True)
class BuildingRebuild:
    """Rebuild the buildings workstreams' candidates with one assumption table changed.

    Attributes
    ----------
    buildings : pandas.DataFrame
        Homes (with ``zone_id``), usually only those of the zones holding chosen candidates.
    zones : pandas.DataFrame or None
        Zones layer, as the workstreams were built with.
    settings : Mapping[str, Any]
        Workstream (a :data:`BUILDERS` key) -> its settings.
    tables : Mapping[str, pandas.DataFrame]
        The buildings tables as the run read them (``carbon_factors`` with every basis).
    years : sequence of int
        Milestone years of ``lifetime_tco2e_<year>``; ``until``, ``horizon`` and
        ``discount_rate`` as :func:`~geoplan.planning.phasing.lifetime_columns` takes them.
    basis : str or None
        Electricity carbon factor basis kept (None: the table as it is).
    """

    buildings: pd.DataFrame = field(repr=False)
    zones: Any = field(repr=False)
    settings: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    years: Sequence[int] = ()
    until: str = "lifetime"
    horizon: int = 2050
    discount_rate: float = 0.0
    basis: str | None = None

    @property
    def names(self) -> frozenset[str]:
        """Tables a rebuild can change."""
        return frozenset(self.tables)

    def __call__(self, name: str, table: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Workstream -> its candidates (no geometry) with ``name`` replaced by ``table``."""
        tables = {**self.tables, name: table}
        if self.basis is not None and "carbon_factors" in tables:
            tables["carbon_factors"] = carbon_factors_for(tables["carbon_factors"], self.basis)
        out = {}
        shared = None  # retrofit's and LAEP's per-home options, computed once when they agree
        if {"retrofit", "laep"} <= set(self.settings):
            shared = shared_home_options(self.buildings, self.settings["retrofit"],
                                         self.settings["laep"], tables)
        for workstream, settings in self.settings.items():
            built = BUILDERS[workstream](self.buildings, self.zones, settings, tables=tables,
                                         options=shared)
            frame = pd.DataFrame(built.drop(columns="geometry", errors="ignore"))
            out[workstream] = lifetime_columns(frame, list(self.years), until=self.until,
                                               horizon=self.horizon,
                                               discount_rate=self.discount_rate)
        return out


def at_bound(name: str, table: pd.DataFrame, column: str, row: int, side: str) -> pd.DataFrame:
    """Return ``table`` with ``column`` at its ``side`` (``low``/``high``) bound.

    A :data:`SERIES` table takes the bound column on every row that gives one; any other
    table only row ``row`` (0-based).
    """
    out = table.copy()
    bound = pd.to_numeric(out[f"{column}_{side}"], errors="coerce")
    values = pd.to_numeric(out[column], errors="coerce").astype(float)
    if name in SERIES:
        out[column] = values.where(bound.isna(), bound)
    else:
        values.iloc[row] = float(bound.iloc[row])
        out[column] = values
    return out


def replaced(chosen: pd.DataFrame, rebuilt: Mapping[str, pd.DataFrame]
             ) -> tuple[pd.DataFrame, list[str]]:
    """``chosen`` with the :data:`TAKEN` columns of rebuilt workstreams from the rebuild.

    Returns the frame and the ids of chosen candidates the rebuild no longer has (their
    figures are left as they were; the caller reports them).
    """
    out = chosen.copy()
    missing: list[str] = []
    ids = out["candidate_id"].astype(str)
    for workstream, table in rebuilt.items():
        rows = (out["workstream"].astype(str) == workstream).to_numpy()
        if not rows.any():
            continue
        keyed = (table.assign(candidate_id=table["candidate_id"].astype(str))
                 .drop_duplicates("candidate_id").set_index("candidate_id"))
        found = ids[rows].isin(keyed.index).to_numpy()
        missing += ids[rows][~found].tolist()
        at = np.flatnonzero(rows)[found]
        for column in [c for c in out.columns if TAKEN.match(str(c)) and c in keyed.columns]:
            values = pd.to_numeric(out[column], errors="coerce").to_numpy(dtype=float, copy=True)
            values[at] = pd.to_numeric(keyed[column], errors="coerce").reindex(
                ids.iloc[at]).to_numpy(dtype=float)
            out[column] = values
    return out, missing


def unreproduced(chosen: pd.DataFrame, rebuilt: Mapping[str, pd.DataFrame]) -> str:
    """Why a rebuild at the run's own tables does not give the plan's figures ("" if it does)."""
    again, missing = replaced(chosen, rebuilt)
    if missing:
        return f"the rebuild has no candidate {missing[0]!r}"
    for column in [c for c in chosen.columns if TAKEN.match(str(c))]:
        was = pd.to_numeric(chosen[column], errors="coerce").to_numpy(dtype=float)
        now = pd.to_numeric(again[column], errors="coerce").to_numpy(dtype=float)
        same = np.isclose(was, now, rtol=1e-9, atol=1e-9) | (np.isnan(was) & np.isnan(now))
        if not same.all():
            at = int(np.flatnonzero(~same)[0])
            return (f"{column} of {chosen['candidate_id'].iloc[at]!r} is {was[at]:g} in the "
                    f"plan and {now[at]:g} rebuilt")
    return ""


def rebuilt_frames(chosen: pd.DataFrame, name: str, table: pd.DataFrame,
                   cell: tuple[str, int], rebuild: BuildingRebuild, checked: dict[str, str]
                   ) -> tuple[list[pd.DataFrame], str]:
    """``chosen`` rebuilt with ``table``'s ``cell`` (column, row) at its low and high bound.

    Returns the two frames, or none and why not (a ``not recomputed`` status). ``checked``
    caches, under ``""``, whether a rebuild at the run's own tables gave the plan back.
    """
    if "" not in checked:
        checked[""] = unreproduced(chosen, rebuild(name, table))
    if checked[""]:
        return [], ("not recomputed: rebuilding the chosen zones at the run's own tables does "
                    f"not give the plan's figures ({checked['']})")
    frames = []
    for side in ("low", "high"):
        frame, missing = replaced(chosen, rebuild(name, at_bound(name, table, *cell, side)))
        if missing:
            return [], (f"not recomputed: at the {side} value the rebuild has no candidate "
                        f"{missing[0]!r}")
        frames.append(frame)
    return frames, ""


def building_rebuild(scenario: Scenario, layers: PreparedLayers, assumptions: AssumptionSet,
                     plans: PlanResult, discount_rate: float) -> BuildingRebuild | None:
    """Return the run's :class:`BuildingRebuild`, over the zones of its chosen candidates.

    ``discount_rate`` is the finance discount rate (``plan.carbon_discount_rate`` wins, as in
    :func:`~geoplan.planning.phasing.phasing`). None when no buildings candidate is chosen.
    """
    stacked = plans.stacked()
    chosen = stacked[stacked["selected"].fillna(False).astype(bool).to_numpy()
                     & stacked["workstream"].isin(list(BUILDERS)).to_numpy()]
    planned = zoned_homes(layers.buildings)
    if not len(chosen) or planned is None:
        return None
    zones = set(chosen["zone_id"].dropna().astype(str))
    kept = planned["zone_id"].astype(str).isin(zones).to_numpy()
    # a home without a floor area keeps the one the plan priced (the median of every home
    # planned), not the median of the chosen zones' homes the rebuild would take
    homes = planned[kept].assign(floor_area_m2=priced_floor_areas(planned).to_numpy()[kept])
    areas = (None if layers.zones is None else
             layers.zones[layers.zones["zone_id"].astype(str).isin(zones).to_numpy()])
    plan = scenario.plan
    rate = discount_rate if plan.carbon_discount_rate is None else plan.carbon_discount_rate
    options = {w: set(chosen.loc[chosen["workstream"] == w, "option"].astype(str))
               for w in BUILDERS if w in set(chosen["workstream"])}
    settings = {w: only_options(building_settings(scenario, assumptions, w), w, chosen_options)
                for w, chosen_options in options.items()}
    return BuildingRebuild(
        homes, areas, settings,
        {name: assumptions.table(name) for name in BUILDING_TABLES}, tuple(plan.years),
        plan.carbon_until, plan.horizon, rate, scenario.carbon.electricity_factor)


def only_options(settings: Any, workstream: str, options: set[str]) -> Any:
    """Return settings that build only ``options`` (a cheaper rebuild, the same figures).

    A candidate's figures are the sums of its own zone's homes for its own option, so
    leaving the other LAEP pathways out, or retrofit's heat pumps when none is chosen,
    changes none of the chosen candidates (the check of :func:`unreproduced` still runs).
    """
    if workstream == "laep":
        return settings.model_copy(update={"pathways": tuple(
            p for p in settings.pathways if p in options)})
    return settings.model_copy(update={"heat_pump_ready": settings.heat_pump_ready
                                       and "heat_pump" in options})
