"""The grid rules of a plan: which published figures limit it, in what unit, on what basis.

A plan names one *planning scenario* (``grid.scenario``: ``minimum``, ``CT``, ``LW``, ``ST``,
``SP`` or ``best_view``); each DNO publishes it under its own name (SSEN ``LW``, Northern
Powergrid ``LTW``, NESO's FES 2024 ``Holistic Transition``) or publishes one snapshot
(``published``). The ``dfes_scenarios`` assumption table lists the names per publisher;
``grid.scenario_names`` adds or replaces names per publisher. Each substation takes its
figures from the one name its rows carry; where it carries a name the scenario gave and one of
the table, the scenario's wins; two names otherwise are an error (map them explicitly). Names
match ignoring case and surrounding spaces. A substation whose file gives only an annual
``peak`` uses it for any season; one whose figures span at most one year is a *snapshot*,
applied to every plan year. Both are reported.

Every level that a served substation's chain (the serving substation and its ancestors)
passes through must have figures, or be listed in ``grid.unconstrained_levels``; the run
stops otherwise (:func:`headroom_gaps`, :meth:`HeadroomGaps.check`).

Headroom is published in MVA; loads are kW. :func:`mva_to_kw` is the one conversion, with the
power factor of the ``grid_units`` table: ``kW = MVA x power_factor x 1000``.

``grid.accounting`` says how the plan's loads meet the DNO's figures: ``on_top`` (default)
adds them to the scenario's headroom of each year, which already subtracts that scenario's
own forecast of heat pumps and EVs (conservative: some loads count twice); ``base_year``
plans them against each substation's first published year for every milestone (the plan as
the area's whole growth).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable
from geoplan.errors import LayerSchemaError
from geoplan.layers.grid import GRID_UNITS, ancestors_of, mva_to_kw, power_factor
from geoplan.planning.grid_bases import bases_statement

__all__ = ["DFES_SCENARIOS", "GRID_UNITS", "FigureChoice", "HeadroomGaps", "base_year_rows",
           "by_level", "choose_figures", "mva_to_kw", "power_factor", "scenario_names",
           "served_chain"]

DFES_SCENARIOS = AssumptionTable("dfes_scenarios", key=("planning_scenario", "publisher"),
                                 text=("name",))
"""Planning scenario -> the name each publisher gives it in its headroom files."""

_LEVEL_ORDER = ("gsp", "bsp", "primary", "secondary")


def scenario_names(planning: str, table: pd.DataFrame,
                   overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return publisher -> name of ``planning`` in its files (overrides win).

    A planning scenario the table does not list is its own name (``plan``), e.g. the name of
    a scenario column in a file read with a column mapping.
    """
    rows = table[table["planning_scenario"].astype(str) == planning]
    names = dict(zip(rows["publisher"].astype(str), rows["name"].astype(str), strict=True))
    if not names:
        names["plan"] = planning
    names.update(overrides or {})
    return names


@dataclass(frozen=True)
class FigureChoice:
    """The headroom rows one plan uses, normalised to one scenario and season per substation.

    Attributes
    ----------
    rows : pandas.DataFrame
        The chosen rows with ``scenario`` set to the planning scenario and ``season`` to the
        plan's season (blank figures kept).
    value : str
        ``headroom_mva`` or ``headroom_kw``.
    names : Mapping[str, str]
        Substation -> the name its figures carry in the file.
    peak_only : tuple of str
        Substations whose file gives an annual peak only, used for the plan's season.
    snapshot : tuple of str
        Substations whose figures span at most one year (applied to every plan year).
    """

    rows: pd.DataFrame
    value: str
    names: Mapping[str, str] = field(default_factory=dict)
    peak_only: tuple[str, ...] = ()
    snapshot: tuple[str, ...] = ()


