"""The grid evidence of a run: :mod:`.grid_evidence` and :mod:`.grid_value` on a solved plan.

:func:`plan_evidence` takes what a run has (scenario, solved plans, layers, assumption
tables) and returns the :class:`~geoplan.planning.grid_evidence.GridEvidence` with the value
columns of the substations it re-solved for; :func:`evidence_kpis` gives the summary's counts,
where a substation *binds* when the plan uses all its headroom or it blocks any load-adding
candidate, including those excluded before the model.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from geoplan.assumptions import AssumptionSet
from geoplan.layers.prepare import PreparedLayers
from geoplan.optimise import SolverOptions
from geoplan.planning.charger_reach import shared_reach
from geoplan.planning.grid_evidence import GridEvidence, grid_evidence
from geoplan.planning.grid_value import VALUE_COLUMNS, headroom_values, value_columns
from geoplan.planning.solve import PlanResult, grid_limits, grid_tables
from geoplan.scenario import Scenario

__all__ = ["bought_reinforcement", "evidence_kpis", "plan_evidence", "reading_notes",
           "with_values"]


def bought_reinforcement(plans: PlanResult) -> pd.DataFrame | None:
    """Reinforcement bought and needed, ready from the period the plan bought it in."""
    bought = [p.reinforcements[p.reinforcements["bought"] & p.reinforcements["needed"]]
              for p in plans.plans.values()]
    bought = [b for b in bought if len(b)]
    if not bought:
        return None
    options = pd.concat(bought, ignore_index=True)
    bought_in = pd.to_numeric(options["period"], errors="coerce")
    options["ready_year"] = bought_in.fillna(pd.to_numeric(options["ready_year"],
                                                           errors="coerce"))
    return options


def _offered(plans: PlanResult) -> set[str]:
    return {str(s) for p in plans.plans.values() if len(p.reinforcements)
            for s in p.reinforcements["substation_id"]}


def _costs(assumptions: AssumptionSet | None, name: str = "grid_reinforcement"
           ) -> pd.DataFrame | None:
    if assumptions is None:
        return None
    try:
        return assumptions.table(name)
    except (KeyError, LookupError):
        return None


def plan_evidence(scenario: Scenario, plans: PlanResult, layers: PreparedLayers,
                  assumptions: AssumptionSet | None = None) -> GridEvidence:
    """Grid evidence of a solved plan, with headroom values (module docstring).

    Parameters
    ----------
    scenario : Scenario
        Its ``grid.evidence`` section sets the re-solves; ``solver`` their options.
    plans : PlanResult
    layers : PreparedLayers
    assumptions : AssumptionSet, optional
        For ``grid_reinforcement`` (unlock costs), ``grid_flexibility`` (the cost of
        flexibility beside them) and ``grid_units`` (power factor).
    """
    table = plans.stacked()
    _, factor = grid_tables(assumptions)
    evidence = grid_evidence(table, grid_limits(scenario, layers, assumptions),
                             scenario.plan.years, graph=layers.grid,
                             substations=layers.substations, bought=bought_reinforcement(plans),
                             offered=_offered(plans), costs=_costs(assumptions),
                             power_factor=factor,
                             flexibility=_costs(assumptions, "grid_flexibility"),
                             shared=shared_reach(plans.plans.values()))
    evidence = replace(evidence, notes=(*evidence.notes, *reading_notes(scenario)))
    return with_values(evidence, plans.plans, scenario, layers.grid)


def reading_notes(scenario: Scenario) -> tuple[str, ...]:
    """How a DNO should read the evidence: what "wanted" is, and the headroom basis."""
    wanted = ("Wanted load is each zone's or site's best load-adding option, whether or not "
              "the budget could fund it: blocked load and tonnes are the potential the grid "
              "holds back, not a shortfall of the plan, and are not comparable with the "
              "plan's own tonnes (charger sites count each EV once).")
    if scenario.grid.accounting == "on_top":
        basis = ("Blocked load is counted on top of the DNO's scenario headroom, which already "
                 "allows for that scenario's own forecast heat pumps and EVs "
                 "(grid.accounting: on_top): where the plan is that growth it counts twice, "
                 "so these blocks are an upper bound; grid.accounting: base_year gives the "
                 "other bound.")
    else:
        basis = ("Blocked load is counted against each substation's first published headroom "
                 "in every year (grid.accounting: base_year): growth outside the plan is not "
                 "counted, so these blocks are a lower bound; grid.accounting: on_top gives "
                 "the other bound.")
    return (wanted, basis)


RESOLVES_SINGLE_YEAR = 5
"""Default re-solves (``grid.evidence.resolves: null``) for a plan with one milestone year."""


def default_resolves(scenario: Scenario) -> int:
    """Return the re-solves used when ``grid.evidence.resolves`` is unset (0 when phased).

    A phased plan's model has a column per candidate and period; each re-solve costs about as
    much as the plan (tens of seconds on the sample county), so it is asked for by name.
    """
    return RESOLVES_SINGLE_YEAR if len(scenario.plan.years) == 1 else 0


def _why(scenario: Scenario, given: int | None) -> str:
    if given is not None or len(scenario.plan.years) == 1:
        return ""
    return ", the default for a phased plan"


def with_values(evidence: GridEvidence, plans: Any, scenario: Scenario,
                graph: Any = None) -> GridEvidence:
    """Add the value columns of the blocking substations (most blocked kW first)."""
    settings = scenario.grid.evidence
    totals = evidence.totals()
    worst = (totals[totals["blocked_kw"] > 0].groupby("substation_id")["blocked_kw"].max()
             .reset_index().sort_values(["blocked_kw", "substation_id"],
                                        ascending=[False, True], kind="stable"))
    solver = scenario.solver
    options = SolverOptions(solver=solver.solver, time_limit=solver.time_limit_s,
                            mip_gap=solver.gap, node_limit=solver.node_limit)
    limit = default_resolves(scenario) if settings.resolves is None else settings.resolves
    values = headroom_values(plans, list(worst["substation_id"]), step_kw=settings.step_kw,
                             limit=limit, options=options, graph=graph)
    columns = value_columns(values)
    table = evidence.table.merge(columns, on="substation_id", how="left")
    table["value_evaluated"] = table["value_evaluated"].astype("boolean").fillna(False).astype(
        bool)
    table["value_status"] = table["value_status"].fillna("blocks nothing")
    table["value_step_kw"] = settings.step_kw
    skipped = [v.substation_id for v in values if not v.evaluated]
    notes = list(evidence.notes)
    if skipped:
        notes.append(f"grid evidence: the value of more headroom was not evaluated at "
                     f"{len(skipped)} blocking substation(s) ({', '.join(skipped[:10])}"
                     f"{' ...' if len(skipped) > 10 else ''}): raise grid.evidence.resolves "
                     f"(now {limit}{_why(scenario, settings.resolves)}) to value them")
    ordered = [c for c in table.columns if c not in VALUE_COLUMNS] + list(VALUE_COLUMNS)
    return replace(evidence, table=table[ordered], notes=tuple(notes))


def evidence_kpis(evidence: GridEvidence, binding: tuple[str, ...] = ()) -> dict[str, float]:
    """Return the counts for the summary's headline table.

    ``substations_binding`` counts substations where the plan uses all the headroom
    (``binding``, from :mod:`.grid_flags`) or that block a load-adding candidate in some year,
    including candidates excluded before the model. ``substations_needing_flexibility``
    counts those where blocked load could be unlocked only by flexibility in some year,
    because reinforcement could not be ready by then (``flexibility_kw``).
    """
    totals = evidence.totals()
    flexible = totals.loc[totals["flexibility_kw"] > 0, "substation_id"].nunique()
    return {"substations_binding": float(len(set(binding) | set(evidence.blocking()))),
            "substations_needing_flexibility": float(flexible),
            "load_adding_candidates": float(evidence.load_adding),
            "candidates_blocked_by_grid": float(evidence.blocked_candidates()),
            "candidates_blocked_before_model": float(
                evidence.blocked_candidates("before model"))}
