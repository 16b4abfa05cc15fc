"""The trade-off curve of a joint plan: cost against lifetime tCO2e and the main co-benefit.

The plan's model is re-solved with its money (the funding profile and the total budget
together) times each of ``plan.tradeoff_fractions``; the plan itself is the point at
fraction 1, marked ``chosen``. Each point is solved by its linear relaxation and restricted
MIPs (:func:`geoplan.optimise.strategy.solve_restricted`), with no time limit, so the curve is
the same on every run; its ``status`` says whether the point is proven within 0.01% of the
relaxation's bound (``optimal``) or not (``feasible``).

Every point also sums the co-benefits of the candidates it chooses (:data:`CO_BENEFIT_COLUMNS`
the plan's table has), from the same solutions: no extra solve. The **main co-benefit**
(:func:`main_co_benefit`, column ``main_co_benefit``) is the one the scenario weighs most in
``plan.co_benefits``; when none is weighed, the first of :data:`CO_BENEFIT_COLUMNS` that some
point of the curve delivers (else the first the table has).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geoplan.optimise import SolverOptions
from geoplan.optimise.tradeoff import budget_curve, plan_values
from geoplan.planning.joint import JointPlan
from geoplan.planning.phasing import LIFETIME_PREFIX
from geoplan.scenario import Scenario

__all__ = ["CO_BENEFIT_COLUMNS", "CURVE_GAP", "main_co_benefit", "tradeoff_curve"]

CURVE_GAP = 5e-3
"""Gap to which each point of the curve is solved (the curve shows a shape, not a plan)."""

CO_BENEFIT_COLUMNS: tuple[str, ...] = ("fuel_poor_homes", "homes_to_target", "homes")
"""Candidate columns summed over each point's chosen candidates, in order of preference for
the main co-benefit; their words are :func:`geoplan.outputs.labels.column_label`'s (EV demand
covered is not a sum over sites: sites share demand, so it is not on the curve)."""


def main_co_benefit(curve: pd.DataFrame, weights: Mapping[str, float] | None = None
                    ) -> str | None:
    """Return the curve's main co-benefit column (module docstring); None when it has none.

    Examples
    --------
    >>> curve = pd.DataFrame({"fuel_poor_homes": [0.0, 0.0], "homes": [3.0, 5.0]})
    >>> main_co_benefit(curve), main_co_benefit(curve, {"fuel_poor_homes": 2.0})
    ('homes', 'fuel_poor_homes')
    """
    present = [c for c in CO_BENEFIT_COLUMNS if c in curve.columns]
    weighed = [c for c in present if float((weights or {}).get(c, 0.0)) > 0]
    if weighed:  # the heaviest weight; ties in the order of CO_BENEFIT_COLUMNS
        return max(weighed, key=lambda c: (float((weights or {})[c]), -present.index(c)))
    for column in present:
        if (pd.to_numeric(curve[column], errors="coerce").fillna(0.0) > 0).any():
            return column
    return present[0] if present else None


def tradeoff_curve(joint: JointPlan, scenario: Scenario) -> pd.DataFrame:
    """Cost against lifetime tCO2e: the plan re-solved with its money times each fraction.

    The funding profile and the total budget are scaled together
    (:func:`geoplan.optimise.tradeoff.budget_curve`); the plan itself is the row with
    ``fraction`` 1 and ``chosen`` true (its own figures, not a re-solve).

    Returns
    -------
    pandas.DataFrame
        ``fraction``, ``status``, ``cost_gbp``, ``lifetime_tco2e``, the co-benefit columns
        the plan has (:data:`CO_BENEFIT_COLUMNS`), ``chosen``, ``gbp_per_lifetime_tco2e``
        and ``main_co_benefit`` (the column's name, on every row; blank without one), by
        fraction.
    """
    plan, solver = scenario.plan, scenario.solver
    compiled = joint.compiled
    columns = {int(y): f"{LIFETIME_PREFIX}{y}" for y in plan.years}
    values = [c for c in CO_BENEFIT_COLUMNS if c in compiled.context.table]
    # each point: the relaxation's bound and restricted MIPs (no wall-clock step, so the
    # curve repeats exactly), to a gap of at least 0.5%; the plan itself keeps its own solve
    options = SolverOptions(solver="highs", mip_gap=max(solver.gap, CURVE_GAP))
    fractions = sorted(f for f in set(plan.tradeoff_fractions) if f != 1.0)
    curve = budget_curve(compiled, ["funding", "total"], fractions, values, options,
                         period_columns=columns, strategy="restricted",
                         plan=joint.plan.solution)
    mine = {"fraction": 1.0, "status": joint.plan.status, "objective": joint.plan.objective,
            "gap": joint.plan.gap, **plan_values(compiled, joint.plan.solution, values, columns)}
    curve = pd.concat([curve, pd.DataFrame([mine])], ignore_index=True)
    curve["chosen"] = curve["fraction"] == 1.0
    curve = curve.rename(columns={"period_value": "lifetime_tco2e"}).sort_values(
        "fraction", kind="stable").reset_index(drop=True)
    tonnes = pd.to_numeric(curve["lifetime_tco2e"])
    curve["gbp_per_lifetime_tco2e"] = pd.to_numeric(curve["cost_gbp"]) / tonnes.where(
        tonnes > 0)
    curve["main_co_benefit"] = main_co_benefit(curve, dict(plan.co_benefits)) or ""
    return curve.drop(columns=["objective", "gap", "selected"])
