"""Choose and rank candidates under budgets, grid headroom and other limits.

The public pieces::

    problem = PlanningProblem(candidates, MaximiseBenefit({"tco2e_per_yr": 1}),
                              [Budget(5e6), Headroom(limits, parents)])
    plan = problem.solve(SolverOptions(time_limit=30))
    plan.status, plan.gap, plan.table  # every candidate with rank and reason
"""

from geoplan.optimise.constraints import (
    Budget,
    Count,
    CoverageFloor,
    DistrictMinimum,
    Headroom,
    Target,
)
from geoplan.optimise.objectives import (
    Compactness,
    Coverage,
    MaximiseBenefit,
    MaximiseCoverage,
    MinimiseCost,
)
from geoplan.optimise.period_coverage import PeriodCoverage
from geoplan.optimise.phasing import PeriodBenefit, PeriodCap
from geoplan.optimise.plan import Plan
from geoplan.optimise.problem import CompiledProblem, PlanningProblem
from geoplan.optimise.solvers import SolveOutcome, SolverOptions
from geoplan.optimise.spatial import coverage_matrix, neighbour_pairs
from geoplan.optimise.tradeoff import epsilon_curve, weighted_sum_curve

__all__ = [
    "Budget",
    "Compactness",
    "CompiledProblem",
    "Count",
    "Coverage",
    "CoverageFloor",
    "DistrictMinimum",
    "Headroom",
    "MaximiseBenefit",
    "MaximiseCoverage",
    "MinimiseCost",
    "PeriodBenefit",
    "PeriodCap",
    "PeriodCoverage",
    "Plan",
    "PlanningProblem",
    "SolveOutcome",
    "SolverOptions",
    "Target",
    "coverage_matrix",
    "epsilon_curve",
    "neighbour_pairs",
    "weighted_sum_curve",
]
