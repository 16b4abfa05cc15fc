"""Solving a :class:`~geoplan.optimise.matrix.MilpMatrix` honestly.

HiGHS (through ``highspy``) is the default; CBC and HiGHS through PuLP live in
:mod:`geoplan.optimise.pulp_adapter`. Whatever the solver, the answer is a
:class:`SolveOutcome` that states

- ``status``: ``"optimal"`` (proven optimal within :data:`OPTIMALITY_GAP`), ``"feasible"`` (a
  plan with a stated gap: stopped by the time limit or by a looser gap setting),
  ``"infeasible"``, ``"unbounded"`` or ``"no_solution"`` (stopped before any plan was found);
- ``objective`` (the incumbent), ``bound`` (the best proven bound), ``gap`` and ``time_s``.

A time-limited run is never called optimal unless its gap is proven below
:data:`OPTIMALITY_GAP`, and a run with no incumbent never hands back relaxation values: ``x`` is
then ``None``.

:class:`HighsSession` keeps one HiGHS model alive so that a changed budget or lock is re-solved
from the previous solution instead of rebuilding the model.
"""

from __future__ import annotations

import logging
import time

import highspy
import numpy as np

from geoplan.optimise.bounds import dual_bound
from geoplan.optimise.highs_banner import new_highs
from geoplan.optimise.matrix import MilpMatrix
from geoplan.optimise.outcome import (
    OPTIMALITY_GAP,
    STATUSES,
    SolveOutcome,
    SolverOptions,
    classify,
    relative_gap,
    settle_bound,
)

__all__ = [
    "OPTIMALITY_GAP",
    "STATUSES",
    "HighsSession",
    "SolveOutcome",
    "SolverOptions",
    "new_highs",
    "relative_gap",
    "solve",
]

logger = logging.getLogger(__name__)

_NO_LIMIT = 2_147_483_647
"""HiGHS's default for its integer work limits (none)."""

def _to_highs_lp(model: MilpMatrix) -> highspy.HighsLp:
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = model.shape[1], model.shape[0]
    lp.col_cost_ = model.cost.astype(float)
    lp.col_lower_ = np.where(np.isfinite(model.col_lower), model.col_lower, -inf)
    lp.col_upper_ = np.where(np.isfinite(model.col_upper), model.col_upper, inf)
    lp.row_lower_ = np.where(np.isfinite(model.row_lower), model.row_lower, -inf)
    lp.row_upper_ = np.where(np.isfinite(model.row_upper), model.row_upper, inf)
    csc = model.matrix.tocsc()
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.sense_ = highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize
    lp.offset_ = model.offset
    if model.integer.any():
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(flag)] for flag in model.integer]
    return lp


