"""From prepared layers and a scenario to candidates, model parts and a solved plan.

One function per arrow of the design's data flow, each callable from a notebook:

- :func:`workstream_models` turns the layers into each enabled workstream's candidates and
  model parts (objective terms and constraints), with the scenario's settings and the
  assumption tables as the run resolved them;
- :func:`grid_limits` gives the headroom (kW per substation and milestone year) of the
  scenario's DNO scenario and season, and the reinforcement options when the scenario buys
  them; :func:`headroom_gaps` says which substations have no figure (see below);
- :func:`solve_plans` solves one joint model over every workstream (shared headroom, one
  total budget) or, in ``separate`` mode, one model per workstream.

The objective (``plan.objective``) is by default lifetime tCO2e with each year's carbon
factor plus weighted co-benefits (:mod:`geoplan.planning.phasing`, which also adds the
funding profile and the delivery caps per period); ``share_of_potential`` keeps the old
objective, described next. There each workstream's objective counts as the share of its
potential it reaches
(retrofit, LAEP and chargers normalise their own terms; sequestration's tCO2e/yr, kept in
tonnes on its own so that its compactness bonus is per tonne, is divided by its total
potential here), times the scenario's ``plan.weights`` (1 each by default). When the plan is
phased, benefit terms count every year of benefit while charger coverage counts once (as
built by the last milestone), so the chargers' weight is multiplied by the years from the
first milestone to the horizon. When retrofit
and LAEP are both planned per zone, their options for one zone share one group, so a zone
gets a retrofit package or an energy pathway, not both (they would count the same homes
twice). ``plan.district_minimum_share`` gives every district at least that share of each
workstream's spend.

The grid rules (which published figures limit the plan, the power factor, the accounting
basis, levels without figures) are in :mod:`geoplan.planning.headroom`. A blank figure is no
figure: a substation's year without one takes the figure of the latest earlier year (else
the earliest). A substation with no figure at all for the scenario and season is *missing*
when other substations of its level have figures: ``grid.missing_headroom`` stops the run
(``error``, the default), plans it with no limit (``unconstrained``) or with none to spare
(``zero``). A level where no substation has figures stops the run when a served
substation's chain passes through it, unless ``grid.unconstrained_levels`` lists it. All of
it is reported (:meth:`HeadroomGaps.notes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionSet, AssumptionTable, read_assumptions
from geoplan.errors import InfeasibleError, LayerSchemaError
from geoplan.files.memory import release_freed
from geoplan.forked import start
from geoplan.layers.buildings import zoned_homes
from geoplan.layers.prepare import PreparedLayers
from geoplan.optimise import DistrictMinimum, SolverOptions
from geoplan.planning.building_inputs import (
    BUILDING_TABLES,
    building_settings,
    building_tables,
    shared_options,
)
from geoplan.planning.charger_carbon import chargers_served
from geoplan.planning.curve import CurveBeside, tradeoff_curve
from geoplan.planning.finance import finance_assumptions
from geoplan.planning.grid_bases import dno_bases
from geoplan.planning.grid_flags import headroom_kw_by_year
from geoplan.planning.headroom import (
    DFES_SCENARIOS,
    GRID_UNITS,
    FigureChoice,
    HeadroomGaps,
    base_year_rows,
    by_level,
    choose_figures,
    mva_to_kw,
    power_factor,
    scenario_names,
    served_chain,
)
from geoplan.planning.joint import JointPlan, solve_joint
from geoplan.planning.models import (
    WorkstreamModel,
    charger_workstream,
    laep_workstream,
    retrofit_workstream,
    sequestration_workstream,
)
from geoplan.planning.phasing import DELIVERY_CAPACITY, phasing
from geoplan.scenario import Scenario
from geoplan.scenario.workstreams import RetrofitSettings
from geoplan.workstreams.parts import ModelParts
from geoplan.workstreams.sequestration import (
    SEQUESTERED,
)

__all__ = ["BUILDING_TABLES", "DFES_SCENARIOS", "GRID_REINFORCEMENT", "GRID_UNITS",
           "HeadroomGaps", "PlanResult", "WorkstreamModel", "building_settings",
           "building_tables", "grid_limits", "grid_tables",
           "headroom_gaps", "joint_weights", "plan_headroom",
           "reinforcement_options", "solve_plans", "workstream_budget",
           "workstream_models"]

GRID_REINFORCEMENT = AssumptionTable(
    "grid_reinforcement", key=("level",),
    numbers={"capacity_mva": 0.0, "cost_gbp_per_mva": 0.0, "lead_time_years": 0.0})
"""Reinforcement options per substation level: capacity added, cost and lead time."""


@dataclass(frozen=True)
class PlanResult:
    """Solved plans: one joint plan, or one per workstream in ``separate`` mode.

    Attributes
    ----------
    mode : {"joint", "separate"}
    plans : Mapping[str, JointPlan]
        ``joint``, or each workstream's name -> its solved model (solver status, objective,
        reinforcements bought).
    tables : Mapping[str, geopandas.GeoDataFrame]
        Workstream -> its plan table (:meth:`table`).
    assumptions : AssumptionSet or None
        The tables the candidates and the plan were built with (set by
        :func:`geoplan.solve_plan`).
    """

    mode: str
    plans: Mapping[str, JointPlan]
    tables: Mapping[str, gpd.GeoDataFrame] = field(repr=False)
    assumptions: AssumptionSet | None = field(default=None, repr=False, compare=False)
    """The tables the plan was built with, so the run's manifest lists every one used."""
    funding: Mapping[int, float] | None = field(default=None, compare=False)
    """Money per milestone period (None: no funding profile)."""
    caps: Mapping[str, Mapping[int, float]] = field(default_factory=dict, compare=False)
    """Delivery measure -> milestone year -> most built in the period."""
    curve: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    """Trade-off curve (:func:`geoplan.planning.curve.tradeoff_curve`), joint plans only."""

    def table(self, workstream: str) -> gpd.GeoDataFrame:
        """Return one workstream's plan table: candidates with ``selected``, ``period``, ``rank``.

        Raises
        ------
        KeyError
            When the plan has no such workstream, naming the ones it has.
        """
        if workstream not in self.tables:
            raise KeyError(f"the plan has no {workstream!r} workstream (it has: "
                           f"{', '.join(self.tables) or 'none'})")
        return self.tables[workstream]

    def summaries(self) -> dict[str, dict[str, Any]]:
        """Solver summary of each model (``joint`` or the workstream name)."""
        return {name: plan.summary() for name, plan in self.plans.items()}

    def stacked(self) -> pd.DataFrame:
        """Every workstream's plan table in one frame (no geometry), workstream by workstream."""
        frames = [t.drop(columns="geometry").assign(workstream=name)
                  for name, t in self.tables.items()]
        return pd.concat(frames, ignore_index=True)

    def reinforcement_capex(self) -> pd.DataFrame:
        """Reinforcement bought and needed by any of the models."""
        frames = [plan.reinforcement_capex() for plan in self.plans.values()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def workstream_models(scenario: Scenario, layers: PreparedLayers,
                      assumptions: AssumptionSet) -> dict[str, WorkstreamModel]:
    """Candidates and model parts of every enabled workstream, in the fixed order.

    The chargers and sequestration are built in a forked child (:mod:`geoplan.forked`)
    while the homes' options, retrofit and LAEP are built here; the assumption tables the
    child read are then read here too, so the run's manifest lists them.

    Raises
    ------
    LayerSchemaError
        When an enabled workstream lacks the layer it needs (e.g. chargers without sites).
    """
    enabled = list(scenario.workstreams.enabled())
    apart = [name for name in enabled if name in _APART]
    layers = replace(layers, buildings=zoned_homes(layers.buildings))  # the homes planned
    both = bool(apart) and len(apart) < len(enabled)  # else nothing to do meanwhile
    with start(partial(_built_apart, scenario, layers, assumptions, apart),
               fork=both) as elsewhere:
        models = _building_models(scenario, layers, assumptions, enabled)
        built, read = elsewhere.result()
    assumptions.read_too(read)
    models.update(built)
    return {name: models[name] for name in enabled}


def _building_models(scenario: Scenario, layers: PreparedLayers, assumptions: AssumptionSet,
                     enabled: list[str]) -> dict[str, WorkstreamModel]:
    """Build retrofit and LAEP (those enabled) from the homes' options they share."""
    if not {"retrofit", "laep"} & set(enabled):
        return {}
    shared = shared_options(scenario, layers, assumptions)
    models = {}
    if "retrofit" in enabled:
        models["retrofit"] = retrofit_workstream(scenario, layers, assumptions, shared)
        release_freed()  # a workstream's working memory, before the next one's
    if "laep" in enabled:
        models["laep"] = laep_workstream(scenario, layers, assumptions, shared)
    return models


_APART = {"chargers": charger_workstream, "sequestration": sequestration_workstream}
"""The workstreams that need no homes' options: built beside retrofit and LAEP."""


def _built_apart(scenario: Scenario, layers: PreparedLayers, assumptions: AssumptionSet,
                 names: list[str]) -> tuple[dict[str, WorkstreamModel], list[str]]:
    """Build the workstreams ``names`` of :data:`_APART`; also return the tables read."""
    models = {}
    for name in names:
        models[name] = _APART[name](scenario, layers, assumptions)
        release_freed()
    return models, assumptions.names_read()


def grid_tables(assumptions: AssumptionSet | None = None) -> tuple[pd.DataFrame, float]:
    """Return the ``dfes_scenarios`` table and the power factor (defaults without a set)."""
    if assumptions is None:
        return read_assumptions(DFES_SCENARIOS), power_factor(read_assumptions(GRID_UNITS))
    return (assumptions.table("dfes_scenarios"),
            power_factor(assumptions.table("grid_units")))


def _choice(scenario: Scenario, headroom: pd.DataFrame, names: pd.DataFrame) -> FigureChoice:
    grid = scenario.grid
    return choose_figures(headroom, grid.scenario, grid.season,
                          scenario_names(grid.scenario, names, grid.scenario_names),
                          first=grid.scenario_names.values())


def plan_headroom(scenario: Scenario, layers: PreparedLayers,
                  assumptions: AssumptionSet | None = None) -> pd.DataFrame:
    """Headroom rows the plan uses, in MVA, under the planning scenario's name and season."""
    names, _ = grid_tables(assumptions)
    return _choice(scenario, layers.headroom, names).rows


def headroom_gaps(scenario: Scenario, layers: PreparedLayers,
                  assumptions: AssumptionSet | None = None) -> HeadroomGaps:
    """Which served substations have figures for the scenario (see :mod:`.headroom`)."""
    names, factor = grid_tables(assumptions)
    choice = _choice(scenario, layers.headroom, names)
    rows, value = choice.rows, choice.value
    blank = pd.to_numeric(rows[value], errors="coerce").isna().to_numpy()
    given = set(rows.loc[~blank, "substation_id"].astype(str))
    levels = dict(zip(layers.substations["substation_id"].astype(str),
                      layers.substations["level"].astype(str), strict=False))
    for sub in sorted(set(rows.loc[blank, "substation_id"].astype(str)) - set(levels)):
        levels[sub] = "unknown level"
    chain = served_chain(layers)
    missing, bare = {}, {}
    for level in sorted(set(levels.values())):
        subs = sorted(s for s, lv in levels.items() if lv == level)
        if given.isdisjoint(subs) and level != "unknown level":
            bare[level] = len(subs)
        else:  # only where a load can reach: the served substations and their ancestors
            missing.update({s: level for s in subs if s not in given and s in chain})
    free = {s for s in chain if levels.get(s) in bare
            or (s in missing and scenario.grid.missing_headroom == "unconstrained")}
    used = pd.Series(choice.names, dtype=object)
    grid = scenario.grid
    limited = given | (set(missing) if grid.missing_headroom == "zero" else set())
    return HeadroomGaps(
        grid.missing_headroom, f"{grid.scenario}, {grid.season}", missing, bare,
        int(rows.loc[blank, "substation_id"].astype(str).isin(given).sum()),
        allowed=tuple(grid.unconstrained_levels),
        constrained=by_level(chain & limited, levels), unconstrained=by_level(free, levels),
        names={str(k): int(v) for k, v in used.value_counts().sort_index().items()},
        peak_only=choice.peak_only, snapshot=choice.snapshot, accounting=grid.accounting,
        power_factor=factor, bases=dno_bases(choice.names, choice.snapshot, grid.scenario,
                                             layers.substations))


def _first_figures(scenario: Scenario, rows: pd.DataFrame, value: str, factor: float,
                   limits: pd.DataFrame) -> pd.DataFrame:
    """Earliest figure, every plan year, of substations whose figures start after the plan.

    Without these rows a substation whose figures all come after the last milestone year
    would have no limit; the earliest figure is the cautious stand-in the optimiser also uses.
    """
    late = rows[~rows["substation_id"].astype(str).isin(set(limits["substation_id"]))]
    if late.empty:
        return limits.iloc[:0]
    first = late.assign(_year=late["year"].astype("Float64")).sort_values(
        ["_year"], kind="stable").drop_duplicates("substation_id")
    kw = first[value].to_numpy(float)
    kw = mva_to_kw(kw, factor) if value == "headroom_mva" else kw
    return pd.DataFrame([(str(sub), year, h) for sub, h in zip(first["substation_id"], kw,
                                                                 strict=True)
                         for year in scenario.plan.years],
                        columns=["substation_id", "year", "headroom_kw"])


def grid_limits(scenario: Scenario, layers: PreparedLayers,
                assumptions: AssumptionSet | None = None) -> pd.DataFrame:
    """Headroom in kW per substation and milestone year: what the optimiser receives.

    The scenario's figures per substation (:func:`geoplan.planning.headroom.choose_figures`),
    blank ones dropped, on the ``grid.accounting`` basis, converted with the power factor;
    substations without any figure follow ``grid.missing_headroom``.

    Raises
    ------
    LayerSchemaError
        When a served chain crosses a level without figures not listed in
        ``grid.unconstrained_levels``, or, with ``missing_headroom: error``, when a substation
        has no figure; naming them.
    """
    gaps = headroom_gaps(scenario, layers, assumptions)
    gaps.check()
    names, factor = grid_tables(assumptions)
    choice = _choice(scenario, layers.headroom, names)
    value = choice.value
    rows = choice.rows[pd.to_numeric(choice.rows[value], errors="coerce").notna()]
    if scenario.grid.accounting == "base_year" and "year" in rows.columns:
        rows = base_year_rows(rows)
    limits = headroom_kw_by_year(rows, scenario.plan.years, scenario=scenario.grid.scenario,
                                 season=scenario.grid.season, power_factor=factor)
    if "year" in rows.columns:
        limits = pd.concat([limits, _first_figures(scenario, rows, value, factor, limits)],
                           ignore_index=True)
    if gaps.missing and gaps.choice == "zero":
        zero = pd.DataFrame([(sub, year, 0.0) for sub in sorted(gaps.missing)
                             for year in scenario.plan.years],
                            columns=["substation_id", "year", "headroom_kw"])
        limits = pd.concat([limits, zero], ignore_index=True)
    return limits.astype({"headroom_kw": np.float64})


def reinforcement_options(scenario: Scenario, layers: PreparedLayers,
                          table: pd.DataFrame, factor: float = 1.0) -> pd.DataFrame | None:
    """One reinforcement option per substation of each level the table prices, or ``None``.

    Capacity, cost per MVA and lead time per level (``primary``, ``bsp``...) come from the
    ``grid_reinforcement`` assumption table; the scenario may override the cost per MVA and
    the earliest year for all of them. Levels the table does not list get no option.
    Capacity in MVA becomes kW with the power factor ``factor`` (:func:`.headroom.mva_to_kw`).
    """
    section = scenario.grid.reinforcement
    if not section.enabled:
        return None
    frames = [_level_options(scenario, layers, row, factor)
              for _, row in table.iterrows()]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        raise LayerSchemaError("grid_reinforcement prices no level the grid has (fix: add "
                               "rows for primary or bsp, with capacity_mva, "
                               "cost_gbp_per_mva, lead_time_years)")
    return pd.concat(frames, ignore_index=True)


def _level_options(scenario: Scenario, layers: PreparedLayers, row: pd.Series,
                   factor: float) -> pd.DataFrame:
    section = scenario.grid.reinforcement
    per_mva = (section.cost_gbp_per_mva if section.cost_gbp_per_mva is not None
               else float(row["cost_gbp_per_mva"]))
    ready = (section.earliest_year if section.earliest_year is not None
             else scenario.plan.years[0] + int(row["lead_time_years"]))
    level = str(row["level"])
    subs = layers.substations[layers.substations["level"].astype(str) == level]
    ids = sorted(subs["substation_id"].astype(str))
    capacity = float(row["capacity_mva"])
    return pd.DataFrame({"substation_id": ids, "option_id": [f"reinforce:{i}" for i in ids],
                         "capacity_kw": mva_to_kw(capacity, factor), "cost_gbp": capacity * per_mva,
                         "ready_year": ready})


def solve_plans(scenario: Scenario, models: Mapping[str, WorkstreamModel],
                headroom: pd.DataFrame, layers: PreparedLayers,
                reinforcements: pd.DataFrame | None = None,
                assumptions: AssumptionSet | None = None) -> PlanResult:
    """Solve the joint model, or one model per workstream in ``separate`` mode.

    Reinforcement options are offered only at substations that ``headroom`` limits. The
    delivery caps come from ``assumptions`` (default: the set the models were built with,
    else the shipped table).
    """
    plan, solver = scenario.plan, scenario.solver
    options = SolverOptions(solver=solver.solver, time_limit=solver.time_limit_s,
                            mip_gap=solver.gap, node_limit=solver.node_limit)
    budgets = {name: amount for name in models
               if (amount := workstream_budget(scenario, name)) is not None}
    phased = phasing(plan, _one_option_per_zone(models),
                     {name: _fair(model.parts, plan.district_minimum_share)
                      for name, model in models.items()}, _capacity(models, assumptions),
                     discount_rate=_discount_rate(scenario, models, assumptions))
    common = {"options": options, "strategy": solver.strategy, "decompose": solver.decompose,
              "headroom": headroom,
              "grid": layers.grid, "reinforcements": _limited(reinforcements, headroom),
              "periods": tuple(plan.years), "horizon": plan.horizon,
              "funding": phased.funding, "carry_over": phased.carry_over,
              "limits": phased.limits()}
    parts, curve = phased.parts, None
    if plan.mode == "joint":
        # the curve's points below 1 are solved on a thread while the plan's child solves
        beside = CurveBeside(scenario, solver.decompose)
        joint = solve_joint(phased.candidates, parts,
                            total_budget_gbp=plan.budget_gbp, workstream_budgets=budgets,
                            weights=joint_weights(scenario, models), beside=beside, **common)
        _require_plan("joint", joint)
        if plan.tradeoff_fractions:
            curve = tradeoff_curve(joint, scenario, beside.curve())
        plans = {"joint": joint}
        tables = dict(joint.tables)
    else:
        plans, tables = {}, {}
        for name in models:
            limit = budgets.get(name, plan.budget_gbp)
            alone = solve_joint({name: phased.candidates[name]}, {name: parts[name]},
                                total_budget_gbp=limit, **common)
            plans[name] = alone
            tables[name] = alone.tables[name]
    for name, solved in plans.items():
        _require_plan(name, solved)
    if "chargers" in tables:
        tables["chargers"] = chargers_served(
            tables["chargers"], parts["chargers"],
            models["chargers"].candidates["candidate_id"].astype(str), list(plan.years))
    crs = next(iter(models.values())).candidates.crs
    return PlanResult(plan.mode, plans, {name: _geo(t, crs) for name, t in tables.items()},
                      funding=phased.funding, caps=phased.caps, curve=curve)


def _given(models: Mapping[str, WorkstreamModel],
           assumptions: AssumptionSet | None) -> AssumptionSet | None:
    return assumptions or next((m.assumptions for m in models.values()
                                if m.assumptions is not None), None)


def _capacity(models: Mapping[str, WorkstreamModel],
              assumptions: AssumptionSet | None) -> pd.DataFrame:
    given = _given(models, assumptions)
    return (given.table("delivery_capacity") if given is not None
            else read_assumptions(DELIVERY_CAPACITY))


def _discount_rate(scenario: Scenario, models: Mapping[str, WorkstreamModel],
                   assumptions: AssumptionSet | None) -> float:
    """Return the finance table's discount rate (with the scenario's override)."""
    given = _given(models, assumptions)
    table = given.table("finance") if given is not None else None
    return float(finance_assumptions(table, discount_rate=scenario.finance.discount_rate)
                 .discount_rate)


def _limited(reinforcements: pd.DataFrame | None, headroom: pd.DataFrame
             ) -> pd.DataFrame | None:
    """Keep the reinforcement options at substations the plan limits.

    A substation without a headroom limit (its level has no figure for the scenario and
    season, or ``grid.missing_headroom: unconstrained``) has nothing to relieve, so an
    option there could only cost money; the optimiser refuses such options.
    """
    if reinforcements is None:
        return None
    limited = set(headroom["substation_id"].astype(str))
    keep = reinforcements["substation_id"].astype(str).isin(limited)
    return reinforcements[keep].reset_index(drop=True)


def joint_weights(scenario: Scenario, models: Mapping[str, WorkstreamModel]
                  ) -> dict[str, float]:
    """Weight of each workstream's objective in the joint model (see the module docstring).

    With the lifetime-carbon objective every workstream counts in tonnes: the weights are
    the scenario's ``plan.weights`` (1 each), nothing else.
    """
    weights = {name: float(scenario.plan.weights.get(name, 1.0)) for name in models}
    if scenario.plan.objective == "lifetime_carbon":
        return weights
    if "chargers" in weights and len(scenario.plan.years) > 1:
        # Phased benefit terms count each year of benefit (horizon - year + 1); coverage
        # counts the plan as built by the last period, once: give it the years from the
        # first milestone so a covered share weighs like a benefit enjoyed from then.
        weights["chargers"] *= scenario.plan.horizon - scenario.plan.years[0] + 1
    seq = models.get("sequestration")
    if seq is not None and scenario.workstreams.sequestration.mode == "maximise":
        potential = float(seq.candidates[SEQUESTERED].clip(lower=0).sum())
        if potential > 0:
            weights["sequestration"] /= potential
    return weights


def _one_option_per_zone(models: Mapping[str, WorkstreamModel]) -> dict[str, pd.DataFrame]:
    tables = {name: model.candidates for name, model in models.items()}
    retrofit = models.get("retrofit")
    if ("laep" not in models or retrofit is None
            or not isinstance(retrofit.settings, RetrofitSettings)
            or retrofit.settings.unit != "zone"):
        return tables
    for name in ("retrofit", "laep"):
        table = tables[name].copy()
        table["group_id"] = "zone:" + table["zone_id"].astype(str)
        tables[name] = table
    return tables


def _fair(parts: ModelParts, share: float | None) -> ModelParts:
    """Add the scenario's district minimum: each district gets ``share`` of the spend."""
    if not share:
        return parts
    minimum = DistrictMinimum("cost_gbp", share=share)
    return ModelParts(parts.objective, (*parts.constraints, minimum))


def _require_plan(name: str, solved: JointPlan) -> None:
    """Stop the run when a model has no plan, saying why (never write an empty plan)."""
    plan = solved.plan
    if plan.has_plan:
        return
    why = "; ".join(plan.diagnosis) or plan.detail
    hint = (" (fix: relax the limit named, e.g. a coverage floor, district minimum, offset "
            "share or budget, in the scenario)" if plan.status == "infeasible" else
            " (fix: give the solver more time, solver.time_limit_s)")
    raise InfeasibleError(f"the {name} plan has no solution ({plan.status}): {why}{hint}")


def workstream_budget(scenario: Scenario, name: str) -> float | None:
    """Return workstream ``name``'s own budget: ``plan.budgets``, else its settings' (None)."""
    given = (scenario.plan.budgets or {}).get(name)
    return given if given is not None else getattr(scenario.workstreams, name).budget_gbp


def _geo(table: pd.DataFrame, crs: object) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(table, geometry="geometry", crs=crs)
    if "period" in frame.columns:
        frame["period"] = pd.array(pd.to_numeric(frame["period"], errors="coerce"),
                                   dtype="Int64")
        # the first year the candidate is in service (its build period's milestone year)
        frame["build_year"] = frame["period"].where(frame["selected"].astype(bool))
    return frame
