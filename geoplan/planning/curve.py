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

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from geoplan.forked import in_turn
from geoplan.optimise import SolverOptions
from geoplan.optimise.tradeoff import BudgetCurve, plan_values
from geoplan.planning.joint import JointPlan
from geoplan.planning.phasing import LIFETIME_PREFIX
from geoplan.scenario import Scenario

if TYPE_CHECKING:
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["CO_BENEFIT_COLUMNS", "CURVE_GAP", "CurveBeside", "main_co_benefit", "tradeoff_curve"]

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


def tradeoff_curve(joint: JointPlan, scenario: Scenario, solved: BudgetCurve | None = None
                   ) -> pd.DataFrame:
    """Cost against lifetime tCO2e: the plan re-solved with its money times each fraction.

    The funding profile and the total budget are scaled together
    (:func:`geoplan.optimise.tradeoff.budget_curve`); the plan itself is the row with
    ``fraction`` 1 and ``chosen`` true (its own figures, not a re-solve).

    Parameters
    ----------
    joint : JointPlan
    scenario : Scenario
    solved : BudgetCurve, optional
        The curve with its points below 1 solved already (:class:`CurveBeside`); the
        others are solved here.

    Returns
    -------
    pandas.DataFrame
        ``fraction``, ``status``, ``cost_gbp``, ``lifetime_tco2e``, the co-benefit columns
        the plan has (:data:`CO_BENEFIT_COLUMNS`), ``chosen``, ``gbp_per_lifetime_tco2e``
        and ``main_co_benefit`` (the column's name, on every row; blank without one), by
        fraction.
    """
    compiled = joint.compiled
    fractions = _fractions(scenario)
    curve = solved if solved is not None else _budget_curve(compiled, scenario)
    curve.solve(fractions, joint.plan.solution)  # those not solved yet
    mine = {"fraction": 1.0, "status": joint.plan.status, "objective": joint.plan.objective,
            "gap": joint.plan.gap, **plan_values(compiled, joint.plan.solution, curve.values,
                                                 curve.period_columns)}
    table = pd.concat([curve.table(fractions), pd.DataFrame([mine])], ignore_index=True)
    table["chosen"] = table["fraction"] == 1.0
    table = table.rename(columns={"period_value": "lifetime_tco2e"}).sort_values(
        "fraction", kind="stable").reset_index(drop=True)
    tonnes = pd.to_numeric(table["lifetime_tco2e"])
    table["gbp_per_lifetime_tco2e"] = pd.to_numeric(table["cost_gbp"]) / tonnes.where(
        tonnes > 0)
    table["main_co_benefit"] = main_co_benefit(table, dict(scenario.plan.co_benefits)) or ""
    return table.drop(columns=["objective", "gap", "selected"])


def _budget_curve(compiled: CompiledProblem, scenario: Scenario) -> BudgetCurve:
    """Return the curve of ``compiled``'s money (the funding profile and the total budget)."""
    # each point: the relaxation's bound and restricted MIPs (no wall-clock step, so the
    # curve repeats exactly), to a gap of at least 0.5%; the plan itself keeps its own solve
    options = SolverOptions(solver="highs", mip_gap=max(scenario.solver.gap, CURVE_GAP))
    values = [c for c in CO_BENEFIT_COLUMNS if c in compiled.context.table]
    columns = {int(y): f"{LIFETIME_PREFIX}{y}" for y in scenario.plan.years}
    return BudgetCurve(compiled, ["funding", "total"], values, options,
                       period_columns=columns, strategy="restricted")


def _fractions(scenario: Scenario) -> list[float]:
    return sorted(f for f in set(scenario.plan.tradeoff_fractions) if f != 1.0)


class CurveBeside:
    """The curve's points below 1, solved on a thread while the plan's guarded child solves.

    The plan's solve waits for its guarded child process (:mod:`geoplan.optimise.guard`),
    so this process is idle meanwhile, and the points with less money need nothing of the
    plan (those with more start from it, so they are solved after, in the same HiGHS
    session: :class:`~geoplan.optimise.tradeoff.BudgetCurve`). Given as ``beside`` to
    :func:`geoplan.planning.joint.solve_joint`: the thread runs only while the child solves
    (:func:`geoplan.optimise.strategy.solve_compiled`), so HiGHS never runs in two threads
    of this process at once, and it stops after its current point when the solve fails or is
    interrupted. Not with ``GEOPLAN_FORK=0`` (:func:`geoplan.forked.in_turn`).
    """

    def __init__(self, scenario: Scenario, decompose: str = "none") -> None:
        self._scenario = scenario
        self._below = [f for f in _fractions(scenario) if f < 1.0]
        self._wanted = decompose == "none" and bool(self._below) and not in_turn()
        self._stop = threading.Event()
        self._curve: BudgetCurve | None = None
        self._done = False
        self._error: Exception | None = None

    def __call__(self, compiled: CompiledProblem) -> CurveBeside | None:
        """Return this, ready to solve the points of ``compiled`` (None: not wanted)."""
        if not self._wanted:
            return None
        self._curve = _budget_curve(compiled, self._scenario)
        return self

    def run(self) -> None:
        """Solve the points below 1 (on the thread); keep an error for :meth:`curve`."""
        if self._curve is None:
            return
        try:
            self._curve.solve(self._below, stop=self._stop)
            self._done = not self._stop.is_set()
        except Exception as exc:  # raised by :meth:`curve`, where the curve is needed
            self._error = exc

    def stop(self) -> None:
        """Ask :meth:`run` to end after the point it is solving."""
        self._stop.set()

    def curve(self) -> BudgetCurve | None:
        """Return the curve with its points below 1 solved (None: not solved on the thread).

        Raises
        ------
        Exception
            What solving the points raised on the thread.
        """
        if self._error is not None:
            raise self._error
        return self._curve if self._done else None