class HighsSession:
    """One HiGHS model kept in memory for repeated solves.

    Parameters
    ----------
    model : MilpMatrix
        The model to load.
    options : SolverOptions
        Time limit, gap, threads, seed and verbosity.

    Examples
    --------
    >>> from geoplan.optimise.matrix import MatrixBuilder
    >>> import scipy.sparse as sp
    >>> b = MatrixBuilder("max")
    >>> x = b.add_columns("x", 3, cost=[5, 4, 3], integer=True)
    >>> rows = b.add_rows("budget", ["budget"], sp.csr_matrix([[2, 3, 1]]), x, upper=[5])
    >>> session = HighsSession(b.build(), SolverOptions())
    >>> outcome = session.solve()
    >>> outcome.status, round(outcome.objective, 6), [round(v) for v in outcome.x]
    ('optimal', 9.0, [1, 1, 0])
    >>> session.set_row_bounds([0], upper=[3.0])
    >>> round(session.solve().objective, 6)
    8.0
    >>> session.set_row_bounds([0], upper=[5.0])  # the relaxation bounds the changed model
    >>> round(session.solve(relax=True).bound, 4)
    10.6667
    """

    def __init__(self, model: MilpMatrix, options: SolverOptions) -> None:
        self.model = model
        self.options = options
        self.highs = new_highs(bool(options.verbose))
        self.highs.setOptionValue("output_flag", bool(options.verbose))
        self.highs.setOptionValue("mip_rel_gap", float(options.mip_gap))
        self.highs.setOptionValue("random_seed", int(options.seed))
        if options.threads is not None:
            self.highs.setOptionValue("threads", int(options.threads))
        status = self.highs.passModel(_to_highs_lp(model))
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS refused the model")
        self._col_upper = model.col_upper.copy()
        self._col_lower = model.col_lower.copy()
        self._row_upper = model.row_upper.copy()
        self._row_lower = model.row_lower.copy()

    def set_row_bounds(self, rows: object, lower: object = None, upper: object = None) -> None:
        """Change the bounds of some rows (e.g. a budget) for the next solve."""
        rows = np.asarray(rows, dtype=np.int32)
        if lower is not None:
            self._row_lower[rows] = np.asarray(lower, float)
        if upper is not None:
            self._row_upper[rows] = np.asarray(upper, float)
        inf = highspy.kHighsInf
        low = np.where(np.isfinite(self._row_lower[rows]), self._row_lower[rows], -inf)
        up = np.where(np.isfinite(self._row_upper[rows]), self._row_upper[rows], inf)
        # highspy's stub lists only changeRowBounds; the bulk form exists at run time
        self.highs.changeRowsBounds(len(rows), rows, low, up)  # type: ignore[attr-defined]

    def set_col_bounds(self, cols: object, lower: object = None, upper: object = None) -> None:
        """Change the bounds of some columns (e.g. locks) for the next solve."""
        cols = np.asarray(cols, dtype=np.int32)
        if lower is not None:
            self._col_lower[cols] = np.asarray(lower, float)
        if upper is not None:
            self._col_upper[cols] = np.asarray(upper, float)
        self.highs.changeColsBounds(len(cols), cols, self._col_lower[cols], self._col_upper[cols])

    def match_bounds(self, model: MilpMatrix) -> None:
        """Give the next solve ``model``'s row and column bounds (a model of this matrix).

        Only the bounds that differ are changed, so HiGHS keeps its basis: a relaxation
        solved before starts the next one (dual simplex from that vertex).
        """
        if model.matrix.shape != self.model.matrix.shape:
            raise ValueError(f"the session's model is {self.model.matrix.shape}, not "
                             f"{model.matrix.shape}")
        rows = np.flatnonzero((self._row_lower != model.row_lower)
                              | (self._row_upper != model.row_upper))
        if len(rows):
            self.set_row_bounds(rows, model.row_lower[rows], model.row_upper[rows])
        cols = np.flatnonzero((self._col_lower != model.col_lower)
                              | (self._col_upper != model.col_upper))
        if len(cols):
            self.set_col_bounds(cols, model.col_lower[cols], model.col_upper[cols])

    def current_model(self) -> MilpMatrix:
        """Return the model with the bounds as they are now."""
        return self.model.with_bounds(self._col_lower, self._col_upper, self._row_lower,
                                      self._row_upper)

    def solve(self, start: np.ndarray | None = None, time_limit: float | None = None,
              relax: bool = False, method: str = "choose", crossover: bool = True, *,
              node_limit: int | None = None, iteration_limit: int | None = None
              ) -> SolveOutcome:
        """Solve as the model stands now.

        Parameters
        ----------
        start : numpy.ndarray, optional
            A feasible point handed to HiGHS as its first incumbent.
        time_limit : float, optional
            Overrides the session's time limit for this solve.
        relax : bool
            Solve the linear relaxation (integrality dropped) instead; its objective is a
            bound, never a plan, and the outcome says so.
        method : {"choose", "simplex", "ipm"}
            LP algorithm (for ``relax`` and the MIP root).
        crossover : bool
            With ``method="ipm"``, move the interior solution to a vertex. A relaxation's
            bound does not need it: it is computed from the row duals
            (:func:`geoplan.optimise.bounds.dual_bound`), valid even if the solve stops early.
        node_limit : int, optional
            Branch-and-bound nodes at most (HiGHS's ``mip_max_nodes``); default the
            session's ``options.node_limit``. A deterministic stop: the outcome's
            ``stopped_by`` is then ``"work_limit"``.
        iteration_limit : int, optional
            Iterations at most of the LP method asked for (``ipm_iteration_limit`` with
            ``"ipm"``, ``simplex_iteration_limit`` with ``"simplex"``, both with
            ``"choose"``), also deterministic.
        """
        limit = time_limit if time_limit is not None else self.options.time_limit
        self.highs.setOptionValue("time_limit", float(limit) if limit else highspy.kHighsInf)
        nodes = node_limit if node_limit is not None else self.options.node_limit
        self.highs.setOptionValue("mip_max_nodes", int(nodes) if nodes else _NO_LIMIT)
        for name, applies in (("ipm_iteration_limit", method != "simplex"),
                              ("simplex_iteration_limit", method != "ipm")):
            limited = iteration_limit if applies and iteration_limit else _NO_LIMIT
            self.highs.setOptionValue(name, int(limited))
        self.highs.setOptionValue("solver", method)
        self.highs.setOptionValue("run_crossover", "on" if crossover else "off")
        if relax:
            self.highs.setOptionValue("solve_relaxation", True)
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = np.asarray(start, float)
            solution.value_valid = True
            self.highs.setSolution(solution)
        began = time.perf_counter()
        try:
            self.highs.run()
        finally:
            self.highs.setOptionValue("solve_relaxation", False)
        return self._outcome(time.perf_counter() - began, relax)

    def _outcome(self, elapsed: float, relax: bool) -> SolveOutcome:
        h, ms = self.highs, highspy.HighsModelStatus
        status = h.getModelStatus()
        info = h.getInfo()
        words = h.modelStatusToString(status)
        if status == ms.kInfeasible:
            return SolveOutcome("infeasible", None, None, None, elapsed, None, "highs", words)
        if status in (ms.kUnbounded, ms.kUnboundedOrInfeasible):
            kind = "unbounded" if status == ms.kUnbounded else "infeasible"
            return SolveOutcome(kind, None, None, None, elapsed, None, "highs", words)
        mip = bool(self.model.integer.any()) and not relax
        feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if relax or not mip:
            return self._lp_outcome(status, feasible, elapsed, words, relax)
        objective = float(info.objective_function_value) if feasible else None
        dual_bound = float(info.mip_dual_bound)
        bound = settle_bound(self.model.sense, objective,
                             dual_bound if np.isfinite(dual_bound) else None)
        kind, gap = classify(self.model.sense, objective, bound, proven=status == ms.kOptimal)
        x = _frozen(np.asarray(h.getSolution().col_value)) if feasible else None
        return SolveOutcome(kind, objective, bound, gap, elapsed, x, "highs", words,
                            _stop(status, kind, gap, self.options.mip_gap))

    def _lp_outcome(self, status: object, feasible: bool, elapsed: float, words: str,
                    relax: bool) -> SolveOutcome:
        optimal = status == highspy.HighsModelStatus.kOptimal
        value = float(self.highs.getInfo().objective_function_value) if optimal else None
        if relax:
            return self._relaxation_outcome(value, elapsed, words)
        x = _frozen(np.asarray(self.highs.getSolution().col_value)) if feasible else None
        objective = value if optimal else None
        kind, gap = classify(self.model.sense, objective, value, proven=optimal)
        return SolveOutcome(kind, objective, value, gap, elapsed, x if optimal else None,
                            "highs", words, _stop(status, kind, gap, self.options.mip_gap))

    def _relaxation_outcome(self, value: float | None, elapsed: float,
                            words: str) -> SolveOutcome:
        """Report a relaxation as a bound on the MIP, never as a plan.

        The bound is the tighter of the simplex optimum (when proven) and the Lagrangian
        bound of the row duals, which holds even when interior point stopped early or ran
        without crossover. Status ``optimal`` means the relaxation was solved (a vertex, or
        an interior point with primal and dual solutions both valid); a solve a time or
        iteration limit ended is ``no_solution`` (its values, e.g. a simplex basis part way,
        break rows), with its bound all the same.
        """
        status = self.highs.getModelStatus()
        ms = highspy.HighsModelStatus
        stopped = status in (ms.kTimeLimit, ms.kIterationLimit, ms.kInterrupt)
        solution = self.highs.getSolution()
        # the bounds as they stand (set_row_bounds / set_col_bounds), not as first loaded
        from_duals = dual_bound(self.current_model(), np.asarray(solution.row_dual))
        valid = [b for b in (value, from_duals) if b is not None]
        tighter = min if self.model.sense == "max" else max
        bound = tighter(valid) if valid else None
        solved = value is not None or (not stopped and solution.value_valid
                                       and solution.dual_valid)
        detail = f"linear relaxation: {words}" + ("" if value is not None or bound is None
                                                   else "; bound from its row duals")
        return SolveOutcome("optimal" if solved else "no_solution", None, bound, None, elapsed,
                            None, "highs", detail, _stop(status, "optimal", 0.0, 0.0))