def choose_figures(headroom: pd.DataFrame, planning: str, season: str,
                   names: Mapping[str, str], first: Iterable[str] = ()) -> FigureChoice:
    """Rows of each substation's name for ``planning`` and its ``season`` (module docstring).

    ``first`` are names the scenario gave (``grid.scenario_names``): where a substation
    carries one of them and a name of the table, the scenario's wins.

    Raises
    ------
    LayerSchemaError
        When a substation carries two of the names, or the table has figures but none under
        any name of the planning scenario (the message lists the names it has).
    """
    value = "headroom_mva" if "headroom_mva" in headroom.columns else "headroom_kw"
    if "scenario" not in headroom.columns:  # a kW limits table: every row counts
        return FigureChoice(headroom, value)
    wanted = {str(n).strip().casefold(): str(n) for n in names.values()}
    given = {str(n).strip().casefold() for n in first}
    folded = headroom["scenario"].astype(str).str.strip().str.casefold()
    rows = headroom[folded.isin(wanted)].assign(_name=folded[folded.isin(wanted)])
    found = rows.groupby(rows["substation_id"].astype(str))["_name"].agg(
        lambda s: sorted(set(s) & given) or sorted(set(s)))
    names_of = found.to_dict()  # a dict: a Series lookup per row is slow
    rows = rows[[name in names_of[sub] for sub, name in
                 zip(rows["substation_id"].astype(str), rows["_name"], strict=True)]]
    twice = {sub: used for sub, used in found.items() if len(used) > 1}
    if twice:
        shown = "; ".join(f"{sub}: {used}" for sub, used in sorted(twice.items())[:10])
        raise LayerSchemaError(
            f"{len(twice)} substation(s) carry headroom under several names of planning "
            f"scenario {planning!r} ({shown}); which one is meant is unclear (fix: set "
            "grid.scenario_names so one publisher's name applies, e.g. {ssen: LW})")
    if rows.empty and len(headroom):
        available = sorted(set(headroom["scenario"].astype(str)))
        raise LayerSchemaError(
            f"the grid file has no headroom under any name of planning scenario {planning!r} "
            f"(tried {sorted(set(wanted.values()))}); it has scenarios {available} (fix: set "
            "grid.scenario to a planning scenario of dfes_scenarios.csv, or map the file's "
            "name with grid.scenario_names: {publisher: NAME})")
    rows, peak_only = _season_rows(rows, season)
    used = {sub: wanted[v[0]] for sub, v in found.items()}
    years = rows.groupby(rows["substation_id"].astype(str))["year"].nunique(dropna=True)
    rows = rows.drop(columns="_name").assign(scenario=planning, season=season)
    return FigureChoice(rows.reset_index(drop=True), value, used, peak_only,
                        tuple(sorted(years.index[years <= 1])))