def _stop(status: object, kind: str, gap: float | None, wanted: float) -> str:
    """Say what ended a HiGHS run (:attr:`SolveOutcome.stopped_by`)."""
    ms = highspy.HighsModelStatus
    if status in (ms.kTimeLimit, ms.kInterrupt):
        return "time_limit"
    if status in (ms.kIterationLimit, ms.kSolutionLimit, ms.kObjectiveBound,
                  ms.kObjectiveTarget):
        return "work_limit"
    if kind == "optimal" or (gap is not None and gap <= wanted) or status == ms.kOptimal:
        return "gap"
    return ""


def _frozen(array: np.ndarray) -> np.ndarray:
    """Read-only float copy of a solver's values, with ``-0.0`` written as ``0.0``."""
    array = np.asarray(array, dtype=float) + 0.0
    array.flags.writeable = False
    return array


def solve(model: MilpMatrix, options: SolverOptions | None = None,
          start: np.ndarray | None = None) -> SolveOutcome:
    """Solve ``model`` once with the solver ``options`` names.

    Parameters
    ----------
    model : MilpMatrix
    options : SolverOptions, optional
    start : numpy.ndarray, optional
        A feasible starting point (used by HiGHS; PuLP's CBC ignores it).

    Returns
    -------
    SolveOutcome
    """
    options = options or SolverOptions()
    if options.solver == "highs":
        return HighsSession(model, options).solve(start=start)
    from geoplan.optimise.pulp_adapter import solve_with_pulp

    return solve_with_pulp(model, options)