def _season_rows(rows: pd.DataFrame, season: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Rows of ``season``; an annual ``peak`` stands in where a substation has no other."""
    if "season" not in rows.columns:
        return rows, ()
    seasons = rows["season"].astype(str)
    ids = rows["substation_id"].astype(str)
    has = set(ids[seasons == season])
    peak = (seasons == "peak") & ~ids.isin(has) if season != "peak" else seasons != seasons
    return rows[(seasons == season) | peak], tuple(sorted(set(ids[peak])))


def served_chain(layers: Any) -> set[str]:
    """Substations that serve any zone, site or parcel, and all their ancestors.

    Homes are not read: a home in a zone takes its zone's substation
    (:func:`geoplan.layers.serving.serve`), and a home in no zone is planned by no workstream
    (:func:`geoplan.layers.buildings.zoned_homes`), so the substation it was given serves
    nothing here.
    """
    served: set[str] = set()
    for name in ("zones", "sites", "land"):
        frame = getattr(layers, name, None)
        if frame is not None and "substation_id" in frame.columns:
            ids = frame["substation_id"].dropna().astype(str)
            served |= set(ids.unique()) - {"", "nan", "None", "<NA>"}
    graph = layers.grid
    chain = set(served)
    for sub in served:
        if sub in graph:
            chain.update(ancestors_of(graph, sub))
    return chain


@dataclass(frozen=True)
class HeadroomGaps:
    """Which served substations the scenario's figures limit, and which they leave free.

    Attributes
    ----------
    choice : str
        ``grid.missing_headroom``: ``error``, ``unconstrained`` or ``zero``.
    figures : str
        The figures looked at, e.g. ``"minimum, winter"``.
    missing : Mapping[str, str]
        Substation -> level, for substations with no figure at a level where others have
        figures; ``choice`` applies to them.
    bare_levels : Mapping[str, int]
        Level -> number of substations, for levels where no substation has a figure.
    blank_rows : int
        Blank figures at substations that have others (those years take another year's).
    allowed : tuple of str
        ``grid.unconstrained_levels``: bare levels the scenario accepts.
    constrained : Mapping[str, tuple[str, ...]]
        Level -> served-chain substations with figures, or limited to zero by
        ``missing_headroom: zero`` (they limit the plan).
    unconstrained : Mapping[str, tuple[str, ...]]
        Level -> served-chain substations planned with no limit.
    names : Mapping[str, int]
        Name in the grid file -> substations whose figures carry it.
    peak_only, snapshot : tuple of str
        See :class:`FigureChoice`.
    accounting : str
        ``grid.accounting``.
    power_factor : float
        kW per kVA applied to every MVA figure.
    bases : Mapping[str, str]
        DNO -> the basis its substations are judged on, in words
        (:func:`geoplan.planning.grid_bases.dno_bases`).
    """

    choice: str
    figures: str
    missing: Mapping[str, str] = field(default_factory=dict)
    bare_levels: Mapping[str, int] = field(default_factory=dict)
    blank_rows: int = 0
    allowed: tuple[str, ...] = ()
    constrained: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unconstrained: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    names: Mapping[str, int] = field(default_factory=dict)
    peak_only: tuple[str, ...] = ()
    snapshot: tuple[str, ...] = ()
    accounting: str = "on_top"
    power_factor: float = 1.0
    bases: Mapping[str, str] = field(default_factory=dict)

    @property
    def blocked(self) -> dict[str, tuple[str, ...]]:
        """Bare levels on served chains that the scenario does not list: the run stops."""
        return {level: subs for level, subs in self.unconstrained.items()
                if level in self.bare_levels and level not in self.allowed}

    def check(self) -> None:
        """Stop the run when a served chain crosses a level without figures, or one is missing.

        Raises
        ------
        LayerSchemaError
            Naming the levels and substations, and the scenario keys that decide.
        """
        self.check_levels()
        self.check_missing()

    def check_levels(self) -> None:
        """Stop the run when a served chain crosses a level without figures (:meth:`check`).

        Raises
        ------
        LayerSchemaError
            Naming the levels and substations, and ``grid.unconstrained_levels``.
        """
        blocked = self.blocked
        if blocked:
            shown = "; ".join(f"{level}: {_shown_ids(subs)}" for level, subs in blocked.items())
            raise LayerSchemaError(
                f"the grid file gives no headroom for {self.figures} at any substation of "
                f"level(s) {sorted(blocked)} that the served substations' chains pass through "
                f"({shown}); planning without their limit would be a silent guess (fix: add "
                "figures for that level, or say so in the scenario: grid.unconstrained_levels: "
                f"[{', '.join(sorted(blocked))}])")

    def check_missing(self) -> None:
        """Stop the run when a substation has no figure, with ``missing_headroom: error``.

        Raises
        ------
        LayerSchemaError
            Naming the substations, and ``grid.missing_headroom``.
        """
        if self.missing and self.choice == "error":
            raise LayerSchemaError(
                f"the grid file gives no headroom for {self.figures} at {len(self.missing)} "
                f"substation(s) whose level has figures elsewhere: {_shown(self.missing)}; "
                "planning them with no limit would be a silent guess (fix: add their figures "
                "to the grid file, or choose in the scenario: grid.missing_headroom: "
                "unconstrained for no limit there, or zero to add no load there)")

    def notes(self) -> list[str]:
        """One line per fact worth reporting."""
        notes = list(filter(None, [bases_statement(self.bases)]))
        if self.missing:
            treated = {"unconstrained": "planned with no limit there",
                       "zero": "planned with zero headroom there",
                       "error": "the run stops"}[self.choice]
            notes.append(f"grid: {len(self.missing)} substation(s) have no headroom figure "
                         f"for {self.figures}: {_shown(self.missing)}; {treated} "
                         f"(grid.missing_headroom: {self.choice})")
        for level, count in self.bare_levels.items():
            subs = self.unconstrained.get(level, ())
            where = (f"{len(subs)} on the served chains left unconstrained: {_shown_ids(subs)} "
                     f"(grid.unconstrained_levels)" if subs else "none on the served chains")
            notes.append(f"grid: no {level} substation ({count}) has a headroom figure for "
                         f"{self.figures}; {where}")
        if self.blank_rows:
            notes.append(f"grid: {self.blank_rows} blank headroom figure(s) for "
                         f"{self.figures} ignored (those years use another year's figure)")
        if self.snapshot:
            notes.append(f"grid: {len(self.snapshot)} substation(s) have figures for one year "
                         f"at most (a published snapshot, e.g. {_shown_ids(self.snapshot, 5)}): "
                         "that figure applies to every plan year")
        if self.peak_only:
            notes.append(f"grid: {len(self.peak_only)} substation(s) publish an annual peak "
                         f"only (e.g. {_shown_ids(self.peak_only, 5)}): it is used for "
                         f"{self.figures.split(', ')[-1]}")
        return notes

    def to_dict(self) -> dict[str, Any]:
        """Return the facts as plain values, for the run summary's scenario section."""
        return {"grid_accounting": self.accounting, "grid_power_factor": self.power_factor,
                "grid_names_used": dict(self.names),
                "missing_headroom": self.choice,
                "headroom_missing_at": sorted(self.missing),
                "constrained_levels": {lv: len(s) for lv, s in self.constrained.items()},
                "constrained_at": sorted(s for subs in self.constrained.values()
                                         for s in subs),
                "unconstrained_levels": sorted(self.bare_levels),
                "unconstrained_at": sorted(s for subs in self.unconstrained.values()
                                           for s in subs),
                **({"grid_basis_by_dno": dict(self.bases)} if len(self.bases) > 1 else {})}


def _shown(missing: Mapping[str, str], most: int = 10) -> str:
    items = [f"{sub} ({level})" for sub, level in sorted(missing.items())]
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more


def _shown_ids(ids: Iterable[str], most: int = 10) -> str:
    items = sorted(ids)
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more


def by_level(subs: Iterable[str], levels: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Group substations by level, in the order gsp, bsp, primary, secondary."""
    out: dict[str, list[str]] = {}
    for sub in subs:
        out.setdefault(levels.get(sub, "unknown level"), []).append(sub)
    order = {lv: i for i, lv in enumerate(_LEVEL_ORDER)}
    return {lv: tuple(sorted(out[lv])) for lv in sorted(out, key=lambda x: order.get(x, 9))}


def base_year_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Each substation's first published figure, undated (valid for every year)."""
    years = rows["year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    first = rows.assign(_y=years).sort_values(["substation_id", "_y"], kind="stable",
                                               na_position="last")
    first = first.drop_duplicates("substation_id").drop(columns="_y")
    return first.assign(year=pd.array([pd.NA] * len(first), dtype="Int64"))
